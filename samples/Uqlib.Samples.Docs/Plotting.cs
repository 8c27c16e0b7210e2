using System;
using System.Collections.Generic;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Uqlib.Plotting;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The examples of docs/plotting.md; the PNGs they write are the page's images (docs/images/).</summary>
internal static class Plotting
{
    /// <summary>The images the examples write, in the working folder.</summary>
    public static IReadOnlyList<string> Images { get; } = ["reliability-diagram.png", "roc-curves.png", "risk-coverage.png", "score-histogram.png", "ensemble-spread.png"];

    public static void Run()
    {
        // A seeded stand-in for a validation set: 2 000 cases, 5 classes, logits leaning to the true class.
        var generator = manual_seed(7);
        using var labels = randint(0, 5, new long[] { 2000 }, generator: generator);
        using var logits = 2.5 * (randn(2000, 5, generator: generator) + 1.6 * nn.functional.one_hot(labels, 5));

        #region docs:plotting-roc
        using var probabilities = logits.softmax(1);
        using var failures = Failures.Misclassified(probabilities, labels);
        using var msp = SoftmaxScores.OneMinusMaxProbability(probabilities);
        using var entropy = SoftmaxScores.Entropy(probabilities);
        using var energy = SoftmaxScores.Energy(logits);

        var results = new Dictionary<string, FailureDetectionResult>
        {
            ["MSP"] = RocEvaluator.Evaluate(msp, failures),
            ["Entropy"] = RocEvaluator.Evaluate(entropy, failures),
            ["Energy"] = RocEvaluator.Evaluate(energy, failures),
        };

        using var roc = RocCurvesChart.Create(results);
        roc.Save("roc-curves.png");
        roc.Save("roc-curves.svg");                 // the same chart as vector graphics
        #endregion

        #region docs:plotting-reliability
        var diagram = ReliabilityDiagram.Compute(probabilities, labels);       // 15 equal-width bins
        using var reliability = ReliabilityDiagramChart.Create(diagram);
        reliability.Save("reliability-diagram.png");
        #endregion

        #region docs:plotting-risk-coverage
        using var riskCoverage = RiskCoverageChart.Create(results, new ChartOptions { Width = 800, Height = 500 });
        riskCoverage.Save("risk-coverage.png");
        #endregion

        #region docs:plotting-histogram
        using var histogram = ScoreHistogramChart.Create(entropy, failures, "Entropy", bins: 40);
        histogram.Save("score-histogram.png");
        #endregion

        #region docs:plotting-spread
        // Five ensemble members' probabilities (M, N, C) for the first 40 cases.
        using var first40 = logits.narrow(0, 0, 40);
        using var members = (first40.unsqueeze(0) + 1.5 * randn(5, 40, 5, generator: generator)).softmax(2);
        using var predicted = members.mean([0]).argmax(1);                      // the ensemble's class
        using var values = members.gather(2, predicted.view(1, 40, 1).expand(5, 40, 1)).squeeze(2);
        using var failed = failures.narrow(0, 0, 40);

        using var spread = SpreadChart.Create(values, failed, "Member probability of the ensemble's class");
        spread.Save("ensemble-spread.png");
        #endregion

        Console.WriteLine($"plotting: AUROC of entropy {results["Entropy"].Auroc:0.000}; wrote {string.Join(", ", Images)}");
    }
}
