using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

public sealed class VectorScalingTests
{
    public static TheoryData<int> Cases => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fit_MatchesPyTorchLbfgs(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = VectorScaling.Fit(logits, y);
        AssertOutputs(fitted, logits, golden.GetProperty("vectorScaling"));
    }

    [Fact]
    public void Fit_OfBinaryLogit_GivesTwoClassProbabilities()
    {
        var golden = CalibrationFixtures.Case(3);
        using var z = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = VectorScaling.Fit(z, y);
        using var p = fitted.Transform(z);
        p.shape.Should().Equal(500, 2);
        using var sums = p.sum(1);
        Golden.ToArray(sums).Should().OnlyContain(s => Math.Abs(s - 1) < 1e-12);
    }
    [Fact]
    public void Fit_IsDeterministic_AndNeverRaisesNll()
    {
        var golden = CalibrationFixtures.Case(1);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var first = VectorScaling.Fit(logits, y);
        var second = VectorScaling.Fit(logits, y);
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
        ((Action)(() => VectorScaling.Fit(logits, y))).Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*class 2 never occurs*");
    }

    [Fact]
    public void Fit_OfBadArguments_Throws()
    {
        using var logits = torch.tensor(new[,] { { 1.0, double.NaN }, { 0.0, 1.0 } });
        using var good = torch.tensor(new[,] { { 2.0, 0.0 }, { 0.0, 2.0 } });
        using var y = torch.tensor(new long[] { 0, 1 });
        using var longer = torch.tensor(new long[] { 0, 1, 1 });
        ((Action)(() => VectorScaling.Fit(logits, y))).Should().Throw<ArgumentException>().WithMessage("*NaN*");
        ((Action)(() => VectorScaling.Fit(good, longer))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => VectorScaling.Fit(good, null!))).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void SaveAndLoad_RoundTrip_GivesIdenticalProbabilities()
    {
        var golden = CalibrationFixtures.Case(0);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = VectorScaling.Fit(logits, y);
        var loaded = SavedFiles.RoundTrip(fitted.Save, VectorScaling.Load);
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
        SavedFiles.ShouldRefuseFields("{" + rest[2..], VectorScaling.Load, "VectorScaling");
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
