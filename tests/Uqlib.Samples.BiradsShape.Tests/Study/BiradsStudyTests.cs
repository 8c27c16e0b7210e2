using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Study;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Study;

[Collection(QuickStudyCollection.Name)]
public sealed class BiradsStudyTests
{
    private static readonly HashSet<string> UnitInterval = new(StringComparer.Ordinal)
    {
        "accuracy", "sensitivity", "specificity", "mean", "sd", "meanDiceRoundPatients", "meanDiceIrregularPatients",
        "auroc", "lower", "upper", "level", "aupr", "fprAt95Tpr", "aurc", "pValueVersusBest", "eceBefore", "eceAfter", "meanProbability", "confidence",
    };

    // Scores of any sign (z-scores) and E-AURC (which can dip below 0 on small sets): finite only.
    private static readonly HashSet<string> AnySign = new(StringComparer.Ordinal) { "meanScoreCorrect", "meanScoreFailed", "score", "eAurc", "gap" };

    private static readonly string[] Methods =
    {
        "DistanceToHardLabel", "Calibrated DistanceToHardLabel", "Calibrated TTA MutualInformation", "Calibrated TTA PredictiveEntropy", "Mahalanobis", "kNN",
        "Ensemble MutualInformation", "Ensemble PredictiveEntropy", "Z-score combination",
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
            .And.Contain("## Calibration: temperature scaling").And.Contain("## Failure detection").And.Contain("## Uncertainty-ranked external slices");
        report.Should().Contain("### Internal test set, without augmentation").And.Contain("### External set, with augmentation");
        report.Should().Contain("| accuracy |").And.Contain("| ROC AUC |").And.Contain("| sensitivity |").And.Contain("| specificity |");
        report.Should().Contain("| Method | AUROC | AUROC CI | AUPR | FPR@95%TPR | AURC | E-AURC | AUGRC | p vs best |");
        foreach (var method in Methods)
        {
            report.Should().Contain($"| {method} | ");
        }

        foreach (var example in study.Result.Configurations.SelectMany(c => c.Examples))
        {
            report.Should().Contain(example.File);
            File.Exists(Path.Combine(study.Directory, example.File)).Should().BeTrue();
            File.ReadAllBytes(Path.Combine(study.Directory, example.File)).Take(4).Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G');
        }

        var plots = Plots(study.Result).ToList();
        plots.Should().HaveCount(2 * (4 + 4));
        foreach (var plot in plots)
        {
            report.Should().Contain($"<img src=\"{plot}\"");
            File.ReadAllBytes(Path.Combine(study.Directory, plot)).Take(4).Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G');
            File.Exists(Path.Combine(study.Directory, Path.ChangeExtension(plot, ".svg"))).Should().BeTrue();
        }

        report.Should().NotContain("NaN");
    }

    [Fact]
    public void Run_Quick_ReportsTheExternalSetByPatient()
    {
        var report = File.ReadAllText(Path.Combine(study.Directory, StudyReportWriter.ReportFile));
        report.Should().Contain("## The patient as the unit (external set)").And.Contain("### External set by patient, with augmentation");
        foreach (var configuration in study.Result.Configurations)
        {
            var analysis = configuration.ExternalPatients;
            var external = configuration.FailureDetection.Single(t => t.Set == "external");
            analysis.Patients.Should().Be(study.Options.ExternalPatients);
            analysis.PatientRows.Sum(p => p.Cases).Should().Be(external.Cases);
            analysis.PatientRows.Sum(p => p.Failures).Should().Be(external.Failures);
            analysis.PatientRows.Should().OnlyContain(p => p.AnyFailed == (p.Failures > 0));
            File.Exists(Path.Combine(study.Directory, PatientLevelStudy.PatientFile(configuration))).Should().BeTrue();
            if (analysis.Comparison is null)
            {
                report.Should().Contain(analysis.Undefined!);
                continue;
            }

            analysis.Rows.Select(r => r.Auroc).Should().Equal(external.Rows.Select(r => r.Auroc), "clustering changes the intervals, not the AUROCs");
            analysis.Clusters!.Count.Should().Be(analysis.Patients);
            analysis.MedianWidthRatio.Should().BeGreaterThan(1, "the five fold models' cases of a patient's slices are correlated");
            File.Exists(Path.Combine(study.Directory, PatientLevelStudy.ClusteredFile(configuration))).Should().BeTrue();
            report.Should().Contain("Patient-clustered AUROC intervals are");
        }

        StudyReportWriter.HeadlineTable(study.Result).Should().Contain("patient-clustered");
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
        first.GetProperty("uncertainty").GetArrayLength().Should().Be(2 * Methods.Length);
        first.GetProperty("temperatures").GetArrayLength().Should().Be(5);
        first.GetProperty("calibration").GetArrayLength().Should().Be(3);
        first.GetProperty("examples").GetArrayLength().Should().Be(8);
        var detection = first.GetProperty("failureDetection");
        detection.GetArrayLength().Should().Be(2);
        detection[0].GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("method").GetString()).Should().Equal(Methods);
    }

    [Fact]
    public void Run_Quick_ExampleSlicesAreEnlargedToBeSeen()
    {
        var files = Directory.GetFiles(Path.Combine(study.Directory, ExampleSlices.Folder), "*.png");
        files.Should().HaveCount(2 * 2 * ExampleSlices.PerEnd);
        foreach (var file in files)
        {
            // A PNG's width and height are the big-endian int32 at bytes 16 and 20 (the IHDR chunk).
            var header = File.ReadAllBytes(file).AsSpan(16, 8);
            var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header);
            var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[4..]);
            (width, height).Should().Be((study.Options.VolumeSize * ExampleSlices.Magnification, study.Options.VolumeSize * ExampleSlices.Magnification), file);
        }
    }

    [Fact]
    public void Run_Quick_FailureDetectionConsistentWithPredictions()
    {
        var rows = File.ReadAllLines(Path.Combine(study.Directory, StudyReportWriter.PredictionsFile)).Skip(1).Select(l => l.Split(',')).ToList();
        foreach (var configuration in study.Result.Configurations)
        {
            foreach (var table in configuration.FailureDetection)
            {
                var cases = rows.Where(r => r[0] == configuration.Name && r[1] == table.Set).ToList();
                table.Cases.Should().Be(cases.Count);
                table.Failures.Should().Be(cases.Count(r => r[8] == "1"));
                table.Failures.Should().Be(cases.Count(r => (double.Parse(r[6], CultureInfo.InvariantCulture) >= 0.5 ? 1 : 0) != int.Parse(r[5], CultureInfo.InvariantCulture)));
                foreach (var row in table.Rows)
                {
                    row.AurocCi!.Lower.Should().BeLessThanOrEqualTo(row.Auroc);
                    row.AurocCi!.Upper.Should().BeGreaterThanOrEqualTo(row.Auroc);
                }

                File.ReadAllText(Path.Combine(study.Directory, StudyReportWriter.FailureDetectionFile(configuration, table.Set))).Should().Be(table.Comparison.ToCsv());
            }

            configuration.Temperatures.Should().OnlyContain(t => t > 0);
            configuration.Calibration.Single(c => c.Set == "validation").NllAfter
                .Should().BeLessThanOrEqualTo(configuration.Calibration.Single(c => c.Set == "validation").NllBefore + 1e-9, "temperature scaling minimises the validation NLL of each model");
        }
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
                var expected = 5 * (u.Set == "internal" ? r.Test.Used.Round + r.Test.Used.Irregular : r.External.Used.Round + r.External.Used.Irregular);
                u.Count.Should().Be(expected);
                u.Failures.Should().BeInRange(0, u.Count);
            }
        }
    }

    [Fact]
    public void Run_Quick_PredictionsCsvHasOneRowPerPrediction()
    {
        var lines = File.ReadAllLines(Path.Combine(study.Directory, StudyReportWriter.PredictionsFile));
        lines[0].Should().Be("configuration,set,fold,slice,patient,truth,p_irregular,p_irregular_calibrated,failure," + string.Join(",", Methods));
        var r = study.Result;
        var perConfiguration = 5 * (r.Validation.Used.Round + r.Validation.Used.Irregular + r.Test.Used.Round + r.Test.Used.Irregular + r.External.Used.Round + r.External.Used.Irregular);
        lines.Length.Should().Be(1 + (2 * perConfiguration));
        lines.Skip(1).Should().OnlyContain(l => l.Split(',').Length == 9 + Methods.Length);
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
            foreach (var file in new[] { StudyReportWriter.PredictionsFile, StudyReportWriter.ReportFile, StudyReportWriter.ClassificationFile, StudyReportWriter.CalibrationFile })
            {
                File.ReadAllText(Path.Combine(again, file)).Should().Be(File.ReadAllText(Path.Combine(study.Directory, file)), file);
            }

            foreach (var picture in study.Result.Configurations.SelectMany(c => c.Examples).Select(e => e.File).Concat(Plots(study.Result)))
            {
                File.ReadAllBytes(Path.Combine(again, picture)).Should().Equal(File.ReadAllBytes(Path.Combine(study.Directory, picture)), picture);
            }
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

    private static IEnumerable<string> Plots(StudyResult result)
    {
        return result.Configurations.SelectMany(c => c.FailureDetection.SelectMany(t => t.Plots).Concat(c.Calibration.SelectMany(k => k.Plots)));
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
                if (name is not null && AnySign.Contains(name))
                {
                    // finite is all that is asked
                }
                else if (name is not null && UnitInterval.Contains(name))
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
