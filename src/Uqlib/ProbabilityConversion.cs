using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>Turns a model's raw output into class probabilities according to its <see cref="OutputKind"/>.</summary>
public static class ProbabilityConversion
{
    /// <summary>The tolerance on row sums when validating <see cref="OutputKind.Probabilities"/> outputs.</summary>
    public const double SumTolerance = 1e-3;

    /// <summary>Converts raw outputs to class probabilities <c>(N, C[, …])</c>; binary models give two columns, (1 − p, p).</summary>
    /// <param name="output">The model's raw output: logits <c>(N, C[, …])</c>, a binary logit <c>(N)</c> or <c>(N, 1[, …])</c>, or probabilities.</param>
    /// <param name="kind">How the output becomes probabilities.</param>
    /// <returns>A new tensor of class probabilities; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The output is empty, of the wrong rank, non-finite, not valid probabilities, a regression output, or declared
    /// <see cref="OutputKind.MulticlassLogits"/> while it holds probabilities (every value in [0, 1], every row summing to 1).</exception>
    public static Tensor ToProbabilities(Tensor output, OutputKind kind)
    {
        switch (kind)
        {
            case OutputKind.MulticlassLogits:
                Preconditions.Tensor(output, nameof(output), 2, 8);
                Preconditions.Finite(output, nameof(output));
                Preconditions.NotProbabilities(output, nameof(output));
                return output.softmax(1);
            case OutputKind.BinaryLogit:
                {
                    Preconditions.Tensor(output, nameof(output), 1, 8);
                    Preconditions.Finite(output, nameof(output));
                    using var scope = torch.NewDisposeScope();
                    return TwoColumns(BinaryColumn(output, nameof(output)).sigmoid()).MoveToOuterDisposeScope();
                }

            case OutputKind.Probabilities:
                {
                    Preconditions.Tensor(output, nameof(output), 1, 8);
                    ValidateProbabilities(output, nameof(output));
                    return output.dim() == 1 ? TwoColumns(output) : output.alias();
                }

            case OutputKind.Regression or OutputKind.GaussianRegression:
                throw new ArgumentException(
                    $"A regression output has no class probabilities; found kind {kind}. Use the Uqlib.Regression metrics for regression models.", nameof(kind));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"kind must be a defined OutputKind; found {kind}.");
        }
    }

    /// <summary>Converts raw outputs to class logits: multiclass logits as they are, a binary logit z as the two columns (0, z) whose softmax is (1 − σ(z), σ(z)).</summary>
    /// <param name="output">The model's raw output.</param>
    /// <param name="kind"><see cref="OutputKind.MulticlassLogits"/> or <see cref="OutputKind.BinaryLogit"/>.</param>
    /// <returns>A new tensor of logits <c>(N, C[, …])</c>; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">The output is invalid, <paramref name="kind"/> has no logits, or <see cref="OutputKind.MulticlassLogits"/> output holds probabilities.</exception>
    public static Tensor ToLogits(Tensor output, OutputKind kind)
    {
        switch (kind)
        {
            case OutputKind.MulticlassLogits:
                Preconditions.Tensor(output, nameof(output), 2, 8);
                Preconditions.Finite(output, nameof(output));
                Preconditions.NotProbabilities(output, nameof(output));
                return output.alias();
            case OutputKind.BinaryLogit:
                {
                    Preconditions.Tensor(output, nameof(output), 1, 8);
                    Preconditions.Finite(output, nameof(output));
                    using var scope = torch.NewDisposeScope();
                    var z = BinaryColumn(output, nameof(output));
                    return torch.cat(new[] { torch.zeros_like(z), z }, 1).MoveToOuterDisposeScope();
                }

            default:
                throw new ArgumentException($"Logits are defined for multiclass and binary-logit outputs; found {kind}.", nameof(kind));
        }
    }

    /// <summary>Checks that a tensor holds probabilities: finite, in [0, 1], and (for rank ≥ 2) summing to 1 over dimension 1 within <see cref="SumTolerance"/>.</summary>
    /// <param name="probabilities">The tensor.</param>
    /// <param name="name">The public name of the argument.</param>
    /// <param name="hint">Appended to the message when a value is out of [0, 1] or a row does not sum to 1: what to call instead.</param>
    internal static void ValidateProbabilities(Tensor probabilities, string name, string hint = "")
    {
        Preconditions.Finite(probabilities, name);
        using var scope = torch.NewDisposeScope();
        var (min, max) = probabilities.aminmax();
        var low = min.ToDouble();
        var high = max.ToDouble();
        if (low < 0 || high > 1)
        {
            throw new ArgumentException($"{name} must hold probabilities in [0, 1]; found values from {low} to {high}.{hint}", name);
        }

        if (probabilities.dim() >= 2)
        {
            var error = probabilities.sum(1, type: ScalarType.Float64).sub_(1.0).abs_().max().ToDouble();
            if (error > SumTolerance)
            {
                throw new ArgumentException(
                    $"{name} must sum to 1 over dimension 1 (classes); the largest deviation is {error}.{hint}", name);
            }
        }
    }

    /// <summary>Returns a binary logit or probability as a column <c>(N, 1[, …])</c>.</summary>
    private static Tensor BinaryColumn(Tensor output, string name)
    {
        if (output.dim() == 1)
        {
            return output.unsqueeze(1);
        }

        if (output.shape[1] != 1)
        {
            throw new ArgumentException(
                $"{name} of a binary-logit model must have shape (N) or (N, 1, …); found {Preconditions.ShapeText(output)}.", name);
        }

        return output.alias();
    }

    /// <summary>Turns positive-class probabilities <c>(N)</c> or <c>(N, 1, …)</c> into <c>(N, 2, …)</c> holding (1 − p, p).</summary>
    private static Tensor TwoColumns(Tensor positive)
    {
        using var scope = torch.NewDisposeScope();
        var p = positive.dim() == 1 ? positive.unsqueeze(1) : positive;
        return torch.cat(new[] { p.neg().add_(1.0), p }, 1).MoveToOuterDisposeScope();
    }
}
