using System;
using System.Collections.Generic;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Uqlib.Interop;
using Uqlib.Latent;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The examples of docs/from-pytorch.md: a PyTorch model's outputs saved with np.save, read and assessed in C#.</summary>
/// <remarks>The .npy files are samples/scripts/data/ (make_data.py: seeded stand-in outputs of a 3-class model), copied beside the executable.</remarks>
internal static class FromPyTorch
{
    public static void Run()
    {
        #region docs:from-pytorch-read
        using var logits = Npy.Read("test_logits.npy");             // np.save("test_logits.npy", logits.numpy())
        #endregion

        #region docs:from-pytorch-report
        using var labels = Npy.Read("test_labels.npy");
        using var valLogits = Npy.Read("val_logits.npy");
        using var valLabels = Npy.Read("val_labels.npy");

        // Calibration: one temperature fitted on validation data (Guo et al. 2017).
        var temperature = TemperatureScaling.Fit(valLogits, valLabels);
        using var raw = logits.softmax(1);
        using var calibrated = temperature.Transform(logits);
        Console.WriteLine($"T = {temperature.Temperature:F3}; ECE {CalibrationMetrics.Ece(raw, labels):F3} -> {CalibrationMetrics.Ece(calibrated, labels):F3}");

        // Failure detection: which predictions should a person check? Every score is higher = more uncertain.
        using var failed = Failures.Misclassified(calibrated, labels);
        using var msp = SoftmaxScores.OneMinusMaxProbability(calibrated);         // already 1 - max p: do not subtract it from 1
        using var entropy = SoftmaxScores.Entropy(calibrated);
        using var energy = SoftmaxScores.Energy(logits);
        var comparison = RocEvaluator.Compare(
            new Dictionary<string, Tensor> { ["MSP"] = msp, ["entropy"] = entropy, ["energy"] = energy }, failed);
        Console.WriteLine(comparison.ToText());

        // Out-of-distribution: Mahalanobis distance to the training features (Lee et al. 2018), exported back to Python.
        using var trainFeatures = Npy.Read("train_features.npy");
        using var trainLabels = Npy.Read("train_labels.npy");
        using var detector = MahalanobisDetector.Fit(trainFeatures, trainLabels, classes: 3);
        using var newBatch = Npy.Read("new_batch_features.npy");
        using var ood = detector.Score(newBatch);
        Npy.Write("ood_scores.npy", ood);                               // np.load("ood_scores.npy")
        NpzExport.Write("mahalanobis.npz", detector);                   // class_means, covariance, precision
        #endregion

        Console.WriteLine($"from PyTorch: {ood.shape[0]} new cases scored, {Npz.Names("mahalanobis.npz").Count} arrays exported");
    }
}
