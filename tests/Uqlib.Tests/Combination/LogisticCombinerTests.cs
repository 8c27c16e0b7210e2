using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Combination;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Combination;

public sealed class LogisticCombinerTests : IDisposable
{
    private readonly CombinationData data = new();

    public void Dispose() => data.Dispose();

    [Fact]
    public void Fit_MatchesScikitLearnLogisticRegression()
    {
        var l2 = data.Reference.GetProperty("l2").GetDouble();
        var combiner = LogisticCombiner.Fit(data.Validation, data.ValidationFailures, l2);
        var expectedWeights = data.Expected("logisticWeights");

        combiner.Methods.Select(m => combiner.Weights[m]).Should().Equal(expectedWeights, (a, b) => Math.Abs(a - b) < 1e-9);
        combiner.Intercept.Should().BeApproximately(data.Reference.GetProperty("logisticIntercept").GetDouble(), 1e-9);
        using var combined = combiner.Combine(data.Test);
        Golden.ToArray(combined).Should().Equal(data.Expected("logisticLogOdds"), (a, b) => Math.Abs(a - b) < 1e-9);
    }

    [Fact]
    public void Fit_IsAStationaryPointOfThePenalisedLikelihood()
    {
        const double L2 = 0.5;
        var combiner = LogisticCombiner.Fit(data.Validation, data.ValidationFailures, L2);
        using var eta = combiner.Combine(data.Validation);
        using var p = eta.sigmoid();
        using var y = data.ValidationFailures.to(ScalarType.Float64);
        using var residual = p.sub(y);
        residual.sum().ToDouble().Should().BeApproximately(0, 1e-9);
        foreach (var m in combiner.Methods)
        {
            using var centred = data.Validation[m].sub(data.Validation[m].mean());
            using var z = centred.div(data.Validation[m].std(unbiased: false));
            (residual.mul(z).sum().ToDouble() + (L2 * combiner.Weights[m])).Should().BeApproximately(0, 1e-9);
        }
    }

    [Fact]
    public void Fit_OnSeparableData_StaysFinite()
    {
        using var scores = torch.tensor(new[] { 0.0, 1, 2, 3, 10, 11, 12, 13 });
        using var failures = torch.tensor(new[] { false, false, false, false, true, true, true, true });
        var combiner = LogisticCombiner.Fit(new Dictionary<string, Tensor> { ["s"] = scores }, failures, 1e-3);
        double.IsFinite(combiner.Weights["s"]).Should().BeTrue();
        combiner.Weights["s"].Should().BePositive();
    }

    [Fact]
    public void SaveLoad_RoundTripsIdentically_AndRejectsBadFiles()
    {
        CombinationData.RoundTrips(LogisticCombiner.Fit(data.Validation, data.ValidationFailures), LogisticCombiner.Load, data.Test);
    }

    [Fact]
    public void Combine_BadScores_ThrowClearErrors()
    {
        CombinationData.RejectsBadScores(LogisticCombiner.Fit(data.Validation, data.ValidationFailures), data.Test);
    }

    [Fact]
    public void Fit_BadInput_ThrowsClearErrors()
    {
        using var allSuccess = torch.zeros(200, dtype: ScalarType.Bool);
        using var shortFailures = torch.zeros(5, dtype: ScalarType.Bool);
        FluentActions.Invoking(() => LogisticCombiner.Fit(data.Validation, allSuccess))
            .Should().Throw<ArgumentException>().WithParameterName("validationFailures").WithMessage("*no failure*");
        FluentActions.Invoking(() => LogisticCombiner.Fit(data.Validation, shortFailures))
            .Should().Throw<ArgumentException>().WithParameterName("validationFailures").WithMessage("*5 samples*200*");
        FluentActions.Invoking(() => LogisticCombiner.Fit(data.Validation, data.ValidationFailures, 0))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("l2");
        FluentActions.Invoking(() => LogisticCombiner.Fit(data.Validation, data.ValidationFailures, double.NaN))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("l2");
    }
}
