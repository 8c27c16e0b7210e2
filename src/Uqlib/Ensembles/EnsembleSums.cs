using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Ensembles;

/// <summary>
/// The running sums over some members of an ensemble (or some augmentations of a test-time-augmentation policy) from which one
/// <see cref="EnsembleScore"/> and the mean probabilities are computed, so that an ensemble split by members across machines merges exactly:
/// each shard adds its members' probabilities over all cases, saves its sums, and <see cref="Merge"/> adds the sums of the shards.
/// Every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>It keeps only the sums the score needs (Σ p always; Σ p² for the variances; Σ H(p_m) for the entropies and the pairwise KL;
/// Σ log p for the pairwise KL; the votes Σ one-hot(argmax p_m) for the disagreement), the same sums and the same final formulas as
/// <see cref="EnsembleScores"/> and the ensemble estimators, so merged sums give the single-process scores: bit-identical when the sums are
/// added in the same order, else equal up to floating-point reassociation. Memory is a few tensors of one member's size; a merge is one
/// element-wise addition per sum. Not thread-safe: <see cref="Add"/> and <see cref="Merge"/> change the sums.</para>
/// </remarks>
public sealed class EnsembleSums : IDisposable
{
    private const string Kind = "EnsembleSums";
    private const int Version = 1;
    private readonly EnsembleAccumulator accumulator;
    private bool disposed;

    /// <summary>Creates empty sums for one score.</summary>
    /// <param name="score">The score the sums are kept for.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    public EnsembleSums(EnsembleScore score)
    {
        accumulator = new EnsembleAccumulator(score);
    }

    private EnsembleSums(EnsembleAccumulator accumulator)
    {
        this.accumulator = accumulator;
    }

    /// <summary>Gets the score the sums are kept for.</summary>
    /// <exception cref="ObjectDisposedException">The sums have been disposed.</exception>
    public EnsembleScore Score
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return accumulator.Score;
        }
    }

    /// <summary>Gets the number of members added or merged so far, at least 0.</summary>
    /// <exception cref="ObjectDisposedException">The sums have been disposed.</exception>
    public int Count
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return accumulator.Count;
        }
    }

    /// <summary>Adds one member's probabilities over all cases.</summary>
    /// <param name="probabilities">Probabilities <c>(N, C[, …])</c>, float32 or float64, in [0, 1] and summing to 1 over dimension 1, of the shape and
    /// element type of the members added before; not disposed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> has rank below 2 or above 8, no cases, another element type, holds NaN,
    /// infinite or out-of-range values, or differs in shape or element type from the members added before.</exception>
    /// <exception cref="ObjectDisposedException">The sums have been disposed.</exception>
    public void Add(Tensor probabilities)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Preconditions.Tensor(probabilities, nameof(probabilities), 2, 8);
        if (probabilities.dtype is not (ScalarType.Float32 or ScalarType.Float64))
        {
            throw new ArgumentException($"probabilities must be float32 or float64; found {probabilities.dtype}.", nameof(probabilities));
        }

        if (accumulator.Dtype is { } dtype && dtype != probabilities.dtype)
        {
            throw new ArgumentException($"Every member must give outputs of one element type; the first had {dtype}, probabilities has {probabilities.dtype}.", nameof(probabilities));
        }

        ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
        accumulator.Add(probabilities);
    }

    /// <summary>Adds the sums of another shard of members to these, so that these become the sums over the members of both.</summary>
    /// <param name="other">The other shard's sums, for the same score, shape and element type (or empty); not changed or disposed.</param>
    /// <param name="progress">Receives one report (one batch, the members merged) when done; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels before the sums are changed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="other"/> is these sums, or keeps sums for another score, or for members of another shape or element type.</exception>
    /// <exception cref="ObjectDisposedException">These sums or <paramref name="other"/> have been disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the sums are unchanged.</exception>
    public void Merge(EnsembleSums other, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Preconditions.NotNull(other, nameof(other));
        ObjectDisposedException.ThrowIf(other.disposed, other);
        cancellationToken.ThrowIfCancellationRequested();
        if (ReferenceEquals(other, this))
        {
            throw new ArgumentException("other must be another shard's sums; found these sums (merging them with themselves would count each member twice).", nameof(other));
        }

        if (other.accumulator.Score != accumulator.Score)
        {
            throw new ArgumentException($"other must keep sums for {accumulator.Score}, the score of these sums; found {other.accumulator.Score}.", nameof(other));
        }

        if (accumulator.Shape is { } shape && other.accumulator.Shape is { } otherShape
            && (!shape.AsSpan().SequenceEqual(otherShape) || accumulator.Dtype != other.accumulator.Dtype))
        {
            throw new ArgumentException(
                $"other must hold members of shape ({string.Join(", ", shape)}) and type {accumulator.Dtype}, as these sums do; found ({string.Join(", ", otherShape)}) and {other.accumulator.Dtype}.",
                nameof(other));
        }

        accumulator.Merge(other.accumulator);
        progress?.Report(new EstimationProgress(1, other.accumulator.Count));
    }

    /// <summary>Returns the mean probabilities over the members, (1/M) Σ_m p_m.</summary>
    /// <returns>Probabilities <c>(N, C[, …])</c> in the element type of the members; the caller disposes them.</returns>
    /// <exception cref="InvalidOperationException">No member has been added.</exception>
    /// <exception cref="ObjectDisposedException">The sums have been disposed.</exception>
    public Tensor Mean()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return accumulator.Mean();
    }

    /// <summary>Returns the <see cref="Score"/> of the members, as <see cref="EnsembleScores.Compute"/> gives it for the members stacked along dimension 0.</summary>
    /// <returns>Scores <c>(N)</c> in float64, or maps <c>(N, …)</c> in the element type of the members; higher means more uncertain; the caller disposes them.</returns>
    /// <exception cref="InvalidOperationException">Fewer than 2 members have been added (an ensemble of one has no variability).</exception>
    /// <exception cref="ObjectDisposedException">The sums have been disposed.</exception>
    public Tensor Compute()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (accumulator.Count < 2)
        {
            throw new InvalidOperationException(
                string.Create(CultureInfo.InvariantCulture, $"The score needs at least 2 members (an ensemble of one has no variability); {accumulator.Count} have been added."));
        }

        return OutputDtype.PerCase(accumulator.Compute());
    }

    /// <summary>Loads sums saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The sums; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not saved ensemble sums, or is truncated, corrupt (checksum), of a newer version, or its fields are
    /// inconsistent (a sum the score needs is missing, shapes differ); nothing is left allocated.</exception>
    public static EnsembleSums Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader => new EnsembleSums(EnsembleAccumulator.Read(reader)));
    }

    /// <summary>Saves the sums to a file in the library's envelope, atomically (see <see cref="Load"/>), bit-exactly.</summary>
    /// <param name="path">The file; replaced if it exists, and left unchanged if writing fails.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is then left unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The sums have been disposed.</exception>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        FittedFile.Save(path, Kind, Version, accumulator.Write);
    }

    /// <summary>Returns a summary like <c>EnsembleSums(score=MutualInformation, members=4, shape=(1000, 10))</c>.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        if (disposed)
        {
            return "EnsembleSums(disposed)";
        }

        var shape = accumulator.Shape is { } s ? $"({string.Join(", ", s)})" : "none";
        return string.Create(CultureInfo.InvariantCulture, $"EnsembleSums(score={accumulator.Score}, members={accumulator.Count}, shape={shape})");
    }

    /// <summary>Disposes the sums; later calls do nothing.</summary>
    public void Dispose()
    {
        disposed = true;
        accumulator.Dispose();
    }
}
