using System;
using System.Globalization;
using TorchSharp;
using Uqlib;
using Uqlib.Calibration;
using Uqlib.Models;
using Uqlib.Scores;
using static TorchSharp.torch;

// A black-box "model": a fixed random linear classifier over synthetic inputs. Any IModel works the same way.
torch.set_num_threads(1);
var generator = torch.manual_seed(42);
using var weights = torch.randn(16, 3, generator: generator);
var model = new DelegateModel(x => x.matmul(weights), OutputKind.MulticlassLogits, new ModelOptions { MaxBatchSize = 64 });

// Inputs arrive in batches; EstimateAll streams over them and keeps only the results.
var batches = new Batch[4];
for (var i = 0; i < batches.Length; i++)
{
    batches[i] = new Batch(torch.randn(50, 16, generator: generator));
}

foreach (var score in new[] { SoftmaxScore.OneMinusMaxProbability, SoftmaxScore.Entropy, SoftmaxScore.Energy })
{
    var estimator = new SoftmaxEstimator(model, score);
    using var estimate = estimator.EstimateAll(batches);
    var (values, indices) = estimate.Scores.topk(3);
    using (values)
    using (indices)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{estimator.Name,-22} {estimate.Count} cases; review first: #{indices[0].item<long>()} ({values[0].item<double>():F3}), " +
            $"#{indices[1].item<long>()} ({values[1].item<double>():F3}), #{indices[2].item<long>()} ({values[2].item<double>():F3})"));
    }
}

foreach (var batch in batches)
{
    batch.Inputs.Dispose();
}
