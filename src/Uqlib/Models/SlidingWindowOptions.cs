using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Models;

/// <summary>The windows <see cref="SlidingWindowModel"/> runs a patch-trained model on: size, overlap, blending, batching, padding.</summary>
public sealed record SlidingWindowOptions
{
    /// <summary>The largest window batch: windows sent to the model in one call.</summary>
    public const int MaxWindowBatchSize = 4096;

    /// <summary>Gets the window (region of interest) size per spatial axis: two values for images <c>(H, W)</c>, three for volumes <c>(D, H, W)</c>, each 1 to 4096.</summary>
    /// <value>Required; there is no default.</value>
    public required IReadOnlyList<int> RoiSize { get; init; }

    /// <summary>Gets the fraction of a window shared with its neighbour along each axis, in [0, 1).</summary>
    /// <value>The default value is 0.25, as MONAI's.</value>
    public double Overlap { get; init; } = 0.25;

    /// <summary>Gets how overlapping outputs are blended.</summary>
    /// <value>The default value is <see cref="SlidingWindowBlend.Constant"/>, as MONAI's.</value>
    public SlidingWindowBlend Blend { get; init; } = SlidingWindowBlend.Constant;

    /// <summary>Gets σ of the Gaussian blend as a fraction of the window size, in (0, 10].</summary>
    /// <value>The default value is 0.125, as MONAI's.</value>
    public double SigmaScale { get; init; } = 0.125;

    /// <summary>Gets the number of windows sent to the model in one call, 1 to <see cref="MaxWindowBatchSize"/>: peak memory grows with it, not with the volume's size beyond the output itself.</summary>
    /// <value>The default value is 4.</value>
    public int WindowBatchSize { get; init; } = 4;

    /// <summary>Gets how an input smaller than the window is padded.</summary>
    /// <value>The default value is <see cref="SlidingWindowPadding.Constant"/>.</value>
    public SlidingWindowPadding Padding { get; init; } = SlidingWindowPadding.Constant;

    /// <summary>Gets the value <see cref="SlidingWindowPadding.Constant"/> pads with; finite.</summary>
    /// <value>The default value is 0.</value>
    public double PaddingValue { get; init; }

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (RoiSize is null || RoiSize.Count is not (2 or 3))
        {
            problems.Add($"RoiSize must have 2 (H, W) or 3 (D, H, W) values; found {(RoiSize is null ? "null" : RoiSize.Count.ToString(CultureInfo.InvariantCulture))}.");
        }
        else
        {
            foreach (int r in RoiSize)
            {
                if (r is < 1 or > 4096)
                {
                    problems.Add(Invariant($"RoiSize values must be between 1 and 4096; found {r}."));
                }
            }
        }

        if (!(Overlap >= 0 && Overlap < 1))
        {
            problems.Add(Invariant($"Overlap must be in [0, 1); found {Overlap}."));
        }

        if (!Enum.IsDefined(Blend))
        {
            problems.Add($"Blend must be a defined SlidingWindowBlend; found {Blend}.");
        }

        if (!(SigmaScale > 0 && SigmaScale <= 10))
        {
            problems.Add(Invariant($"SigmaScale must be in (0, 10]; found {SigmaScale}."));
        }

        if (WindowBatchSize is < 1 or > MaxWindowBatchSize)
        {
            problems.Add(Invariant($"WindowBatchSize must be between 1 and {MaxWindowBatchSize}; found {WindowBatchSize}."));
        }

        if (!Enum.IsDefined(Padding))
        {
            problems.Add($"Padding must be a defined SlidingWindowPadding; found {Padding}.");
        }

        if (!double.IsFinite(PaddingValue))
        {
            problems.Add(Invariant($"PaddingValue must be finite; found {PaddingValue}."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
