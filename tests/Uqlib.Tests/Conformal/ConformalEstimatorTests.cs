using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Conformal;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conformal;

public sealed class ConformalEstimatorTests
{
    [Fact]
    public void Estimate_AfterFit_ScoresAreTheSetSizesOfTheClassifier()
    {
        // The model's inputs are its logits.
        var model = new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits);
        using var generator = new torch.Generator(3);
        using var logits = torch.randn(new long[] { 300, 4 }, ScalarType.Float64, generator: generator).mul_(2);
        using var probabilities = logits.softmax(1);
        using var labels = probabilities.multinomial(1, generator: generator).squeeze(1);
        var options = new ConformalSetOptions { Score = SetScore.Aps };
        var estimator = new ConformalEstimator(model, 0.1, options);
        estimator.Requirements.Should().Be(Requirements.LabelledValidationData);
        FluentActions.Invoking(() => estimator.Estimate(logits)).Should().Throw<InvalidOperationException>().WithMessage("*Fit*");

        estimator.Fit(new FitData { Validation = new[] { new Batch(logits.narrow(0, 0, 150), labels.narrow(0, 0, 150)), new Batch(logits.narrow(0, 150, 50), labels.narrow(0, 150, 50)) } });
        using var estimate = estimator.Estimate(logits.narrow(0, 200, 100));
        var direct = ConformalClassifier.Fit(probabilities.narrow(0, 0, 200), labels.narrow(0, 0, 200), options);
        using var sets = direct.Predict(probabilities.narrow(0, 200, 100), 0.1);
        Golden.ToArray(estimate.Scores).Should().Equal(Golden.ToArray(sets.Sizes));
        estimator.Classifier!.Thresholds(0.2).Should().Equal(direct.Thresholds(0.2));
    }

    [Fact]
    public void Fit_TooFewValidationCasesForAlpha_ThrowsNamingData()
    {
        var model = new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits);
        using var logits = torch.randn(5, 3, ScalarType.Float64);
        using var labels = torch.zeros(5, ScalarType.Int64);
        var estimator = new ConformalEstimator(model, 0.1);
        FluentActions.Invoking(() => estimator.Fit(new FitData { Validation = new[] { new Batch(logits, labels) } }))
            .Should().Throw<ArgumentException>().WithParameterName("data").WithMessage("*too few*");
        FluentActions.Invoking(() => new ConformalEstimator(model, 1.5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("alpha");
    }
}
