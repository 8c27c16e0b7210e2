using System;
using System.Globalization;

namespace Uqlib.Latent;

/// <summary>Options of ViM, the virtual-logit matching score (Wang et al. 2022).</summary>
public sealed record VimOptions
{
    /// <summary>Gets the default options.</summary>
    public static VimOptions Default { get; } = new();

    /// <summary>Gets the dimension D of the principal subspace, in [1, F − 1] and at most 100,000, or <see langword="null"/> for the paper's rule: 1000 when F ≥ 2048, 512 when F ≥ 768, otherwise F / 2.</summary>
    /// <value>The default value is <see langword="null"/> (the paper's rule).</value>
    public int? PrincipalDimension { get; init; }

    /// <summary>Gets a value indicating whether feature maps <c>(N, C, H, W[, D])</c> are averaged over space to <c>(N, C)</c>; otherwise they are flattened.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool GlobalAveragePooling { get; init; } = true;

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (PrincipalDimension is { } d && (d < 1 || d > Preconditions.MaxCount))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Invalid VimOptions: PrincipalDimension must be in [1, {Preconditions.MaxCount}]; found {d}."), "options");
        }
    }

    /// <summary>The principal dimension for features of dimension <paramref name="features"/>.</summary>
    internal int DimensionFor(long features)
    {
        var d = PrincipalDimension ?? (features >= 2048 ? 1000 : features >= 768 ? 512 : (int)Math.Max(1, features / 2));
        if (d >= features)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"PrincipalDimension must be below the feature dimension {features}; found {d}."), "options");
        }

        return d;
    }
}
