using System;
using System.Collections.Generic;
using FluentAssertions;
using TorchSharp;
using Uqlib.Combination;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Combination;

public sealed class RankCombinerTests : IDisposable
{
    private readonly CombinationData data = new();

    public void Dispose() => data.Dispose();

    [Fact]
    public void Combine_MatchesScipyPercentileOfScore_TiesIncluded()
    {
        var combiner = RankCombiner.Fit(data.Validation);
        using var combined = combiner.Combine(data.Test);
        Golden.ToArray(combined).Should().Equal(data.Expected("rank"), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Combine_IsInvariantToMonotoneTransformsOfAMethod()
    {
        var transformedValidation = new Dictionary<string, Tensor>(data.Validation);
        var transformedTest = new Dictionary<string, Tensor>(data.Test);
        using var v = data.Validation["mahalanobis"].mul(0.01).exp();
        using var t = data.Test["mahalanobis"].mul(0.01).exp();
        transformedValidation["mahalanobis"] = v;
        transformedTest["mahalanobis"] = t;

        using var a = RankCombiner.Fit(data.Validation).Combine(data.Test);
        using var b = RankCombiner.Fit(transformedValidation).Combine(transformedTest);

        Golden.ToArray(b).Should().Equal(Golden.ToArray(a));
    }

    [Fact]
    public void Combine_ValuesLieInTheUnitInterval()
    {
        using var far = data.Test["entropy"].mul(1e6);
        var test = new Dictionary<string, Tensor>(data.Test) { ["entropy"] = far };
        using var combined = RankCombiner.Fit(data.Validation).Combine(test);
        combined.min().ToDouble().Should().BeGreaterThanOrEqualTo(0);
        combined.max().ToDouble().Should().BeLessThanOrEqualTo(1);
    }

    [Fact]
    public void SaveLoad_RoundTripsIdentically_AndRejectsBadFiles()
    {
        CombinationData.RoundTrips(RankCombiner.Fit(data.Validation), RankCombiner.Load, data.Test);
    }

    [Fact]
    public void Combine_BadScores_ThrowClearErrors()
    {
        CombinationData.RejectsBadScores(RankCombiner.Fit(data.Validation), data.Test);
    }

    [Fact]
    public void Fit_BadInput_ThrowsClearErrors()
    {
        using var inf = torch.tensor(new[] { 1.0, double.PositiveInfinity });
        FluentActions.Invoking(() => RankCombiner.Fit(new Dictionary<string, Tensor> { ["a"] = inf }))
            .Should().Throw<ArgumentException>().WithMessage("*infinite*");
        FluentActions.Invoking(() => RankCombiner.Fit(new Dictionary<string, Tensor>())).Should().Throw<ArgumentException>();
    }
}
