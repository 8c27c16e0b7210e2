using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Combination;

/// <summary>Validation of per-method score dictionaries at the public boundary of the combiners.</summary>
internal static class MethodScores
{
    /// <summary>Checks a dictionary of fitting scores and copies it, in ordinal name order, to managed arrays.</summary>
    public static (string[] Methods, double[][] Values) ForFit(IReadOnlyDictionary<string, Tensor>? scores, string name, int minSamples)
    {
        scores = Preconditions.NotNull(scores, name);
        if (scores.Count == 0)
        {
            throw new ArgumentException($"{name} is empty: at least one method's scores are needed.", name);
        }

        var methods = scores.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var values = new double[methods.Length][];
        for (var m = 0; m < methods.Length; m++)
        {
            var tensor = Check(scores[methods[m]], methods[m], name);
            using var scope = torch.NewDisposeScope();
            values[m] = tensor.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
            if (values[m].Length < minSamples)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"{name}[\"{methods[m]}\"] has {values[m].Length} samples; at least {minSamples} are needed to fit."),
                    name);
            }

            if (values[m].Length != values[0].Length)
            {
                throw LengthMismatch(name, methods, m, values[m].Length, values[0].Length);
            }
        }

        return (methods, values);
    }

    /// <summary>Checks that the dictionary holds exactly the fitted methods, valid and of one length; returns the tensors in fitted order.</summary>
    public static Tensor[] ForCombine(IReadOnlyDictionary<string, Tensor>? scores, IReadOnlyList<string> methods, string name)
    {
        scores = Preconditions.NotNull(scores, name);
        var missing = methods.Where(m => !scores.ContainsKey(m)).ToArray();
        var extra = scores.Keys.Where(k => !methods.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        if (missing.Length > 0 || extra.Length > 0)
        {
            var parts = new List<string>();
            if (missing.Length > 0)
            {
                parts.Add($"missing {string.Join(", ", missing.Select(m => $"\"{m}\""))}");
            }

            if (extra.Length > 0)
            {
                parts.Add($"not fitted {string.Join(", ", extra.Select(m => $"\"{m}\""))}");
            }

            throw new ArgumentException(
                $"{name} must hold exactly the fitted methods ({string.Join(", ", methods.Select(m => $"\"{m}\""))}); {string.Join("; ", parts)}.", name);
        }

        var tensors = new Tensor[methods.Count];
        for (var m = 0; m < methods.Count; m++)
        {
            tensors[m] = Check(scores[methods[m]], methods[m], name);
            if (tensors[m].shape[0] != tensors[0].shape[0])
            {
                throw LengthMismatch(name, methods, m, tensors[m].shape[0], tensors[0].shape[0]);
            }
        }

        return tensors;
    }

    /// <summary>Checks weights by method name: null means equal weights; otherwise exactly the methods, finite, ≥ 0, not all 0.</summary>
    public static double[] Weights(IReadOnlyDictionary<string, double>? weights, string[] methods, string name)
    {
        if (weights is null)
        {
            return Enumerable.Repeat(1.0, methods.Length).ToArray();
        }

        var unknown = weights.Keys.Where(k => !methods.Contains(k)).ToArray();
        var missing = methods.Where(m => !weights.ContainsKey(m)).ToArray();
        if (unknown.Length > 0 || missing.Length > 0)
        {
            throw new ArgumentException(
                $"{name} must give one weight per method ({string.Join(", ", methods)}); missing [{string.Join(", ", missing)}], unknown [{string.Join(", ", unknown)}].", name);
        }

        var result = methods.Select(m => weights[m]).ToArray();
        if (result.Any(w => !double.IsFinite(w) || w < 0) || result.Sum() <= 0)
        {
            throw new ArgumentException(
                $"{name} must be finite, non-negative and not all zero; found [{string.Join(", ", result.Select(w => w.ToString(CultureInfo.InvariantCulture)))}].", name);
        }

        return result;
    }

    private static Tensor Check(Tensor? tensor, string method, string name)
    {
        var label = $"{name}[\"{method}\"]";
        if (tensor is null)
        {
            throw new ArgumentNullException(name, $"{label} is null.");
        }

        Preconditions.Tensor(tensor, label, 1, 1);
        Preconditions.Finite(tensor, label);
        return tensor;
    }

    private static ArgumentException LengthMismatch(string name, IReadOnlyList<string> methods, int m, long length, long first)
    {
        return new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"{name}[\"{methods[m]}\"] has {length} samples but {name}[\"{methods[0]}\"] has {first}; they must match."),
            name);
    }
}
