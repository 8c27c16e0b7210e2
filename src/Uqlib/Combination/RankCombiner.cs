using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Combination;

/// <summary>Combines methods by averaging each score's percentile rank among that method's validation scores: robust to heavy tails and scale.</summary>
/// <remarks>
/// The rank of a score s for method m is (#validation scores &lt; s + ½ #validation scores = s) / N, in [0, 1]; the combined score is the
/// (weighted) mean of the ranks. It is a rank-averaging ensemble in the spirit of Borda counts. Immutable and thread-safe.
/// </remarks>
public sealed class RankCombiner : ICombiner
{
    private const string Kind = "RankCombiner";
    private const int Version = 1;
    private readonly string[] methods;
    private readonly double[][] sortedValidation;
    private readonly double[] weights;

    private RankCombiner(string[] methods, double[][] sortedValidation, double[] weights)
    {
        this.methods = methods;
        this.sortedValidation = sortedValidation;
        this.weights = weights;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Methods => Array.AsReadOnly(methods);

    /// <summary>Fits the reference distributions: each method's validation scores, sorted.</summary>
    /// <param name="validationScores">One score tensor <c>(N)</c> per method name, N ≥ 1, same N for all, finite.</param>
    /// <param name="weights">One non-negative weight per method, not all 0; <see langword="null"/> for equal weights.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of validation cases; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts and once per method.</param>
    /// <returns>The fitted combiner.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="validationScores"/> or one of its tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The dictionary is empty, a tensor is invalid, lengths differ, or the weights are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static RankCombiner Fit(
        IReadOnlyDictionary<string, Tensor> validationScores, IReadOnlyDictionary<string, double>? weights = null, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (methods, values) = MethodScores.ForFit(validationScores, nameof(validationScores), 1);
        var w = MethodScores.Weights(weights, methods, nameof(weights));
        foreach (var v in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var i = 0; i < v.Length; i++)
            {
                v[i] += 0.0;
            }

            Array.Sort(v);
        }

        return EstimationProgress.Completed(progress, values[0].Length, new RankCombiner(methods, values, w));
    }

    /// <summary>Loads a combiner saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The combiner, giving output identical to the saved one.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid rank combiner file (corrupt, truncated, of another kind or a newer version, or saved by Uqlib 0.1).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static RankCombiner Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var methods = reader.Strings("methods");
            var weights = reader.Doubles("weights", methods.Length);
            var validation = reader.Objects("validation");
            if (validation.Count != methods.Length)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"\"validation\" holds {validation.Count} methods; expected {methods.Length}"));
            }

            var sorted = new double[methods.Length][];
            for (var m = 0; m < methods.Length; m++)
            {
                sorted[m] = validation[m].Doubles("scores", m == 0 ? null : sorted[0].Length);
                for (var i = 1; i < sorted[m].Length; i++)
                {
                    if (sorted[m][i] < sorted[m][i - 1])
                    {
                        throw reader.Invalid($"the validation scores of \"{methods[m]}\" are not sorted");
                    }
                }
            }

            if (methods.Length == 0 || sorted[0].Length < 1 || weights.Any(w => w < 0) || weights.Sum() <= 0)
            {
                throw reader.Invalid("it holds no method, no validation score or invalid weights");
            }

            return new RankCombiner(methods, sorted, weights);
        });
    }

    /// <inheritdoc/>
    public Tensor Combine(IReadOnlyDictionary<string, Tensor> scores)
    {
        var tensors = MethodScores.ForCombine(scores, methods, nameof(scores));
        using var scope = torch.NewDisposeScope();
        var device = tensors[0].device;
        var result = torch.zeros(tensors[0].shape[0], dtype: ScalarType.Float64, device: device);
        for (var m = 0; m < methods.Length; m++)
        {
            var reference = torch.tensor(sortedValidation[m], device: device);
            var values = tensors[m].to(ScalarType.Float64).add(0.0);
            var below = torch.searchsorted(reference, values).to(ScalarType.Float64);
            var atOrBelow = torch.searchsorted(reference, values, right: true).to(ScalarType.Float64);
            result.add_(below.add_(atOrBelow).mul_(weights[m] / (2.0 * sortedValidation[m].Length)));
        }

        return result.div_(weights.Sum()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Strings("methods", methods);
            writer.Numbers("weights", weights);
            writer.Objects("validation", sortedValidation, (method, scores) => method.Numbers("scores", scores));
        });
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"RankCombiner(methods=[{string.Join(", ", Methods)}])");
}
