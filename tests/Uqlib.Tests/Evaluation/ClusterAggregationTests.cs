using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Xunit;

namespace Uqlib.Tests.Evaluation;

public sealed class ClusterAggregationTests
{
    // Cases of patients "b", "a", "c" interleaved; "a" has 4 cases, "b" 3, "c" 1.
    private static readonly string[] Patients = { "b", "a", "b", "a", "c", "a", "b", "a" };
    private static readonly double[] CaseScores = { 0.2, 0.9, 0.5, 0.1, 0.7, 0.4, 0.3, 0.6 };
    private static readonly bool[] CaseFailures = { false, true, true, false, false, true, false, false };

    [Fact]
    public void Scores_EachAggregation_MatchesItsDefinition()
    {
        var clusters = ClusterIds.From(Patients);

        // b: {0.2, 0.5, 0.3}; a: {0.9, 0.1, 0.4, 0.6}; c: {0.7}. NumPy: np.quantile([0.1, 0.4, 0.6, 0.9], 0.75) = 0.675.
        ClusterAggregation.Scores(CaseScores, clusters, ScoreAggregation.Max).Should().Equal(0.5, 0.9, 0.7);
        ClusterAggregation.Scores(CaseScores, clusters, ScoreAggregation.Mean).Should().Equal(new[] { 1.0 / 3, 0.5, 0.7 }, (x, y) => Math.Abs(x - y) < 1e-15);
        ClusterAggregation.Scores(CaseScores, clusters, ScoreAggregation.Quantile(0.75)).Should().Equal(new[] { 0.4, 0.675, 0.7 }, (x, y) => Math.Abs(x - y) < 1e-15);
        ClusterAggregation.Scores(CaseScores, clusters, ScoreAggregation.Quantile(1)).Should().Equal(0.5, 0.9, 0.7);
        ClusterAggregation.Scores(CaseScores, clusters, ScoreAggregation.TopKMean(2)).Should().Equal(new[] { 0.4, 0.75, 0.7 }, (x, y) => Math.Abs(x - y) < 1e-15);
        ScoreAggregation.TopKMean(2).Name.Should().Be("top2");
    }

    [Fact]
    public void Failures_EachRule_MatchesItsDefinition()
    {
        var clusters = ClusterIds.From(Patients);

        // b: 1 of 3 failed; a: 2 of 4; c: 0 of 1.
        ClusterAggregation.Failures(CaseFailures, clusters, FailureAggregation.Any).Should().Equal(true, true, false);
        ClusterAggregation.Failures(CaseFailures, clusters, FailureAggregation.Majority).Should().Equal(false, false, false);
        ClusterAggregation.Failures(CaseFailures, clusters, FailureAggregation.FractionAbove(0.3)).Should().Equal(true, true, false);
        ClusterAggregation.Failures(CaseFailures, clusters, FailureAggregation.FractionAbove(0.4)).Should().Equal(false, true, false);
    }

    [Fact]
    public void PatientLevel_EvaluatesWithTheOrdinaryEvaluator()
    {
        var random = new Random(5);
        var (scores, failures, clusters) = BootstrapTests.ClusteredData(random, 40, 6);

        var patientScores = ClusterAggregation.Scores(scores, clusters, ScoreAggregation.Max);
        var patientFailures = ClusterAggregation.Failures(failures, clusters, FailureAggregation.Any);
        var result = RocEvaluator.Evaluate(patientScores, patientFailures);

        result.Cases.Should().Be(40);
        result.Auroc.Should().Be(RocEvaluator.Auroc(patientScores, patientFailures));
    }

    [Fact]
    public void MeanProbabilitiesAndLabels_GivePatientLevelCalibration()
    {
        var clusters = ClusterIds.From(new long[] { 7, 7, 8, 9, 9, 9 });
        var probabilities = new[] { 0.8, 0.6, 0.1, 0.3, 0.5, 0.7 };
        var labels = new[] { 1, 1, 0, 1, 1, 1 };

        var patientProbabilities = ClusterAggregation.MeanProbabilities(probabilities, clusters);
        var patientLabels = ClusterAggregation.Labels(labels, clusters);

        patientProbabilities.Should().Equal(new[] { 0.7, 0.1, 0.5 }, (x, y) => Math.Abs(x - y) < 1e-15);
        patientLabels.Should().Equal(1, 0, 1);
        CalibrationMetrics.BrierScore(patientProbabilities, patientLabels).Should().BeApproximately(((0.09) + 0.01 + 0.25) / 3, 1e-15);
        ClusterAggregation.MeanProbabilities(new[] { 0.2, 0.8, 0.6, 0.4, 0.0, 1.0 }, ClusterIds.From(new long[] { 1, 1, 2 }))
            .Should().Equal(new[] { 0.4, 0.6, 0.0, 1.0 }, (x, y) => Math.Abs(x - y) < 1e-15);
    }

    [Fact]
    public void BadInput_NamesTheArgument()
    {
        var clusters = ClusterIds.From(Patients);
        FluentActions.Invoking(() => ClusterAggregation.Scores(CaseScores.Take(5).ToArray(), clusters, ScoreAggregation.Max))
            .Should().Throw<ArgumentException>().WithParameterName("clusters").WithMessage("*clusters has 8 cases but scores has 5*");
        FluentActions.Invoking(() => ClusterAggregation.Scores(CaseScores.Select(s => s / 0).ToArray(), clusters, ScoreAggregation.Max))
            .Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => ClusterAggregation.Scores(CaseScores, null!, ScoreAggregation.Max))
            .Should().Throw<ArgumentNullException>().WithParameterName("clusters");
        FluentActions.Invoking(() => ClusterAggregation.Scores(CaseScores, clusters, null!))
            .Should().Throw<ArgumentNullException>().WithParameterName("aggregation");
        FluentActions.Invoking(() => ClusterAggregation.Failures(CaseFailures.Take(2).ToArray(), clusters, FailureAggregation.Any))
            .Should().Throw<ArgumentException>().WithParameterName("clusters");
        FluentActions.Invoking(() => ClusterAggregation.Labels(new[] { 1, 0, 1, 1, 1, 1, 1, 1 }, clusters))
            .Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*cluster \"a\" has 0 and 1*");
        FluentActions.Invoking(() => ClusterAggregation.MeanProbabilities(new[] { 0.5, 1.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 }, clusters))
            .Should().Throw<ArgumentException>().WithParameterName("probabilities");
        FluentActions.Invoking(() => ClusterAggregation.MeanProbabilities(new[] { 0.5, 0.5, 0.5 }, clusters))
            .Should().Throw<ArgumentException>().WithParameterName("probabilities");
        FluentActions.Invoking(() => ScoreAggregation.Quantile(double.NaN)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("q");
        FluentActions.Invoking(() => ScoreAggregation.TopKMean(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("k");
        FluentActions.Invoking(() => FailureAggregation.FractionAbove(1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("threshold");
    }
}
