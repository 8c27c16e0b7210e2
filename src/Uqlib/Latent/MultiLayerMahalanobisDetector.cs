using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using TorchSharp;
using Uqlib.Combination;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// Mahalanobis detectors fitted on the features of several layers of one network, whose per-layer scores are combined into one (Lee et al.
/// 2018's feature ensemble). Immutable: it owns its detectors and hands out only copies; every member throws
/// <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// Lee et al. 2018, "A simple unified framework for detecting out-of-distribution samples and adversarial attacks", section 2 (feature
/// ensemble), without the input pre-processing: layer l's features, each pooled to <c>(N, C_l)</c> (global average over the spatial
/// dimensions of a feature map), get their own class means and shared covariance (one <see cref="MahalanobisDetector"/> per layer, the
/// pseudo-inverse and its rank r_l as there), and layer l's score is d_l(x) = min_c (x_l − μ_{l,c})ᵀ Σ_l⁺ (x_l − μ_{l,c}).
/// The scores are combined in one of two ways:
/// <list type="bullet">
/// <item><description>Equal weights (the fit's default, for when no out-of-distribution validation data exists): s(x) = (1/L) Σ_l d_l(x) / r_l.
/// Each layer's distance is divided by its rank, the mean squared distance of an in-distribution sample under the Gaussian model (χ² with r_l
/// degrees of freedom), so a wide layer does not outweigh a narrow one.</description></item>
/// <item><description>The feature ensemble (<see cref="WithFeatureEnsemble"/>): Lee et al.'s weights, a logistic regression of
/// out-of-distribution (positive) against in-distribution validation samples on the L layer scores, fitted by <see cref="LogisticCombiner"/>
/// (each layer's score standardised by its validation mean and standard deviation, L2 penalty λ on the weights); s(x) is the regression's
/// log-odds of out-of-distribution.</description></item>
/// </list>
/// Cost: fitting is one pass accumulating each layer's statistics plus one eigendecomposition per layer, O(Σ_l N C_l² + C_l³); scoring is
/// one (N × C_l × r_l) matrix product per layer, as <see cref="MahalanobisDetector"/>, so L layers cost the sum of L single-layer detectors.
/// Higher is more out-of-distribution. Thread-safe for reading.
/// </remarks>
public sealed class MultiLayerMahalanobisDetector : IDisposable
{
    private const string Kind = "MultiLayerMahalanobisDetector";
    private const int Version = 1;
    private readonly MahalanobisDetector[] layers;
    private readonly LogisticCombiner? ensemble;
    private bool disposed;

    private MultiLayerMahalanobisDetector(MahalanobisDetector[] layers, LogisticCombiner? ensemble)
    {
        this.layers = layers;
        this.ensemble = ensemble;
    }

    /// <summary>Gets the number of layers L.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public int LayerCount
    {
        get
        {
            ThrowIfDisposed();
            return layers.Length;
        }
    }

    /// <summary>Gets each layer's feature dimension C_l, in the order the layers were given.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public IReadOnlyList<long> Dimensions
    {
        get
        {
            ThrowIfDisposed();
            return Array.AsReadOnly(layers.Select(d => d.Dimension).ToArray());
        }
    }

    /// <summary>Gets each layer's rank r_l: the dimension of the subspace its pseudo-inverse measures (C_l unless units are dead or collinear).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public IReadOnlyList<long> Ranks
    {
        get
        {
            ThrowIfDisposed();
            return Array.AsReadOnly(layers.Select(d => d.Rank).ToArray());
        }
    }

    /// <summary>Gets the feature ensemble's logistic regression (its methods are <c>"layer0"</c> … <c>"layer{L−1}"</c>), or <see langword="null"/> when the layers are weighed equally.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public LogisticCombiner? FeatureEnsemble
    {
        get
        {
            ThrowIfDisposed();
            return ensemble;
        }
    }

    /// <summary>Fits one class-conditional Mahalanobis detector per layer, combined with equal weights (see the remarks).</summary>
    /// <param name="features">Training features of each layer, <c>(N, C_l)</c>, finite, the same N samples in every layer; not disposed. At least one layer.</param>
    /// <param name="labels">Class indices <c>(N)</c> in [0, <paramref name="classes"/> − 1]; every class needs a sample.</param>
    /// <param name="classes">The number of classes, from 1 to 100,000.</param>
    /// <param name="method">The covariance estimate of every layer.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before each layer.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/>, one of its tensors or <paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">No layer is given; a layer's features are empty, not of rank 2, not finite or of another N than the first layer's; the labels differ in length or are out of range; a class has no sample; a layer's features are all constant.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is outside [1, 100,000] or <paramref name="method"/> is undefined.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static MultiLayerMahalanobisDetector Fit(
        IReadOnlyList<Tensor> features,
        Tensor labels,
        int classes,
        CovarianceMethod method = CovarianceMethod.Auto,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var rows = CheckLayers(features, nameof(features), null);
        ArgumentNullException.ThrowIfNull(labels);
        var fitted = new List<MahalanobisDetector>(features.Count);
        try
        {
            foreach (var layer in features)
            {
                cancellationToken.ThrowIfCancellationRequested();
                fitted.Add(MahalanobisDetector.Fit(layer, labels, classes, method));
            }

            return EstimationProgress.Completed(progress, rows, new MultiLayerMahalanobisDetector([.. fitted], null));
        }
        catch
        {
            fitted.ForEach(d => d.Dispose());
            throw;
        }
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved multi-layer Mahalanobis detector, or is truncated, corrupt (checksum) or of a newer version; nothing is left allocated.</exception>
    public static MultiLayerMahalanobisDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, Read);
    }

    /// <summary>A copy of one layer's detector; the caller disposes it.</summary>
    /// <param name="index">The layer, in [0, <see cref="LayerCount"/> − 1].</param>
    /// <returns>The layer's Mahalanobis detector, sharing nothing with this one.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, L − 1].</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public MahalanobisDetector Layer(int index)
    {
        ThrowIfDisposed();
        Preconditions.InRange(index, nameof(index), 0, layers.Length - 1);
        return layers[index].Copy();
    }

    /// <summary>Fits Lee et al.'s feature-ensemble weights on validation layer scores and returns a detector that combines with them.</summary>
    /// <param name="inDistributionLayerScores">Layer scores <c>(N, L)</c> of in-distribution validation samples, from <see cref="LayerScores(IReadOnlyList{Tensor})"/>; finite.</param>
    /// <param name="outOfDistributionLayerScores">Layer scores <c>(M, L)</c> of out-of-distribution validation samples (the positive class); finite.</param>
    /// <param name="l2">The L2 penalty λ on the standardised weights, finite and greater than 0 (scikit-learn's C = 1/λ).</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = N + M; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none).</param>
    /// <returns>A new detector with the same layers and the fitted weights; the caller disposes it. This detector is unchanged.</returns>
    /// <exception cref="ArgumentNullException">A score tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A score tensor is empty, not <c>(·, L)</c> or not finite, or a layer's scores have zero variance.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="l2"/> is not a finite positive number.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public MultiLayerMahalanobisDetector WithFeatureEnsemble(
        Tensor inDistributionLayerScores,
        Tensor outOfDistributionLayerScores,
        double l2 = 1.0,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        Preconditions.Live(inDistributionLayerScores, nameof(inDistributionLayerScores));
        Preconditions.Live(outOfDistributionLayerScores, nameof(outOfDistributionLayerScores));
        CheckLayerScores(inDistributionLayerScores, nameof(inDistributionLayerScores));
        CheckLayerScores(outOfDistributionLayerScores, nameof(outOfDistributionLayerScores));
        LogisticCombiner combiner;
        using (var scope = torch.NewDisposeScope())
        {
            var device = inDistributionLayerScores.device;
            var scores = torch.cat([inDistributionLayerScores.to(ScalarType.Float64, device), outOfDistributionLayerScores.to(ScalarType.Float64, device)], 0);
            var outOfDistribution = torch.cat(
                [torch.zeros(inDistributionLayerScores.shape[0], ScalarType.Bool, device), torch.ones(outOfDistributionLayerScores.shape[0], ScalarType.Bool, device)], 0);
            combiner = LogisticCombiner.Fit(Columns(scores), outOfDistribution, l2, progress, cancellationToken);
        }

        var copies = new List<MahalanobisDetector>(layers.Length);
        try
        {
            foreach (var layer in layers)
            {
                copies.Add(layer.Copy());
            }

            return new MultiLayerMahalanobisDetector([.. copies], combiner);
        }
        catch
        {
            copies.ForEach(d => d.Dispose());
            throw;
        }
    }

    /// <summary>Each layer's score: its squared Mahalanobis distance to the nearest class mean.</summary>
    /// <param name="features">Features of each layer, <c>(N, C_l)</c> with the fit's C_l, finite, the same N in every layer; not disposed.</param>
    /// <returns>Layer scores <c>(N, L)</c>, float64, ≥ 0.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or one of its tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The number of layers differs from the fit's; a layer's features are empty, not of rank 2, of another dimension than the fit or not finite; the layers differ in N.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor LayerScores(IReadOnlyList<Tensor> features)
    {
        return LayerScores(features, ScoreArithmetic.Float64);
    }

    /// <summary>Each layer's score, computed in the given arithmetic: its squared Mahalanobis distance to the nearest class mean.</summary>
    /// <param name="features">Features of each layer, <c>(N, C_l)</c> with the fit's C_l, finite, the same N in every layer; not disposed.</param>
    /// <param name="arithmetic">The arithmetic of the matrix products (<see cref="ScoreArithmetic.Float32"/> is the opt-in fast path).</param>
    /// <returns>Layer scores <c>(N, L)</c>, float64, ≥ 0.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or one of its tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The number of layers differs from the fit's; a layer's features are empty, not of rank 2, of another dimension than the fit or not finite; the layers differ in N.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="arithmetic"/> is undefined.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor LayerScores(IReadOnlyList<Tensor> features, ScoreArithmetic arithmetic)
    {
        ThrowIfDisposed();
        CheckLayers(features, nameof(features), layers);
        MahalanobisDetector.CheckArithmetic(arithmetic);
        return LayerScoresCore(features, arithmetic);
    }

    /// <summary>The combined score of each sample (see the remarks): equal weights over rank-scaled layer distances, or the feature ensemble's log-odds.</summary>
    /// <param name="features">Features of each layer, <c>(N, C_l)</c> with the fit's C_l, finite, the same N in every layer; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more out-of-distribution.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or one of its tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The number of layers differs from the fit's; a layer's features are empty, not of rank 2, of another dimension than the fit or not finite; the layers differ in N.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(IReadOnlyList<Tensor> features)
    {
        return Score(features, ScoreArithmetic.Float64);
    }

    /// <summary>The combined score of each sample, with the layer scores computed in the given arithmetic (see the remarks).</summary>
    /// <param name="features">Features of each layer, <c>(N, C_l)</c> with the fit's C_l, finite, the same N in every layer; not disposed.</param>
    /// <param name="arithmetic">The arithmetic of the matrix products (<see cref="ScoreArithmetic.Float32"/> is the opt-in fast path).</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more out-of-distribution.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or one of its tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The number of layers differs from the fit's; a layer's features are empty, not of rank 2, of another dimension than the fit or not finite; the layers differ in N.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="arithmetic"/> is undefined.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(IReadOnlyList<Tensor> features, ScoreArithmetic arithmetic)
    {
        using var scope = torch.NewDisposeScope();
        return CombineCore(LayerScores(features, arithmetic)).MoveToOuterDisposeScope();
    }

    /// <summary>Combines layer scores computed earlier (by <see cref="LayerScores(IReadOnlyList{Tensor})"/>) into the score <see cref="Score(IReadOnlyList{Tensor})"/> gives.</summary>
    /// <param name="layerScores">Layer scores <c>(N, L)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more out-of-distribution.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="layerScores"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="layerScores"/> is empty, not <c>(N, L)</c> or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Combine(Tensor layerScores)
    {
        ThrowIfDisposed();
        CheckLayerScores(layerScores, nameof(layerScores));
        return CombineCore(layerScores);
    }

    /// <summary>Saves the detector to a file (see <see cref="Load"/>): every layer's detector and the ensemble weights, if any.</summary>
    /// <param name="path">The file; overwritten.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is then left unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public void Save(string path)
    {
        ThrowIfDisposed();
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Objects("layers", layers, (item, layer) => layer.Write(item));
            writer.Boolean("featureEnsemble", ensemble is not null);
            if (ensemble is not null)
            {
                writer.Object("ensemble", ensemble.Write);
            }
        });
    }

    /// <summary>Describes the detector as scikit-learn's repr would, e.g. <c>MultiLayerMahalanobisDetector(layers=3, dimensions=[8, 16, 12], ranks=[6, 13, 8], weights=equal)</c>.</summary>
    /// <returns>The description, or <c>MultiLayerMahalanobisDetector(disposed)</c> after <see cref="Dispose"/>.</returns>
    public override string ToString()
    {
        if (disposed)
        {
            return "MultiLayerMahalanobisDetector(disposed)";
        }

        var weights = ensemble is null
            ? "equal"
            : "[" + string.Join(", ", Enumerable.Range(0, layers.Length).Select(l => ensemble.Weights[LayerName(l)].ToString("0.####", CultureInfo.InvariantCulture))) + "]";
        return string.Create(CultureInfo.InvariantCulture,
            $"MultiLayerMahalanobisDetector(layers={layers.Length}, dimensions=[{string.Join(", ", layers.Select(d => d.Dimension))}], ranks=[{string.Join(", ", layers.Select(d => d.Rank))}], weights={weights})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var layer in layers)
        {
            layer.Dispose();
        }
    }

    /// <summary>Builds the detector from each layer's accumulated statistics (the estimator's streaming fit); disposes nothing given.</summary>
    internal static MultiLayerMahalanobisDetector FromStatistics(IReadOnlyList<FeatureStatistics> statistics, CovarianceMethod method, bool classAgnostic)
    {
        var fitted = new List<MahalanobisDetector>(statistics.Count);
        try
        {
            foreach (var layer in statistics)
            {
                fitted.Add(MahalanobisDetector.FromStatistics(layer, method, classAgnostic));
            }

            return new MultiLayerMahalanobisDetector([.. fitted], null);
        }
        catch
        {
            fitted.ForEach(d => d.Dispose());
            throw;
        }
    }

    /// <summary>Gets a value indicating whether the layers are class-agnostic Gaussians.</summary>
    internal bool IsClassAgnostic => layers[0].IsClassAgnostic;

    /// <summary>The layer scores <c>(N, L)</c> of checked features.</summary>
    internal Tensor LayerScoresCore(IReadOnlyList<Tensor> features, ScoreArithmetic arithmetic)
    {
        using var scope = torch.NewDisposeScope();
        var columns = new Tensor[layers.Length];
        for (var l = 0; l < layers.Length; l++)
        {
            columns[l] = layers[l].ScoreCore(features[l], arithmetic);
        }

        return torch.stack(columns, 1).MoveToOuterDisposeScope();
    }

    /// <summary>The combined score <c>(N)</c> of checked layer scores.</summary>
    internal Tensor CombineCore(Tensor layerScores)
    {
        using var scope = torch.NewDisposeScope();
        var scores = layerScores.to(ScalarType.Float64);
        if (ensemble is not null)
        {
            return ensemble.Combine(Columns(scores)).MoveToOuterDisposeScope();
        }

        var scale = torch.tensor(layers.Select(d => 1.0 / (d.Rank * (double)layers.Length)).ToArray(), ScalarType.Float64, scores.device);
        return scores.matmul(scale).MoveToOuterDisposeScope();
    }

    private static string LayerName(int index) => string.Create(CultureInfo.InvariantCulture, $"layer{index}");

    /// <summary>The columns of <c>(N, L)</c> scores by layer name, views in the current dispose scope.</summary>
    private static Dictionary<string, Tensor> Columns(Tensor scores)
    {
        var columns = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (var l = 0; l < scores.shape[1]; l++)
        {
            columns[LayerName(l)] = scores.select(1, l);
        }

        return columns;
    }

    /// <summary>Checks a list of per-layer features (against the fitted layers, when given) and returns their common N.</summary>
    private static long CheckLayers(IReadOnlyList<Tensor>? features, string name, MahalanobisDetector[]? fitted)
    {
        features = Preconditions.NotNull(features, name);
        if (features.Count == 0 || (fitted is not null && features.Count != fitted.Length))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} must hold one feature tensor per layer ({(fitted is null ? "at least one" : fitted.Length.ToString(CultureInfo.InvariantCulture))}); found {features.Count}."),
                name);
        }

        long rows = -1;
        for (var l = 0; l < features.Count; l++)
        {
            var label = string.Create(CultureInfo.InvariantCulture, $"{name}[{l}]");
            var layer = Preconditions.Tensor(features[l], label, 2, 2);
            if (fitted is not null && layer.shape[1] != fitted[l].Dimension)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"{label} must have dimension {fitted[l].Dimension}, as layer {l}'s training features had; found shape {Preconditions.ShapeText(layer)}."),
                    name);
            }

            if (rows >= 0 && layer.shape[0] != rows)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"{label} has {layer.shape[0]} samples but {name}[0] has {rows}; every layer must describe the same samples."),
                    name);
            }

            rows = layer.shape[0];
            Preconditions.Finite(layer, label);
        }

        return rows;
    }

    private static MultiLayerMahalanobisDetector Read(FittedReader reader)
    {
        var items = reader.Objects("layers");
        var read = new List<MahalanobisDetector>(items.Count);
        try
        {
            foreach (var item in items)
            {
                read.Add(MahalanobisDetector.Read(item));
            }

            if (read.Count == 0 || read.Any(d => d.IsClassAgnostic != read[0].IsClassAgnostic || d.Classes != read[0].Classes))
            {
                throw reader.Invalid("it holds no layer, or layers of different classes");
            }

            LogisticCombiner? combiner = null;
            if (reader.Boolean("featureEnsemble"))
            {
                combiner = LogisticCombiner.Read(reader.Object("ensemble"));
                var expected = Enumerable.Range(0, read.Count).Select(LayerName).OrderBy(m => m, StringComparer.Ordinal);
                if (!combiner.Methods.SequenceEqual(expected))
                {
                    throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"the ensemble weighs {combiner.Methods.Count} layer(s) but the file holds {read.Count}"));
                }
            }

            return new MultiLayerMahalanobisDetector([.. read], combiner);
        }
        catch
        {
            read.ForEach(d => d.Dispose());
            throw;
        }
    }

    private void CheckLayerScores(Tensor? scores, string name)
    {
        var checkedScores = Preconditions.Tensor(scores, name, 2, 2);
        if (checkedScores.shape[1] != layers.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} must have one column per layer, shape (N, {layers.Length}); found shape {Preconditions.ShapeText(checkedScores)}."),
                name);
        }

        Preconditions.Finite(checkedScores, name);
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
