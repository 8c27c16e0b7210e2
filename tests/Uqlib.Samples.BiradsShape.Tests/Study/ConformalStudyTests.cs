using System.IO;
using System.Linq;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Study;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Study;

[Collection(QuickStudyCollection.Name)]
public sealed class ConformalStudyTests
{
    private readonly QuickStudyFixture study;

    public ConformalStudyTests(QuickStudyFixture study)
    {
        this.study = study;
    }

    [Fact]
    public void Run_Quick_ReportsConformalSetsOfBothTestSets()
    {
        var report = File.ReadAllText(Path.Combine(study.Directory, StudyReportWriter.ReportFile));
        report.Should().Contain("## Conformal sets (round, irregular, both = refer)");
        foreach (var configuration in study.Result.Configurations)
        {
            configuration.Conformal.Should().NotBeNull();
            configuration.Conformal!.Select(c => c.Set).Should().Equal("internal", "external");
            foreach (var c in configuration.Conformal!)
            {
                // 8 validation patients in the quick study: the smallest level they allow is 1/9, rounded up to 0.112.
                c.CalibrationPatients.Should().Be(study.Options.ValidationPatients);
                c.Alpha.Should().Be(0.112);
                c.Folds.Should().Be(study.Options.Folds);
                (c.RoundShare + c.IrregularShare + c.BothShare).Should().BeApproximately(1, 1e-12, "never-empty binary sets are one of three");
                new[] { c.Coverage, c.PatientCoverage, c.AllSlicesCoveredShare, c.BothShare }.Should().OnlyContain(v => v >= 0 && v <= 1);
                c.AllSlicesCoveredShare.Should().BeLessThanOrEqualTo(c.PatientCoverage);
                report.Should().Contain($"| {configuration.Name} | {c.Set} | {c.Cases} | {c.CalibrationPatients} | 0.112 |");
            }
        }
    }
}
