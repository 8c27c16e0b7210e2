using System;
using System.Globalization;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Ensembles;

/// <summary>
/// Running sums over the members of an ensemble (or over augmentations) from which every <see cref="EnsembleScore"/> is computed,
/// so that memory stays at a few tensors of one member's size however many members are added.
/// </summary>
/// <remarks>
/// Only the sums the chosen score needs are kept: Σp always; Σp² for the variances; Σ H(p_m) for the entropies and the pairwise KL;
/// Σ log p for the pairwise KL; Σ one-hot(argmax p_m) for the disagreement. Inputs are trusted (validated by the caller) and never disposed.
/// </remarks>
internal sealed class EnsembleAccumulator : IDisposable
{
    private readonly EnsembleScore score;
    private Tensor? sum;
    private Tensor? sumSquares;
    private Tensor? sumEntropy;
    private Tensor? sumLog;
    private Tensor? votes;

    public EnsembleAccumulator(EnsembleScore score)
    {
        if (!Enum.IsDefined(score))
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, $"score must be a defined EnsembleScore; found {score}.");
        }

        this.score = score;
    }

    /// <summary>Gets the number of members added so far.</summary>
    public int Count { get; private set; }

    /// <summary>Gets the score the sums are kept for.</summary>
    public EnsembleScore Score => score;

    /// <summary>Gets the shape of one member's probabilities, or <see langword="null"/> before the first member.</summary>
    public long[]? Shape => sum?.shape;

    /// <summary>Gets the element type of the sums, or <see langword="null"/> before the first member.</summary>
    public ScalarType? Dtype => sum?.dtype;

    /// <summary>Adds one member's probabilities <c>(N, C[, …])</c>, which must have the shape of those added before.</summary>
    public void Add(Tensor probabilities)
    {
        if (sum is not null && !sum.shape.AsSpan().SequenceEqual(probabilities.shape))
        {
            throw new ArgumentException(
                $"Every member must give outputs of one shape; member {Count} has shape {Preconditions.ShapeText(probabilities)} but the first had {Preconditions.ShapeText(sum)}.",
                nameof(probabilities));
        }

        using var scope = torch.NewDisposeScope();
        Accumulate(ref sum, probabilities);
        if (score is EnsembleScore.Variance or EnsembleScore.TotalVariance)
        {
            Accumulate(ref sumSquares, probabilities.square());
        }

        if (score is EnsembleScore.ExpectedEntropy or EnsembleScore.MutualInformation or EnsembleScore.ExpectedPairwiseKL)
        {
            Accumulate(ref sumEntropy, Entropy(probabilities));
        }

        if (score is EnsembleScore.ExpectedPairwiseKL)
        {
            Accumulate(ref sumLog, probabilities.clamp_min(torch.finfo(probabilities.dtype).tiny).log_());
        }

        if (score is EnsembleScore.Disagreement)
        {
            var predicted = probabilities.argmax(1, keepdim: true);
            Accumulate(ref votes, torch.zeros_like(probabilities).scatter_(1, predicted, torch.ones_like(predicted, dtype: probabilities.dtype)));
        }

        Count++;
    }

    /// <summary>Adds the sums of <paramref name="other"/> (same score, shape and element type, checked by the caller) to these: the sums of the union of the members.</summary>
    public void Merge(EnsembleAccumulator other)
    {
        if (other.Count == 0)
        {
            return;
        }

        Accumulate(ref sum, other.sum!);
        AccumulateOptional(ref sumSquares, other.sumSquares);
        AccumulateOptional(ref sumEntropy, other.sumEntropy);
        AccumulateOptional(ref sumLog, other.sumLog);
        AccumulateOptional(ref votes, other.votes);
        Count += other.Count;
    }

    /// <summary>Writes the member count and the sums that exist (none before the first member).</summary>
    public void Write(FittedWriter writer)
    {
        writer.Enum("score", score);
        writer.Number("count", (long)Count);
        if (sum is null)
        {
            return;
        }

        writer.Number("rank", sum.dim());
        writer.Enum("dtype", sum.dtype);
        writer.Tensor("sum", sum);
        WriteOptional(writer, "sumSquares", sumSquares);
        WriteOptional(writer, "sumEntropy", sumEntropy);
        WriteOptional(writer, "sumLog", sumLog);
        WriteOptional(writer, "votes", votes);
    }

    /// <summary>Reads sums written by <see cref="Write"/>, checking that the sums the score needs are there and have consistent shapes.</summary>
    public static EnsembleAccumulator Read(FittedReader reader)
    {
        var score = reader.Enum<EnsembleScore>("score");
        var count = reader.Int64("count");
        if (!Enum.IsDefined(score) || count < 0 || count > int.MaxValue)
        {
            throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"score {score} with {count} members is not valid"));
        }

        var accumulator = new EnsembleAccumulator(score) { Count = (int)count };
        if (count == 0)
        {
            return accumulator;
        }

        var rank = reader.Int32("rank");
        var dtype = reader.Enum<ScalarType>("dtype");
        if (rank < 2 || rank > 8 || dtype is not (ScalarType.Float32 or ScalarType.Float64))
        {
            throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"sums of rank {rank} and type {dtype} are not supported"));
        }

        accumulator.sum = reader.Tensor("sum", rank, dtype);
        var shape = accumulator.sum.shape;
        var reduced = new long[rank - 1];
        reduced[0] = shape[0];
        Array.Copy(shape, 2, reduced, 1, rank - 2);
        accumulator.sumSquares = ReadOptional(reader, "sumSquares", score is EnsembleScore.Variance or EnsembleScore.TotalVariance, shape, dtype);
        accumulator.sumEntropy = ReadOptional(reader, "sumEntropy",
            score is EnsembleScore.ExpectedEntropy or EnsembleScore.MutualInformation or EnsembleScore.ExpectedPairwiseKL, reduced, dtype);
        accumulator.sumLog = ReadOptional(reader, "sumLog", score is EnsembleScore.ExpectedPairwiseKL, shape, dtype);
        accumulator.votes = ReadOptional(reader, "votes", score is EnsembleScore.Disagreement, shape, dtype);
        return accumulator;
    }

    /// <summary>Returns the mean probabilities <c>(N, C[, …])</c>; the caller disposes them.</summary>
    public Tensor Mean()
    {
        return Sum().div(Count);
    }

    /// <summary>Returns the chosen score <c>(N[, …])</c>; the caller disposes it.</summary>
    public Tensor Compute()
    {
        using var scope = torch.NewDisposeScope();
        var n = (double)Count;
        var mean = Sum().div(n);
        var result = score switch
        {
            EnsembleScore.PredictiveEntropy => Entropy(mean),
            EnsembleScore.ExpectedEntropy => sumEntropy!.div(n),
            EnsembleScore.MutualInformation => Entropy(mean).sub_(sumEntropy!.div(n)).clamp_min_(0.0),
            EnsembleScore.Variance => PredictedClassVariance(mean, n),
            EnsembleScore.TotalVariance => sumSquares!.div(n).sub_(mean.square()).clamp_min_(0.0).sum(1),
            EnsembleScore.Disagreement => votes!.amax(1).div_(-n).add_(1.0),
            EnsembleScore.ExpectedPairwiseKL => PairwiseKL(n),
            _ => throw new InvalidOperationException($"Unknown score {score}."),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        sum?.Dispose();
        sumSquares?.Dispose();
        sumEntropy?.Dispose();
        sumLog?.Dispose();
        votes?.Dispose();
    }

    /// <summary>The Shannon entropy over dimension 1, in nats (0 log 0 = 0).</summary>
    internal static Tensor Entropy(Tensor probabilities)
    {
        using var scope = torch.NewDisposeScope();
        return probabilities.xlogy(probabilities).sum(1).neg_().clamp_min_(0.0).MoveToOuterDisposeScope();
    }

    private Tensor Sum()
    {
        return sum ?? throw new InvalidOperationException("No member has been added.");
    }

    /// <summary>Var_m p_m[c*] with c* = argmax of the mean, as E[p²] − E[p]² at c*.</summary>
    private Tensor PredictedClassVariance(Tensor mean, double n)
    {
        var predicted = mean.argmax(1, keepdim: true);
        var chosen = mean.gather(1, predicted);
        return sumSquares!.gather(1, predicted).div_(n).sub_(chosen.square()).clamp_min_(0.0).squeeze(1);
    }

    /// <summary>
    /// (1 / (M(M − 1))) Σ_{m≠m′} KL(p_m ‖ p_m′) = (M Σ_m Σ_c p log p − Σ_c (Σ_m p)(Σ_m′ log p′)) / (M(M − 1)); the diagonal terms cancel.
    /// </summary>
    private Tensor PairwiseKL(double n)
    {
        var cross = sum!.mul(sumLog!).sum(1);
        var selfTerm = sumEntropy!.mul(-n);
        return selfTerm.sub_(cross).div_(Math.Max(1.0, n * (n - 1))).clamp_min_(0.0);
    }

    private static void AccumulateOptional(ref Tensor? total, Tensor? value)
    {
        if (value is not null)
        {
            Accumulate(ref total, value);
        }
    }

    private static void WriteOptional(FittedWriter writer, string name, Tensor? value)
    {
        if (value is not null)
        {
            writer.Tensor(name, value);
        }
    }

    private static Tensor? ReadOptional(FittedReader reader, string name, bool needed, long[] shape, ScalarType dtype)
    {
        if (!needed)
        {
            return null;
        }

        var value = reader.Tensor(name, shape.Length, dtype);
        if (!value.shape.AsSpan().SequenceEqual(shape))
        {
            throw reader.Invalid($"\"{name}\" has shape {Preconditions.ShapeText(value)}, which does not match the sum of probabilities");
        }

        return value;
    }

    private static void Accumulate(ref Tensor? total, Tensor value)
    {
        if (total is null)
        {
            total = value.clone().DetachFromDisposeScope();
        }
        else
        {
            total.add_(value.device == total.device ? value : value.to(total.device));
        }
    }
}
