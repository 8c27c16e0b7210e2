using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

public sealed class PlattScalingTests
{
    [Fact]
    public void Fit_MatchesScikitLearnSigmoidCalibration()
    {
        var golden = CalibrationFixtures.Case(3);
        using var z = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = PlattScaling.Fit(z, y);

        fitted.Slope.Should().BeApproximately(golden.GetProperty("plattA").GetDouble(), 1e-5);
        fitted.Intercept.Should().BeApproximately(golden.GetProperty("plattB").GetDouble(), 1e-5);
        using var p = fitted.Transform(z);
        Golden.ToArray(p.select(1, 1)).Should().Equal(Golden.Vector(golden.GetProperty("platt")), (a, b) => Math.Abs(a - b) < 1e-6);
        using var sums = p.sum(1);
        Golden.ToArray(sums).Should().OnlyContain(s => Math.Abs(s - 1) < 1e-15);
    }

    [Fact]
    public void Fit_OfTwoColumnLogits_EqualsTheirDifference()
    {
        var golden = CalibrationFixtures.Case(3);
        using var z = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        using var shift = torch.full(z.shape[0], 0.7, dtype: ScalarType.Float64);
        using var two = torch.stack(new[] { shift, z.add(shift) }, 1);
        var fromVector = PlattScaling.Fit(z, y);
        var fromTwo = PlattScaling.Fit(two, y);
        fromTwo.Slope.Should().BeApproximately(fromVector.Slope, 1e-12);
        fromTwo.Intercept.Should().BeApproximately(fromVector.Intercept, 1e-12);
    }

    [Fact]
    public void Fit_OfOneClass_FallsBackToTheSmoothedTarget()
    {
        using var z = torch.tensor(new[] { -1.0, 0.5, 2.0, 3.0 });
        using var y = torch.tensor(new long[] { 1, 1, 1, 1 });
        var fitted = PlattScaling.Fit(z, y);
        fitted.Slope.Should().BeApproximately(0, 1e-6);
        using var p = fitted.Transform(z);
        Golden.ToArray(p.select(1, 1)).Should().OnlyContain(v => Math.Abs(v - (5.0 / 6.0)) < 1e-6);
    }

    [Fact]
    public void Fit_OfBadArguments_Throws()
    {
        using var z = torch.tensor(new[] { 0.1, double.NaN });
        using var good = torch.tensor(new[] { 0.1, 0.2 });
        using var y = torch.tensor(new long[] { 0, 1 });
        using var three = torch.tensor(new long[] { 0, 2 });
        using var multiclass = torch.zeros(2, 3);
        using var empty = torch.zeros(0);
        using var emptyLabels = torch.zeros(0, dtype: ScalarType.Int64);
        ((Action)(() => PlattScaling.Fit(z, y))).Should().Throw<ArgumentException>().WithMessage("*NaN*");
        ((Action)(() => PlattScaling.Fit(good, three))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => PlattScaling.Fit(multiclass, y))).Should().Throw<ArgumentException>().WithMessage("*binary*");
        ((Action)(() => PlattScaling.Fit(empty, emptyLabels))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        ((Action)(() => PlattScaling.Fit(good, emptyLabels))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void SaveAndLoad_RoundTrip_GivesIdenticalProbabilities()
    {
        var golden = CalibrationFixtures.Case(3);
        using var z = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = PlattScaling.Fit(z, y);
        var loaded = SavedFiles.RoundTrip(fitted.Save, PlattScaling.Load);
        using var a = fitted.Transform(z);
        using var b = loaded.Transform(z);
        b.allclose(a, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Theory]
    [InlineData("{\"slope\": 1.0", "its metadata is not valid JSON*")]
    [InlineData("{\"slope\": \"x\", \"intercept\": 0}", "\"slope\" is not a finite number")]
    [InlineData("{\"classes\": 2, \"temperature\": 1}", "\"slope\" is missing")]
    [InlineData("[1, 2]", "its metadata is not a JSON object")]
    public void Load_OfCorruptFile_ThrowsInvalidData(string content, string problem)
    {
        SavedFiles.ShouldRefuseFields(content, PlattScaling.Load, "PlattScaling", problem);
    }
}
