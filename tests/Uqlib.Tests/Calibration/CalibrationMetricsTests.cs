using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

public sealed class CalibrationMetricsTests
{
    private const double Tolerance = 1e-9;

    public static TheoryData<int> Cases => new() { 0, 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Metrics_OfTensors_MatchReferenceFormulas(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var p = CalibrationFixtures.Probabilities(golden);
        using var y = CalibrationFixtures.Labels(golden);

        CalibrationMetrics.Ece(p, y).Should().BeApproximately(golden.GetProperty("ece").GetDouble(), Tolerance);
        CalibrationMetrics.Ece(p, y, 10).Should().BeApproximately(golden.GetProperty("ece10").GetDouble(), Tolerance);
        CalibrationMetrics.AdaptiveEce(p, y).Should().BeApproximately(golden.GetProperty("adaptiveEce").GetDouble(), Tolerance);
        CalibrationMetrics.ClasswiseEce(p, y).Should().BeApproximately(golden.GetProperty("classwiseEce").GetDouble(), Tolerance);
        CalibrationMetrics.Mce(p, y).Should().BeApproximately(golden.GetProperty("mce").GetDouble(), Tolerance);
        CalibrationMetrics.BrierScore(p, y).Should().BeApproximately(golden.GetProperty("brier").GetDouble(), Tolerance);
        CalibrationMetrics.NegativeLogLikelihood(p, y).Should().BeApproximately(golden.GetProperty("nll").GetDouble(), Tolerance);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Metrics_OfSpans_MatchReferenceFormulas(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var p = CalibrationFixtures.Probabilities(golden);
        var values = Golden.ToArray(p.flatten());
        var labels = CalibrationFixtures.LabelArray(golden);

        CalibrationMetrics.Ece(values, labels).Should().BeApproximately(golden.GetProperty("ece").GetDouble(), Tolerance);
        CalibrationMetrics.AdaptiveEce(values, labels).Should().BeApproximately(golden.GetProperty("adaptiveEce").GetDouble(), Tolerance);
        CalibrationMetrics.ClasswiseEce(values, labels).Should().BeApproximately(golden.GetProperty("classwiseEce").GetDouble(), Tolerance);
        CalibrationMetrics.Mce(values, labels).Should().BeApproximately(golden.GetProperty("mce").GetDouble(), Tolerance);
        CalibrationMetrics.BrierScore(values, labels).Should().BeApproximately(golden.GetProperty("brier").GetDouble(), Tolerance);
        CalibrationMetrics.NegativeLogLikelihood(values, labels).Should().BeApproximately(golden.GetProperty("nll").GetDouble(), Tolerance);
    }

    [Fact]
    public void Metrics_OfBinaryPositiveProbabilities_MatchTwoColumnsAndUsualBrier()
    {
        var golden = CalibrationFixtures.Case(3);
        using var positive = Golden.VectorTensor(golden.GetProperty("positive"));
        using var y = CalibrationFixtures.Labels(golden);
        var values = Golden.ToArray(positive);
        var labels = CalibrationFixtures.LabelArray(golden);

        CalibrationMetrics.Ece(positive, y).Should().BeApproximately(golden.GetProperty("ece").GetDouble(), Tolerance);
        CalibrationMetrics.ClasswiseEce(positive, y).Should().BeApproximately(golden.GetProperty("classwiseEce").GetDouble(), Tolerance);
        CalibrationMetrics.ClasswiseEce(values, labels).Should().BeApproximately(golden.GetProperty("classwiseEce").GetDouble(), Tolerance);
        CalibrationMetrics.NegativeLogLikelihood(values, labels).Should().BeApproximately(golden.GetProperty("nll").GetDouble(), Tolerance);
        CalibrationMetrics.BrierScore(positive, y).Should().BeApproximately(golden.GetProperty("brierBinary").GetDouble(), Tolerance);
        CalibrationMetrics.BrierScore(values, labels).Should().BeApproximately(golden.GetProperty("brierBinary").GetDouble(), Tolerance);
    }

    [Fact]
    public void Ece_OfPerfectlyCalibratedData_TendsToZero()
    {
        // Confidence drawn uniformly on [0.5, 1], the prediction right with exactly that probability: the ECE shrinks like 1/√N.
        var eces = new double[3];
        var sizes = new[] { 1_000, 10_000, 100_000 };
        for (var k = 0; k < sizes.Length; k++)
        {
            var rng = new Random(11 + k);
            var n = sizes[k];
            var p = new double[n];
            var labels = new int[n];
            for (var i = 0; i < n; i++)
            {
                p[i] = 0.5 + (0.5 * rng.NextDouble());
                labels[i] = rng.NextDouble() < p[i] ? 1 : 0;
            }

            eces[k] = CalibrationMetrics.Ece(p, labels);
        }

        eces[0].Should().BeLessThan(0.06);
        eces[2].Should().BeLessThan(0.01);
        eces[2].Should().BeLessThan(eces[0]);
    }

    [Fact]
    public void EceWithInterval_IsSeeded_ContainsTheEce_AndNarrowsWithN()
    {
        var golden = CalibrationFixtures.Case(1);
        using var p = CalibrationFixtures.Probabilities(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var reported = 0;
        var totals = 0;
        var first = CalibrationMetrics.EceWithInterval(p, y, resamples: 200, seed: 7, progress: new Uqlib.Tests.TestSupport.SynchronousProgress<EstimationProgress>(e =>
        {
            InterlockedMax(ref reported, (int)e.Samples);
            InterlockedMax(ref totals, (int)e.TotalSamples!.Value);
        }));
        var again = CalibrationMetrics.EceWithInterval(p, y, resamples: 200, seed: 7);
        var other = CalibrationMetrics.EceWithInterval(p, y, resamples: 200, seed: 8);

        first.Should().Be(again);
        other.Should().NotBe(first);
        reported.Should().Be(200);
        totals.Should().Be(200);
        first.Ece.Should().BeApproximately(golden.GetProperty("ece").GetDouble(), 1e-12);
        first.Lower.Should().BeLessThan(first.Ece);
        first.Upper.Should().BeGreaterThan(first.Ece);
        first.Level.Should().Be(0.95);

        // The interval's width shrinks like 1/√N: 16 times the data, about a quarter of the width.
        using var many = p.repeat(16, 1);
        using var manyLabels = y.repeat(16);
        var wide = first.Upper - first.Lower;
        var narrow = CalibrationMetrics.EceWithInterval(many, manyLabels, resamples: 200, seed: 7);
        (narrow.Upper - narrow.Lower).Should().BeInRange(wide / 8, wide / 2);
    }

    [Fact]
    public void EceWithInterval_OfBadOptions_ThrowsOrCancels()
    {
        using var p = torch.tensor(new[,] { { 0.2, 0.8 }, { 0.6, 0.4 } });
        using var y = torch.tensor(new long[] { 0, 1 });
        using var cancelled = new System.Threading.CancellationTokenSource();
        cancelled.Cancel();
        ((Action)(() => CalibrationMetrics.EceWithInterval(p, y, level: 1.0))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("level");
        ((Action)(() => CalibrationMetrics.EceWithInterval(p, y, resamples: 5))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("resamples");
        ((Action)(() => CalibrationMetrics.EceWithInterval(p, y, cancellationToken: cancelled.Token))).Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Metrics_OfPerfectOneHotPredictions_AreZero()
    {
        using var y = torch.tensor(new long[] { 0, 2, 1, 2 });
        using var p = torch.nn.functional.one_hot(y, 3).to(ScalarType.Float64);
        CalibrationMetrics.Ece(p, y).Should().Be(0);
        CalibrationMetrics.Mce(p, y).Should().Be(0);
        CalibrationMetrics.ClasswiseEce(p, y).Should().Be(0);
        CalibrationMetrics.BrierScore(p, y).Should().Be(0);
        CalibrationMetrics.NegativeLogLikelihood(p, y).Should().Be(0);
    }

    [Fact]
    public void Metrics_OfRandomProbabilities_LieInTheirRanges()
    {
        using var logits = torch.randn(300, 7, generator: torch.manual_seed(3), dtype: ScalarType.Float64).mul_(3);
        using var p = logits.softmax(1);
        using var y = torch.randint(0, 7, new long[] { 300 }, generator: torch.manual_seed(4));
        foreach (var value in new[] { CalibrationMetrics.Ece(p, y), CalibrationMetrics.AdaptiveEce(p, y), CalibrationMetrics.Mce(p, y), CalibrationMetrics.ClasswiseEce(p, y) })
        {
            value.Should().BeInRange(0, 1);
        }

        CalibrationMetrics.Ece(p, y).Should().BeLessThanOrEqualTo(CalibrationMetrics.Mce(p, y));
        CalibrationMetrics.BrierScore(p, y).Should().BeInRange(0, 2);
    }

    [Fact]
    public void NegativeLogLikelihood_OfZeroProbabilityOnTruth_IsInfinityNotNaN()
    {
        CalibrationMetrics.NegativeLogLikelihood(new[] { 1.0, 0.0 }, new[] { 1 }).Should().Be(double.PositiveInfinity);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Metrics_OfNonFiniteProbabilities_Throw(double bad)
    {
        using var p = torch.tensor(new[,] { { 0.5, 0.5 }, { bad, 0.5 } });
        using var y = torch.tensor(new long[] { 0, 1 });
        ((Action)(() => CalibrationMetrics.Ece(p, y))).Should().Throw<ArgumentException>().WithParameterName("probabilities");
        ((Action)(() => CalibrationMetrics.BrierScore(new[] { 0.5, 0.5, bad, 0.5 }, new[] { 0, 1 })))
            .Should().Throw<ArgumentException>().WithParameterName("probabilities");
    }

    [Fact]
    public void Metrics_OfEmptyMismatchedOrInvalidInput_Throw()
    {
        using var empty = torch.zeros(0, 3, dtype: ScalarType.Float64);
        using var emptyLabels = torch.zeros(0, dtype: ScalarType.Int64);
        using var p = torch.tensor(new[,] { { 0.2, 0.8 }, { 0.6, 0.4 } });
        using var threeLabels = torch.tensor(new long[] { 0, 1, 1 });
        using var outOfRange = torch.tensor(new long[] { 0, 2 });
        using var notProbabilities = torch.tensor(new[,] { { 0.2, 0.2 }, { 0.6, 0.4 } });
        using var labels = torch.tensor(new long[] { 0, 1 });

        ((Action)(() => CalibrationMetrics.Ece(empty, emptyLabels))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        ((Action)(() => CalibrationMetrics.Ece(p, threeLabels))).Should().Throw<ArgumentException>().WithMessage("*3 samples*2*");
        ((Action)(() => CalibrationMetrics.NegativeLogLikelihood(p, outOfRange))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => CalibrationMetrics.BrierScore(notProbabilities, labels))).Should().Throw<ArgumentException>().WithMessage("*sum to 1*");
        using var negative = torch.tensor(new[,] { { -0.2, 1.2 }, { 0.6, 0.4 } });
        ((Action)(() => CalibrationMetrics.Ece(negative, labels))).Should().Throw<ArgumentException>().WithMessage("*[0, 1]*-0.2*");
        ((Action)(() => CalibrationMetrics.Ece(notProbabilities, labels))).Should().Throw<ArgumentException>().WithMessage("*sum to 1*");
        ((Action)(() => CalibrationMetrics.Ece(p, labels, 0))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("bins");
        ((Action)(() => CalibrationMetrics.Ece(ReadOnlySpan<double>.Empty, ReadOnlySpan<int>.Empty))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        ((Action)(() => CalibrationMetrics.Ece(new[] { 0.5, 0.5, 1.0 }, new[] { 0, 1 }))).Should().Throw<ArgumentException>().WithMessage("*N × C*");
        ((Action)(() => CalibrationMetrics.Ece(new[] { 0.5, 0.5 }, new[] { 2 }))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => CalibrationMetrics.Ece(null!, labels))).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Metrics_LeakNoTensors()
    {
        using var p = torch.tensor(new[,] { { 0.2, 0.8 }, { 0.6, 0.4 } }, dtype: ScalarType.Float32);
        using var y = torch.tensor(new long[] { 0, 1 });
        using var positive = torch.tensor(new[] { 0.3, 0.9 });
        var before = LiveTensors.Count;
        CalibrationMetrics.Ece(p, y);
        CalibrationMetrics.AdaptiveEce(p, y);
        CalibrationMetrics.ClasswiseEce(positive, y);
        CalibrationMetrics.BrierScore(positive, y);
        CalibrationMetrics.NegativeLogLikelihood(p, y);
        LiveTensors.Count.Should().Be(before);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = System.Threading.Volatile.Read(ref target)) < value && System.Threading.Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Fact]
    public void EceWithInterval_WhereTheIntervalIsUndefined_Throws()
    {
        using var one = torch.tensor(new[] { 0.7, 0.3 }, dtype: ScalarType.Float64).reshape(1, 2);
        using var label = torch.tensor(new long[] { 0 });
        FluentActions.Invoking(() => CalibrationMetrics.EceWithInterval(one, label)).Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*at least 2*");

        // Every prediction certain and right: every resample has ECE 0, and [0, 0] is no interval.
        using var certain = torch.tensor(new[] { 1.0, 0.0, 0.0, 1.0, 1.0, 0.0 }, dtype: ScalarType.Float64).reshape(3, 2);
        using var right = torch.tensor(new long[] { 0, 1, 0 });
        FluentActions.Invoking(() => CalibrationMetrics.EceWithInterval(certain, right, resamples: 50)).Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*zero width*");
    }
}
