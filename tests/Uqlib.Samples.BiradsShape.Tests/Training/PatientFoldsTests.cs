using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Data;
using Uqlib.Samples.BiradsShape.Training;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Training;

public sealed class PatientFoldsTests
{
    private static readonly TumourShape[] Shapes =
        Enumerable.Range(0, 103).Select(i => i % 5 == 0 ? TumourShape.Round : TumourShape.Irregular).ToArray();

    [Fact]
    public void Assign_103Patients_FoldSizesDifferByAtMostOne()
    {
        var folds = PatientFolds.Assign(Shapes, 5, seed: 1);
        var sizes = Enumerable.Range(0, 5).Select(f => folds.Count(x => x == f)).ToArray();
        (sizes.Max() - sizes.Min()).Should().BeLessThanOrEqualTo(1);
        folds.Should().OnlyContain(f => f >= 0 && f < 5);
    }

    [Fact]
    public void Assign_Stratified_EachFoldHasRoundAndIrregularInProportion()
    {
        var folds = PatientFolds.Assign(Shapes, 5, seed: 2);
        for (var f = 0; f < 5; f++)
        {
            var round = Enumerable.Range(0, Shapes.Length).Count(p => folds[p] == f && Shapes[p] == TumourShape.Round);
            round.Should().BeInRange(4, 5);
        }
    }

    [Fact]
    public void Assign_SameSeed_SameFolds()
    {
        PatientFolds.Assign(Shapes, 5, 9).Should().Equal(PatientFolds.Assign(Shapes, 5, 9));
        PatientFolds.Assign(Shapes, 5, 9).Should().NotEqual(PatientFolds.Assign(Shapes, 5, 10));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(104)]
    public void Assign_FoldsOutOfRange_Throws(int folds)
    {
        var act = () => PatientFolds.Assign(Shapes, folds, 0);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("folds");
    }

    [Fact]
    public void Assign_Null_Throws()
    {
        var act = () => PatientFolds.Assign(null!, 5, 0);
        act.Should().Throw<ArgumentNullException>().WithParameterName("shapes");
    }
}
