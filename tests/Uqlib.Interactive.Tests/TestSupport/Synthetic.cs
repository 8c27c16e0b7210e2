using System;
using System.Collections.Generic;
using Uqlib.Evaluation;

namespace Uqlib.Interactive.Tests.TestSupport;

/// <summary>Seeded synthetic failure-detection data: scores that separate failures from successes to a chosen degree.</summary>
internal static class Synthetic
{
    /// <summary>Scores where failures are shifted up by <paramref name="separation"/> standard deviations.</summary>
    public static (double[] Scores, bool[] Failures) Cases(int count, double failureRate, double separation, int seed)
    {
        var random = new Random(seed);
        var scores = new double[count];
        var failures = new bool[count];
        for (var i = 0; i < count; i++)
        {
            failures[i] = random.NextDouble() < failureRate;
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            var normal = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            scores[i] = normal + (failures[i] ? separation : 0);
        }

        return (scores, failures);
    }

    /// <summary>Three methods of increasing quality evaluated on the same 400 cases.</summary>
    public static IReadOnlyDictionary<string, FailureDetectionResult> ThreeMethods()
    {
        var (weak, failures) = Cases(400, 0.2, 0.5, seed: 1);
        var (medium, _) = Cases(400, 0.2, 1.2, seed: 1);
        var (strong, _) = Cases(400, 0.2, 2.5, seed: 1);
        return new Dictionary<string, FailureDetectionResult>
        {
            ["Max softmax"] = RocEvaluator.Evaluate(weak, failures),
            ["Entropy"] = RocEvaluator.Evaluate(medium, failures),
            ["Ensemble MI"] = RocEvaluator.Evaluate(strong, failures),
        };
    }
}
