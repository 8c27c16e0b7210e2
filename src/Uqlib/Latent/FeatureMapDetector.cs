using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// A per-voxel latent OOD detector for segmentation: Mahalanobis or kNN applied at every location of a feature map <c>(N, F, h, w)</c> or
/// <c>(N, F, d, h, w)</c>, the scores upsampled to the input's spatial size. Owns its inner detector; every member throws
/// <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>
/// Each location's F-vector is one feature: fitting uses every training location (N·h·w of them) as a training feature, class-agnostic
/// (segmentation labels are per voxel, not per location); scoring scores every location of a test map with the fitted
/// <see cref="MahalanobisDetector"/> (class-agnostic Gaussian, Lee et al. 2018, "A simple unified framework for detecting out-of-distribution
/// samples and adversarial attacks") or <see cref="KnnDetector"/> (Sun et al. 2022, "Out-of-distribution detection with deep nearest
/// neighbors"), exactly as those detectors score an (M, F) matrix. The kNN bank holds at most <see cref="FeatureMapOptions.MaxBankLocations"/>
/// training locations, a uniform seeded sample without replacement. This is the feature-map form of the latent detectors used for
/// segmentation OOD by González et al. 2022 ("Distance-based detection of out-of-distribution silent failures for Covid-19 lung lesion
/// segmentation"), kept per location rather than pooled.
/// </para>
/// <para>
/// Upsampling: the location scores are resized to the requested size with PyTorch's <c>interpolate</c>, bilinear for 2-D maps and trilinear
/// for 3-D maps, <c>align_corners=False</c> (each score sits at the centre of its location's receptive cell; the borders are clamped), in
/// float64; the map returned keeps the floating dtype of the feature maps. Because both are linear, upsampled scores never leave the range of
/// the location scores.
/// </para>
/// <para>
/// Cost, per location scored: Mahalanobis one F × F GEMM row (2F² flops); kNN one row of M bank similarities (2MF flops, M ≤
/// <see cref="FeatureMapOptions.MaxBankLocations"/>) and a top-k. Memory while scoring: the output map, plus per chunk of
/// <see cref="FeatureMapOptions.ChunkLocations"/> locations a location-major copy (chunk × F) and its scores, plus the detector's own
/// temporaries (for kNN bounded by <see cref="KnnOptions.ChunkElements"/>), plus one sample's upsampled map in float64. Fitting holds a
/// location-major copy of the training maps (N·h·w × F) and, for kNN, its normalised float32 copy before the bank is sampled.
/// </para>
/// <para>Saved state (<see cref="Save"/>): the inner detector's own fields (those <see cref="MahalanobisDetector.Save"/> or
/// <see cref="KnnDetector.Save"/> write), the chunk of locations and the number of training locations. Thread-safe for reading.</para>
/// </remarks>
public sealed class FeatureMapDetector : IDisposable
{
    private const string Kind = "FeatureMapDetector";
    private const int Version = 1;
    private readonly MahalanobisDetector? mahalanobis;
    private readonly KnnDetector? knn;
    private readonly long chunkLocations;
    private readonly long trainingLocations;
    private bool disposed;

    private FeatureMapDetector(MahalanobisDetector? mahalanobis, KnnDetector? knn, long chunkLocations, long trainingLocations)
    {
        this.mahalanobis = mahalanobis;
        this.knn = knn;
        this.chunkLocations = chunkLocations;
        this.trainingLocations = trainingLocations;
    }

    /// <summary>Gets the detector applied at each location.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public FeatureMapMethod Method
    {
        get
        {
            ThrowIfDisposed();
            return knn is null ? FeatureMapMethod.Mahalanobis : FeatureMapMethod.Knn;
        }
    }

    /// <summary>Gets the feature dimension F (channels of the feature map).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension
    {
        get
        {
            ThrowIfDisposed();
            return knn?.Dimension ?? mahalanobis!.Dimension;
        }
    }

    /// <summary>Gets the number of training locations the detector was fitted on (before the kNN bank's sub-sampling).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long TrainingLocations
    {
        get
        {
            ThrowIfDisposed();
            return trainingLocations;
        }
    }

    /// <summary>Fits the class-agnostic Mahalanobis detector on every location of training feature maps.</summary>
    /// <param name="featureMaps">Training feature maps <c>(N, F, h, w)</c> or <c>(N, F, d, h, w)</c>, floating point, finite; not disposed.</param>
    /// <param name="method">How the covariance is estimated (see <see cref="CovarianceMethod"/>).</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="FeatureMapOptions.Default"/>.</param>
    /// <param name="progress">Receives one report when the fit is done (1 batch, N·h·w locations), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the fit before it starts.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="featureMaps"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The maps are empty, not of rank 4 or 5, not floating point or not finite; the covariance cannot be estimated (see <see cref="MahalanobisDetector.FitClassAgnostic"/>); or an option is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static FeatureMapDetector FitMahalanobis(
        Tensor featureMaps,
        CovarianceMethod method = CovarianceMethod.Auto,
        FeatureMapOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= FeatureMapOptions.Default;
        options.Validate();
        CheckMaps(featureMaps, nameof(featureMaps), null);
        cancellationToken.ThrowIfCancellationRequested();
        using var scope = torch.NewDisposeScope();
        var locations = Locations(featureMaps);
        var detector = MahalanobisDetector.FitClassAgnostic(locations, method);
        progress?.Report(new EstimationProgress(1, locations.shape[0]));
        return new FeatureMapDetector(detector, null, options.ChunkLocations, locations.shape[0]);
    }

    /// <summary>Fits the kNN detector on a bounded uniform sample of the locations of training feature maps.</summary>
    /// <param name="featureMaps">Training feature maps <c>(N, F, h, w)</c> or <c>(N, F, d, h, w)</c>, floating point, finite; not disposed.</param>
    /// <param name="knnOptions">The kNN options (k, seed, bank size, chunk); <see langword="null"/> for <see cref="KnnOptions.Default"/>. The bank keeps min(<see cref="KnnOptions.BankSize"/>, <see cref="FeatureMapOptions.MaxBankLocations"/>) locations.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="FeatureMapOptions.Default"/>.</param>
    /// <param name="progress">Receives one report when the fit is done (1 batch, N·h·w locations), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the fit before it starts.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="featureMaps"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The maps are empty, not of rank 4 or 5, not floating point or not finite; fewer than k locations would be kept; or an option is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static FeatureMapDetector FitKnn(
        Tensor featureMaps,
        KnnOptions? knnOptions = null,
        FeatureMapOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= FeatureMapOptions.Default;
        options.Validate();
        knnOptions ??= KnnOptions.Default;
        knnOptions.Validate();
        CheckMaps(featureMaps, nameof(featureMaps), null);
        cancellationToken.ThrowIfCancellationRequested();
        using var scope = torch.NewDisposeScope();
        var locations = Locations(featureMaps);
        var bank = Math.Min(knnOptions.BankSize ?? int.MaxValue, options.MaxBankLocations);
        var detector = KnnDetector.Fit(locations, knnOptions with { BankSize = bank < locations.shape[0] ? bank : null });
        progress?.Report(new EstimationProgress(1, locations.shape[0]));
        return new FeatureMapDetector(null, detector, options.ChunkLocations, locations.shape[0]);
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical score maps; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved feature-map detector, or is truncated, corrupt (checksum), of a newer version or its fields are out of range; nothing is left allocated.</exception>
    public static FeatureMapDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var method = reader.Enum<FeatureMapMethod>("method");
            var chunk = reader.Int64("chunkLocations");
            var locations = reader.Int64("trainingLocations");
            if (chunk < 1 || chunk > Preconditions.MaxChunkElements || locations < 1)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"chunkLocations = {chunk} and trainingLocations = {locations} are out of range"));
            }

            if (method == FeatureMapMethod.Knn)
            {
                return new FeatureMapDetector(null, KnnDetector.Read(reader.Object("detector"), ScalarType.Float64), chunk, locations);
            }

            var mahalanobis = MahalanobisDetector.Read(reader.Object("detector"));
            if (!mahalanobis.IsClassAgnostic)
            {
                mahalanobis.Dispose();
                throw reader.Invalid("its Mahalanobis detector is class-conditional, not class-agnostic");
            }

            return new FeatureMapDetector(mahalanobis, null, chunk, locations);
        });
    }

    /// <summary>Scores every location of feature maps and, when asked, upsamples the scores to the input's spatial size.</summary>
    /// <param name="featureMaps">Feature maps <c>(N, F, h, w)</c> or <c>(N, F, d, h, w)</c>, floating point, finite, F = <see cref="Dimension"/>; not disposed.</param>
    /// <param name="outputSize">The spatial size of the map returned, (H, W) for 2-D maps or (D, H, W) for 3-D maps, each at least 1; or <see langword="null"/> for the feature map's own size.</param>
    /// <returns>The score map <c>(N, H, W)</c> or <c>(N, D, H, W)</c> (or the feature map's spatial size), in the floating dtype of <paramref name="featureMaps"/>, on its device; higher is more OOD. The caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="featureMaps"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The maps are empty, not of rank 4 or 5, not floating point, of another F, or not finite; or <paramref name="outputSize"/> has the wrong length or a size below 1.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor featureMaps, long[]? outputSize = null)
    {
        ThrowIfDisposed();
        CheckMaps(featureMaps, nameof(featureMaps), Dimension);
        var spatial = featureMaps.shape.Skip(2).ToArray();
        if (outputSize is not null && (outputSize.Length != spatial.Length || outputSize.Any(s => s < 1)))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"outputSize must hold {spatial.Length} sizes of at least 1 for feature maps of shape {Preconditions.ShapeText(featureMaps)}; found [{string.Join(", ", outputSize)}]."),
                nameof(outputSize));
        }

        using var scope = torch.NewDisposeScope();
        var n = featureMaps.shape[0];
        var f = featureMaps.shape[1];
        var perSample = spatial.Aggregate(1L, (a, b) => a * b);
        var target = outputSize ?? spatial;
        var result = torch.empty(new[] { n }.Concat(target).ToArray(), featureMaps.dtype, featureMaps.device);
        var samplesPerChunk = Math.Max(1, chunkLocations / perSample);
        var locationsPerChunk = Math.Min(perSample, chunkLocations);
        for (long start = 0; start < n; start += samplesPerChunk)
        {
            using var chunkScope = torch.NewDisposeScope();
            var count = Math.Min(samplesPerChunk, n - start);
            var block = featureMaps.narrow(0, start, count).reshape(count, f, perSample);
            var scores = torch.empty(new[] { count, perSample }, ScalarType.Float64, featureMaps.device);
            // Several whole samples fit one chunk, or one sample is split into chunks of locations.
            for (long from = 0; from < perSample; from += locationsPerChunk)
            {
                using var stepScope = torch.NewDisposeScope();
                var length = Math.Min(locationsPerChunk, perSample - from);
                var rows = block.narrow(2, from, length).transpose(1, 2).reshape(-1, f);
                scores.narrow(1, from, length).copy_(ScoreRows(rows).reshape(count, length));
            }

            var grid = scores.reshape(new[] { count, 1L }.Concat(spatial).ToArray());
            var resized = outputSize is null ? grid : nn.functional.interpolate(
                grid, outputSize, mode: spatial.Length == 2 ? InterpolationMode.Bilinear : InterpolationMode.Trilinear, align_corners: false);
            result.narrow(0, start, count).copy_(resized.squeeze(1));
        }

        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Saves the detector to a file (see <see cref="Load"/>), written atomically in the one envelope of <c>Uqlib.Persistence</c>.</summary>
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
            writer.Enum("method", Method);
            writer.Number("chunkLocations", chunkLocations);
            writer.Number("trainingLocations", trainingLocations);
            writer.Object("detector", knn is null ? mahalanobis!.Write : knn.Write);
        });
    }

    /// <summary>Returns a scikit-learn-style summary, e.g. <c>FeatureMapDetector(method=Knn, F=64, k=50, bank=65536, locations=1048576)</c>.</summary>
    /// <returns>The summary; after <see cref="Dispose"/>, <c>FeatureMapDetector(disposed)</c>.</returns>
    public override string ToString()
    {
        if (disposed)
        {
            return "FeatureMapDetector(disposed)";
        }

        if (knn is null)
        {
            using var covariance = mahalanobis!.Covariance;
            return string.Create(CultureInfo.InvariantCulture, $"FeatureMapDetector(method=Mahalanobis, F={mahalanobis.Dimension}, covariance={covariance.Method}, locations={trainingLocations})");
        }

        return string.Create(CultureInfo.InvariantCulture, $"FeatureMapDetector(method=Knn, F={knn.Dimension}, k={knn.K}, bank={knn.BankSize}, locations={trainingLocations})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        mahalanobis?.Dispose();
        knn?.Dispose();
    }

    private static void CheckMaps(Tensor featureMaps, string name, long? dimension)
    {
        Preconditions.Tensor(featureMaps, name, 4, 5);
        if (!featureMaps.is_floating_point())
        {
            throw new ArgumentException($"{name} must be floating point; found {featureMaps.dtype}.", name);
        }

        if (dimension is { } f && featureMaps.shape[1] != f)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} must have {f} channels (F), as the training maps had; found shape {Preconditions.ShapeText(featureMaps)}."),
                name);
        }

        Preconditions.Finite(featureMaps, name);
    }

    /// <summary>Every location's feature vector, location-major: <c>(N·h·w, F)</c>.</summary>
    private static Tensor Locations(Tensor featureMaps)
    {
        var f = featureMaps.shape[1];
        return featureMaps.reshape(featureMaps.shape[0], f, -1).transpose(1, 2).reshape(-1, f);
    }

    private Tensor ScoreRows(Tensor rows)
    {
        return (knn is null ? mahalanobis!.Score(rows) : knn.Score(rows)).to(ScalarType.Float64);
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
