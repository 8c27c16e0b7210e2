using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// ViM fitted in two sharded passes without the raw features: the principal subspace from merged <see cref="FeatureStatistics"/>
/// (pass 1), then the two training sums that give α, accumulated shard by shard and merged exactly (pass 2).
/// </summary>
/// <remarks>
/// <para>Wang et al. 2022, "ViM: Out-of-distribution with virtual-logit matching" (see <see cref="VimDetector"/>). Pass 1 needs the second
/// moment of the training features about the origin u = −W⁺b, which the statistics give exactly: Σ (x − u)(x − u)ᵀ / N = S / N + (μ − u)(μ − u)ᵀ
/// with μ the mean and S the total scatter, both merged across shards by <see cref="FeatureStatisticsAccumulator.Merge"/> (Chan, Golub &amp;
/// LeVeque), which keeps S exact for features far from the origin. <see cref="FromStatistics"/> takes its eigendecomposition and returns an
/// empty accumulator holding the residual basis. Pass 2: every shard loads that one saved accumulator, adds its features (the sums over them
/// of the max logit and of the residual norm |P⊥(x − u)|), and saves it; <see cref="Merge"/> adds the sums of shards that share the basis,
/// and <see cref="ToDetector"/> gives α = Σ max-logit / Σ norm and the detector, equal to <see cref="VimDetector.Fit"/> on all the features
/// up to rounding.</para>
/// <para>Memory is O(F²) float64 values (the basis), independent of the number of samples. Not thread-safe. Dispose it when done.</para>
/// </remarks>
public sealed class VimAlphaAccumulator : IDisposable
{
    private const string Kind = "VimAlphaAccumulator";
    private const int Version = 1;
    private readonly VimDetector.Layer layer;
    private readonly Tensor basis;
    private readonly long subspaceCount;
    private double maxLogitSum;
    private double normSum;
    private long count;
    private bool disposed;

    private VimAlphaAccumulator(VimDetector.Layer layer, Tensor basis, long subspaceCount)
    {
        this.layer = layer;
        this.basis = basis;
        this.subspaceCount = subspaceCount;
    }

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public long Dimension
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return basis.shape[0];
        }
    }

    /// <summary>Gets the principal dimension D (the residual space has F − D dimensions).</summary>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public long PrincipalDimension
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return basis.shape[0] - basis.shape[1];
        }
    }

    /// <summary>Gets the number of training features the subspace was computed from (pass 1); <see cref="ToDetector"/> needs pass 2 to cover as many.</summary>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public long SubspaceCount
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return subspaceCount;
        }
    }

    /// <summary>Gets the number of features added so far (pass 2), merged shards included.</summary>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public long Count
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return count;
        }
    }

    /// <summary>Pass 1: computes the residual space from the statistics of the training features and returns an empty accumulator for pass 2.</summary>
    /// <param name="statistics">The statistics of all the training features (e.g. shards' <see cref="FeatureStatisticsAccumulator"/> merged); only their count, mean and total scatter are used, so labelled statistics serve too; not disposed.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, finite; not disposed.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="VimOptions.Default"/>; <see cref="VimOptions.GlobalAveragePooling"/> is not used.</param>
    /// <returns>The accumulator with <see cref="Count"/> = 0; save it and give the file to every pass-2 shard. The caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="statistics"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The weight or bias is empty, of the wrong shape or not finite, or does not match the statistics' dimension; the principal dimension is not below F; an option is out of range.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="statistics"/> has been disposed.</exception>
    public static VimAlphaAccumulator FromStatistics(FeatureStatistics statistics, Tensor weight, Tensor? bias = null, VimOptions? options = null)
    {
        Preconditions.NotNull(statistics, nameof(statistics));
        options ??= VimOptions.Default;
        options.Validate();
        var layer = VimDetector.Layer.Create(weight, bias, statistics.Dimension);
        try
        {
            using var scope = torch.NewDisposeScope();
            var n = (double)statistics.Count;
            var mean = statistics.MeanView;
            var scatter = statistics.TotalScatterView;
            var offset = mean.to(ScalarType.Float64, layer.Origin.device).sub(layer.Origin);
            var moment = scatter.to(ScalarType.Float64, layer.Origin.device).div(n).add_(offset.outer(offset));
            var residual = VimDetector.ResidualBasisOf(moment, options.DimensionFor(statistics.Dimension));
            return new VimAlphaAccumulator(layer, residual.DetachFromDisposeScope(), statistics.Count);
        }
        catch
        {
            layer.Dispose();
            throw;
        }
    }

    /// <summary>Pass 2: adds one batch of training features (their max logits and residual norms).</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the weight, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public void Add(Tensor features)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        LinearHead.CheckFeatures(features, Dimension, "the final layer's weight has");
        var (maxLogits, norms) = layer.Sums(features, basis);
        maxLogitSum += maxLogits;
        normSum += norms;
        count += features.shape[0];
    }

    /// <summary>Adds the sums of another shard's accumulator, as if its features had been added to this one.</summary>
    /// <param name="other">An accumulator loaded from the same pass-1 file (identical layer and residual basis, bit for bit), filled on other features; not changed, not disposed.</param>
    /// <param name="progress">Receives one report with the other accumulator's features once they are merged; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the merge before it starts (the merge itself is an O(F²) comparison).</param>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="other"/> is this accumulator, has been disposed, or holds another layer, residual basis or subspace count.</exception>
    /// <exception cref="ObjectDisposedException">This accumulator has been disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Merge(VimAlphaAccumulator other, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(disposed, this);
        Preconditions.NotNull(other, nameof(other));
        if (ReferenceEquals(other, this))
        {
            throw new ArgumentException("other must be another accumulator; merging one with itself would count its features twice.", nameof(other));
        }

        if (other.disposed)
        {
            throw new ArgumentException("other has been disposed; merge it before disposing it.", nameof(other));
        }

        if (other.subspaceCount != subspaceCount || !SameTensor(other.basis, basis) || !SameTensor(other.layer.Weight, layer.Weight)
            || !SameTensor(other.layer.Bias, layer.Bias) || !SameTensor(other.layer.Origin, layer.Origin))
        {
            throw new ArgumentException(
                "other holds another layer or residual basis than this accumulator; every pass-2 shard must load the one accumulator saved after pass 1.",
                nameof(other));
        }

        maxLogitSum += other.maxLogitSum;
        normSum += other.normSum;
        count += other.count;
        progress?.Report(new EstimationProgress(1, other.count) { TotalSamples = other.count });
    }

    /// <summary>Builds the detector: α = Σ max-logit / Σ residual norm over the training features, with the residual basis of pass 1.</summary>
    /// <returns>The detector, equal to <see cref="VimDetector.Fit"/> on the same features up to rounding; the caller disposes it.</returns>
    /// <exception cref="InvalidOperationException">Pass 2 has not covered as many features as pass 1 (<see cref="Count"/> ≠ <see cref="SubspaceCount"/>: a shard is missing or merged twice).</exception>
    /// <exception cref="ArgumentException">The training features have no residual outside the principal subspace.</exception>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public VimDetector ToDetector()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (count != subspaceCount)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Pass 2 has added {count} features but the subspace was computed from {subspaceCount}: add (or merge the shards of) every training feature, each once, before ToDetector."));
        }

        return VimDetector.Create(layer, basis, maxLogitSum, normSum);
    }

    /// <summary>Saves the accumulator (pass 1's result, or a pass-2 shard's partial state) to a file in the library's envelope, atomically (see <see cref="Load"/>).</summary>
    /// <param name="path">The file; replaced if it exists, and left unchanged if writing fails.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is then left unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("subspaceCount", subspaceCount);
            writer.Number("count", count);
            writer.Number("maxLogitSum", maxLogitSum);
            writer.Number("normSum", normSum);
            writer.Tensor("weight", layer.Weight);
            writer.Tensor("bias", layer.Bias);
            writer.Tensor("origin", layer.Origin);
            writer.Tensor("residualBasis", basis);
        });
    }

    /// <summary>Loads an accumulator saved by <see cref="Save"/>, on the CPU, bit for bit (so that shards loading one pass-1 file share its basis exactly).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The accumulator; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved ViM accumulator, or is truncated, corrupt (checksum), of a newer version, or its fields are inconsistent; nothing is left allocated.</exception>
    public static VimAlphaAccumulator Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var subspaceCount = reader.Int64("subspaceCount");
            var count = reader.Int64("count");
            var maxLogitSum = reader.Double("maxLogitSum");
            var normSum = reader.Double("normSum");
            var weight = reader.Tensor("weight", 2, ScalarType.Float64);
            var bias = reader.Tensor("bias", 1, ScalarType.Float64);
            var origin = reader.Tensor("origin", 1, ScalarType.Float64);
            var basis = reader.Tensor("residualBasis", 2, ScalarType.Float64);
            var f = weight.shape[1];
            if (subspaceCount < 1 || count < 0 || normSum < 0 || bias.shape[0] != weight.shape[0] || origin.shape[0] != f || basis.shape[0] != f || basis.shape[1] is < 1 || basis.shape[1] >= f)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"counts {subspaceCount} and {count} with weight {Preconditions.ShapeText(weight)}, bias {Preconditions.ShapeText(bias)}, origin {Preconditions.ShapeText(origin)} and residual basis {Preconditions.ShapeText(basis)} are inconsistent"));
            }

            return new VimAlphaAccumulator(VimDetector.Layer.Of(weight, bias, origin), basis, subspaceCount)
            {
                count = count,
                maxLogitSum = maxLogitSum,
                normSum = normSum,
            };
        });
    }

    /// <summary>Returns a summary like <c>VimAlphaAccumulator(dim=512, principal=256, n=12500 of 50000)</c>.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() => disposed
        ? "VimAlphaAccumulator(disposed)"
        : string.Create(CultureInfo.InvariantCulture, $"VimAlphaAccumulator(dim={Dimension}, principal={PrincipalDimension}, n={count} of {subspaceCount})");

    /// <summary>Disposes the layer and the basis; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        layer.Dispose();
        basis.Dispose();
    }

    private static bool SameTensor(Tensor a, Tensor b)
    {
        if (!a.shape.AsSpan().SequenceEqual(b.shape))
        {
            return false;
        }

        var moved = a.device == b.device ? b : b.to(a.device);
        try
        {
            using var same = a.eq(moved).all();
            return same.item<bool>();
        }
        finally
        {
            if (!ReferenceEquals(moved, b))
            {
                moved.Dispose();
            }
        }
    }
}
