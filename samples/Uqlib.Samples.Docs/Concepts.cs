using System;
using System.Collections.Generic;
using System.Globalization;
using TorchSharp;
using Uqlib;
using Uqlib.Calibration;
using Uqlib.Combination;
using Uqlib.Evaluation;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The example of docs/concepts.md: the whole data flow, model → estimators → combiner → evaluation.</summary>
internal static class Concepts
{
    public static void Run()
    {
        torch.set_num_threads(1);
        var generator = torch.manual_seed(11);
        using var truth = torch.randn(16, 3, generator: generator);
        using var noise = torch.randn(16, 3, generator: generator);
        using var weights = truth.add(noise.mul(0.8));                      // a trained model that is sometimes wrong
        using var trainInputs = torch.randn(600, 16, generator: generator);
        using var trainLabels = trainInputs.matmul(truth).argmax(1);
        using var valInputs = torch.randn(400, 16, generator: generator);
        using var valLabels = valInputs.matmul(truth).argmax(1);
        using var testInputs = torch.randn(800, 16, generator: generator);
        using var testLabels = testInputs.matmul(truth).argmax(1);
        MethodComparison table;

        #region docs:concepts
        using (torch.NewDisposeScope())                                              // frees every tensor made inside
        {
            IModel model = new DelegateModel(x => (x.matmul(weights), x.tanh()), OutputKind.MulticlassLogits); // logits, features
            Batch[] validationBatches = [new Batch(valInputs, valLabels)];              // held out from training, labelled
            var data = new FitData { Validation = validationBatches, Training = [new Batch(trainInputs, trainLabels)] };
            using var mahalanobis = new MahalanobisEstimator(model);
            IUncertaintyEstimator[] estimators = [new SoftmaxEstimator(model, SoftmaxScore.Entropy, TemperatureScaling.Fit), mahalanobis];

            var validation = new Dictionary<string, Tensor>();
            var test = new Dictionary<string, Tensor>();
            foreach (var estimator in estimators)
            {
                Console.WriteLine($"{estimator.Name} needs {estimator.Requirements}");
                estimator.Fit(data);                                                  // each takes the parts it needs
                validation[estimator.Name] = estimator.EstimateAll(validationBatches).Scores;
                test[estimator.Name] = estimator.EstimateAll([new Batch(testInputs)]).Scores;
            }

            var combiner = ZScoreCombiner.Fit(validation);                           // an immutable fitted value
            test["z-score"] = combiner.Combine(test);
            var failed = Failures.Misclassified(testInputs.matmul(weights), testLabels, OutputKind.MulticlassLogits);
            table = RocEvaluator.Compare(test, failed);                               // higher score = more likely a failure
        }

        Console.WriteLine(table);
        #endregion

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"concepts: {table.Rows.Count} methods compared"));
    }
}
