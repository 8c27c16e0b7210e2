using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>The cases of one set in one configuration: one case per (fold model, slice), with the model's probability of irregular,
/// whether it failed (misclassified), and every method's score. Post-hoc methods are judged on these cases.</summary>
internal sealed class CaseTable
{
    private readonly Dictionary<string, List<double>> scores = new(StringComparer.Ordinal);

    /// <summary>Gets the methods, in the order they were first added.</summary>
    internal List<string> Methods { get; } = new();

    /// <summary>Gets each case's fold model.</summary>
    internal List<int> Folds { get; } = new();

    /// <summary>Gets each case's slice index within its set.</summary>
    internal List<int> Slices { get; } = new();

    /// <summary>Gets each case's true class.</summary>
    internal List<int> Truth { get; } = new();

    /// <summary>Gets each case's probability of irregular (uncalibrated).</summary>
    internal List<double> Probabilities { get; } = new();

    /// <summary>Gets each case's probability of irregular after the fold model's temperature scaling.</summary>
    internal List<double> CalibratedProbabilities { get; } = new();

    /// <summary>Gets whether each case is a failure (the fold model's arg-max class is wrong).</summary>
    internal List<bool> Failures { get; } = new();

    /// <summary>Gets the number of cases.</summary>
    internal int Count => Truth.Count;

    /// <summary>Appends the cases of one fold model on the whole set.</summary>
    internal void AddFold(int fold, IReadOnlyList<int> truth, double[] probabilities, double[] calibrated, bool[] failures)
    {
        for (var i = 0; i < truth.Count; i++)
        {
            Folds.Add(fold);
            Slices.Add(i);
            Truth.Add(truth[i]);
            Probabilities.Add(probabilities[i]);
            CalibratedProbabilities.Add(calibrated[i]);
            Failures.Add(failures[i]);
        }
    }

    /// <summary>Appends one method's scores for the cases last added by <see cref="AddFold"/>.</summary>
    internal void AddScores(string method, double[] values)
    {
        if (!scores.TryGetValue(method, out var list))
        {
            list = new List<double>();
            scores[method] = list;
            Methods.Add(method);
        }

        list.AddRange(values);
        if (list.Count != Count)
        {
            throw new InvalidOperationException($"Method '{method}' has {list.Count} scores for {Count} cases.");
        }
    }

    /// <summary>Gets one method's scores, one per case.</summary>
    internal IReadOnlyList<double> Scores(string method) => scores[method];

    /// <summary>Gets the scores of one fold model's cases for one method.</summary>
    internal double[] FoldScores(string method, int fold)
    {
        var values = scores[method];
        var result = new List<double>();
        for (var i = 0; i < Count; i++)
        {
            if (Folds[i] == fold)
            {
                result.Add(values[i]);
            }
        }

        return result.ToArray();
    }

    /// <summary>Makes one float64 score tensor per method; the caller disposes them.</summary>
    internal Dictionary<string, Tensor> ScoreTensors(IEnumerable<string> methods)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var method in methods)
        {
            tensors[method] = tensor(scores[method].ToArray());
        }

        return tensors;
    }

    /// <summary>Makes the failure flags as a boolean tensor; the caller disposes it.</summary>
    internal Tensor FailureTensor() => tensor(Failures.ToArray());
}
