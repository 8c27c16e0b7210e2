using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Models;

/// <summary>Options of the zero-shot classifier built from an image encoder and class text embeddings (<see cref="ZeroShotClassifier"/>).</summary>
public sealed record ZeroShotOptions
{
    /// <summary>Gets the default options.</summary>
    public static ZeroShotOptions Default { get; } = new();

    /// <summary>Gets the temperature τ dividing the cosine similarities, finite and greater than 0; the logits are cos(v, z_c) / τ.</summary>
    /// <value>The default value is 0.01, CLIP's learned logit scale of 100 (Radford et al. 2021; clamped at 100 in training, reached by the released models).</value>
    public double Temperature { get; init; } = 0.01;

    /// <summary>Gets where the image encoder returns its embeddings.</summary>
    /// <value>The default value is <see cref="EmbeddingSource.Output"/>.</value>
    public EmbeddingSource Embedding { get; init; } = EmbeddingSource.Output;

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are out of range; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!double.IsFinite(Temperature) || Temperature <= 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Temperature must be a finite number greater than 0; found {Temperature}"));
        }

        if (!Enum.IsDefined(Embedding))
        {
            problems.Add($"Embedding must be a defined EmbeddingSource; found {Embedding}");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid ZeroShotOptions: " + string.Join("; ", problems) + ".", "options");
        }
    }
}
