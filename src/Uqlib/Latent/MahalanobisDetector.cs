using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Latent;

/// <summary>A fitted Gaussian model of training features — class means and one shared covariance — scoring a sample by its squared Mahalanobis distance to the nearest class mean. Immutable: it owns its tensors and hands out only copies; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
/// <remarks>
/// Lee et al. 2018, "A simple unified framework for detecting out-of-distribution samples and adversarial attacks": score(x) =
/// min_c (x − μ_c)ᵀ Σ⁻¹ (x − μ_c), with Σ the covariance of the class-centred training features. The class-agnostic variant
/// fits one Gaussian to all features and needs no labels. Σ⁻¹ is the pseudo-inverse of <see cref="CovarianceEstimate.Precision"/>
/// (SciPy <c>pinvh</c>'s rule, as scikit-learn's covariance estimators use: eigenvalues with |λ| ≤ max|λ| · F · ε dropped), so
/// features with dead units (constant dimensions, as a ReLU layer often has) are scored on the subspace they span, with every
/// method, instead of failing; <see cref="Rank"/> is the dimension of that subspace. Scores are computed in float64 as
/// |Ax|² − 2 (Ax)·(Aμ_c) + |Aμ_c|² with A = diag(λ_r^{−1/2}) V_rᵀ from the r kept eigenpairs: one (N × F × r) matrix product
/// per batch. <see cref="ScoreArithmetic.Float32"/> opts in to the same products in float32 (the one-GEMM form of PyTorch code),
/// the scores still returned in float64. Higher is more uncertain.
/// Thread-safe for reading.
/// </remarks>
public sealed class MahalanobisDetector : IDisposable, ILatentDetector
{
    private const string Kind = "MahalanobisDetector";
    private const int Version = 1;
    private readonly Tensor means;           // μ, (C, F)
    private readonly CovarianceEstimate covariance;
    private readonly bool classAgnostic;
    private readonly Tensor whitenT;         // Aᵀ, (F, F)
    private readonly Tensor whitenedMeans;   // μ Aᵀ, (C, F)
    private readonly Tensor meanNorms;       // |Aμ_c|², (C)
    private readonly Tensor whitenT32;       // the same three in float32, for ScoreArithmetic.Float32
    private readonly Tensor whitenedMeans32;
    private readonly Tensor meanNorms32;
    private bool disposed;

    private MahalanobisDetector(Tensor means, CovarianceEstimate covariance, bool classAgnostic)
    {
        using var scope = torch.NewDisposeScope();
        var (basis, eigenvalues) = covariance.Spectrum;
        var dimension = covariance.MatrixView.shape[0];
        if (eigenvalues.shape[0] == 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"The {covariance.Method} covariance of {covariance.Count} samples in {dimension} dimensions is zero: every feature is constant, so no direction has a distance."),
                "features");
        }

        var smallest = eigenvalues.min().ToDouble();
        if (!(smallest > 0))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"The covariance in {dimension} dimensions is not positive semi-definite: it has the eigenvalue {smallest:G4}, beyond the pseudo-inverse's cutoff."),
                "features");
        }

        // A = diag(λ_r^{-1/2}) V_rᵀ, so |A(x − μ)|² = (x − μ)ᵀ Σ⁺ (x − μ) with Σ⁺ the pseudo-inverse.
        whitenT = basis.mul(eigenvalues.rsqrt()).contiguous().DetachFromDisposeScope();
        whitenedMeans = means.matmul(whitenT).DetachFromDisposeScope();
        meanNorms = whitenedMeans.mul(whitenedMeans).sum(new long[] { 1 }).DetachFromDisposeScope();
        whitenT32 = whitenT.to(ScalarType.Float32).DetachFromDisposeScope();
        whitenedMeans32 = whitenedMeans.to(ScalarType.Float32).DetachFromDisposeScope();
        meanNorms32 = meanNorms.to(ScalarType.Float32).DetachFromDisposeScope();
        this.means = means;
        this.covariance = covariance;
        this.classAgnostic = classAgnostic;
    }

    /// <summary>Initializes a new instance of the <see cref="MahalanobisDetector"/> class as a copy of <paramref name="other"/>, bit for bit.</summary>
    private MahalanobisDetector(MahalanobisDetector other)
    {
        using var scope = torch.NewDisposeScope();
        means = other.means.clone().DetachFromDisposeScope();
        covariance = other.covariance.Copy();
        classAgnostic = other.classAgnostic;
        whitenT = other.whitenT.clone().DetachFromDisposeScope();
        whitenedMeans = other.whitenedMeans.clone().DetachFromDisposeScope();
        meanNorms = other.meanNorms.clone().DetachFromDisposeScope();
        whitenT32 = other.whitenT32.clone().DetachFromDisposeScope();
        whitenedMeans32 = other.whitenedMeans32.clone().DetachFromDisposeScope();
        meanNorms32 = other.meanNorms32.clone().DetachFromDisposeScope();
    }

    /// <summary>Gets a copy of the class means <c>(C, F)</c>, float64 (one row for the class-agnostic variant); the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor ClassMeans
    {
        get
        {
            ThrowIfDisposed();
            return means.clone();
        }
    }

    /// <summary>Gets a copy of the shared covariance; the caller owns and disposes it (disposing or editing it leaves the detector unchanged).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public CovarianceEstimate Covariance
    {
        get
        {
            ThrowIfDisposed();
            return covariance.Copy();
        }
    }

    /// <summary>Gets a value indicating whether this is the class-agnostic variant (one Gaussian of all features).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public bool IsClassAgnostic
    {
        get
        {
            ThrowIfDisposed();
            return classAgnostic;
        }
    }

    /// <summary>Gets the rank r of the pseudo-inverse precision: the dimension of the subspace the scores measure (F unless some features are constant or collinear).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Rank
    {
        get
        {
            ThrowIfDisposed();
            return whitenT.shape[1];
        }
    }

    /// <summary>Gets the number of class means.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Classes
    {
        get
        {
            ThrowIfDisposed();
            return means.shape[0];
        }
    }

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension
    {
        get
        {
            ThrowIfDisposed();
            return means.shape[1];
        }
    }

    /// <summary>Fits class means and the shared covariance of class-centred features in one call.</summary>
    /// <param name="features">Training features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="labels">Class indices <c>(N)</c> in [0, <paramref name="classes"/> − 1]; every class needs a sample.</param>
    /// <param name="classes">The number of classes, from 1 to 100,000.</param>
    /// <param name="method">The covariance estimate.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or <paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2 or not finite; the labels differ in length or are out of range; a class has no sample; every feature is constant (zero covariance).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is outside [1, 100,000] or <paramref name="method"/> is undefined.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static MahalanobisDetector Fit(
        Tensor features, Tensor labels, int classes, CovarianceMethod method = CovarianceMethod.Auto, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(labels);
        using var statistics = FeatureStatistics.Compute(features, labels, classes);
        return EstimationProgress.Completed(progress, statistics.Count, FromStatistics(statistics, method));
    }

    /// <summary>Fits the class-agnostic variant: one Gaussian of all features, no labels.</summary>
    /// <param name="features">Training features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="method">The covariance estimate.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2 or not finite; every feature is constant (zero covariance).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is undefined.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static MahalanobisDetector FitClassAgnostic(
        Tensor features, CovarianceMethod method = CovarianceMethod.Auto, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var statistics = FeatureStatistics.Compute(features, null, 1);
        return EstimationProgress.Completed(progress, statistics.Count, FromStatistics(statistics, method, classAgnostic: true));
    }

    /// <summary>Builds the detector from accumulated statistics (streaming fit).</summary>
    /// <param name="statistics">The statistics; not disposed.</param>
    /// <param name="method">The covariance estimate.</param>
    /// <param name="classAgnostic">Whether to use the mean and total covariance of all features instead of class means and the within-class covariance.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="statistics"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A class has no sample (class-conditional only); the covariance is zero (every feature constant) or, for a scatter given by hand, not positive semi-definite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is undefined.</exception>
    public static MahalanobisDetector FromStatistics(FeatureStatistics statistics, CovarianceMethod method = CovarianceMethod.Auto, bool classAgnostic = false)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (!classAgnostic)
        {
            statistics.RequireEveryClass();
        }

        var covariance = classAgnostic
            ? CovarianceEstimate.FromScatter(statistics.TotalScatterView, statistics.TotalFourthMoment, statistics.Count, method)
            : CovarianceEstimate.FromScatter(statistics.WithinScatterView, statistics.WithinFourthMoment, statistics.Count, method);
        Tensor means;
        using (var scope = torch.NewDisposeScope())
        {
            means = (classAgnostic ? statistics.MeanView.unsqueeze(0).clone() : statistics.ClassMeansView.clone()).DetachFromDisposeScope();
        }

        return Create(means, covariance, classAgnostic);
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved Mahalanobis detector, or is truncated, corrupt (checksum), of a newer version or saved by Uqlib 0.1; nothing is left allocated.</exception>
    public static MahalanobisDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, Read);
    }

    /// <summary>Squared Mahalanobis distances to every class mean.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Distances <c>(N, C)</c>, float64.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor ClassDistances(Tensor features)
    {
        return ClassDistances(features, ScoreArithmetic.Float64);
    }

    /// <summary>Squared Mahalanobis distances to every class mean, computed in the given arithmetic.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="arithmetic">The arithmetic of the matrix products (<see cref="ScoreArithmetic.Float32"/> is the opt-in fast path).</param>
    /// <returns>Distances <c>(N, C)</c>, float64.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="arithmetic"/> is undefined.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor ClassDistances(Tensor features, ScoreArithmetic arithmetic)
    {
        Check(features);
        CheckArithmetic(arithmetic);
        using var scope = torch.NewDisposeScope();
        return ClassDistancesCore(features, arithmetic).to(ScalarType.Float64).MoveToOuterDisposeScope();
    }

    /// <summary>The score: the squared Mahalanobis distance to the nearest class mean.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64, ≥ 0; higher is more uncertain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        return Score(features, ScoreArithmetic.Float64);
    }

    /// <summary>The score, computed in the given arithmetic: the squared Mahalanobis distance to the nearest class mean.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="arithmetic">The arithmetic of the matrix products: <see cref="ScoreArithmetic.Float32"/> is the opt-in fast path (one float32 (N × F × r) product, as PyTorch code computes it).</param>
    /// <returns>Scores <c>(N)</c>, float64, ≥ 0; higher is more uncertain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="arithmetic"/> is undefined.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features, ScoreArithmetic arithmetic)
    {
        Check(features);
        CheckArithmetic(arithmetic);
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
        FittedFile.Save(path, Kind, Version, Write);
    }

    /// <summary>Gets the covariance estimate's method, shrinkage and sample count and the feature dimension, for logging, without copying the matrix.</summary>
    internal (CovarianceMethod Method, double Shrinkage, long Count, long Dimension) CovarianceSummary =>
        (covariance.Method, covariance.Shrinkage, covariance.Count, means.shape[1]);

    /// <summary>Describes the detector as scikit-learn's repr would, e.g. <c>MahalanobisDetector(classes=10, dimension=64, rank=44, covariance=Empirical, n=5000)</c>.</summary>
    /// <returns>The description, or <c>MahalanobisDetector(disposed)</c> after <see cref="Dispose"/>.</returns>
    public override string ToString()
    {
        if (disposed)
        {
            return "MahalanobisDetector(disposed)";
        }

        var shrinkage = covariance.Method == CovarianceMethod.LedoitWolf
            ? string.Create(CultureInfo.InvariantCulture, $", shrinkage={covariance.Shrinkage:G4}")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"MahalanobisDetector({(classAgnostic ? "class-agnostic" : $"classes={Classes}")}, dimension={Dimension}, rank={Rank}, covariance={covariance.Method}{shrinkage}, n={covariance.Count})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        means.Dispose();
        covariance.Dispose();
        whitenT.Dispose();
        whitenedMeans.Dispose();
        meanNorms.Dispose();
        whitenT32.Dispose();
        whitenedMeans32.Dispose();
        meanNorms32.Dispose();
    }

    internal static MahalanobisDetector Create(Tensor means, CovarianceEstimate covariance, bool classAgnostic)
    {
        try
        {
            return new MahalanobisDetector(means, covariance, classAgnostic);
        }
        catch
        {
            means.Dispose();
            covariance.Dispose();
            throw;
        }
    }

    /// <summary>Reads a detector's fields (see <see cref="Write"/>); the tensors read are the reader's until the detector owns them.</summary>
    internal static MahalanobisDetector Read(FittedReader reader)
    {
        var classAgnostic = reader.Boolean("classAgnostic");
        var method = reader.Enum<CovarianceMethod>("covarianceMethod");
        var shrinkage = reader.Double("shrinkage");
        var count = reader.Int64("count");
        var means = reader.Tensor("classMeans", 2, ScalarType.Float64);
        var matrix = reader.Tensor("covariance", 2, ScalarType.Float64);
        if (method is not (CovarianceMethod.Empirical or CovarianceMethod.LedoitWolf) || !(shrinkage is >= 0 and <= 1) || count < 1)
        {
            throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"the covariance ({method}, shrinkage {shrinkage}, {count} samples) is out of range"));
        }

        if (matrix.shape[0] != matrix.shape[1] || matrix.shape[0] != means.shape[1] || (classAgnostic && means.shape[0] != 1))
        {
            throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"the covariance {Preconditions.ShapeText(matrix)} does not match the means {Preconditions.ShapeText(means)}"));
        }

        return Create(means, CovarianceEstimate.FromStored(matrix, shrinkage, method, count), classAgnostic);
    }

    /// <summary>Writes the detector's fields: the flag, the covariance's method, shrinkage and count, the means and the matrix.</summary>
    internal void Write(FittedWriter writer)
    {
        writer.Boolean("classAgnostic", classAgnostic);
        writer.Enum("covarianceMethod", covariance.Method);
        writer.Number("shrinkage", covariance.Shrinkage);
        writer.Number("count", covariance.Count);
        writer.Tensor("classMeans", means);
        writer.Tensor("covariance", covariance.MatrixView);
    }

    /// <summary>A copy that shares nothing with this detector.</summary>
    internal MahalanobisDetector Copy()
    {
        ThrowIfDisposed();
        return new MahalanobisDetector(this);
    }

    internal void Check(Tensor features)
    {
        ThrowIfDisposed();
        Preconditions.Tensor(features, nameof(features), 2, 2);
        if (features.shape[1] != Dimension)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"features must have dimension {Dimension}, as the training features had; found shape {Preconditions.ShapeText(features)}."),
                nameof(features));
        }

        Preconditions.Finite(features, nameof(features));
    }

    internal static void CheckArithmetic(ScoreArithmetic arithmetic)
    {
        if (!Enum.IsDefined(arithmetic))
        {
            throw new ArgumentOutOfRangeException(nameof(arithmetic), arithmetic, $"arithmetic must be a defined ScoreArithmetic; found {arithmetic}.");
        }
    }

    /// <summary>Gets the class means <c>(C, F)</c>, float64, as a view the caller must not modify or dispose.</summary>
    internal Tensor MeansView => means;

    /// <summary>The precision the scores use, P = AᵀA (the pseudo-inverse where the covariance is singular), <c>(F, F)</c> float64; the caller owns it.</summary>
    internal Tensor ScoringPrecision() => whitenT.matmul(whitenT.t());

    /// <summary>The distances <c>(N, C)</c> in the dtype of <paramref name="arithmetic"/>.</summary>
    internal Tensor ClassDistancesCore(Tensor features, ScoreArithmetic arithmetic)
    {
        using var scope = torch.NewDisposeScope();
        var single = arithmetic == ScoreArithmetic.Float32;
        var transform = single ? whitenT32 : whitenT;
        var z = features.to(transform.dtype, transform.device).matmul(transform);
        var norms = z.mul(z).sum(new long[] { 1 }, keepdim: true);
        var distances = z.matmul((single ? whitenedMeans32 : whitenedMeans).t()).mul_(-2.0).add_(norms).add_(single ? meanNorms32 : meanNorms).clamp_min_(0.0);
        return distances.MoveToOuterDisposeScope();
    }

    internal Tensor ScoreCore(Tensor features, ScoreArithmetic arithmetic = ScoreArithmetic.Float64)
    {
        using var scope = torch.NewDisposeScope();
        return ClassDistancesCore(features, arithmetic).amin(new long[] { 1 }).to(ScalarType.Float64).MoveToOuterDisposeScope();
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
