using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>Validation and conversion of scores and failure labels at the public boundary of the evaluation API.</summary>
internal static class CaseData
{
    /// <summary>Copies a score tensor (N) to managed memory after checking rank, dtype and finiteness.</summary>
    public static double[] Scores(Tensor scores, string name)
    {
        Preconditions.Tensor(scores, name, 1, 1);
        Preconditions.Finite(scores, name);
        using var scope = torch.NewDisposeScope();
        return scores.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }

    /// <summary>Copies a failure tensor (N) of booleans or 0/1 integers or floats to managed memory.</summary>
    public static bool[] Failures(Tensor failures, string name)
    {
        Preconditions.Tensor(failures, name, 1, 1);
        using var scope = torch.NewDisposeScope();
        if (failures.dtype != ScalarType.Bool)
        {
            var notBinary = failures.ne(0).logical_and_(failures.ne(1));
            if (notBinary.any().item<bool>())
            {
                var first = notBinary.nonzero()[0, 0].item<long>();
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"{name} must hold booleans or 0/1 values; found {notBinary.sum().item<long>()} other values (first at row {first}: {failures[first].ToDouble()})."),
                    name);
            }
        }

        var cpu = failures.to(ScalarType.Bool).cpu().contiguous();
        return cpu.data<bool>().ToArray();
    }

    /// <summary>Checks finite scores, equal lengths, a non-empty set and both classes present.</summary>
    public static void Check(ReadOnlySpan<double> scores, string scoresName, ReadOnlySpan<bool> failures, string failuresName)
    {
        if (scores.IsEmpty)
        {
            throw new ArgumentException($"{scoresName} is empty: there are no cases to evaluate.", scoresName);
        }

        if (scores.Length != failures.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{failuresName} has {failures.Length} cases but {scoresName} has {scores.Length}; they must match."),
                failuresName);
        }

        Preconditions.Finite(scores, scoresName);
        var count = 0;
        foreach (var f in failures)
        {
            count += f ? 1 : 0;
        }

        if (count == 0 || count == failures.Length)
        {
            var what = count == 0 ? "no failure" : "only failures";
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{failuresName} holds {what} ({count} of {failures.Length} cases failed): failure detection needs both failures and successes, AUROC is undefined otherwise."),
                failuresName);
        }
    }
}
