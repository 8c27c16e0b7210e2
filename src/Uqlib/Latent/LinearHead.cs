using System;
using System.Globalization;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// A final linear layer z = Wx + b as validated float64 copies, and the shell shared by the detectors given the last layer (ViM, fDBD,
/// NNGuide, ReAct, ASH, DICE, GradNorm): fitting's checks, the disposed state and the owner's guarded getters, saving and loading the
/// layer, and chunked float64 scoring. Owns its tensors.
/// </summary>
internal sealed class LinearHead : IDisposable
{
    private bool disposed;

    private LinearHead(Tensor weight, Tensor bias)
    {
        Weight = weight;
        Bias = bias;
        Classes = weight.shape[0];
        Dimension = weight.shape[1];
    }

    /// <summary>Gets the weight <c>(C, F)</c>, float64.</summary>
    public Tensor Weight { get; }

    /// <summary>Gets the bias <c>(C)</c>, float64 (zeros when none was given).</summary>
    public Tensor Bias { get; }

    /// <summary>Gets the feature dimension F (kept after <see cref="Dispose"/>, so that a guarded getter can check first).</summary>
    public long Dimension { get; }

    /// <summary>Gets the number of classes C (kept after <see cref="Dispose"/>).</summary>
    public long Classes { get; }

    /// <summary>Checks training features <c>(N, F)</c> (rank 2, not empty, finite) and copies the layer (see <see cref="Create"/>) to match them.</summary>
    /// <param name="features">The training features; the public parameter is named <c>features</c>.</param>
    /// <param name="weight">The weight; the public parameter is named <c>weight</c>.</param>
    /// <param name="bias">The bias or <see langword="null"/>; the public parameter is named <c>bias</c>.</param>
    public static LinearHead ForTraining(Tensor? features, Tensor? weight, Tensor? bias)
    {
        Preconditions.Tensor(features, nameof(features), 2, 2);
        Preconditions.Finite(features!, nameof(features));
        return Create(weight, bias, features!.shape[1]);
    }

    /// <summary>Reads a layer saved by <see cref="Write"/> (float64 weight and bias, matching shapes); the tensors are the reader's until the owner keeps them.</summary>
    /// <param name="reader">The reader.</param>
    /// <param name="weightName">The weight's field name.</param>
    public static LinearHead Read(FittedReader reader, string weightName = "weight")
    {
        var weight = reader.Tensor(weightName, 2, ScalarType.Float64);
        var bias = reader.Tensor("bias", 1, ScalarType.Float64);
        if (bias.shape[0] != weight.shape[0])
        {
            throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"{weightName} {Preconditions.ShapeText(weight)} and bias {Preconditions.ShapeText(bias)} do not match"));
        }

        return new LinearHead(weight, bias);
    }

    /// <summary>Writes the weight (as <paramref name="weightName"/>) and then the bias, the fields <see cref="Read"/> reads.</summary>
    public void Write(FittedWriter writer, string weightName = "weight")
    {
        writer.Tensor(weightName, Weight);
        writer.Tensor("bias", Bias);
    }

    /// <summary>Gets a value indicating whether the owner has disposed this head.</summary>
    public bool IsDisposed => disposed;

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming <paramref name="owner"/> once the owner has disposed this head.</summary>
    public void ThrowIfDisposed(object owner) => ObjectDisposedException.ThrowIf(disposed, owner);

    /// <summary>Returns <paramref name="value"/>, a fitted value of <paramref name="owner"/>, after <see cref="ThrowIfDisposed"/>: the owner's guarded getter.</summary>
    public T Guard<T>(object owner, T value)
    {
        ThrowIfDisposed(owner);
        return value;
    }

    /// <summary>A copy of <paramref name="tensor"/>, a fitted tensor of <paramref name="owner"/>, after <see cref="ThrowIfDisposed"/>; the caller owns it.</summary>
    public Tensor GuardedCopy(object owner, Tensor tensor)
    {
        ThrowIfDisposed(owner);
        return tensor.clone();
    }

    /// <summary>Validates a weight <c>(C, F)</c> and an optional bias <c>(C)</c> and copies them to float64 on the weight's device.</summary>
    /// <param name="weight">The weight; the public parameter is named <c>weight</c>.</param>
    /// <param name="bias">The bias or <see langword="null"/>; the public parameter is named <c>bias</c>.</param>
    /// <param name="features">The feature dimension the weight must match, or <see langword="null"/> to take it from the weight.</param>
    public static LinearHead Create(Tensor? weight, Tensor? bias, long? features = null)
    {
        var checkedWeight = Preconditions.Tensor(weight, nameof(weight), 2, 2);
        var (w, b) = Copy(checkedWeight, bias, features ?? checkedWeight.shape[1]);
        return new LinearHead(w, b);
    }

    /// <summary>Checks the weight <c>(C, F)</c> against the feature dimension and the bias <c>(C)</c> (<see cref="Check"/>), and returns float64 copies (a zero bias when none is given); the caller owns them.</summary>
    public static (Tensor Weight, Tensor Bias) Copy(Tensor? weight, Tensor? bias, long features)
    {
        Check(weight, bias, features);
        using var scope = torch.NewDisposeScope();
        var w = weight!.detach().to(ScalarType.Float64).clone();
        var b = bias is null ? torch.zeros(w.shape[0], ScalarType.Float64, w.device) : bias.detach().to(ScalarType.Float64, w.device).clone();
        return (w.DetachFromDisposeScope(), b.DetachFromDisposeScope());
    }

    /// <summary>Checks features <c>(N, F)</c> against a fitted dimension: rank, size, finiteness; <paramref name="what"/> says what fixed the dimension.</summary>
    public static void CheckFeatures(Tensor? features, long dimension, string what)
    {
        Preconditions.Tensor(features, nameof(features), 2, 2);
        if (features!.shape[1] != dimension)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"features must have dimension {dimension}, as {what}; found shape {Preconditions.ShapeText(features)}."),
                nameof(features));
        }

        Preconditions.Finite(features, nameof(features));
    }

    /// <summary>Wraps tensors read from a saved file (float64, shapes checked by the caller); takes ownership.</summary>
    public static LinearHead Wrap(Tensor weight, Tensor bias) => new(weight, bias);

    /// <summary>Checks that <paramref name="weight"/> is a finite <c>(C, F)</c> matrix matching <paramref name="features"/> and <paramref name="bias"/> a finite <c>(C)</c> vector.</summary>
    public static void Check(Tensor? weight, Tensor? bias, long features)
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
    }

    /// <summary>Checks query features <c>(N, F)</c>: rank 2, not empty, of the head's dimension, finite.</summary>
    public void CheckFeatures(Tensor? features, string name = "features")
    {
        CheckShape(features, name);
        Preconditions.Finite(features!, name);
    }

    /// <summary>Checks query features <c>(N, F)</c>: rank 2, not empty, of the head's dimension (finiteness is left to <see cref="ScoreRows"/>).</summary>
    public void CheckShape(Tensor? features, string name = "features")
    {
        Preconditions.Tensor(features, name, 2, 2);
        if (features!.shape[1] != Dimension)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} must have dimension {Dimension}, as the final layer's weight has; found shape {Preconditions.ShapeText(features)}."),
                name);
        }
    }

    /// <summary>The features as float64 on the head's device (a new tensor or an alias).</summary>
    public Tensor ToHead(Tensor features) => features.to(ScalarType.Float64, Weight.device);

    /// <summary>
    /// Per-row float64 scores of features <c>(N, F)</c> (shape checked by the caller), computed a cache-sized chunk of rows at a time in
    /// float64 on the head's device (<see cref="RowChunks"/>), which also refuses NaN and ∞ as the public parameter <c>features</c>.
    /// </summary>
    /// <param name="features">The features; never modified or disposed.</param>
    /// <param name="score">Maps a float64 chunk <c>(B, F)</c>, a scratch buffer it may overwrite, to its scores <c>(B)</c>.</param>
    public Tensor ScoreRows(Tensor features, Func<Tensor, Tensor> score) => RowChunks.Float64Scores(features, nameof(features), Weight.device, score);

    /// <summary>The logits W x + b of float64 features <c>(B, F)</c> on the head's device, transposed: <c>(C, B)</c>.</summary>
    /// <remarks>The product is formed as W xᵀ: with few classes and many rows, libtorch's float64 GEMM is faster in that orientation.</remarks>
    public Tensor LogitsTransposed(Tensor x, Tensor? weight = null)
    {
        return torch.addmm(Bias.unsqueeze(1), weight ?? Weight, x.t(), 1, 1);
    }

    /// <summary>The negative energy score −logsumexp(W x + b) of float64 features on the head's device, <c>(N)</c>; higher is more OOD (Liu et al. 2020).</summary>
    public Tensor NegativeEnergy(Tensor x, Tensor? weight = null)
    {
        using var scope = torch.NewDisposeScope();
        return LogitsTransposed(x, weight).logsumexp(0).neg_().MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        Weight.Dispose();
        Bias.Dispose();
    }
}
