using System;
using System.Globalization;
using System.Threading;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Calibration;

/// <summary>Fits vector scaling (z ⊙ w + b) or matrix scaling (z Wᵀ + b) by minimising the validation NLL with MathNet's L-BFGS (deterministic, float64).</summary>
internal static class LinearScalingFit
{
    /// <summary>Fits the parameters; returns the weights (C for vector scaling, C × C row-major for matrix scaling) and the biases (C).
    /// The token is checked at every evaluation of the objective.</summary>
    public static (double[] Weights, double[] Bias) Fit(Tensor logits, Tensor labels, bool matrix, double offDiagonal, CancellationToken cancellationToken)
    {
        var (z, y) = CalibrationInput.LogitsAndLabels(logits, labels);
        using (z)
        using (y)
        {
            var classes = (int)z.shape[1];
            RequireEveryClass(y, classes);
            var weightCount = matrix ? classes * classes : classes;
            using var oneHot = torch.nn.functional.one_hot(y, classes).to(ScalarType.Float64);
            using var offMask = torch.ones(classes, classes, dtype: ScalarType.Float64).sub_(torch.eye(classes, dtype: ScalarType.Float64));
            var n = (double)z.shape[0];
            var penalty = classes > 1 ? offDiagonal / (classes * (classes - 1)) : 0.0;

            (double, Vector<double>) Evaluate(Vector<double> theta)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var all = theta.ToArray();
                var w = torch.tensor(all.AsSpan(0, weightCount).ToArray(), dtype: ScalarType.Float64);
                var b = torch.tensor(all.AsSpan(weightCount, classes).ToArray(), dtype: ScalarType.Float64);
                var weights = matrix ? w.reshape(classes, classes) : w;
                var scaled = matrix ? z.mm(weights.t()).add_(b) : z.mul(weights).add_(b);
                var logp = scaled.log_softmax(1);
                var loss = -logp.mul(oneHot).sum().ToDouble() / n;
                var residual = logp.exp().sub_(oneHot).div_(n);
                // Not sum(0): a literal 0 binds to TorchSharp's sum(ScalarType) overload.
                var gradB = residual.sum(dim: 0);
                Tensor gradW;
                if (matrix)
                {
                    gradW = residual.t().mm(z);
                    if (penalty > 0)
                    {
                        var off = weights.mul(offMask);
                        loss += penalty * off.square().sum().ToDouble();
                        gradW = gradW.add(off.mul(2 * penalty));
                    }
                }
                else
                {
                    gradW = residual.mul(z).sum(dim: 0);
                }

                var gradient = new double[weightCount + classes];
                CalibrationInput.ToArray(gradW.flatten()).CopyTo(gradient, 0);
                CalibrationInput.ToArray(gradB).CopyTo(gradient, weightCount);
                return (loss, Vector<double>.Build.DenseOfArray(gradient));
            }

            var start = new double[weightCount + classes];
            for (var c = 0; c < classes; c++)
            {
                start[matrix ? (c * classes) + c : c] = 1.0;
            }

            var minimizer = new LimitedMemoryBfgsMinimizer(1e-10, 1e-14, 1e-15, 10, 10_000);
            MinimizationResult result;
            try
            {
                result = minimizer.FindMinimum(ObjectiveFunction.Gradient(Evaluate), Vector<double>.Build.DenseOfArray(start));
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
            {
                throw new OperationCanceledException("The fit was cancelled.", e, cancellationToken);
            }
            catch (Exception e) when (e is MaximumIterationsException or EvaluationException or InnerOptimizationException)
            {
                throw new InvalidOperationException($"{(matrix ? "Matrix" : "Vector")} scaling did not converge: {e.Message}", e);
            }

            var point = result.MinimizingPoint.ToArray();
            foreach (var value in point)
            {
                if (!double.IsFinite(value))
                {
                    throw new InvalidOperationException($"{(matrix ? "Matrix" : "Vector")} scaling diverged to a non-finite parameter.");
                }
            }

            return (point.AsSpan(0, weightCount).ToArray(), point.AsSpan(weightCount, classes).ToArray());
        }
    }

    /// <summary>Applies fitted parameters: softmax(z ⊙ w + b) or softmax(z Wᵀ + b), float64.</summary>
    public static Tensor Transform(Tensor logits, int classes, double[] weights, double[] bias, bool matrix)
    {
        using var scope = torch.NewDisposeScope();
        var z = CalibrationInput.Logits(logits, classes);
        var w = torch.tensor(weights, dtype: ScalarType.Float64, device: z.device);
        var b = torch.tensor(bias, dtype: ScalarType.Float64, device: z.device);
        var scaled = matrix ? z.mm(w.reshape(classes, classes).t()).add_(b) : z.mul(w).add_(b);
        return scaled.softmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>Without every class among the labels, the absent class's bias runs to −∞: refuse with a clear message.</summary>
    private static void RequireEveryClass(Tensor labels, int classes)
    {
        using var counts = labels.bincount(null, classes);
        var values = CalibrationInput.ToArray(counts);
        for (var c = 0; c < classes; c++)
        {
            if (values[c] == 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"labels must contain every one of the {classes} classes to fit vector or matrix scaling; class {c} never occurs (use temperature scaling for small validation sets)."),
                    nameof(labels));
            }
        }
    }
}
