using System;
using System.Globalization;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>ViM, the virtual-logit matching score: the norm of a feature's residual outside the principal subspace of the training features, scaled to the logits, minus the energy of the final linear layer's logits. Immutable; owns its tensors.</summary>
/// <remarks>
/// Wang et al. 2022, "ViM: Out-of-distribution with virtual-logit matching", as implemented in OpenOOD: with the final layer
/// z = Wx + b, the origin u = −W⁺b; the residual space is spanned by the eigenvectors of the empirical covariance of
/// (x − u) (about u) beyond its D largest; α = mean max-logit / mean residual norm over the training features; score(x) =
/// α·|P⊥(x − u)| − logsumexp(Wx + b). Computed in float64. Higher is more uncertain. Thread-safe for reading.
/// </remarks>
public sealed class VimDetector : IDisposable
{
    private const string Kind = "VimDetector";
    private readonly Tensor weight;
    private readonly Tensor bias;
    private readonly Tensor origin;
    private readonly Tensor residualBasis;
    private readonly double alpha;
    private bool disposed;

    private VimDetector(Tensor weight, Tensor bias, Tensor origin, Tensor residualBasis, double alpha)
    {
        this.weight = weight;
        this.bias = bias;
        this.origin = origin;
        this.residualBasis = residualBasis;
        this.alpha = alpha;
    }

    /// <summary>Gets the final layer's weight <c>(C, F)</c>, float64.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Weight
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return weight;
        }
    }

    /// <summary>Gets the final layer's bias <c>(C)</c>, float64.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Bias
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return bias;
        }
    }

    /// <summary>Gets the origin u = −W⁺b <c>(F)</c>, float64.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Origin
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return origin;
        }
    }

    /// <summary>Gets an orthonormal basis of the residual space <c>(F, F − D)</c>, float64.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor ResidualBasis
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return residualBasis;
        }
    }

    /// <summary>Gets the scale α matching the virtual logit to the training logits.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public double Alpha
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return alpha;
        }
    }

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return weight.shape[1];
        }
    }

    /// <summary>Gets the principal dimension D.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long PrincipalDimension
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return weight.shape[1] - residualBasis.shape[1];
        }
    }

    /// <summary>Fits the residual space and α on training features.</summary>
    /// <param name="features">Training features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, finite; not disposed.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="VimOptions.Default"/>.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of the wrong shape or not finite; the principal dimension is not below F.</exception>
    public static VimDetector Fit(Tensor features, Tensor weight, Tensor? bias = null, VimOptions? options = null)
    {
        options ??= VimOptions.Default;
        options.Validate();
        Preconditions.Tensor(features, nameof(features), 2, 2);
        Preconditions.Finite(features, nameof(features));
        using var layer = Layer.Create(weight, bias, features.shape[1]);
        using var moment = layer.MomentAboutOrigin(features);
        using var basis = ResidualBasisOf(moment, options.DimensionFor(features.shape[1]));
        var (maxLogits, norms) = layer.Sums(features, basis);
        return Create(layer, basis, maxLogits, norms);
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated, of another version or of another kind.</exception>
    public static VimDetector Load(string path)
    {
        return LatentFile.Read(path, Kind, reader =>
        {
            var alpha = reader.ReadDouble();
            using var weight = LatentFile.ReadTensor(reader, 2);
            using var bias = LatentFile.ReadTensor(reader, 1);
            using var origin = LatentFile.ReadTensor(reader, 1);
            using var basis = LatentFile.ReadTensor(reader, 2);
            LatentFile.End(reader);
            if (!double.IsFinite(alpha) || bias.shape[0] != weight.shape[0] || origin.shape[0] != weight.shape[1] || basis.shape[0] != weight.shape[1])
            {
                throw new InvalidDataException("the stored shapes do not match");
            }

            return new VimDetector(weight.clone().DetachFromDisposeScope(), bias.clone().DetachFromDisposeScope(),
                origin.clone().DetachFromDisposeScope(), basis.clone().DetachFromDisposeScope(), alpha);
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
        ObjectDisposedException.ThrowIf(disposed, this);
        Check(features);
        using var scope = torch.NewDisposeScope();
        return ResidualNorms(features.to(ScalarType.Float64, Origin.device)).mul_(Alpha).MoveToOuterDisposeScope();
    }

    /// <summary>The score α·|P⊥(x − u)| − logsumexp(Wx + b).</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more uncertain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Check(features);
        return ScoreCore(features);
    }

    /// <summary>Saves the detector to a file (see <see cref="Load"/>).</summary>
    /// <param name="path">The file; overwritten.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        LatentFile.Write(path, Kind, writer =>
        {
            writer.Write(Alpha);
            LatentFile.WriteTensor(writer, Weight);
            LatentFile.WriteTensor(writer, Bias);
            LatentFile.WriteTensor(writer, Origin);
            LatentFile.WriteTensor(writer, ResidualBasis);
        });
    }

    /// <summary>Disposes the tensors it owns; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        weight.Dispose();
        bias.Dispose();
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

        return new VimDetector(layer.Weight.clone().DetachFromDisposeScope(), layer.Bias.clone().DetachFromDisposeScope(),
            layer.Origin.clone().DetachFromDisposeScope(), basis.clone().DetachFromDisposeScope(), maxLogitSum / normSum);
    }

    internal void Check(Tensor features)
    {
        Preconditions.Tensor(features, nameof(features), 2, 2);
        if (features.shape[1] != Dimension)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"features must have dimension {Dimension}, as the final layer's weight has; found shape {Preconditions.ShapeText(features)}."),
                nameof(features));
        }

        Preconditions.Finite(features, nameof(features));
    }

    internal Tensor ScoreCore(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        var x = features.to(ScalarType.Float64, Origin.device);
        var energy = torch.nn.functional.linear(x, Weight, Bias).logsumexp(1);
        return ResidualNorms(x).mul_(Alpha).sub_(energy).MoveToOuterDisposeScope();
    }

    private Tensor ResidualNorms(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var r = x.sub(Origin).matmul(ResidualBasis);
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
            Preconditions.Tensor(weight, nameof(weight), 2, 2);
            Preconditions.Finite(weight!, nameof(weight));
            if (weight!.shape[1] != features)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"weight must have shape (C, {features}) to match the features; found {Preconditions.ShapeText(weight)}."), nameof(weight));
            }

            if (bias is not null)
            {
                Preconditions.Tensor(bias, nameof(bias), 1, 1);
                Preconditions.Finite(bias, nameof(bias));
                if (bias.shape[0] != weight.shape[0])
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture,
                            $"bias must have shape ({weight.shape[0]}) to match weight; found {Preconditions.ShapeText(bias)}."), nameof(bias));
                }
            }

            using var scope = torch.NewDisposeScope();
            var w = weight.detach().to(ScalarType.Float64).clone();
            var b = bias is null ? torch.zeros(w.shape[0], ScalarType.Float64, w.device) : bias.detach().to(ScalarType.Float64, w.device).clone();
            var origin = torch.linalg.pinv(w).matmul(b).neg_();
            return new Layer(w.DetachFromDisposeScope(), b.DetachFromDisposeScope(), origin.DetachFromDisposeScope());
        }

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
