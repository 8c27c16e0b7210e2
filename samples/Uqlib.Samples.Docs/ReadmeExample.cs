using System;
using System.Globalization;
using TorchSharp;
using Uqlib;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Uqlib.Models;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The API example at the top of README.md: a black-box classifier, a calibrated score, and how well it finds the model's failures.</summary>
internal static class ReadmeExample
{
    public static void Run()
    {
        torch.set_num_threads(1);
        var generator = torch.manual_seed(7);
        using var truth = torch.randn(16, 3, generator: generator);
        using var noise = torch.randn(16, 3, generator: generator);
        using var weights = truth.add(noise.mul(0.8));                      // a trained model that is sometimes wrong
        using var valInputs = torch.randn(500, 16, generator: generator);
        using var valLabels = valInputs.matmul(truth).argmax(1);
        using var testInputs = torch.randn(1000, 16, generator: generator);
        using var testLabels = testInputs.matmul(truth).argmax(1);

        #region docs:readme
        IModel model = new DelegateModel(x => x.matmul(weights), OutputKind.MulticlassLogits); // or TorchScriptModel.Load, OnnxModel.Load
        var msp = new SoftmaxEstimator(model, SoftmaxScore.OneMinusMaxProbability, TemperatureScaling.Fit);
        msp.Fit(new FitData { Validation = [new Batch(valInputs, valLabels)] });             // temperature on validation data
        using var test = msp.EstimateAll([new Batch(testInputs)]);                            // streams batches, memory stays flat
        using var failed = Failures.Misclassified(test.Probabilities, testLabels);           // positive = the model was wrong
        var result = RocEvaluator.Evaluate(test.Scores, failed);                              // higher score = more likely a failure
        Console.WriteLine($"AUROC {result.Auroc:F3} [{result.AurocCi?.Lower:F3}, {result.AurocCi?.Upper:F3}], AURC {result.Aurc:F3}");
        #endregion

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"readme: {result.Failures} failures among {result.Cases} cases"));
    }
}
