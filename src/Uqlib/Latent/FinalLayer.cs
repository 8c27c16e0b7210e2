using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The final linear layer z = Wx + b that the logit-aware detectors (ViM, fDBD, NNGuide) are given: checked once, copied to float64.</summary>
internal static class FinalLayer
{
    /// <summary>Checks the weight <c>(C, F)</c> against the feature dimension and the bias <c>(C)</c>, and returns float64 copies (a zero bias when none is given).</summary>
    public static (Tensor Weight, Tensor Bias) Copy(Tensor? weight, Tensor? bias, long features)
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
        return (w.DetachFromDisposeScope(), b.DetachFromDisposeScope());
    }

    /// <summary>Checks features <c>(N, F)</c> against a fitted dimension: rank, size, finiteness.</summary>
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
}
