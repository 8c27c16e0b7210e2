namespace Uqlib.Models;

/// <summary>Where an image encoder seen as an <see cref="IModel"/> returns its embeddings.</summary>
public enum EmbeddingSource
{
    /// <summary>The model's output (<see cref="ModelOutput.Logits"/>) is the embedding <c>(N, D)</c>: the usual form of an exported image encoder.</summary>
    Output,

    /// <summary>The model's features (<see cref="ModelOutput.Features"/>) are the embedding <c>(N, D)</c>.</summary>
    Features,
}
