using System;
using System.Globalization;

namespace Uqlib.Latent;

/// <summary>Options of ASH, activation shaping (Djurisic, Bozanic, Ashok &amp; Liu 2023).</summary>
public sealed record AshOptions
{
    /// <summary>Gets the default options: ASH-S at the paper's percentile.</summary>
    public static AshOptions Default { get; } = new();

    /// <summary>Gets the variant.</summary>
    /// <value>The default value is <see cref="AshVariant.Scale"/> (ASH-S, the paper's best on ImageNet and CIFAR).</value>
    public AshVariant Variant { get; init; } = AshVariant.Scale;

    /// <summary>
    /// Gets the pruning percentile p in [0, 100): each row keeps its k = F − round(F·p/100) largest activations (at least one), or
    /// <see langword="null"/> for the paper's ImageNet value of the variant: 60 for ASH-P, 65 for ASH-B, 90 for ASH-S (Table 1 of the
    /// paper, ResNet-50); its CIFAR experiments use 90 and 95.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (the variant's paper value).</value>
    public double? Percentile { get; init; }

    /// <summary>Gets the percentile in use: <see cref="Percentile"/>, or the variant's paper value.</summary>
    public double EffectivePercentile => Percentile ?? Variant switch
    {
        AshVariant.Prune => 60,
        AshVariant.Binarize => 65,
        _ => 90,
    };

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        var problems = new System.Collections.Generic.List<string>();
        if (!Enum.IsDefined(Variant))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Variant must be a defined AshVariant; found {Variant}"));
        }

        if (Percentile is { } p && !(p is >= 0 and < 100))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Percentile must be in [0, 100); found {p}"));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid AshOptions: {string.Join("; ", problems)}.", "options");
        }
    }

    /// <summary>The number k of activations each row of <paramref name="features"/> units keeps.</summary>
    internal long KeptFor(long features)
    {
        var pruned = (long)Math.Round(features * EffectivePercentile / 100.0, MidpointRounding.ToEven);
        return Math.Max(1, features - pruned);
    }
}
