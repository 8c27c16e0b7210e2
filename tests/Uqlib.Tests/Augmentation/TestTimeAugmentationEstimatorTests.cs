using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Ensembles;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Uqlib.Tests.Augmentation;

public sealed class TestTimeAugmentationEstimatorTests
{
    /// <summary>A classifier that is not flip-invariant: logits are weighted sums of the pixels, one weight map per class.</summary>
    private static IModel Classifier(int classes = 3, int seed = 1)
    {
        var weights = torch.randn(new long[] { classes, 1 * 6 * 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(seed));
        return new DelegateModel(x => x.flatten(1).matmul(weights.t()), OutputKind.MulticlassLogits);
    }

    /// <summary>A segmentation model equivariant to every flip: convolutions with symmetric kernels and zero padding.</summary>
    private static IModel FlipEquivariantSegmenter(int spatial)
    {
        var kernel2d = torch.tensor(new double[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }).reshape(1, 1, 3, 3);
        var weights = torch.cat(new[] { kernel2d, kernel2d.neg(), kernel2d.mul(0.5) }, 0);
        if (spatial == 3)
        {
            weights = weights.unsqueeze(2).expand(3, 1, 3, 3, 3).mul(torch.tensor(new double[] { 1, 2, 1 }).reshape(1, 1, 3, 1, 1)).contiguous();
        }

        return new DelegateModel(
            x => spatial == 2 ? conv2d(x, weights, padding: new long[] { 1, 1 }) : conv3d(x, weights, padding: new long[] { 1, 1, 1 }),
            OutputKind.MulticlassLogits);
    }

    [Fact]
    public void Estimate_Classification_EqualsEnsembleScoresOverAugmentedCopies()
    {
        var model = Classifier();
        var policy = TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(), Augmentations.Gamma(0.7), Augmentations.GaussianNoise(0.05, 3));
        using var scope = torch.NewDisposeScope();
        var inputs = torch.rand(new long[] { 5, 1, 6, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(2));
        foreach (var score in Enum.GetValues<EnsembleScore>())
        {
            var estimator = new TestTimeAugmentationEstimator(model, policy, score);
            using var estimate = estimator.Estimate(inputs);
            var copies = policy.Augmentations.Select(a => model.Forward(a.Apply(inputs)).Logits.softmax(1)).ToArray();
            var stacked = torch.stack(copies);
            estimate.Scores.allclose(EnsembleScores.Compute(score, stacked), rtol: 0, atol: 1e-12).Should().BeTrue(score.ToString());
            estimate.Probabilities.allclose(stacked.mean(new long[] { 0 }), rtol: 0, atol: 1e-14).Should().BeTrue();
            estimate.Map.Should().BeNull();
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Estimate_FlipEquivariantSegmenter_WithFlips_HasZeroVariability(int spatial)
    {
        var model = FlipEquivariantSegmenter(spatial);
        using var scope = torch.NewDisposeScope();
        long[] shape = spatial == 2 ? new long[] { 2, 1, 9, 7 } : new long[] { 2, 1, 5, 6, 7 };
        var inputs = torch.randn(shape, dtype: ScalarType.Float64, generator: torch.manual_seed(3));
        var policy = TtaPolicy.Flips(spatial);
        foreach (var score in new[] { EnsembleScore.Variance, EnsembleScore.TotalVariance, EnsembleScore.MutualInformation, EnsembleScore.Disagreement })
        {
            using var estimate = new TestTimeAugmentationEstimator(model, policy, score).Estimate(inputs);
            estimate.Map!.shape.Should().Equal(new[] { shape[0] }.Concat(shape.Skip(2)).ToArray());
            estimate.Map.abs().max().ToDouble().Should().BeLessThan(1e-12, score.ToString());
            estimate.Probabilities.allclose(model.Forward(inputs).Logits.softmax(1), rtol: 0, atol: 1e-12).Should().BeTrue();
        }
    }

    [Fact]
    public void Estimate_SegmentationWithoutInversion_WouldDisagree_SoInversionIsWhatMakesItZero()
    {
        // The same model's outputs on a flipped image, not mapped back, differ from the plain ones: the test above is not vacuous.
        var model = FlipEquivariantSegmenter(2);
        using var scope = torch.NewDisposeScope();
        var inputs = torch.randn(new long[] { 1, 1, 9, 7 }, dtype: ScalarType.Float64, generator: torch.manual_seed(3));
        var plain = model.Forward(inputs).Logits;
        var flipped = model.Forward(Augmentations.Flip().Apply(inputs)).Logits;
        plain.sub(flipped).abs().max().ToDouble().Should().BeGreaterThan(0.1);
    }

    [Fact]
    public void Estimate_SegmentationWithNonSquareRot90_InvertsAndMatchesTheManualAverage()
    {
        var model = new DelegateModel(x => torch.cat(new[] { x, x.mul(x) }, 1), OutputKind.MulticlassLogits);
        using var scope = torch.NewDisposeScope();
        var inputs = torch.randn(new long[] { 2, 1, 4, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(8));
        var policy = TtaPolicy.Of(Augmentations.Identity, Augmentations.Rot90(1), Augmentations.Brightness(0.1));
        using var estimate = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.PredictiveEntropy).Estimate(inputs);
        var expected = torch.stack(policy.Augmentations.Select(a => a.Invert(model.Forward(a.Apply(inputs)).Logits.softmax(1))).ToArray()).mean(new long[] { 0 });
        estimate.Probabilities.allclose(expected, rtol: 0, atol: 1e-14).Should().BeTrue();
        estimate.Map!.shape.Should().Equal(2, 4, 6);
    }

    [Fact]
    public void Estimate_Chunked_EqualsOnePass_AndCallsTheModelPerChunk()
    {
        var calls = 0;
        var inner = Classifier();
        var model = new DelegateModel(x => { calls++; return inner.Forward(x).Logits.alias(); }, OutputKind.MulticlassLogits);
        var policy = TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(), Augmentations.Flip(0), Augmentations.Rot90(2), Augmentations.Contrast(0.8));
        using var scope = torch.NewDisposeScope();
        var inputs = torch.rand(new long[] { 4, 1, 6, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(2));
        using var whole = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.TotalVariance).Estimate(inputs);
        calls.Should().Be(1);
        calls = 0;
        using var chunked = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.TotalVariance, new TtaOptions { MaxAugmentedBatchSize = 8 }).Estimate(inputs);
        calls.Should().Be(3);
        chunked.Scores.allclose(whole.Scores, rtol: 0, atol: 1e-14).Should().BeTrue();
    }

    [Fact]
    public void Estimate_Regression_ReportsVarianceAcrossAugmentations()
    {
        var model = new DelegateModel(x => x.mean(new long[] { 1, 2, 3 }), OutputKind.Regression);
        using var inputs = torch.tensor(new double[] { 0, 1, 2, 3 }).reshape(1, 1, 2, 2);
        // Brightness(±0.25) of range 3 shifts every pixel by ±0.75: predictions 1.5 − 0.75, 1.5, 1.5 + 0.75; population variance 0.375.
        var policy = TtaPolicy.Of(Augmentations.Brightness(-0.25), Augmentations.Identity, Augmentations.Brightness(0.25));
        using var estimate = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.Variance).Estimate(inputs);
        estimate.Probabilities.ToDouble().Should().BeApproximately(1.5, 1e-14);
        estimate.Scores.ToDouble().Should().BeApproximately(0.375, 1e-14);
    }

    [Fact]
    public void Estimate_ClassificationWithShapeChangingAugmentation_Throws()
    {
        var model = new DelegateModel(x => x.flatten(1).narrow(1, 0, 3), OutputKind.MulticlassLogits);
        using var inputs = torch.randn(2, 1, 4, 6);
        var estimator = new TestTimeAugmentationEstimator(model, TtaPolicy.Of(Augmentations.Identity, Augmentations.Rot90(1)));
        var act = () => estimator.Estimate(inputs);
        act.Should().Throw<ArgumentException>().WithParameterName("inputs").WithMessage("*Rot90*changes the input shape from (2, 1, 4, 6) to (2, 1, 6, 4)*");
    }

    [Fact]
    public void ConstructorAndEstimate_BadArguments_Throw()
    {
        var model = Classifier();
        var policy = TtaPolicy.Flips();
        ((Action)(() => new TestTimeAugmentationEstimator(null!, policy))).Should().Throw<ArgumentNullException>().WithParameterName("model");
        ((Action)(() => new TestTimeAugmentationEstimator(model, null!))).Should().Throw<ArgumentNullException>().WithParameterName("policy");
        ((Action)(() => new TestTimeAugmentationEstimator(model, policy, options: new TtaOptions { MaxAugmentedBatchSize = 0 })))
            .Should().Throw<ArgumentException>().WithMessage("*MaxAugmentedBatchSize*at least 1*");
        ((Action)(() => new TestTimeAugmentationEstimator(new DelegateModel(x => x, OutputKind.Regression), policy, EnsembleScore.MutualInformation)))
            .Should().Throw<ArgumentException>().WithParameterName("score");
        var estimator = new TestTimeAugmentationEstimator(model, policy);
        using var flat = torch.randn(3, 36);
        using var empty = torch.zeros(0, 1, 6, 6);
        using var nan = torch.full(new long[] { 2, 1, 6, 6 }, double.NaN, dtype: ScalarType.Float64);
        ((Action)(() => estimator.Estimate(flat))).Should().Throw<ArgumentException>().WithParameterName("inputs").WithMessage("*rank 4 to 5*");
        ((Action)(() => estimator.Estimate(empty))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        ((Action)(() => estimator.Estimate(nan))).Should().Throw<ArgumentException>().WithMessage("*NaN*");
        ((Action)(() => estimator.Estimate(null!))).Should().Throw<ArgumentNullException>();
        estimator.Name.Should().Be("TTA MutualInformation");
        estimator.Requirements.Should().Be(Requirements.None);
    }

    [Fact]
    public void Estimate_LeaksNoTensor_AndLeavesInputAlive()
    {
        var model = FlipEquivariantSegmenter(2);
        var estimator = new TestTimeAugmentationEstimator(model, TtaPolicy.Of(Augmentations.Identity, Augmentations.Rotate(5), Augmentations.GaussianBlur(1)), EnsembleScore.ExpectedPairwiseKL,
            new TtaOptions { MaxAugmentedBatchSize = 2 });
        using var inputs = torch.randn(new long[] { 2, 1, 8, 8 }, dtype: ScalarType.Float64, generator: torch.manual_seed(1));
        estimator.Estimate(inputs).Dispose();
        var before = LiveTensors.Count;
        estimator.Estimate(inputs).Dispose();
        LiveTensors.Count.Should().Be(before);
        inputs.IsInvalid.Should().BeFalse();
    }

    [Fact]
    public void DocsExample_Runs()
    {
        var model = FlipEquivariantSegmenter(2);
        using var batch = torch.randn(new long[] { 2, 1, 8, 8 }, dtype: ScalarType.Float64);

        // docs/ensembles-and-tta.md
        var policy = TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(-1), Augmentations.Flip(0), Augmentations.Rotate(10));
        var tta = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation,
                                                    new TtaOptions { MaxAugmentedBatchSize = 4096 });
        using var estimate = tta.Estimate(batch);

        estimate.Map!.shape.Should().Equal(2, 8, 8);
        estimate.Scores.shape.Should().Equal(2);
    }
}
