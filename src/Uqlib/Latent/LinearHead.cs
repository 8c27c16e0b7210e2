using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// A final linear layer z = Wx + b as validated float64 copies, shared by the detectors given the last layer (ViM, fDBD, NNGuide, ReAct, ASH, DICE,
/// GradNorm). Owns its tensors.
/// </summary>
internal sealed class LinearHead : IDisposable
{
    private LinearHead(Tensor weight, Tensor bias)
    {
        Weight = weight;
        Bias = bias;
    }

    /// <summary>Gets the weight <c>(C, F)</c>, float64.</summary>
    public Tensor Weight { get; }

    /// <summary>Gets the bias <c>(C)</c>, float64 (zeros when none was given).</summary>
    public Tensor Bias { get; }

    /// <summary>Gets the feature dimension F.</summary>
    public long Dimension => Weight.shape[1];

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
        Preconditions.Tensor(features, name, 2, 2);
        if (features!.shape[1] != Dimension)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} must have dimension {Dimension}, as the final layer's weight has; found shape {Preconditions.ShapeText(features)}."),
                name);
        }

        Preconditions.Finite(features, name);
    }

    /// <summary>The features as float64 on the head's device (a new tensor or an alias).</summary>
    public Tensor ToHead(Tensor features) => features.to(ScalarType.Float64, Weight.device);

    /// <summary>The negative energy score −logsumexp(W x + b) of float64 features on the head's device, <c>(N)</c>; higher is more OOD (Liu et al. 2020).</summary>
    public Tensor NegativeEnergy(Tensor x, Tensor? weight = null)
    {
        using var scope = torch.NewDisposeScope();
        return torch.nn.functional.linear(x, weight ?? Weight, Bias).logsumexp(1).neg_().MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
    }
}
