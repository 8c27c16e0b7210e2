using System;
using System.Globalization;

namespace Uqlib.Evaluation;

/// <summary>
/// Patient-level (cluster-level) evaluation: case scores, failure labels and probabilities aggregated to one value per cluster, in the
/// dense cluster order of <see cref="ClusterIds.Keys"/>, ready for the ordinary evaluator (<see cref="RocEvaluator"/>) and calibration
/// metrics (<see cref="Calibration.CalibrationMetrics"/>), where each cluster is then one independent case.
/// </summary>
/// <remarks>
/// Example: the patient's score is its most suspect slice's score (<see cref="ScoreAggregation.Max"/>) and the patient counts as a
/// failure when any slice was misclassified (<see cref="FailureAggregation.Any"/>). Every method is O(N) but the quantile and top-k
/// aggregations, which sort each cluster's scores. Thread-safe.
/// </remarks>
public static class ClusterAggregation
{
    /// <summary>Aggregates the case scores of each cluster to one score.</summary>
    /// <param name="scores">One finite score per case.</param>
    /// <param name="clusters">The cluster of each case.</param>
    /// <param name="aggregation">How a cluster's scores become one (max, mean, quantile, top-k mean).</param>
    /// <returns>One score per cluster, indexed by dense cluster index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clusters"/> or <paramref name="aggregation"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="scores"/> is empty or holds NaN or ±∞, or <paramref name="clusters"/> has another length.</exception>
    public static double[] Scores(ReadOnlySpan<double> scores, ClusterIds clusters, ScoreAggregation aggregation)
    {
        Preconditions.NotNull(aggregation, nameof(aggregation));
        Check(scores.Length, nameof(scores), clusters);
        Preconditions.Finite(scores, nameof(scores));
        var index = clusters.Indices;
        var result = new double[clusters.Count];
        if (aggregation.Method is ScoreAggregation.Kind.Max or ScoreAggregation.Kind.Mean)
        {
            var max = aggregation.Method == ScoreAggregation.Kind.Max;
            if (max)
            {
                result.AsSpan().Fill(double.NegativeInfinity);
            }

            for (var i = 0; i < scores.Length; i++)
            {
                result[index[i]] = max ? Math.Max(result[index[i]], scores[i]) : result[index[i]] + scores[i];
            }

            if (!max)
            {
                for (var c = 0; c < result.Length; c++)
                {
                    result[c] /= clusters.Sizes[c];
                }
            }

            return result;
        }

        var members = Members(clusters);
        for (var c = 0; c < result.Length; c++)
        {
            var values = new double[members[c].Length];
            for (var k = 0; k < values.Length; k++)
            {
                values[k] = scores[members[c][k]];
            }

            Array.Sort(values);
            if (aggregation.Method == ScoreAggregation.Kind.Quantile)
            {
                result[c] = Bootstrap.Quantile(values, aggregation.Parameter);
                continue;
            }

            var top = Math.Min(values.Length, (int)aggregation.Parameter);
            double sum = 0;
            for (var k = values.Length - top; k < values.Length; k++)
            {
                sum += values[k];
            }

            result[c] = sum / top;
        }

        return result;
    }

    /// <summary>Aggregates the case failure labels of each cluster to one label.</summary>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure.</param>
    /// <param name="clusters">The cluster of each case.</param>
    /// <param name="aggregation">How a cluster's labels become one (any, majority, fraction above a threshold).</param>
    /// <returns>One label per cluster, indexed by dense cluster index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clusters"/> or <paramref name="aggregation"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="failures"/> is empty or <paramref name="clusters"/> has another length.</exception>
    public static bool[] Failures(ReadOnlySpan<bool> failures, ClusterIds clusters, FailureAggregation aggregation)
    {
        Preconditions.NotNull(aggregation, nameof(aggregation));
        Check(failures.Length, nameof(failures), clusters);
        var (failed, _) = clusters.Counts(failures);
        var result = new bool[clusters.Count];
        for (var c = 0; c < result.Length; c++)
        {
            result[c] = failed[c] > aggregation.Threshold * clusters.Sizes[c];
        }

        return result;
    }

    /// <summary>Averages the predicted probabilities of each cluster's cases: the patient's probability for patient-level calibration.</summary>
    /// <param name="probabilities">N × C class probabilities in row-major order, or N binary positive-class probabilities.</param>
    /// <param name="clusters">The cluster of each of the N cases.</param>
    /// <returns>The mean probabilities, clusters × C in row-major order (or one per cluster for binary input), by dense cluster index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is empty, holds NaN, ±∞ or values outside [0, 1], or its length is not a multiple of the number of cases.</exception>
    public static double[] MeanProbabilities(ReadOnlySpan<double> probabilities, ClusterIds clusters)
    {
        Preconditions.NotNull(clusters, nameof(clusters));
        if (probabilities.IsEmpty || probabilities.Length % clusters.Cases != 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"probabilities must hold C values for each of the {clusters.Cases} cases of clusters; found {probabilities.Length} values."),
                nameof(probabilities));
        }

        Preconditions.Finite(probabilities, nameof(probabilities));
        var width = probabilities.Length / clusters.Cases;
        var index = clusters.Indices;
        var result = new double[clusters.Count * width];
        for (var i = 0; i < clusters.Cases; i++)
        {
            for (var k = 0; k < width; k++)
            {
                var p = probabilities[(i * width) + k];
                if (!(p >= 0 && p <= 1))
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"probabilities must be in [0, 1]; found {p} at case {i}."), nameof(probabilities));
                }

                result[(index[i] * width) + k] += p;
            }
        }

        for (var c = 0; c < clusters.Count; c++)
        {
            for (var k = 0; k < width; k++)
            {
                result[(c * width) + k] /= clusters.Sizes[c];
            }
        }

        return result;
    }

    /// <summary>The one label (the patient's outcome) that every case of each cluster carries.</summary>
    /// <param name="labels">One integer class label per case; all cases of a cluster must agree.</param>
    /// <param name="clusters">The cluster of each case.</param>
    /// <returns>One label per cluster, by dense cluster index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> is empty, <paramref name="clusters"/> has another length, or two cases of one cluster have different labels.</exception>
    public static int[] Labels(ReadOnlySpan<int> labels, ClusterIds clusters)
    {
        Check(labels.Length, nameof(labels), clusters);
        var index = clusters.Indices;
        var result = new int[clusters.Count];
        var seen = new bool[clusters.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            var c = index[i];
            if (seen[c] && result[c] != labels[i])
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"labels must be the same for every case of a cluster; cluster \"{clusters.Keys[c]}\" has {result[c]} and {labels[i]} (at case {i})."),
                    nameof(labels));
            }

            result[c] = labels[i];
            seen[c] = true;
        }

        return result;
    }

    /// <summary>The case indices of each cluster, in case order.</summary>
    internal static int[][] Members(ClusterIds clusters)
    {
        var members = new int[clusters.Count][];
        var filled = new int[clusters.Count];
        for (var c = 0; c < members.Length; c++)
        {
            members[c] = new int[clusters.Sizes[c]];
        }

        var index = clusters.Indices;
        for (var i = 0; i < index.Length; i++)
        {
            members[index[i]][filled[index[i]]++] = i;
        }

        return members;
    }

    private static void Check(int cases, string name, ClusterIds? clusters)
    {
        clusters = Preconditions.NotNull(clusters, nameof(clusters));
        if (cases == 0)
        {
            throw new ArgumentException($"{name} is empty: there are no cases to aggregate.", name);
        }

        clusters.CheckLength(cases, nameof(clusters), name);
    }
}
