using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>
/// Top-label expected calibration error with equal-width bins, weighted by bin count (Guo et al. 2017): a sample of confidence p falls
/// in bin ⌈p·B⌉ − 1 (bins ((b−1)/B, b/B]). A small internal helper until the calibration metrics arrive; unchecked.
/// </summary>
internal static class TopLabelEce
{
    /// <summary>ECE of float64 probabilities (N, C) against int64 labels (N).</summary>
    public static double Compute(Tensor probabilities, Tensor labels, int bins = 15)
    {
        using var scope = torch.NewDisposeScope();
        var (confidence, predicted) = probabilities.max(1);
        var correct = predicted.eq(labels).to(ScalarType.Float64);
        var index = confidence.mul(bins).ceil_().sub_(1).clamp_(0, bins - 1).to(ScalarType.Int64);
        var count = torch.zeros(bins, ScalarType.Float64, probabilities.device).index_add_(0, index, torch.ones_like(confidence), 1);
        var confidenceSum = torch.zeros(bins, ScalarType.Float64, probabilities.device).index_add_(0, index, confidence, 1);
        var correctSum = torch.zeros(bins, ScalarType.Float64, probabilities.device).index_add_(0, index, correct, 1);
        return confidenceSum.sub_(correctSum).abs_().sum().ToDouble() / probabilities.shape[0];
    }
}
