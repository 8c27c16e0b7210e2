using System;
using System.Globalization;

namespace Uqlib.Latent;

/// <summary>Options of DICE, directed sparsification of the final layer (Sun &amp; Li 2022).</summary>
public sealed record DiceOptions
{
    /// <summary>Gets the default options (the paper's CIFAR setting).</summary>
    public static DiceOptions Default { get; } = new();

    /// <summary>
    /// Gets the sparsity p in [0, 100): the percentage of the final layer's weights set to zero, those with the smallest contribution
    /// w ⊙ mean training activation.
    /// </summary>
    /// <value>The default value is 90, the paper's choice for CIFAR-10/100; it uses 70 for ImageNet.</value>
    public double Sparsity { get; init; } = 90;

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (!(Sparsity is >= 0 and < 100))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Invalid DiceOptions: Sparsity must be in [0, 100); found {Sparsity}."), "options");
        }
    }
}
