using System;
using System.Globalization;
using TorchSharp;
using Uqlib;
using Uqlib.Calibration;
using Uqlib.Models;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The example of docs/index.md.</summary>
internal static class GettingStarted
{
    public static void Run()
    {
        #region docs:getting-started
        torch.set_num_threads(1);
        var generator = torch.manual_seed(42);
        using var weights = torch.randn(16, 3, generator: generator);          // stands in for a trained model
        IModel model = new DelegateModel(x => x.matmul(weights), OutputKind.MulticlassLogits);

        using var inputs = torch.randn(200, 16, generator: generator);         // 200 cases to triage
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.Entropy);
        using var estimate = estimator.EstimateAll([new Batch(inputs)]);      // any number of batches

        var (scores, cases) = estimate.Scores.topk(5);                          // higher = more uncertain
        using (scores)
        using (cases)
        {
            Console.WriteLine($"review first: cases {string.Join(", ", cases.data<long>().ToArray())}");
        }
        #endregion

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"getting started: {estimate.Count} cases scored"));
    }
}
