using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

public sealed class MatrixScalingTests
{
    public static TheoryData<int> Cases => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fit_MatchesPyTorchLbfgs(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = MatrixScaling.Fit(logits, y);
        AssertOutputs(fitted, logits, golden.GetProperty("matrixScaling"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fit_WithOffDiagonalRegularization_MatchesPyTorchLbfgs(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = MatrixScaling.Fit(logits, y, new MatrixScalingOptions { OffDiagonalRegularization = 0.01 });
        AssertOutputs(fitted, logits, golden.GetProperty("matrixScalingOdir"));
        ((Action)(() => MatrixScaling.Fit(logits, y, new MatrixScalingOptions { OffDiagonalRegularization = -1 })))
            .Should().Throw<ArgumentException>().WithMessage("*OffDiagonalRegularization*");
    }
    [Fact]
    public void Fit_IsDeterministic_AndNeverRaisesNll()
    {
        var golden = CalibrationFixtures.Case(1);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var first = MatrixScaling.Fit(logits, y);
        var second = MatrixScaling.Fit(logits, y);
        first.Weights.ToArray().Should().Equal(second.Weights.ToArray());
        first.Bias.ToArray().Should().Equal(second.Bias.ToArray());

        using var before = logits.softmax(1);
        using var after = first.Transform(logits);
        CalibrationMetrics.NegativeLogLikelihood(after, y).Should().BeLessThan(CalibrationMetrics.NegativeLogLikelihood(before, y));
    }

    [Fact]
    public void Fit_WhenAClassNeverOccurs_ThrowsNamingIt()
    {
        using var logits = torch.randn(20, 3, generator: torch.manual_seed(1), dtype: ScalarType.Float64);
        using var y = torch.tensor(new long[] { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 });
        ((Action)(() => MatrixScaling.Fit(logits, y))).Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*class 2 never occurs*");
    }

    [Fact]
    public void Fit_OfBadArguments_Throws()
    {
        using var logits = torch.tensor(new[,] { { 1.0, double.NaN }, { 0.0, 1.0 } });
        using var good = torch.tensor(new[,] { { 2.0, 0.0 }, { 0.0, 2.0 } });
        using var y = torch.tensor(new long[] { 0, 1 });
        using var longer = torch.tensor(new long[] { 0, 1, 1 });
        ((Action)(() => MatrixScaling.Fit(logits, y))).Should().Throw<ArgumentException>().WithMessage("*NaN*");
        ((Action)(() => MatrixScaling.Fit(good, longer))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => MatrixScaling.Fit(good, null!))).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void SaveAndLoad_RoundTrip_GivesIdenticalProbabilities()
    {
        var golden = CalibrationFixtures.Case(0);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = MatrixScaling.Fit(logits, y);
        var loaded = SavedFiles.RoundTrip(fitted.Save, MatrixScaling.Load);
        using var a = fitted.Transform(logits);
        using var b = loaded.Transform(logits);
        b.allclose(a, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Theory]
    [InlineData(", \"classes\": 2, \"weights\": [1, 1, 1, 1], \"bias\": [0]}")]
    [InlineData(", \"classes\": 1, \"weights\": [1], \"bias\": [0]}")]
    [InlineData(", \"classes\": 2, \"weights\": [1, 1, 1, 1], \"bias\": [0, null]}")]
    [InlineData(", \"classes\": 2, \"weights\": [1, 1")]
    public void Load_OfCorruptFile_ThrowsInvalidData(string rest)
    {
        SavedFiles.ShouldRefuseFields("{" + rest[2..], MatrixScaling.Load, "MatrixScaling");
    }

    private static void AssertOutputs(ICalibrator fitted, Tensor logits, System.Text.Json.JsonElement expected)
    {
        using var p = fitted.Transform(logits);
        var actual = Golden.ToArray(p);
        var reference = Golden.Matrix(expected);
        var classes = reference.GetLength(1);
        for (var i = 0; i < reference.GetLength(0); i++)
        {
            for (var c = 0; c < classes; c++)
            {
                actual[(i * CalibrationFixtures.Stride * classes) + c].Should().BeApproximately(reference[i, c], 1e-6, "row {0}, class {1}", i, c);
            }
        }
    }
}
