using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>
/// The per-image false-negative rate of a thresholded map: the share of the true mask's pixels (voxels) whose value is below the threshold,
/// 0 for an image with an empty true mask (nothing can be missed). Bounded by B = 1.
/// </summary>
/// <remarks>
/// The loss of Angelopoulos et al. 2022's tumour-segmentation example (conformal risk control, section 3.1): with masks p ≥ t, each true
/// pixel of value v adds 1/|Y| to the loss once t &gt; v, so the jumps are at the true pixels' values. Immutable and thread-safe.
/// </remarks>
public sealed class FalseNegativeRate : IMonotoneLoss
{
    /// <summary>Gets the one instance.</summary>
    public static FalseNegativeRate Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "FNR";

    /// <inheritdoc />
    public double Bound => 1.0;

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The map is not finite floating point, or the mask is not binary or not of the map's shape.</exception>
    public LossSteps Steps(Tensor map, Tensor mask)
    {
        Preconditions.Tensor(map, nameof(map), 2, 3);
        Preconditions.Finite(map, nameof(map));
        Preconditions.MaskLike(map, nameof(map), mask, nameof(mask));
        using var scope = torch.NewDisposeScope();
        var values = map.masked_select(mask.to(ScalarType.Bool)).to(ScalarType.Float64).cpu().data<double>().ToArray();
        var increments = new double[values.Length];
        Array.Fill(increments, values.Length == 0 ? 0 : 1.0 / values.Length);
        return new LossSteps(0, values, increments);
    }
}
