using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Latent;

/// <summary>The relative Mahalanobis distance: the class-conditional Mahalanobis score minus that of one background Gaussian fitted to all training features. Immutable: it owns its detectors and hands out only copies; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
/// <remarks>
/// Ren et al. 2021, "A simple fix to Mahalanobis distance for improving near-OOD detection": RMD_c(x) = MD_c(x) − MD_0(x), score
/// = min_c RMD_c(x) = min_c MD_c(x) − MD_0(x), where MD_0 uses the mean and covariance of all training features. Both
/// covariances use the same <see cref="CovarianceMethod"/> and the pseudo-inverse of <see cref="MahalanobisDetector"/>, so dead units (constant
/// features) never make it fail; their ranks are <see cref="ClassConditionalRank"/> and <see cref="BackgroundRank"/>. The score may be
/// negative; higher is more uncertain. Thread-safe for reading.
/// </remarks>
public sealed class RelativeMahalanobisDetector : IDisposable, ILatentDetector
{
    private const string Kind = "RelativeMahalanobisDetector";
    private const int Version = 1;
    private readonly MahalanobisDetector classConditional;
    private readonly MahalanobisDetector background;
    private readonly Tensor centre;       // μ, the background mean, (F)
    private readonly Tensor projection;   // [P − P₀ | −2 P Δᵀ], (F, F + C)
    private readonly Tensor offsets;      // δ_cᵀ P δ_c, (C)
    private bool disposed;

    private RelativeMahalanobisDetector(MahalanobisDetector classes, MahalanobisDetector background)
    {
        classConditional = classes;
        this.background = background;
        (centre, projection, offsets) = RelativeForm(classes, background);
    }

    /// <summary>Gets a copy of the class-conditional detector (class means, shared within-class covariance); the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public MahalanobisDetector ClassConditional
    {
        get
        {
            ThrowIfDisposed();
            return classConditional.Copy();
        }
    }

    /// <summary>Gets a copy of the background detector (one Gaussian of all training features); the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public MahalanobisDetector Background
    {
        get
        {
            ThrowIfDisposed();
            return background.Copy();
        }
    }

    /// <summary>Gets the rank of the class-conditional Gaussian's pseudo-inverse precision (see <see cref="MahalanobisDetector.Rank"/>).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long ClassConditionalRank
    {
        get
        {
            ThrowIfDisposed();
            return classConditional.Rank;
        }
    }

    /// <summary>Gets the rank of the background Gaussian's pseudo-inverse precision (see <see cref="MahalanobisDetector.Rank"/>).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long BackgroundRank
    {
        get
        {
            ThrowIfDisposed();
            return background.Rank;
        }
    }

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension
    {
        get
        {
            ThrowIfDisposed();
            return classConditional.Dimension;
        }
    }

    /// <summary>Fits both Gaussians in one call.</summary>
    /// <param name="features">Training features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="labels">Class indices <c>(N)</c> in [0, <paramref name="classes"/> − 1]; every class needs a sample.</param>
    /// <param name="classes">The number of classes, from 1 to 100,000.</param>
    /// <param name="method">The covariance estimate of both Gaussians.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or <paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2 or not finite; the labels differ in length or are out of range; a class has no sample; every feature is constant (zero covariance).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is outside [1, 100,000] or <paramref name="method"/> is undefined.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static RelativeMahalanobisDetector Fit(
        Tensor features, Tensor labels, int classes, CovarianceMethod method = CovarianceMethod.Auto, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(labels);
        using var statistics = FeatureStatistics.Compute(features, labels, classes);
        return EstimationProgress.Completed(progress, statistics.Count, FromStatistics(statistics, method));
    }

    /// <summary>Builds the detector from accumulated statistics (streaming fit).</summary>
    /// <param name="statistics">The statistics; not disposed.</param>
    /// <param name="method">The covariance estimate of both Gaussians.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="statistics"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A class has no sample, or a covariance is zero (every feature constant).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is undefined.</exception>
    public static RelativeMahalanobisDetector FromStatistics(FeatureStatistics statistics, CovarianceMethod method = CovarianceMethod.Auto)
    {
        var classes = MahalanobisDetector.FromStatistics(statistics, method);
        try
        {
            return new RelativeMahalanobisDetector(classes, MahalanobisDetector.FromStatistics(statistics, method, classAgnostic: true));
        }
        catch
        {
            classes.Dispose();
            throw;
        }
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved relative Mahalanobis detector, or is truncated, corrupt (checksum), of a newer version or saved by Uqlib 0.1; nothing is left allocated.</exception>
    public static RelativeMahalanobisDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var classes = MahalanobisDetector.Read(reader.Object("classConditional"));
            MahalanobisDetector? background = null;
            try
            {
                background = MahalanobisDetector.Read(reader.Object("background"));
                if (background.Dimension != classes.Dimension || !background.IsClassAgnostic || classes.IsClassAgnostic)
                {
                    throw reader.Invalid("the background Gaussian does not match the class-conditional one");
                }

                return new RelativeMahalanobisDetector(classes, background);
            }
            catch
            {
                background?.Dispose();
                classes.Dispose();
                throw;
            }
        });
    }

    /// <summary>The score min_c MD_c(x) − MD_0(x).</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more uncertain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        return Score(features, ScoreArithmetic.Float64);
    }

    /// <summary>The score min_c MD_c(x) − MD_0(x), computed in the given arithmetic.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="arithmetic">The arithmetic of the matrix products (<see cref="ScoreArithmetic.Float32"/> is the opt-in fast path).</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more uncertain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="arithmetic"/> is undefined.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features, ScoreArithmetic arithmetic)
    {
        ThrowIfDisposed();
        classConditional.Check(features);
        MahalanobisDetector.CheckArithmetic(arithmetic);
        return ScoreCore(features, arithmetic);
    }

    /// <summary>Saves the detector to a file (see <see cref="Load"/>).</summary>
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
            writer.Object("classConditional", classConditional.Write);
            writer.Object("background", background.Write);
        });
    }

    /// <summary>Describes the detector as scikit-learn's repr would, e.g. <c>RelativeMahalanobisDetector(classes=10, dimension=64, rank=44/44, covariance=Empirical, n=5000)</c> (ranks class-conditional/background).</summary>
    /// <returns>The description, or <c>RelativeMahalanobisDetector(disposed)</c> after <see cref="Dispose"/>.</returns>
    public override string ToString()
    {
        if (disposed)
        {
            return "RelativeMahalanobisDetector(disposed)";
        }

        using var covariance = classConditional.Covariance;
        return string.Create(CultureInfo.InvariantCulture,
            $"RelativeMahalanobisDetector(classes={classConditional.Classes}, dimension={Dimension}, rank={ClassConditionalRank}/{BackgroundRank}, covariance={covariance.Method}, n={covariance.Count})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        classConditional.Dispose();
        background.Dispose();
        centre.Dispose();
        projection.Dispose();
        offsets.Dispose();
    }

    internal Tensor ScoreCore(Tensor features, ScoreArithmetic arithmetic = ScoreArithmetic.Float64)
    {
        if (arithmetic == ScoreArithmetic.Float32)
        {
            using var scope = torch.NewDisposeScope();
            return classConditional.ScoreCore(features, arithmetic).sub_(background.ScoreCore(features, arithmetic)).MoveToOuterDisposeScope();
        }

        var dimension = centre.shape[0];
        return RowChunks.Float64Scores(features, nameof(features), centre.device, x =>
        {
            var centred = x.sub_(centre);
            var products = centred.matmul(projection);
            var quadratic = products.narrow(1, 0, dimension).mul_(centred).sum(new long[] { 1 });
            return products.narrow(1, dimension, offsets.shape[0]).add_(offsets).amin(new long[] { 1 }).add_(quadratic);
        });
    }

    /// <summary>
    /// The float64 score in one matrix product: with x' = x − μ (μ the background mean), δ_c = μ_c − μ and the precisions P (within
    /// classes) and P₀ (background), min_c MD_c(x) − MD_0(x) = x'ᵀ(P − P₀)x' + min_c(−2 x'ᵀPδ_c + δ_cᵀPδ_c).
    /// </summary>
    /// <remarks>
    /// Half the arithmetic of the two whitening products (x'·[P − P₀ | −2PΔᵀ] is N·F·(F + C) multiply-adds against 2·N·F·F); centring at μ
    /// first keeps the difference of the two quadratic forms as accurate as each distance is (both are of the size of x'). Distances are not
    /// clamped at 0 one by one, which differs from the difference of the two detectors' scores only by rounding, at a class mean.
    /// </remarks>
    private static (Tensor Centre, Tensor Projection, Tensor Offsets) RelativeForm(MahalanobisDetector classes, MahalanobisDetector background)
    {
        using var scope = torch.NewDisposeScope();
        var centre = background.MeansView[0];
        var precision = classes.ScoringPrecision();
        var deltas = classes.MeansView.sub(centre);
        var guided = precision.matmul(deltas.t());
        var projection = torch.cat(new[] { precision.sub(background.ScoringPrecision()), guided.mul(-2.0) }, 1);
        var offsets = deltas.mul(guided.t()).sum(new long[] { 1 });
        return (centre.clone().DetachFromDisposeScope(), projection.DetachFromDisposeScope(), offsets.DetachFromDisposeScope());
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
