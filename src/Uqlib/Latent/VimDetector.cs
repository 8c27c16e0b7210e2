using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Latent;

/// <summary>ViM, the virtual-logit matching score: the norm of a feature's residual outside the principal subspace of the training features, scaled to the logits, minus the energy of the final linear layer's logits. Immutable: it owns its tensors and hands out only copies; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
/// <remarks>
/// Wang et al. 2022, "ViM: Out-of-distribution with virtual-logit matching", as implemented in OpenOOD: with the final layer
/// z = Wx + b, the origin u = −W⁺b; the residual space is spanned by the eigenvectors of the empirical covariance of
/// (x − u) (about u) beyond its D largest; α = mean max-logit / mean residual norm over the training features; score(x) =
/// α·|P⊥(x − u)| − logsumexp(Wx + b). Computed in float64. Higher is more uncertain. Thread-safe for reading.
/// </remarks>
public sealed class VimDetector : IDisposable, ILatentDetector
{
    private const string Kind = "VimDetector";
    private const int Version = 1;
    private readonly LinearHead head;
    private readonly Tensor origin;
    private readonly Tensor residualBasis;
    private readonly double alpha;

    private VimDetector(LinearHead head, Tensor origin, Tensor residualBasis, double alpha)
    {
        this.head = head;
        this.origin = origin;
        this.residualBasis = residualBasis;
        this.alpha = alpha;
    }

    /// <summary>Gets a copy of the final layer's weight <c>(C, F)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Weight => head.GuardedCopy(this, head.Weight);

    /// <summary>Gets a copy of the final layer's bias <c>(C)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Bias => head.GuardedCopy(this, head.Bias);

    /// <summary>Gets a copy of the origin u = −W⁺b <c>(F)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Origin => head.GuardedCopy(this, origin);

    /// <summary>Gets a copy of an orthonormal basis of the residual space <c>(F, F − D)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor ResidualBasis => head.GuardedCopy(this, residualBasis);

    /// <summary>Gets the scale α matching the virtual logit to the training logits.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public double Alpha => head.Guard(this, alpha);

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension => head.Guard(this, head.Dimension);

    /// <summary>Gets the principal dimension D.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long PrincipalDimension => head.Dimension - head.Guard(this, residualBasis).shape[1];

    /// <summary>Fits the residual space and α on training features.</summary>
    /// <param name="features">Training features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, finite; not disposed.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="VimOptions.Default"/>.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts and between its two passes over the features.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of the wrong shape or not finite; the principal dimension is not below F.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static VimDetector Fit(
        Tensor features, Tensor weight, Tensor? bias = null, VimOptions? options = null, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= VimOptions.Default;
        options.Validate();
        Preconditions.Tensor(features, nameof(features), 2, 2);
        Preconditions.Finite(features, nameof(features));
        using var layer = Layer.Create(weight, bias, features.shape[1]);
        using var moment = layer.MomentAboutOrigin(features);
        using var basis = ResidualBasisOf(moment, options.DimensionFor(features.shape[1]));
        cancellationToken.ThrowIfCancellationRequested();
        var (maxLogits, norms) = layer.Sums(features, basis);
        return EstimationProgress.Completed(progress, features.shape[0], Create(layer, basis, maxLogits, norms));
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved ViM detector, or is truncated, corrupt (checksum), of a newer version or saved by Uqlib 0.1; nothing is left allocated.</exception>
    public static VimDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var alpha = reader.Double("alpha");
            var head = LinearHead.Read(reader);
            var origin = reader.Tensor("origin", 1, ScalarType.Float64);
            var basis = reader.Tensor("residualBasis", 2, ScalarType.Float64);
            if (origin.shape[0] != head.Dimension || basis.shape[0] != head.Dimension)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"the shapes of weight {Preconditions.ShapeText(head.Weight)}, origin {Preconditions.ShapeText(origin)} and residual basis {Preconditions.ShapeText(basis)} do not match"));
            }

            return new VimDetector(head, origin, basis, alpha);
        });
    }

    /// <summary>The virtual logit α·|P⊥(x − u)| of each feature.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Virtual logits <c>(N)</c>, float64.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor VirtualLogits(Tensor features)
    {
        Check(features);
        return head.ScoreRows(features, x => ResidualNorms(x).mul_(alpha));
    }

    /// <summary>The score α·|P⊥(x − u)| − logsumexp(Wx + b).</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more uncertain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        Check(features);
        return ScoreCore(features);
    }

    /// <summary>Saves the detector to a file (see <see cref="Load"/>).</summary>
    /// <param name="path">The file; overwritten.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is then left unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public void Save(string path)
    {
        head.ThrowIfDisposed(this);
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("alpha", alpha);
            head.Write(writer);
            writer.Tensor("origin", origin);
            writer.Tensor("residualBasis", residualBasis);
        });
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => head.IsDisposed ? "VimDetector(disposed)" : string.Create(CultureInfo.InvariantCulture, $"VimDetector(dim={Dimension}, principal={PrincipalDimension}, alpha={Alpha:0.####})");

    /// <inheritdoc />
    public void Dispose()
    {
        head.Dispose();
        origin.Dispose();
        residualBasis.Dispose();
    }

    /// <summary>The eigenvectors of the second moment beyond its <paramref name="principal"/> largest eigenvalues, <c>(F, F − D)</c>.</summary>
    internal static Tensor ResidualBasisOf(Tensor moment, int principal)
    {
        using var scope = torch.NewDisposeScope();
        var (_, vectors) = torch.linalg.eigh(moment);   // ascending eigenvalues
        return vectors.narrow(1, 0, moment.shape[0] - principal).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Builds the detector from the layer, the residual basis and the training sums of max-logits and residual norms.</summary>
    internal static VimDetector Create(Layer layer, Tensor basis, double maxLogitSum, double normSum)
    {
        if (!(normSum > 0))
        {
            throw new ArgumentException("The training features have no residual outside the principal subspace; lower PrincipalDimension.", "features");
        }

        return new VimDetector(LinearHead.Wrap(layer.Weight.clone().DetachFromDisposeScope(), layer.Bias.clone().DetachFromDisposeScope()),
            layer.Origin.clone().DetachFromDisposeScope(), basis.clone().DetachFromDisposeScope(), maxLogitSum / normSum);
    }

    internal void Check(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckShape(features);
    }

    internal Tensor ScoreCore(Tensor features)
    {
        return head.ScoreRows(features, x => ResidualNorms(x).mul_(alpha).add_(head.NegativeEnergy(x)));
    }

    private Tensor ResidualNorms(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var r = x.sub(origin).matmul(residualBasis);
        return r.mul(r).sum(new long[] { 1 }).sqrt_().MoveToOuterDisposeScope();
    }

    /// <summary>The final linear layer in float64 with its origin u = −W⁺b; a validated copy.</summary>
    internal sealed class Layer : IDisposable
    {
        private Layer(Tensor weight, Tensor bias, Tensor origin)
        {
            Weight = weight;
            Bias = bias;
            Origin = origin;
        }

        public Tensor Weight { get; }

        public Tensor Bias { get; }

        public Tensor Origin { get; }

        public static Layer Create(Tensor? weight, Tensor? bias, long features)
        {
            var (w, b) = LinearHead.Copy(weight, bias, features);
            using var scope = torch.NewDisposeScope();
            var origin = torch.linalg.pinv(w).matmul(b).neg_();
            return new Layer(w, b, origin.DetachFromDisposeScope());
        }

        /// <summary>Wraps tensors read from a saved file (float64, shapes checked by the caller); takes ownership.</summary>
        public static Layer Of(Tensor weight, Tensor bias, Tensor origin) => new(weight, bias, origin);

        /// <summary>Σ (x − u)(x − u)ᵀ / N over the features.</summary>
        public Tensor MomentAboutOrigin(Tensor features)
        {
            using var scope = torch.NewDisposeScope();
            var centred = features.to(ScalarType.Float64, Origin.device).sub(Origin);
            return centred.t().matmul(centred).div_(features.shape[0]).MoveToOuterDisposeScope();
        }

        /// <summary>Σ (x − u)(x − u)ᵀ (unnormalised) over one batch.</summary>
        public Tensor Moment(Tensor features)
        {
            using var scope = torch.NewDisposeScope();
            var centred = features.to(ScalarType.Float64, Origin.device).sub(Origin);
            return centred.t().matmul(centred).MoveToOuterDisposeScope();
        }

        /// <summary>The sums over the features of the max logit and of the residual norm.</summary>
        public (double MaxLogits, double Norms) Sums(Tensor features, Tensor basis)
        {
            using var scope = torch.NewDisposeScope();
            var x = features.to(ScalarType.Float64, Origin.device);
            var maxLogits = torch.nn.functional.linear(x, Weight, Bias).amax(new long[] { 1 }).sum().ToDouble();
            var r = x.sub(Origin).matmul(basis);
            var norms = r.mul(r).sum(new long[] { 1 }).sqrt_().sum().ToDouble();
            return (maxLogits, norms);
        }

        public void Dispose()
        {
            Weight.Dispose();
            Bias.Dispose();
            Origin.Dispose();
        }
    }
}
