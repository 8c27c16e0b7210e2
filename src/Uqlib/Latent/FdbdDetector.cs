using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Latent;

/// <summary>fDBD, the fast decision-boundary detector: the mean distance of a feature to the decision boundaries of its predicted class, regularised by its distance to the training features' mean, as a score (its negative). Immutable: it owns its tensors and hands out only copies; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
/// <remarks>
/// Liu &amp; Qin 2024, "Fast decision boundary based out-of-distribution detector" (ICML), eq. 5–7: with the final layer z = Wx + b and
/// the predicted class y = argmax z, the distance of x to the boundary between y and a class c ≠ y is |z_y − z_c| / |w_y − w_c|;
/// fDBD(x) = (1 / (C − 1)) Σ_{c≠y} |z_y − z_c| / |w_y − w_c|, divided by |x − μ| with μ the mean of the training features (the
/// paper's default regulariser). fDBD is a confidence (in-distribution features lie far from the boundaries); the score is −fDBD,
/// so that higher means more out of distribution. The paper has no hyper-parameter. Computed in float64, in chunks of rows. A feature
/// exactly at the training mean gets −∞ (the ratio's limit); one that is also on every boundary of its class is refused. Thread-safe for reading.
/// </remarks>
public sealed class FdbdDetector : IDisposable, ILatentDetector
{
    private const string Kind = "FdbdDetector";
    private const int Version = 1;
    private const long ChunkElements = 1L << 24;
    private readonly LinearHead head;
    private readonly Tensor trainingMean;
    private readonly Tensor inverseDistances;

    private FdbdDetector(LinearHead head, Tensor trainingMean, Tensor inverseDistances)
    {
        this.head = head;
        this.trainingMean = trainingMean;
        this.inverseDistances = inverseDistances;
    }

    /// <summary>Gets a copy of the final layer's weight <c>(C, F)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Weight => head.GuardedCopy(this, head.Weight);

    /// <summary>Gets a copy of the final layer's bias <c>(C)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Bias => head.GuardedCopy(this, head.Bias);

    /// <summary>Gets a copy of the mean μ of the training features <c>(F)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor TrainingMean => head.GuardedCopy(this, trainingMean);

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension => head.Guard(this, head.Dimension);

    /// <summary>Gets the number of classes C.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long ClassCount => head.Guard(this, head.Classes);

    /// <summary>Fits the detector: the mean of the training features, and the distances between the class weight vectors.</summary>
    /// <param name="features">Training features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, C ≥ 2, finite, with no two rows equal; not disposed.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; not disposed.</param>
    /// <param name="progress">Receives the rows summed so far, one report per chunk; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked once per chunk of rows.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of the wrong shape or not finite; the weight has fewer than 2 classes or two equal rows (no decision boundary between them).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static FdbdDetector Fit(
        Tensor features, Tensor weight, Tensor? bias = null, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var head = LinearHead.ForTraining(features, weight, bias);
        try
        {
            if (head.Classes < 2)
            {
                throw new ArgumentException(
                    $"weight must have at least 2 classes (rows) for a decision boundary to exist; found shape {Preconditions.ShapeText(head.Weight)}.", nameof(weight));
            }

            using var scope = torch.NewDisposeScope();
            var sum = torch.zeros(head.Dimension, ScalarType.Float64, head.Weight.device);
            var rows = Math.Max(1, ChunkElements / Math.Max(1, features.shape[1]));
            var n = features.shape[0];
            var batches = 0;
            for (long start = 0; start < n; start += rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var chunkScope = torch.NewDisposeScope();
                var length = Math.Min(rows, n - start);
                sum.add_(head.ToHead(features.narrow(0, start, length)).sum(new long[] { 0 }));
                progress?.Report(new EstimationProgress(++batches, start + length));
            }

            var mean = sum.div_(n);
            return new FdbdDetector(head, mean.DetachFromDisposeScope(), InverseDistances(head.Weight).DetachFromDisposeScope());
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved fDBD detector, or is truncated, corrupt (checksum) or of a newer version; nothing is left allocated.</exception>
    public static FdbdDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var head = LinearHead.Read(reader);
            var mean = reader.Tensor("trainingMean", 1, ScalarType.Float64);
            if (head.Classes < 2 || mean.shape[0] != head.Dimension)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"the shapes of weight {Preconditions.ShapeText(head.Weight)} and training mean {Preconditions.ShapeText(mean)} do not match"));
            }

            try
            {
                return new FdbdDetector(head, mean, InverseDistances(head.Weight));
            }
            catch (ArgumentException e)
            {
                throw reader.Invalid(e.Message);
            }
        });
    }

    /// <summary>The score −fDBD(x): minus the mean distance to the decision boundaries of the predicted class, over the distance to the training mean.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64, at most 0; higher is more out of distribution. −∞ for a feature exactly at the training mean.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the fit, or not finite; a feature lies at the training mean and on every boundary of its class (0 / 0).</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckShape(features);
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
            head.Write(writer);
            writer.Tensor("trainingMean", trainingMean);
        });
    }

    /// <summary>Describes the detector, e.g. <c>FdbdDetector(C=10, F=512)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        return head.IsDisposed ? "FdbdDetector(disposed)" : string.Create(CultureInfo.InvariantCulture, $"FdbdDetector(C={head.Classes}, F={head.Dimension})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        head.Dispose();
        trainingMean.Dispose();
        inverseDistances.Dispose();
    }

    /// <summary>1 / |w_p − w_c| for p ≠ c and 0 on the diagonal, <c>(C, C)</c>.</summary>
    private static Tensor InverseDistances(Tensor weight)
    {
        using var scope = torch.NewDisposeScope();
        var classes = weight.shape[0];
        var differences = weight.unsqueeze(1).sub(weight.unsqueeze(0));
        var distances = differences.mul(differences).sum(new long[] { 2 }).sqrt_();
        var offDiagonal = torch.eye(classes, dtype: ScalarType.Bool, device: weight.device).logical_not_();
        var smallest = distances.masked_select(offDiagonal).min().ToDouble();
        if (!(smallest > 0))
        {
            throw new ArgumentException("weight has two equal rows: two classes have no decision boundary between them.", nameof(weight));
        }

        return distances.reciprocal_().masked_fill_(offDiagonal.logical_not(), 0.0).MoveToOuterDisposeScope();
    }

    private Tensor ScoreCore(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        var classes = (double)head.Classes;
        var scores = head.ScoreRows(features, x =>
        {
            var logits = head.LogitsTransposed(x).t();
            var (top, predicted) = logits.max(1, keepdim: true);
            var boundary = top.sub(logits).mul_(inverseDistances.index_select(0, predicted.squeeze(1))).sum(new long[] { 1 }).div_(classes - 1);
            var spread = x.sub_(trainingMean);
            var norms = spread.mul_(spread).sum(new long[] { 1 }).sqrt_();
            return boundary.div_(norms).neg_();
        });
        var undefined = scores.isnan();
        if (undefined.any().ToBoolean())
        {
            var row = undefined.nonzero()[0, 0].ToInt64();
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"features row {row} equals the training mean and lies on every decision boundary of its class: fDBD is 0 / 0 there."),
                nameof(features));
        }

        return scores.MoveToOuterDisposeScope();
    }
}
