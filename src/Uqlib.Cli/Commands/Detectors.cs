using System;
using Uqlib.Latent;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary>A fitted latent detector of any kind, loaded from its saved file: its name and its scoring (higher = more OOD).</summary>
internal sealed class Detectors : IDisposable
{
    private readonly IDisposable owner;
    private readonly Func<Tensor, Tensor> score;

    private Detectors(IDisposable owner, string description, long dimension, Func<Tensor, Tensor> score)
    {
        this.owner = owner;
        this.score = score;
        Description = description;
        Dimension = dimension;
    }

    public string Description { get; }

    public long Dimension { get; }

    /// <summary>Loads a saved MahalanobisDetector, RelativeMahalanobisDetector, KnnDetector or VimDetector.</summary>
    public static Detectors Load(string path, string option) => SavedFiles.Kind(path, option) switch
    {
        nameof(MahalanobisDetector) => From(MahalanobisDetector.Load(path)),
        nameof(RelativeMahalanobisDetector) => From(RelativeMahalanobisDetector.Load(path)),
        nameof(KnnDetector) => From(KnnDetector.Load(path)),
        nameof(VimDetector) => From(VimDetector.Load(path)),
        var kind => throw CliException.Input(option, $"'{path}' holds a {kind}, not a latent detector"),
    };

    public static Detectors From(MahalanobisDetector d) => new(d, d.ToString() ?? d.GetType().Name, d.Dimension, d.Score);

    public static Detectors From(RelativeMahalanobisDetector d) => new(d, d.ToString() ?? d.GetType().Name, d.Dimension, d.Score);

    public static Detectors From(KnnDetector d) => new(d, d.ToString() ?? d.GetType().Name, d.Dimension, d.Score);

    public static Detectors From(VimDetector d) => new(d, d.ToString() ?? d.GetType().Name, d.Dimension, d.Score);

    /// <summary>Scores features <c>(N, D)</c>, checking D first so that a mismatch names the option.</summary>
    public Tensor Score(Tensor features, string option)
    {
        if (features.shape[1] != Dimension)
        {
            throw CliException.Input(option, $"has {features.shape[1]} feature dimensions but the detector was fitted on {Dimension}");
        }

        return score(features);
    }

    public void Dispose() => owner.Dispose();
}
