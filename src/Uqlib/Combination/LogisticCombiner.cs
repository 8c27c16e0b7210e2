using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using MathNet.Numerics.LinearAlgebra;
using TorchSharp;
using Uqlib.Evaluation;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Combination;

/// <summary>Combines methods by a logistic regression of failure on their standardised scores, fitted on validation failures with an L2 penalty.</summary>
/// <remarks>
/// Each method is standardised with its validation mean and standard deviation (as <see cref="ZScoreCombiner"/>); the model
/// P(failure) = σ(b + Σ_m w_m z_m) minimises Σ_i log-loss + (λ/2)‖w‖² (the intercept b is not penalised), solved exactly by Newton's
/// method. This equals scikit-learn's <c>LogisticRegression(C = 1/λ)</c>. The combined score is the log-odds b + Σ_m w_m z_m.
/// The learned <see cref="Weights"/> show which methods carry information beyond the others (stacking; Wolpert 1992). Immutable and thread-safe.
/// </remarks>
public sealed class LogisticCombiner : ICombiner
{
    private const string Kind = "LogisticCombiner";
    private const int Version = 1;
    private readonly string[] methods;
    private readonly double[] means;
    private readonly double[] deviations;
    private readonly double[] coefficients;

    private LogisticCombiner(string[] methods, double[] means, double[] deviations, double[] coefficients, double intercept)
    {
        this.methods = methods;
        this.means = means;
        this.deviations = deviations;
        this.coefficients = coefficients;
        Intercept = intercept;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Methods => Array.AsReadOnly(methods);

    /// <summary>Gets the learned weight of each method's standardised score, by name: the change in log-odds of failure per standard deviation.</summary>
    public IReadOnlyDictionary<string, double> Weights =>
        methods.Select((m, i) => (m, i)).ToDictionary(p => p.m, p => coefficients[p.i], StringComparer.Ordinal);

    /// <summary>Gets the learned intercept (log-odds of failure at the validation means).</summary>
    public double Intercept { get; }

    /// <summary>Fits the standardisation and the penalised logistic regression on validation scores and failures.</summary>
    /// <param name="validationScores">One score tensor <c>(N)</c> per method name, N ≥ 2, same N for all, finite.</param>
    /// <param name="validationFailures">Failure labels <c>(N)</c>: booleans or 0/1; both classes must occur.</param>
    /// <param name="l2">The L2 penalty λ on the weights, finite and greater than 0 (scikit-learn's C = 1/λ).</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of validation cases; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts and at every Newton iteration.</param>
    /// <returns>The fitted combiner.</returns>
    /// <exception cref="ArgumentNullException">An argument or tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is invalid, lengths differ, a method has zero variance, or the failures hold one class only.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="l2"/> is not a finite positive number.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static LogisticCombiner Fit(
        IReadOnlyDictionary<string, Tensor> validationScores, Tensor validationFailures, double l2 = 1.0, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.Positive(l2, nameof(l2));
        var (methods, values) = MethodScores.ForFit(validationScores, nameof(validationScores), 2);
        var failures = CaseData.Failures(validationFailures, nameof(validationFailures));
        var n = values[0].Length;
        if (failures.Length != n)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"validationFailures has {failures.Length} samples but the scores have {n}; they must match."),
                nameof(validationFailures));
        }

        CaseData.Check(values[0], nameof(validationScores), failures, nameof(validationFailures));
        var means = new double[methods.Length];
        var deviations = new double[methods.Length];
        var design = Matrix<double>.Build.Dense(n, methods.Length + 1);
        for (var m = 0; m < methods.Length; m++)
        {
            (means[m], deviations[m]) = ZScoreCombiner.MeanAndDeviation(values[m]);
            if (!(deviations[m] > 0))
            {
                throw new ArgumentException(
                    $"validationScores[\"{methods[m]}\"] has zero variance: it cannot be standardised.", nameof(validationScores));
            }

            for (var i = 0; i < n; i++)
            {
                design[i, m + 1] = (values[m][i] - means[m]) / deviations[m];
            }
        }

        for (var i = 0; i < n; i++)
        {
            design[i, 0] = 1;
        }

        var beta = Newton(design, failures, l2, cancellationToken);
        return EstimationProgress.Completed(progress, n, new LogisticCombiner(methods, means, deviations, beta.Skip(1).ToArray(), beta[0]));
    }

    /// <summary>Loads a combiner saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The combiner, giving output identical to the saved one.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid logistic combiner file (corrupt, truncated, of another kind or a newer version, or saved by Uqlib 0.1).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static LogisticCombiner Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, Read);
    }

    /// <inheritdoc/>
    public Tensor Combine(IReadOnlyDictionary<string, Tensor> scores)
    {
        var tensors = MethodScores.ForCombine(scores, methods, nameof(scores));
        using var scope = torch.NewDisposeScope();
        var result = torch.full(tensors[0].shape[0], Intercept, dtype: ScalarType.Float64, device: tensors[0].device);
        for (var m = 0; m < methods.Length; m++)
        {
            result.add_(tensors[m].to(ScalarType.Float64).sub(means[m]).mul_(coefficients[m] / deviations[m]));
        }

        return result.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, Write);
    }

    /// <summary>Reads a combiner's fields (see <see cref="Write"/>), also where another fitted file nests them.</summary>
    internal static LogisticCombiner Read(FittedReader reader)
    {
        var methods = reader.Strings("methods");
        var means = reader.Doubles("means", methods.Length);
        var deviations = reader.Doubles("standardDeviations", methods.Length);
        var weights = reader.Doubles("weights", methods.Length);
        var intercept = reader.Double("intercept");
        if (methods.Length == 0 || deviations.Any(d => d <= 0))
        {
            throw reader.Invalid("it holds no method or a non-positive deviation");
        }

        return new LogisticCombiner(methods, means, deviations, weights, intercept);
    }

    /// <summary>Writes the combiner's fields: the method names, their means and deviations, the weights and the intercept.</summary>
    internal void Write(FittedWriter writer)
    {
        writer.Strings("methods", methods);
        writer.Numbers("means", means);
        writer.Numbers("standardDeviations", deviations);
        writer.Numbers("weights", coefficients);
        writer.Number("intercept", Intercept);
    }

    /// <summary>Newton's method on the penalised log-likelihood; strictly convex in the weights, so it converges from zero.</summary>
    private static double[] Newton(Matrix<double> design, bool[] failures, double l2, CancellationToken cancellationToken)
    {
        var n = design.RowCount;
        var k = design.ColumnCount;
        var beta = Vector<double>.Build.Dense(k);
        for (var iteration = 0; iteration < 100; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var eta = design * beta;
            var residual = Vector<double>.Build.Dense(n);
            var weight = Vector<double>.Build.Dense(n);
            for (var i = 0; i < n; i++)
            {
                var p = 1 / (1 + Math.Exp(-eta[i]));
                residual[i] = p - (failures[i] ? 1 : 0);
                weight[i] = Math.Max(p * (1 - p), 1e-300);
            }

            var gradient = design.TransposeThisAndMultiply(residual);
            var hessian = design.TransposeThisAndMultiply(design.MapIndexed((i, _, v) => v * weight[i]));
            for (var j = 1; j < k; j++)
            {
                gradient[j] += l2 * beta[j];
                hessian[j, j] += l2;
            }

            var step = hessian.Cholesky().Solve(gradient);
            var current = Objective(design, failures, l2, beta);
            var candidate = beta - step;
            for (var halvings = 0; halvings < 50 && Objective(design, failures, l2, candidate) > current; halvings++)
            {
                step *= 0.5;
                candidate = beta - step;
            }

            beta = candidate;
            if (step.AbsoluteMaximum() < 1e-13 * (1 + beta.AbsoluteMaximum()))
            {
                break;
            }
        }

        return beta.ToArray();
    }

    /// <summary>Σ log(1 + e^η) − yη + (λ/2)‖w‖², computed stably.</summary>
    private static double Objective(Matrix<double> design, bool[] failures, double l2, Vector<double> beta)
    {
        var eta = design * beta;
        double sum = 0;
        for (var i = 0; i < eta.Count; i++)
        {
            var e = eta[i];
            sum += Math.Max(e, 0) + Math.Log(1 + Math.Exp(-Math.Abs(e))) - (failures[i] ? e : 0);
        }

        for (var j = 1; j < beta.Count; j++)
        {
            sum += 0.5 * l2 * beta[j] * beta[j];
        }

        return sum;
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"LogisticCombiner(methods=[{string.Join(", ", Methods)}], intercept={Intercept:0.####})");
}
