using System;
using System.Runtime.InteropServices;
using TorchSharp;
using Uqlib.Segmentation;
using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>
/// The per-image lesion miss rate of a thresholded map: the share of the true lesions (connected components of the true mask) that the
/// mask p ≥ t misses, 0 for an image with no true lesion (nothing can be missed). Bounded by B = 1.
/// </summary>
/// <remarks>
/// <para>
/// The lesion-level variant of the false-negative rate in Angelopoulos, Bates, Fisch, Lei &amp; Schuster 2022 (conformal risk control):
/// the promise becomes "on average at most α of a new image's lesions are missed". The rule: a true lesion counts as <b>found</b> when
/// any of its voxels has value ≥ t, and as <b>missed</b> otherwise. A lesion is therefore missed exactly when t exceeds its maximum
/// value m_k, so with K lesions L(t) = #{k : m_k &lt; t}/K, a step function with a jump of 1/K at each lesion's maximum, non-decreasing
/// in t as conformal risk control needs; the calibrated threshold is exact (<see cref="ConformalRiskControl"/>), not found on a grid.
/// </para>
/// <para>
/// The rule asks only that the mask touches a lesion, not that it overlaps it by some share (a Dice matching like
/// <see cref="Lesions"/>' would not be monotone in t, as a grown mask can merge with a neighbour and lose its match). The lesions are
/// labelled with <see cref="ConnectedComponents"/> (scipy.ndimage.label's components), on the CPU. Immutable and thread-safe.
/// </para>
/// </remarks>
public sealed class LesionMissRate : IMonotoneLoss
{
    /// <summary>Initializes a new instance of the <see cref="LesionMissRate"/> class.</summary>
    /// <param name="connectivity">
    /// Which neighbours join voxels into one true lesion: <see cref="Connectivity.Four"/> or <see cref="Connectivity.Eight"/> for 2-D maps;
    /// <see cref="Connectivity.Six"/>, <see cref="Connectivity.Eighteen"/> or <see cref="Connectivity.TwentySix"/> for 3-D maps.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="connectivity"/> is not a defined value.</exception>
    public LesionMissRate(Connectivity connectivity)
    {
        if (!Enum.IsDefined(connectivity))
        {
            throw new ArgumentOutOfRangeException(nameof(connectivity), connectivity,
                $"connectivity must be Four, Eight, Six, Eighteen or TwentySix; found {(int)connectivity}.");
        }

        Connectivity = connectivity;
    }

    /// <summary>Gets the connectivity of the true lesions.</summary>
    public Connectivity Connectivity { get; }

    /// <inheritdoc />
    public string Name => "LesionMissRate";

    /// <inheritdoc />
    public double Bound => 1.0;

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The map is not 2-D or 3-D finite floating point, or its rank does not fit <see cref="Connectivity"/>; or the mask is not binary or
    /// not of the map's shape.
    /// </exception>
    public LossSteps Steps(Tensor map, Tensor mask)
    {
        Preconditions.Tensor(map, nameof(map), 2, 3);
        Preconditions.Finite(map, nameof(map));
        Preconditions.MaskLike(map, nameof(map), mask, nameof(mask));
        if ((map.dim() == 2) != (Connectivity is Connectivity.Four or Connectivity.Eight))
        {
            throw new ArgumentException(
                $"map is {map.dim()}-D but this loss's Connectivity is {Connectivity}, which is for {(map.dim() == 2 ? "3-D" : "2-D")} maps.", nameof(map));
        }

        using var scope = torch.NewDisposeScope();
        var (labels, count) = ConnectedComponents.Label(mask, Connectivity);
        if (count == 0)
        {
            return new LossSteps(0, ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty);
        }

        var values = map.to(ScalarType.Float64).cpu().contiguous();
        var maxima = LesionMaxima(values.data<double>().ToArray(), MemoryMarshal.Cast<byte, int>(labels.bytes), count);
        var increments = new double[count];
        Array.Fill(increments, 1.0 / count);
        return new LossSteps(0, maxima, increments);
    }

    /// <summary>The maximum value over each component 1 to <paramref name="count"/>; index k − 1 holds component k's.</summary>
    private static double[] LesionMaxima(ReadOnlySpan<double> values, ReadOnlySpan<int> labels, int count)
    {
        var maxima = new double[count];
        Array.Fill(maxima, double.NegativeInfinity);
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (label > 0 && values[i] > maxima[label - 1])
            {
                maxima[label - 1] = values[i];
            }
        }

        return maxima;
    }
}
