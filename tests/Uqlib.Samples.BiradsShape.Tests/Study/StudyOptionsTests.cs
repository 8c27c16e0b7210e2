using System;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Study;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Study;

public sealed class StudyOptionsTests
{
    [Fact]
    public void Defaults_MatchTheSeedStudy()
    {
        var options = new StudyOptions();
        options.Patients.Should().Be(103);
        options.ExternalPatients.Should().Be(31);
        options.Folds.Should().Be(5);
        options.Validate();
        StudyOptions.Quick.Validate();
    }

    [Fact]
    public void Validate_EveryProblem_InOneMessage()
    {
        var act = () => new StudyOptions { OutputDirectory = " ", Folds = 1, ExternalPatients = 1, RotationsPerPatient = 0, SlicesPerRotation = 17, Device = "" }.Validate();
        act.Should().Throw<ArgumentException>()
            .WithMessage("*OutputDirectory*Folds*ExternalPatients*RotationsPerPatient*SlicesPerRotation*Device*");
    }
}
