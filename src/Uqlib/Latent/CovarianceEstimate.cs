using System;
using System.Globalization;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>A fitted covariance matrix, empirical or Ledoit–Wolf shrunk, in float64. Immutable: it owns its matrix and hands out only copies; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
/// <remarks>
/// The empirical covariance is S / N for the scatter S of N samples (scikit-learn's <c>EmpiricalCovariance</c>). Ledoit–Wolf
/// (Ledoit &amp; Wolf 2004, "A well-conditioned estimator for large-dimensional covariance matrices") returns
/// (1 − s)·S/N + s·(tr(S/N)/F)·I with the shrinkage s of scikit-learn's <c>LedoitWolf</c>, computed from the scatter and
/// the fourth moment Σ|x − μ|⁴ so that it can be fitted by streaming.
/// <para>
/// The precision is the pseudo-inverse by SciPy <c>pinvh</c>'s rule (its default tolerances, as scikit-learn's <c>precision_</c>):
/// with the eigendecomposition Σ = V diag(λ) Vᵀ, the eigenvalues with |λ| ≤ max|λ| · F · ε (F the dimension, ε = 2⁻⁵² of float64)
/// are dropped and Σ⁺ = V_r diag(1/λ_r) V_rᵀ over the r kept ones; <see cref="Rank"/> is r. A full-rank covariance gives its
/// inverse; one with dead units (constant features, e.g. ReLU units that never fire) gives the inverse on the subspace the
/// features span, so distances ignore the constant directions instead of failing.
/// </para>
/// Thread-safe for reading.
/// </remarks>
public sealed class CovarianceEstimate : IDisposable
{
    /// <summary>The machine epsilon of float64, 2⁻⁵² (NumPy's <c>finfo(float64).eps</c>; not <see cref="double.Epsilon"/>, the smallest subnormal).</summary>
    private const double Float64Epsilon = 2.220446049250313e-16;
    private readonly Tensor matrix;
    private readonly double shrinkage;
    private readonly CovarianceMethod method;
    private readonly long count;
    private readonly Tensor basis;       // V_r, (F, r): eigenvectors of the kept eigenvalues
    private readonly Tensor eigenvalues; // λ_r, (r): the eigenvalues above the cutoff, ascending
    private bool disposed;

    private CovarianceEstimate(Tensor matrix, double shrinkage, CovarianceMethod method, long count)
    {
        using (var scope = torch.NewDisposeScope())
        {
            // SciPy pinvh (atol = 0, rtol = F·ε): keep |λ| > max|λ| · F · ε.
            var (values, vectors) = torch.linalg.eigh(matrix);
            var cutoff = values.abs().max().ToDouble() * matrix.shape[0] * Float64Epsilon;
            var kept = values.abs().gt(cutoff).nonzero().squeeze(1);
            basis = vectors.index_select(1, kept).contiguous().DetachFromDisposeScope();
            eigenvalues = values.index_select(0, kept).DetachFromDisposeScope();
        }

        this.matrix = matrix;
        this.shrinkage = shrinkage;
        this.method = method;
        this.count = count;
    }

    private CovarianceEstimate(CovarianceEstimate other)
    {
        using var scope = torch.NewDisposeScope();
        matrix = other.matrix.clone().DetachFromDisposeScope();
        basis = other.basis.clone().DetachFromDisposeScope();
        eigenvalues = other.eigenvalues.clone().DetachFromDisposeScope();
        shrinkage = other.shrinkage;
        method = other.method;
        count = other.count;
    }

    /// <summary>Gets a copy of the covariance matrix <c>(F, F)</c>, float64; the caller owns and disposes it (editing it leaves the estimate unchanged).</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public Tensor Matrix
    {
        get
        {
            ThrowIfDisposed();
            return matrix.clone();
        }
    }

    /// <summary>Gets the Ledoit–Wolf shrinkage in [0, 1] (0 for the empirical covariance).</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public double Shrinkage
    {
        get
        {
            ThrowIfDisposed();
            return shrinkage;
        }
    }

    /// <summary>Gets the method used (never <see cref="CovarianceMethod.Auto"/>).</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public CovarianceMethod Method
    {
        get
        {
            ThrowIfDisposed();
            return method;
        }
    }

    /// <summary>Gets the number of samples it was fitted on.</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public long Count
    {
        get
        {
            ThrowIfDisposed();
            return count;
        }
    }

    /// <summary>Gets the rank r of the pseudo-inverse: the number of eigenvalues with |λ| above max|λ| · F · ε (SciPy <c>pinvh</c>'s cutoff); F for a full-rank covariance.</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public long Rank
    {
        get
        {
            ThrowIfDisposed();
            return eigenvalues.shape[0];
        }
    }

    /// <summary>Gets the precision: the pseudo-inverse Σ⁺ <c>(F, F)</c>, float64, by SciPy <c>pinvh</c>'s rule (see the remarks), equal to the inverse when the covariance has full rank; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public Tensor Precision
    {
        get
        {
            ThrowIfDisposed();
            using var scope = torch.NewDisposeScope();
            return basis.div(eigenvalues).matmul(basis.t()).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Gets the kept eigenvectors V_r <c>(F, r)</c> and eigenvalues λ_r <c>(r)</c>, owned by the estimate (never handed to callers).</summary>
    internal (Tensor Basis, Tensor Eigenvalues) Spectrum
    {
        get
        {
            ThrowIfDisposed();
            return (basis, eigenvalues);
        }
    }

    /// <summary>Gets the owned matrix itself, for the library's own reading (never handed to callers).</summary>
    internal Tensor MatrixView
    {
        get
        {
            ThrowIfDisposed();
            return matrix;
        }
    }

    /// <summary>Fits the covariance of features, centred on their mean unless <paramref name="assumeCentered"/>.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="method">The estimate; <see cref="CovarianceMethod.Auto"/> picks Ledoit–Wolf when N &lt; 10·F.</param>
    /// <param name="assumeCentered">Whether the features are already centred (scikit-learn's <c>assume_centered</c>).</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The estimate; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is undefined.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static CovarianceEstimate Fit(
        Tensor features, CovarianceMethod method = CovarianceMethod.Auto, bool assumeCentered = false, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.Tensor(features, nameof(features), 2, 2);
        Preconditions.Finite(features, nameof(features));
        CheckMethod(method);
        Tensor scatter;
        double fourth;
        using (var scope = torch.NewDisposeScope())
        {
            var x = features.to(ScalarType.Float64);
            if (!assumeCentered)
            {
                x = x.sub(x.mean(new long[] { 0 }));
            }

            var squared = x.mul(x).sum(new long[] { 1 });
            fourth = squared.dot(squared).ToDouble();
            scatter = x.t().matmul(x).DetachFromDisposeScope();
        }

        using (scatter)
        {
            return EstimationProgress.Completed(progress, features.shape[0], FromScatter(scatter, fourth, features.shape[0], method));
        }
    }

    /// <summary>Builds the estimate from a scatter matrix and the fourth moment of the centred samples.</summary>
    /// <param name="scatter">The scatter Σ (x − μ)(x − μ)ᵀ, <c>(F, F)</c>, float64; not disposed.</param>
    /// <param name="fourthMoment">Σ |x − μ|⁴ over the samples (used by Ledoit–Wolf only).</param>
    /// <param name="count">The number of samples N, at least 1.</param>
    /// <param name="method">The estimate; <see cref="CovarianceMethod.Auto"/> picks Ledoit–Wolf when N &lt; 10·F.</param>
    /// <returns>The estimate; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scatter"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The scatter is not square or not finite, or the fourth moment is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 or <paramref name="method"/> is undefined.</exception>
    public static CovarianceEstimate FromScatter(Tensor scatter, double fourthMoment, long count, CovarianceMethod method)
    {
        ArgumentNullException.ThrowIfNull(scatter);
        if (scatter.dim() != 2 || scatter.shape[0] != scatter.shape[1] || scatter.shape[0] == 0)
        {
            throw new ArgumentException($"scatter must be a non-empty square matrix (F, F); found shape {Preconditions.ShapeText(scatter)}.", nameof(scatter));
        }

        Preconditions.Finite(scatter, nameof(scatter));
        if (!double.IsFinite(fourthMoment))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"fourthMoment must be finite; found {fourthMoment}."), nameof(fourthMoment));
        }

        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, string.Create(CultureInfo.InvariantCulture, $"count must be at least 1; found {count}."));
        }

        CheckMethod(method);
        var features = scatter.shape[0];
        var chosen = Resolve(method, count, features);
        using var scope = torch.NewDisposeScope();
        var empirical = scatter.to(ScalarType.Float64).div(count);
        if (chosen == CovarianceMethod.Empirical)
        {
            return new CovarianceEstimate(empirical.DetachFromDisposeScope(), 0.0, chosen, count);
        }

        var shrinkage = LedoitWolfShrinkage(empirical, fourthMoment, count);
        var mu = empirical.trace().ToDouble() / features;
        var shrunk = empirical.mul(1.0 - shrinkage);
        shrunk.diagonal().add_(shrinkage * mu);
        return new CovarianceEstimate(shrunk.DetachFromDisposeScope(), shrinkage, chosen, count);
    }

    /// <summary>Resolves <see cref="CovarianceMethod.Auto"/>: Ledoit–Wolf when the samples are fewer than ten times the dimension.</summary>
    internal static CovarianceMethod Resolve(CovarianceMethod method, long count, long features)
    {
        return method == CovarianceMethod.Auto
            ? (count < 10 * features ? CovarianceMethod.LedoitWolf : CovarianceMethod.Empirical)
            : method;
    }

    /// <summary>Rebuilds an estimate read from a file, taking ownership of the matrix.</summary>
    internal static CovarianceEstimate FromStored(Tensor matrix, double shrinkage, CovarianceMethod method, long count)
    {
        return new CovarianceEstimate(matrix, shrinkage, method, count);
    }

    /// <summary>A copy that shares nothing with this estimate and outlives every dispose scope.</summary>
    internal CovarianceEstimate Copy()
    {
        ThrowIfDisposed();
        return new CovarianceEstimate(this);
    }

    /// <summary>Describes the estimate as scikit-learn's repr would, e.g. <c>CovarianceEstimate(LedoitWolf, shrinkage=0.0734, rank=64/64, n=5000)</c>.</summary>
    /// <returns>The description, or <c>CovarianceEstimate(disposed)</c> after <see cref="Dispose"/>.</returns>
    public override string ToString()
    {
        if (disposed)
        {
            return "CovarianceEstimate(disposed)";
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"CovarianceEstimate({method}, shrinkage={shrinkage:G4}, rank={Rank}/{matrix.shape[0]}, n={count})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        matrix.Dispose();
        basis.Dispose();
        eigenvalues.Dispose();
    }

    /// <summary>scikit-learn's <c>ledoit_wolf_shrinkage</c> for centred X with X ᵀX / N = <paramref name="empirical"/> and Σ_k |x_k|⁴ = <paramref name="fourthMoment"/>.</summary>
    private static double LedoitWolfShrinkage(Tensor empirical, double fourthMoment, long count)
    {
        var p = (double)empirical.shape[0];
        if (p == 1)
        {
            return 0.0;
        }

        double n = count;
        var trace = empirical.trace().ToDouble();
        var mu = trace / p;
        var frobenius = empirical.mul(empirical).sum().ToDouble();   // Σ (XᵀX)² / N²
        var beta = (fourthMoment / n - frobenius) / (p * n);
        var delta = (frobenius - (2.0 * mu * trace) + (p * mu * mu)) / p;
        beta = Math.Min(beta, delta);
        return beta == 0 ? 0.0 : Math.Clamp(beta / delta, 0.0, 1.0);
    }

    private static void CheckMethod(CovarianceMethod method)
    {
        if (!Enum.IsDefined(method))
        {
            throw new ArgumentOutOfRangeException(nameof(method), method, $"method must be a defined CovarianceMethod; found {method}.");
        }
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
