using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

/// <summary>
/// What the tests of the final-layer estimators (ReAct, ASH, DICE, GradNorm, fDBD, NNGuide) share: a model whose features are its
/// inputs, training sets split into uneven batches, and the check that an estimator scores exactly as its detector on the same features.
/// </summary>
internal static class FinalLayerCases
{
    /// <summary>Gets a model whose features are its inputs <c>(N, F)</c> and whose logits are their first three columns.</summary>
    public static DelegateModel Model { get; } = new(x => (x.narrow(1, 0, 3).clone(), x.clone()), OutputKind.MulticlassLogits);

    /// <summary>Gets a model whose features are 2 × 2 maps <c>(N, F, 2, 2)</c> holding each input feature at every location.</summary>
    public static DelegateModel MapModel { get; } = new(
        x => (x.narrow(1, 0, 3).clone(), x.unsqueeze(-1).unsqueeze(-1).expand(x.shape[0], x.shape[1], 2, 2).contiguous()), OutputKind.MulticlassLogits);

    /// <summary>The rows of <paramref name="features"/> as three batches of uneven sizes (a third, then one row, then the rest), labelled 0, 1, 2, ….</summary>
    public static Batch[] Batches(Tensor features)
    {
        var n = features.shape[0];
        var first = n / 3;
        long[] sizes = [first, 1, n - first - 1];
        var start = 0L;
        return sizes.Select(size =>
        {
            var batch = new Batch(features.narrow(0, start, size).clone(), torch.arange(size, dtype: ScalarType.Int64).remainder_(3));
            start += size;
            return batch;
        }).ToArray();
    }

    /// <summary>
    /// Asserts that the estimator's scores of <paramref name="queries"/> are float64, equal the detector's to 1e-12 relative and agree with
    /// the reference to <paramref name="tolerance"/>. Not bit for bit: the matrix products of the same values may round differently with
    /// another memory layout or number of threads (the tests run in parallel), in the last bit or two.
    /// </summary>
    public static void ShouldScoreAsDetector(IUncertaintyEstimator estimator, Tensor queries, Tensor detectorScores, double[] reference, double tolerance)
    {
        using var estimate = estimator.Estimate(queries);
        estimate.Scores.dtype.Should().Be(ScalarType.Float64);
        var scores = Golden.ToArray(estimate.Scores);
        scores.Should().Equal(Golden.ToArray(detectorScores), (a, b) => LatentCases.CloseRelative(a, b, 1e-12), "the estimator is a thin shell over the detector");
        scores.Should().Equal(reference, (a, b) => LatentCases.CloseRelative(a, b, tolerance));
        using var probabilities = queries.narrow(1, 0, 3).softmax(1);
        estimate.Probabilities.allclose(probabilities).Should().BeTrue("the probabilities are the model's softmax");
    }
}
