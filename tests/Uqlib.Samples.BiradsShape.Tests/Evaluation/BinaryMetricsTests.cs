using System;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Evaluation;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Evaluation;

public sealed class BinaryMetricsTests
{
    [Fact]
    public void Compute_KnownConfusion_ExactValues()
    {
        // truth 1: 4 slices, 3 found (TP 3, FN 1); truth 0: 6 slices, 4 right (TN 4, FP 2).
        int[] truth = { 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 };
        int[] predicted = { 1, 1, 1, 0, 0, 0, 0, 0, 1, 1 };
        var metrics = BinaryMetrics.Compute(predicted, truth);
        metrics.Should().Be(new BinaryMetrics(10, 0.7, 0.75, 4.0 / 6.0));
    }

    [Fact]
    public void Compute_NoPositives_SensitivityNaN()
    {
        var metrics = BinaryMetrics.Compute(new[] { 0, 1 }, new[] { 0, 0 });
        metrics.Sensitivity.Should().Be(double.NaN);
        metrics.Specificity.Should().Be(0.5);
    }

    [Fact]
    public void Compute_LengthMismatch_Throws()
    {
        var act = () => BinaryMetrics.Compute(new[] { 0, 1 }, new[] { 0 });
        act.Should().Throw<ArgumentException>().WithMessage("*same length*2 and 1*");
    }

    [Fact]
    public void Compute_Empty_Throws()
    {
        var act = () => BinaryMetrics.Compute(Array.Empty<int>(), Array.Empty<int>());
        act.Should().Throw<ArgumentException>().WithParameterName("truth");
    }

    [Fact]
    public void Compute_ClassOutOfRange_Throws()
    {
        var act = () => BinaryMetrics.Compute(new[] { 0, 3 }, new[] { 0, 1 });
        act.Should().Throw<ArgumentException>().WithMessage("*found predicted 3, truth 1 at index 1*");
    }
}
