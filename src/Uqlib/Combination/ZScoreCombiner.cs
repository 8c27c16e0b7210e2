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

/// <summary>Combines methods by standardising each score with its validation mean and standard deviation, then taking the (weighted) mean.</summary>
/// <remarks>
/// combined = Σ_m w_m (s_m − μ_m) / σ_m / Σ_m w_m, with μ_m and σ_m (population standard deviation, ddof = 0) from the validation set.
/// The combination of the uncertainty-quantification seed study; see DESIGN.md, "Z-score combination". Immutable and thread-safe.
/// </remarks>
public sealed class ZScoreCombiner : ICombiner
{
    private const string Kind = "ZScoreCombiner";
    private const int Version = 1;
    private readonly string[] methods;
    private readonly double[] means;
    private readonly double[] deviations;
    private readonly double[] weights;

    private ZScoreCombiner(string[] methods, double[] means, double[] deviations, double[] weights)
    {
        this.methods = methods;
        this.means = means;
        this.deviations = deviations;
        this.weights = weights;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Methods => Array.AsReadOnly(methods);

    /// <summary>Gets each method's validation mean, by name.</summary>
    public IReadOnlyDictionary<string, double> Means => ToDictionary(means);

    /// <summary>Gets each method's validation standard deviation (ddof = 0), by name.</summary>
    public IReadOnlyDictionary<string, double> StandardDeviations => ToDictionary(deviations);

    /// <summary>Gets each method's weight, by name.</summary>
    public IReadOnlyDictionary<string, double> Weights => ToDictionary(weights);

    /// <summary>Fits the standardisation of every method on validation scores.</summary>
    /// <param name="validationScores">One score tensor <c>(N)</c> per method name, N ≥ 2, same N for all, finite.</param>
    /// <param name="weights">One non-negative weight per method, not all 0; <see langword="null"/> for equal weights.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of validation cases; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted combiner.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="validationScores"/> or one of its tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The dictionary is empty, a tensor is invalid, lengths differ, a method has zero variance, or the weights are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static ZScoreCombiner Fit(
        IReadOnlyDictionary<string, Tensor> validationScores, IReadOnlyDictionary<string, double>? weights = null, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (methods, values) = MethodScores.ForFit(validationScores, nameof(validationScores), 2);
        var w = MethodScores.Weights(weights, methods, nameof(weights));
        var means = new double[methods.Length];
        var deviations = new double[methods.Length];
        for (var m = 0; m < methods.Length; m++)
        {
            (means[m], deviations[m]) = MeanAndDeviation(values[m]);
            if (!(deviations[m] > 0))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"validationScores[\"{methods[m]}\"] has zero variance (every score is {values[m][0]}): it cannot be standardised."),
                    nameof(validationScores));
            }
        }

        return EstimationProgress.Completed(progress, values[0].Length, new ZScoreCombiner(methods, means, deviations, w));
    }

    /// <summary>Loads a combiner saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The combiner, giving output identical to the saved one.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid z-score combiner file (corrupt, truncated, of another kind or a newer version, or saved by Uqlib 0.1).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ZScoreCombiner Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var methods = reader.Strings("methods");
            var means = reader.Doubles("means", methods.Length);
            var deviations = reader.Doubles("standardDeviations", methods.Length);
            var weights = reader.Doubles("weights", methods.Length);
            if (methods.Length == 0 || deviations.Any(d => d <= 0) || weights.Any(w => w < 0) || weights.Sum() <= 0)
            {
                throw reader.Invalid("it holds no method, a non-positive deviation or invalid weights");
            }

            return new ZScoreCombiner(methods, means, deviations, weights);
        });
    }

    /// <inheritdoc/>
    public Tensor Combine(IReadOnlyDictionary<string, Tensor> scores)
    {
        var tensors = MethodScores.ForCombine(scores, methods, nameof(scores));
        using var scope = torch.NewDisposeScope();
        var result = torch.zeros(tensors[0].shape[0], dtype: ScalarType.Float64, device: tensors[0].device);
        for (var m = 0; m < methods.Length; m++)
        {
            result.add_(tensors[m].to(ScalarType.Float64).sub(means[m]).mul_(weights[m] / deviations[m]));
        }

        return result.div_(weights.Sum()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Strings("methods", methods);
            writer.Numbers("means", means);
            writer.Numbers("standardDeviations", deviations);
            writer.Numbers("weights", weights);
        });
    }

    internal static (double Mean, double Deviation) MeanAndDeviation(double[] values)
    {
        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        var mean = sum / values.Length;
        double squares = 0;
        foreach (var v in values)
        {
            squares += (v - mean) * (v - mean);
        }

        return (mean, Math.Sqrt(squares / values.Length));
    }

    private Dictionary<string, double> ToDictionary(double[] values)
    {
        return methods.Select((m, i) => (m, i)).ToDictionary(p => p.m, p => values[p.i], StringComparer.Ordinal);
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"ZScoreCombiner(methods=[{string.Join(", ", Methods)}])");
}
