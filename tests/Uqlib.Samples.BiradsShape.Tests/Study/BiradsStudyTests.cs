using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Study;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Study;

public sealed class BiradsStudyTests : IClassFixture<QuickStudyFixture>
{
    private static readonly HashSet<string> UnitInterval = new(StringComparer.Ordinal)
    {
        "accuracy", "sensitivity", "specificity", "mean", "sd", "meanScoreCorrect", "meanScoreFailed",
        "meanDiceRoundPatients", "meanDiceIrregularPatients",
    };

    private readonly QuickStudyFixture study;

    public BiradsStudyTests(QuickStudyFixture study)
    {
        this.study = study;
    }

    [Fact]
    public void Run_Quick_WritesReportWithEverySection()
    {
        var report = File.ReadAllText(Path.Combine(study.Directory, StudyReportWriter.ReportFile));
        report.Should().StartWith("# BI-RADS tumour shape");
        report.Should().Contain("## Data and auto-labelling").And.Contain("## Classification, with and without training augmentation")
            .And.Contain("## Post-hoc uncertainty");
        report.Should().Contain("without augmentation").And.Contain("with augmentation");
        report.Should().Contain("| accuracy |").And.Contain("| sensitivity |").And.Contain("| specificity |");
        report.Should().Contain("DistanceToHardLabel").And.Contain("MaxProbability");
        report.Should().NotContain("NaN");
    }

    [Fact]
    public void Run_Quick_JsonNumbersFiniteAndRatesInUnitInterval()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(study.Directory, StudyReportWriter.ResultsFile)));
        var numbers = 0;
        Walk(json.RootElement, null, ref numbers);
        numbers.Should().BeGreaterThan(100);
        json.RootElement.GetProperty("configurations").GetArrayLength().Should().Be(2);
        var first = json.RootElement.GetProperty("configurations")[0];
        first.GetProperty("internalFolds").GetArrayLength().Should().Be(5);
        first.GetProperty("externalFolds").GetArrayLength().Should().Be(5);
        first.GetProperty("uncertainty").GetArrayLength().Should().Be(4);
    }

    [Fact]
    public void Run_Quick_ResultConsistentWithData()
    {
        var r = study.Result;
        r.Internal.Patients.Should().Be(study.Options.Patients);
        r.External.Patients.Should().Be(study.Options.ExternalPatients);
        r.Internal.Folds.Should().HaveCount(5);
        r.Internal.Folds.Sum(f => f.Round + f.Irregular).Should().Be(r.Internal.Used.Round + r.Internal.Used.Irregular);
        r.Internal.Labelled.Round.Should().BeGreaterThanOrEqualTo(r.Internal.Used.Round);
        r.Internal.Labelled.Irregular.Should().BeGreaterThanOrEqualTo(r.Internal.Used.Irregular);
        (r.Internal.Labelled.Round + r.Internal.Labelled.Irregular + r.Internal.Ambiguous).Should().Be(r.Internal.Slices);
        r.External.Used.Should().Be(r.External.Labelled);
        r.Internal.MeanDiceRoundPatients.Should().BeGreaterThan(r.Internal.MeanDiceIrregularPatients);
        foreach (var configuration in r.Configurations)
        {
            configuration.InternalFolds.Sum(m => m.Count).Should().Be(r.Internal.Used.Round + r.Internal.Used.Irregular);
            configuration.ExternalFolds.Should().OnlyContain(m => m.Count == r.External.Used.Round + r.External.Used.Irregular);
            foreach (var u in configuration.Uncertainty)
            {
                var expected = u.Set == "internal" ? r.Internal.Used.Round + r.Internal.Used.Irregular : 5 * (r.External.Used.Round + r.External.Used.Irregular);
                u.Count.Should().Be(expected);
                u.Failures.Should().BeInRange(0, u.Count);
            }
        }
    }

    [Fact]
    public void Run_Quick_PredictionsCsvHasOneRowPerPrediction()
    {
        var lines = File.ReadAllLines(Path.Combine(study.Directory, StudyReportWriter.PredictionsFile));
        lines[0].Should().Be("configuration,set,fold,slice,patient,truth,p_irregular,DistanceToHardLabel,MaxProbability");
        var r = study.Result;
        var perConfiguration = r.Internal.Used.Round + r.Internal.Used.Irregular + (5 * (r.External.Used.Round + r.External.Used.Irregular));
        lines.Length.Should().Be(1 + (2 * perConfiguration));
        lines.Skip(1).Should().OnlyContain(l => l.Split(',').Length == 9);
    }

    [Fact]
    public void Run_Quick_ReportsProgressAsPlainLines()
    {
        study.Lines.Should().Contain(l => l.Contains("epoch 2/2", StringComparison.Ordinal));
        study.Lines.Should().Contain(l => l.StartsWith("with augmentation, fold 5/5", StringComparison.Ordinal));
        study.Lines[^1].Should().StartWith("Report written to");
        study.Lines.Should().OnlyContain(l => !l.Contains('\r', StringComparison.Ordinal));
    }

    [Fact]
    public void Run_SameSeedTwice_IdenticalNumbers()
    {
        var again = Path.Combine(Path.GetTempPath(), "uqlib-birads-" + Guid.NewGuid().ToString("N"));
        try
        {
            BiradsStudy.Run(study.Options with { OutputDirectory = again });
            File.ReadAllText(Path.Combine(again, StudyReportWriter.ResultsFile)).Replace(again, study.Directory, StringComparison.Ordinal)
                .Should().Be(File.ReadAllText(Path.Combine(study.Directory, StudyReportWriter.ResultsFile)));
            File.ReadAllText(Path.Combine(again, StudyReportWriter.PredictionsFile))
                .Should().Be(File.ReadAllText(Path.Combine(study.Directory, StudyReportWriter.PredictionsFile)));
        }
        finally
        {
            Directory.Delete(again, recursive: true);
        }
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("banana")]
    public void Run_UnavailableDevice_ThrowsBeforeWork(string device)
    {
        var act = () => BiradsStudy.Run(StudyOptions.Quick with { Device = device, OutputDirectory = Path.GetTempPath() });
        act.Should().Throw<ArgumentException>().WithMessage($"*{device}*");
    }

    [Fact]
    public void Run_InvalidOptions_ReportsEachProblem()
    {
        var act = () => BiradsStudy.Run(new StudyOptions { Patients = 3, Epochs = 0, VolumeSize = 20 });
        act.Should().Throw<ArgumentException>().WithMessage("*Patients*Epochs*VolumeSize*");
    }

    private static void Walk(JsonElement element, string? name, ref int numbers)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, property.Name, ref numbers);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, name, ref numbers);
                }

                break;
            case JsonValueKind.Number:
                var value = element.GetDouble();
                double.IsFinite(value).Should().BeTrue($"{name} must be finite");
                if (name is not null && UnitInterval.Contains(name))
                {
                    value.Should().BeInRange(0, 1, $"{name} is a rate");
                }
                else
                {
                    value.Should().BeGreaterThanOrEqualTo(0, $"{name} is a count or a setting");
                }

                numbers++;
                break;
            case JsonValueKind.String:
                new[] { "NaN", "Infinity", "-Infinity" }.Should().NotContain(element.GetString(), $"{name} must be a finite number");
                break;
        }
    }
}
