using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

public sealed class HistogramBinningTests
{
    public static TheoryData<int> Cases => new() { 0, 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fit_MatchesReferenceFormula(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var half = logits.shape[0] / 2;
        using var fitLogits = logits.slice(0, 0, half, 1);
        using var fitLabels = y.slice(0, 0, half, 1);

        var fitted = HistogramBinning.Fit(fitLogits, fitLabels, new HistogramBinningOptions { Bins = 10 });
        using var p = fitted.Transform(logits);

        var expected = Golden.Matrix(golden.GetProperty("histogram"));
        var actual = Golden.ToArray(p);
        var classes = expected.GetLength(1);
        fitted.Bins.Should().Be(10);
        for (var i = 0; i < expected.GetLength(0); i++)
        {
            for (var c = 0; c < classes; c++)
            {
                actual[(i * CalibrationFixtures.Stride * classes) + c].Should().BeApproximately(expected[i, c], 1e-12, "row {0}, class {1}", i, c);
            }
        }
    }

    [Fact]
    public void Fit_WithFewerSamplesThanBins_KeepsEmptyBinsAtTheirMidpoints()
    {
        using var z = torch.tensor(new[] { 3.0, -3.0 });
        using var y = torch.tensor(new long[] { 1, 0 });
        var fitted = HistogramBinning.Fit(z, y, new HistogramBinningOptions { Bins = 4 });
        using var probe = torch.tensor(new[] { 0.0, 3.0, -3.0 });
        using var p = fitted.Transform(probe);
        Golden.ToArray(p.select(1, 1)).Should().Equal(0.375, 1.0, 0.0);
    }

    [Fact]
    public void Fit_OfBadArguments_Throws()
    {
        using var z = torch.tensor(new[] { 0.1, double.NaN });
        using var good = torch.tensor(new[] { 0.1, 0.2 });
        using var y = torch.tensor(new long[] { 0, 1 });
        using var longer = torch.tensor(new long[] { 0, 1, 1 });
        ((Action)(() => HistogramBinning.Fit(z, y))).Should().Throw<ArgumentException>().WithMessage("*NaN*");
        ((Action)(() => HistogramBinning.Fit(good, longer))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => HistogramBinning.Fit(good, y, new HistogramBinningOptions { Bins = 0 }))).Should().Throw<ArgumentException>().WithMessage("*Bins*");
    }

    [Fact]
    public void SaveAndLoad_RoundTrip_GivesIdenticalProbabilities()
    {
        var golden = CalibrationFixtures.Case(2);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = HistogramBinning.Fit(logits, y);
        var loaded = SavedFiles.RoundTrip(fitted.Save, HistogramBinning.Load);
        using var a = fitted.Transform(logits);
        using var b = loaded.Transform(logits);
        b.allclose(a, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Theory]
    [InlineData(", \"classes\": 2, \"bins\": 2, \"maps\": [{\"values\": [0.1, 0.5, 0.7]}]}")]
    [InlineData(", \"classes\": 2, \"bins\": 2, \"maps\": [{\"values\": [0.1, 1.5]}]}")]
    [InlineData(", \"classes\": 3, \"bins\": 2, \"maps\": [{\"values\": [0.1, 0.5]}]}")]
    [InlineData(", \"classes\": 2, \"bins\": 0, \"maps\": []}")]
    [InlineData(", \"classes\": 2, \"bins\": 2, \"maps\": [{\"values\": [0.1, 0.")]
    public void Load_OfCorruptFile_ThrowsInvalidData(string rest)
    {
        SavedFiles.ShouldRefuseFields("{" + rest[2..], HistogramBinning.Load, "HistogramBinning");
    }
}
