using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using Uqlib.Evaluation;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Evaluation;

public sealed class RiskCoverageCurveTests
{
    private static readonly JsonElement Reference = Golden.Load("ood_evaluation.json");

    public static TheoryData<int> Cases => new() { 0, 1, 2, 3 };

    private static (JsonElement Golden, RiskCoverageCurve Curve) Case(int index)
    {
        var golden = Reference.GetProperty("failures")[index];
        var scores = Golden.Vector(golden.GetProperty("scores"));
        var failures = golden.GetProperty("failures").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        return (golden, RocEvaluator.Evaluate(scores, failures).RiskCoverage);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RiskAtCoverage_MatchesTheReference(int index)
    {
        var (golden, curve) = Case(index);
        var targets = Golden.Vector(golden.GetProperty("coverage_targets"));
        var expected = Golden.Vector(golden.GetProperty("risk_at_coverage"));

        targets.Select(curve.RiskAtCoverage).Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-15);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CoverageAtRisk_MatchesTheReferenceWithNullWhereNoCoverageReachesTheRisk(int index)
    {
        var (golden, curve) = Case(index);
        var targets = Golden.Vector(golden.GetProperty("risk_targets"));
        var expected = golden.GetProperty("coverage_at_risk").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? (double?)null : e.GetDouble()).ToArray();

        targets.Select(curve.CoverageAtRisk).Should().Equal(expected);
    }

    [Fact]
    public void CoverageAtRisk_CoarseCase_HasUndefinedTargets()
    {
        Case(2).Curve.CoverageAtRisk(0.05).Should().BeNull();
    }

    [Fact]
    public void GeneralizedRisks_AreRiskTimesCoverageAndZeroAtTheEnd()
    {
        var curve = Case(3).Curve;

        curve.GeneralizedRisks[0].Should().BeApproximately(2.0 / 6, 1e-15);
        curve.GeneralizedRisks[^1].Should().Be(0);
        curve.GeneralizedRisks.Zip(curve.Risks.Zip(curve.Coverages)).SkipLast(1).Should().OnlyContain(t => Math.Abs(t.First - (t.Second.First * t.Second.Second)) < 1e-15);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void RiskAtCoverageAndCoverageAtRisk_OutOfRange_Throw(double value)
    {
        var curve = Case(3).Curve;

        FluentActions.Invoking(() => curve.RiskAtCoverage(value)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("coverage");
        FluentActions.Invoking(() => curve.CoverageAtRisk(value)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("risk");
    }
}
