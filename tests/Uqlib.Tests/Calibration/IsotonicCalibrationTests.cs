using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

public sealed class IsotonicCalibrationTests
{
    public static TheoryData<int> Cases => new() { 0, 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fit_MatchesScikitLearnIsotonic(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var half = logits.shape[0] / 2;
        using var fitLogits = logits.slice(0, 0, half, 1);
        using var fitLabels = y.slice(0, 0, half, 1);

        var fitted = IsotonicCalibration.Fit(fitLogits, fitLabels);
        using var p = fitted.Transform(logits);

        var expected = Golden.Matrix(golden.GetProperty("isotonic"));
        var actual = Golden.ToArray(p);
        var classes = expected.GetLength(1);
        for (var i = 0; i < expected.GetLength(0); i++)
        {
            for (var c = 0; c < classes; c++)
            {
                actual[(i * CalibrationFixtures.Stride * classes) + c].Should().BeApproximately(expected[i, c], 1e-6, "row {0}, class {1}", i, c);
            }
        }
    }

    [Fact]
    public void Fit_OfPerfectlyOrderedData_ReproducesTheLabels()
    {
        using var z = torch.tensor(new[] { -3.0, -1.0, 1.0, 3.0 });
        using var y = torch.tensor(new long[] { 0, 0, 1, 1 });
        using var p = IsotonicCalibration.Fit(z, y).Transform(z);
        Golden.ToArray(p.select(1, 1)).Should().Equal(0, 0, 1, 1);
    }

    [Fact]
    public void Transform_IsMonotoneInTheBinaryLogit_AndClipsOutsideTheFit()
    {
        using var z = torch.randn(300, generator: torch.manual_seed(12), dtype: ScalarType.Float64).mul_(2);
        using var y = torch.bernoulli(z.sigmoid(), generator: torch.manual_seed(13)).to(ScalarType.Int64);
        var fitted = IsotonicCalibration.Fit(z, y);
        using var grid = torch.linspace(-20, 20, 401, dtype: ScalarType.Float64);
        var p = Golden.ToArray(fitted.Transform(grid).select(1, 1));
        for (var i = 1; i < p.Length; i++)
        {
            p[i].Should().BeGreaterThanOrEqualTo(p[i - 1]);
        }

        p[0].Should().BeInRange(0, 1);
        p[^1].Should().BeInRange(0, 1);
    }

    [Fact]
    public void Fit_OfBadArguments_Throws()
    {
        using var z = torch.tensor(new[,] { { 0.1, double.PositiveInfinity }, { 0, 0 } });
        using var y = torch.tensor(new long[] { 0, 1 });
        using var good = torch.zeros(2, 3);
        using var outOfRange = torch.tensor(new long[] { 0, 3 });
        ((Action)(() => IsotonicCalibration.Fit(z, y))).Should().Throw<ArgumentException>().WithMessage("*infinite*");
        ((Action)(() => IsotonicCalibration.Fit(good, outOfRange))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => IsotonicCalibration.Fit(good, null!))).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void SaveAndLoad_RoundTrip_GivesIdenticalProbabilities()
    {
        var golden = CalibrationFixtures.Case(1);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = IsotonicCalibration.Fit(logits, y);
        var loaded = SavedFiles.RoundTrip(fitted.Save, IsotonicCalibration.Load);
        using var a = fitted.Transform(logits);
        using var b = loaded.Transform(logits);
        b.allclose(a, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Theory]
    [InlineData(", \"classes\": 2, \"maps\": [{\"x\": [0.1, 0.5], \"y\": [0.2]}]}")]
    [InlineData(", \"classes\": 2, \"maps\": [{\"x\": [0.5, 0.1], \"y\": [0.2, 0.3]}]}")]
    [InlineData(", \"classes\": 2, \"maps\": [{\"x\": [0.1, 0.5], \"y\": [0.4, 0.3]}]}")]
    [InlineData(", \"classes\": 3, \"maps\": [{\"x\": [0.1], \"y\": [0.4]}]}")]
    [InlineData(", \"classes\": 2, \"maps\": [{\"x\": [], \"y\": []}]}")]
    [InlineData(", \"classes\": 2, \"maps\": [{\"x\": [0.1, 0.5], \"y\": [0.2,")]
    public void Load_OfCorruptFile_ThrowsInvalidData(string rest)
    {
        SavedFiles.ShouldRefuseFields("{" + rest[2..], IsotonicCalibration.Load, "IsotonicCalibration");
    }
}
