using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Conformal;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conformal;

public sealed class ConformalSetsTests
{
    [Fact]
    public void Evaluation_HandComputedSets_GivesCoverageSizesAndStrata()
    {
        // Three classes, five cases; the LAC threshold of scores {0.1, 0.2, 0.5, 0.6} at α = 0.4 is the ⌈5 · 0.6⌉ = 3rd smallest, 0.5:
        // a class is in the set when p ≥ 0.5.
        using var calibration = torch.tensor(new[] { 0.9, 0.05, 0.05, 0.1, 0.8, 0.1, 0.25, 0.25, 0.5, 0.4, 0.4, 0.2 }, ScalarType.Float64).reshape(4, 3);
        using var calibrationLabels = torch.tensor(new long[] { 0, 1, 2, 0 });
        var classifier = ConformalClassifier.Fit(calibration, calibrationLabels, new ConformalSetOptions { AllowEmptySets = true });
        classifier.Thresholds(0.4)[0].Should().BeApproximately(0.5, 1e-15);
        using var test = torch.tensor(new[] { 0.5, 0.5, 0.0, 0.7, 0.2, 0.1, 0.4, 0.3, 0.3, 0.1, 0.1, 0.8, 0.2, 0.6, 0.2 }, ScalarType.Float64).reshape(5, 3);
        using var labels = torch.tensor(new long[] { 1, 1, 0, 2, 1 });
        using var clusters = torch.tensor(new long[] { 7, 7, 3, 3, 9 });
        using var sets = classifier.Predict(test, 0.4);

        Golden.ToArray(sets.Sets).Should().Equal(1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0);
        Golden.ToArray(sets.Sizes).Should().Equal(2, 1, 0, 1, 1);
        sets.Coverage(labels).Should().BeApproximately(0.6, 1e-15);
        sets.MeanSize().Should().BeApproximately(1.0, 1e-15);
        using (var referrals = sets.Referrals())
        {
            Golden.ToArray(referrals).Should().Equal(1, 0, 1, 0, 0);
        }

        sets.ClassConditionalCoverage(labels).Should().Equal(
            new CoverageStratum(0, 1, 0.0), new CoverageStratum(1, 3, 2.0 / 3), new CoverageStratum(2, 1, 1.0));
        sets.SizeStratifiedCoverage(labels).Should().Equal(
            new CoverageStratum(0, 1, 0.0), new CoverageStratum(1, 3, 2.0 / 3), new CoverageStratum(2, 1, 1.0));
        sets.ClusterCoverage(labels, clusters).Should().Be(new ClusterCoverage(3, (0.5 + 0.5 + 1.0) / 3, 1.0 / 3));
    }

    [Fact]
    public void Members_AfterDispose_ThrowObjectDisposed()
    {
        using var probabilities = ConformalClassifierTests.Probabilities(20, 3, 1);
        using var labels = ConformalClassifierTests.Sampled(probabilities, 2);
        var sets = ConformalClassifier.Fit(probabilities, labels).Predict(probabilities, 0.2);
        sets.Dispose();
        FluentActions.Invoking(() => sets.Sets).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => sets.MeanSize()).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => sets.Coverage(labels)).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Coverage_LabelsOfAnotherLength_Throws()
    {
        using var probabilities = ConformalClassifierTests.Probabilities(20, 3, 1);
        using var labels = ConformalClassifierTests.Sampled(probabilities, 2);
        using var sets = ConformalClassifier.Fit(probabilities, labels).Predict(probabilities, 0.2);
        using var shorter = labels.narrow(0, 0, 10);
        FluentActions.Invoking(() => sets.Coverage(shorter)).Should().Throw<ArgumentException>().WithParameterName("labels");
    }
}
