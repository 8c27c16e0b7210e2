// Out-of-distribution check of a new batch: fits the Mahalanobis detector (Lee et al. 2018) on the training features,
// sets the threshold that flags 5% of in-distribution test cases, and flags the cases of a new batch above it.
// Writes the scores and flags (.npy) and the detector's statistics (.npz) for Python.
// Run: dotnet run ood-check.cs [-- DATA_DIR OUTPUT_DIR]   (defaults: data, ../../artifacts/scripts/ood-check)
#:package Uqlib@0.1.0-*
#:package TorchSharp-cpu@0.107.0
#:property PublishAot=false
using TorchSharp;
using Uqlib.Interop;
using Uqlib.Latent;

var data = args.Length > 0 ? args[0] : "data";
var output = Directory.CreateDirectory(args.Length > 1 ? args[1] : "../../artifacts/scripts/ood-check").FullName;
torch.set_num_threads(1);

using var trainFeatures = Npy.Read(Path.Combine(data, "train_features.npy"));    // (N, F) penultimate-layer features
using var trainLabels = Npy.Read(Path.Combine(data, "train_labels.npy"));
using var reference = Npy.Read(Path.Combine(data, "test_features.npy"));         // held-out, in distribution
using var batch = Npy.Read(Path.Combine(data, "new_batch_features.npy"));        // the batch to check

using var detector = MahalanobisDetector.Fit(trainFeatures, trainLabels, classes: 3, CovarianceMethod.LedoitWolf);
using var referenceScores = detector.Score(reference);
var threshold = referenceScores.quantile(torch.tensor(0.95, torch.float64)).item<double>();   // 5% false alarms in distribution
using var scores = detector.Score(batch);
using var flagged = scores.gt(threshold);
var count = flagged.sum().item<long>();

Console.WriteLine($"threshold {threshold:F2} (95th percentile of {reference.shape[0]} in-distribution cases)");
Console.WriteLine($"new batch: {count} of {batch.shape[0]} cases flagged as out of distribution ({100.0 * count / batch.shape[0]:F1}%)");
Npy.Write(Path.Combine(output, "new_batch_scores.npy"), scores);
Npy.Write(Path.Combine(output, "new_batch_flagged.npy"), flagged);
NpzExport.Write(Path.Combine(output, "mahalanobis.npz"), detector);
Console.WriteLine($"wrote new_batch_scores.npy, new_batch_flagged.npy and mahalanobis.npz to {output}");
return count > 0 ? 0 : 1;
