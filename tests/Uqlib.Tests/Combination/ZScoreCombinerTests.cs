using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Combination;
using Uqlib.Evaluation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Combination;

public sealed class ZScoreCombinerTests : IDisposable
{
    private readonly CombinationData data = new();

    public void Dispose() => data.Dispose();

    [Fact]
    public void Combine_MatchesNumPy_EqualAndCustomWeights()
    {
        var combiner = ZScoreCombiner.Fit(data.Validation);
        var weights = data.Reference.GetProperty("weights").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        var weighted = ZScoreCombiner.Fit(data.Validation, weights);
        var before = LiveTensors.Count;

        using var combined = combiner.Combine(data.Test);
        using var combinedWeighted = weighted.Combine(data.Test);

        LiveTensors.Count.Should().Be(before + 2);
        Golden.ToArray(combined).Should().Equal(data.Expected("zscore"), (a, b) => Math.Abs(a - b) < 1e-12);
        Golden.ToArray(combinedWeighted).Should().Equal(data.Expected("zscoreWeighted"), (a, b) => Math.Abs(a - b) < 1e-12);
        combiner.Means["mahalanobis"].Should().BeApproximately(data.Reference.GetProperty("means").GetProperty("mahalanobis").GetDouble(), 1e-12);
        combiner.StandardDeviations["tta"].Should().BeApproximately(data.Reference.GetProperty("stds").GetProperty("tta").GetDouble(), 1e-12);
        weighted.Weights["entropy"].Should().Be(2.0);
        combiner.Methods.Should().Equal("entropy", "mahalanobis", "tta");
    }

    [Fact]
    public void Combine_OfOneMethod_KeepsThatMethodsRanking()
    {
        var one = new Dictionary<string, Tensor> { ["mahalanobis"] = data.Validation["mahalanobis"] };
        var test = new Dictionary<string, Tensor> { ["mahalanobis"] = data.Test["mahalanobis"] };
        using var combined = ZScoreCombiner.Fit(one).Combine(test);
        using var original = data.Test["mahalanobis"].argsort();
        using var after = combined.argsort();
        after.allclose(original, rtol: 0, atol: 0).Should().BeTrue();

        var failures = Golden.Vector(data.Reference.GetProperty("validationFailures")).Select(v => v == 1).ToArray();
        using var fitted = ZScoreCombiner.Fit(one).Combine(one);
        RocEvaluator.Auroc(Golden.ToArray(fitted), failures).Should().Be(RocEvaluator.Auroc(Golden.ToArray(data.Validation["mahalanobis"]), failures));
    }

    [Fact]
    public void Combine_OfValidationScores_HasMeanZeroAndUnitVarianceForOneMethod()
    {
        var one = new Dictionary<string, Tensor> { ["entropy"] = data.Validation["entropy"] };
        using var combined = ZScoreCombiner.Fit(one).Combine(one);
        combined.mean().ToDouble().Should().BeApproximately(0, 1e-12);
        combined.std(unbiased: false).ToDouble().Should().BeApproximately(1, 1e-12);
    }

    [Fact]
    public void SaveLoad_RoundTripsIdentically_AndRejectsBadFiles()
    {
        CombinationData.RoundTrips(ZScoreCombiner.Fit(data.Validation), ZScoreCombiner.Load, data.Test);
    }

    [Fact]
    public void Combine_BadScores_ThrowClearErrors()
    {
        CombinationData.RejectsBadScores(ZScoreCombiner.Fit(data.Validation), data.Test);
    }

    [Fact]
    public void Fit_BadInput_ThrowsClearErrors()
    {
        using var constant = torch.full(10, 3.0, dtype: ScalarType.Float64);
        using var single = torch.ones(1, dtype: ScalarType.Float64);
        using var nan = torch.tensor(new[] { 1.0, double.NaN, 2.0 });
        using var ok = torch.tensor(new[] { 1.0, 2.0, 3.0 });
        using var longer = torch.tensor(new[] { 1.0, 2.0, 3.0, 4.0 });
        FluentActions.Invoking(() => ZScoreCombiner.Fit(new Dictionary<string, Tensor> { ["a"] = constant }))
            .Should().Throw<ArgumentException>().WithParameterName("validationScores").WithMessage("*\"a\"*zero variance*");
        FluentActions.Invoking(() => ZScoreCombiner.Fit(new Dictionary<string, Tensor> { ["a"] = single }))
            .Should().Throw<ArgumentException>().WithMessage("*1 samples*at least 2*");
        FluentActions.Invoking(() => ZScoreCombiner.Fit(new Dictionary<string, Tensor> { ["a"] = nan }))
            .Should().Throw<ArgumentException>().WithMessage("*NaN*");
        FluentActions.Invoking(() => ZScoreCombiner.Fit(new Dictionary<string, Tensor> { ["a"] = ok, ["b"] = longer }))
            .Should().Throw<ArgumentException>().WithMessage("*4 samples*3*must match*");
        FluentActions.Invoking(() => ZScoreCombiner.Fit(new Dictionary<string, Tensor>()))
            .Should().Throw<ArgumentException>().WithParameterName("validationScores").WithMessage("*empty*");
        FluentActions.Invoking(() => ZScoreCombiner.Fit(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => ZScoreCombiner.Fit(new Dictionary<string, Tensor> { ["a"] = ok }, new Dictionary<string, double> { ["b"] = 1 }))
            .Should().Throw<ArgumentException>().WithParameterName("weights").WithMessage("*missing [a]*unknown [b]*");
        FluentActions.Invoking(() => ZScoreCombiner.Fit(new Dictionary<string, Tensor> { ["a"] = ok }, new Dictionary<string, double> { ["a"] = double.NaN }))
            .Should().Throw<ArgumentException>().WithParameterName("weights");
    }
}
