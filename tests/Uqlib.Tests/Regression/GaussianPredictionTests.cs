using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Regression;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Regression;

public sealed class GaussianPredictionTests
{
    [Fact]
    public void FromOutput_OfOneTargetLogVarianceHead_SplitsColumns()
    {
        using var output = torch.tensor(new double[,] { { 1.5, 0.0 }, { -2.0, Math.Log(4.0) }, { 0.25, -1.0 } });
        using var prediction = GaussianPrediction.FromOutput(output);
        Golden.ToArray(prediction.Mean).Should().Equal(1.5, -2.0, 0.25);
        Golden.ToArray(prediction.Variance).Should().Equal(new[] { 1.0, 4.0, Math.Exp(-1.0) }, (a, b) => Math.Abs(a - b) < 1e-15);
        using var sigma = prediction.StandardDeviation();
        Golden.ToArray(sigma).Should().Equal(new[] { 1.0, 2.0, Math.Exp(-0.5) }, (a, b) => Math.Abs(a - b) < 1e-15);
    }

    [Fact]
    public void FromOutput_OfMultiTargetHead_GivesNByDTensors()
    {
        using var output = torch.randn(4, 2, 3, generator: torch.manual_seed(7), dtype: ScalarType.Float64);
        using var prediction = GaussianPrediction.FromOutput(output);
        prediction.Mean.shape.Should().Equal(4, 3);
        prediction.Variance.shape.Should().Equal(4, 3);
        using var expectedMean = output.select(1, 0);
        using var expectedVariance = output.select(1, 1).exp();
        prediction.Mean.allclose(expectedMean, rtol: 0, atol: 0).Should().BeTrue();
        prediction.Variance.allclose(expectedVariance, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void FromOutput_OfVarianceHead_KeepsTheVariance_AndRefusesNonPositive()
    {
        using var output = torch.tensor(new double[,] { { 1, 0.5 }, { 2, 3 } });
        using var prediction = GaussianPrediction.FromOutput(output, GaussianHead.Variance);
        Golden.ToArray(prediction.Variance).Should().Equal(0.5, 3.0);

        using var zero = torch.tensor(new double[,] { { 1, 0.5 }, { 2, 0 }, { 3, -1 } });
        var act = () => GaussianPrediction.FromOutput(zero, GaussianHead.Variance);
        act.Should().Throw<ArgumentException>().WithParameterName("variance")
            .WithMessage("variance must be strictly positive; found 2 values ≤ 0 (first at row 1: 0)*");
    }

    [Fact]
    public void FromOutput_OfUnderflowingLogVariance_Throws()
    {
        using var output = torch.tensor(new float[,] { { 1, 0 }, { 2, -200 } });
        var act = () => GaussianPrediction.FromOutput(output);
        act.Should().Throw<ArgumentException>().WithParameterName("output").WithMessage("*(first at row 1: log-variance -200)*");
        using var overflow = torch.tensor(new float[,] { { 1, 100 } });
        var actOverflow = () => GaussianPrediction.FromOutput(overflow);
        actOverflow.Should().Throw<ArgumentException>().WithMessage("*not strictly positive and finite*");
    }

    [Fact]
    public void FromOutput_OfWrongShapeNaNOrEmpty_Throws()
    {
        using var three = torch.zeros(4, 3);
        using var vector = torch.zeros(4);
        using var empty = torch.zeros(0, 2);
        using var nan = torch.tensor(new double[,] { { 0, 0 }, { double.NaN, 0 } });
        using var inf = torch.tensor(new double[,] { { 0, double.NegativeInfinity } });
        ((Action)(() => GaussianPrediction.FromOutput(three))).Should().Throw<ArgumentException>().WithMessage("*(N, 2) or (N, 2, D)*found (4, 3)*");
        ((Action)(() => GaussianPrediction.FromOutput(vector))).Should().Throw<ArgumentException>().WithMessage("output must have rank 2 to 3*");
        ((Action)(() => GaussianPrediction.FromOutput(empty))).Should().Throw<ArgumentException>().WithMessage("output is empty*");
        ((Action)(() => GaussianPrediction.FromOutput(nan))).Should().Throw<ArgumentException>().WithMessage("output has 1 NaN value (first at row 1)*");
        ((Action)(() => GaussianPrediction.FromOutput(inf))).Should().Throw<ArgumentException>().WithMessage("output has 1 infinite value*");
        ((Action)(() => GaussianPrediction.FromOutput(null!))).Should().Throw<ArgumentNullException>();
        ((Action)(() => GaussianPrediction.FromOutput(three, (GaussianHead)9))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Create_ChecksShapesAndVariance_AndCopies()
    {
        using var mean = torch.tensor(new[] { 1.0, 2.0 });
        using var variance = torch.tensor(new[] { 0.5, 2.0 });
        using var prediction = GaussianPrediction.Create(mean, variance);
        mean[0] = torch.tensor(9.0);
        prediction.Mean[0].ToDouble().Should().Be(1.0);

        using var shorter = torch.tensor(new[] { 1.0 });
        using var negative = torch.tensor(new[] { 1.0, -2.0 });
        ((Action)(() => GaussianPrediction.Create(mean, shorter))).Should().Throw<ArgumentException>()
            .WithMessage("variance has shape (1) but mean has shape (2); they must match*");
        ((Action)(() => GaussianPrediction.Create(mean, negative))).Should().Throw<ArgumentException>().WithParameterName("variance");
    }

    [Fact]
    public void FromOutput_LeaksNoTensors()
    {
        using var output = torch.randn(8, 2);
        var before = LiveTensors.Count;
        using (GaussianPrediction.FromOutput(output))
        {
        }

        LiveTensors.Count.Should().Be(before);
    }
}
