using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using static TorchSharp.torch;

namespace Uqlib.Plotting.Tests.TestSupport;

/// <summary>The registry the convention tests draw on: a factory for every public disposable type of the package, and sample arguments.</summary>
internal static class PublicInstances
{
    /// <summary>Gets a factory for each public disposable type of the package.</summary>
    public static IReadOnlyDictionary<Type, Func<object>> Disposables { get; } = new Dictionary<Type, Func<object>>
    {
        [typeof(Chart)] = () => RocCurvesChart.Create(Synthetic.ThreeMethods()),
    };

    /// <summary>A sample of one of the package's (or the core's) types for a parameter, or <see langword="null"/> to let the checks choose by type.</summary>
    public static object? Sample(Type type, string name)
    {
        if (type == typeof(IReadOnlyDictionary<string, FailureDetectionResult>))
        {
            return Synthetic.ThreeMethods();
        }

        if (type == typeof(FailureDetectionResult))
        {
            return Synthetic.ThreeMethods().First().Value;
        }

        if (type == typeof(ReliabilityDiagram))
        {
            using var probabilities = torch.tensor(new float[] { 0.7f, 0.3f, 0.2f, 0.8f, 0.6f, 0.4f, 0.1f, 0.9f }).reshape(4, 2);
            using var labels = torch.tensor(new long[] { 0, 1, 1, 1 });
            return ReliabilityDiagram.Compute(probabilities, labels);
        }

        if (type == typeof(Tensor) && name == "scores")
        {
            return torch.tensor(new double[] { 0.1, 0.7, 0.4, 0.9 });
        }

        if (type == typeof(Tensor) && name == "failures")
        {
            return torch.tensor(new[] { true, false, true, false });
        }

        if (type == typeof(Tensor) && name == "memberValues")
        {
            return torch.rand(new long[] { 3, 4 }, generator: torch.manual_seed(1));
        }

        if (type == typeof(double[,]))
        {
            return new double[,] { { 0.1, 0.5, 0.9, 0.3 }, { 0.2, 0.4, 0.8, 0.35 } };
        }

        return Disposables.TryGetValue(type, out var factory) ? factory() : null;
    }
}
