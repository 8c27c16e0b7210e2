using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Conformal;
using Uqlib.Ensembles;
using Uqlib.Evaluation;
using Uqlib.Imaging;
using Uqlib.Models;
using Uqlib.Samples.BiradsShape.Data;
using Uqlib.Segmentation;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Uqlib.Samples.BiradsShape.Volumes;

/// <summary>
/// The 3-D segmentation study: synthetic breast-MRI volumes written as NIfTI, a small 3-D segmenter trained on seeded patches, then on
/// the external scanner's volumes sliding-window inference under test-time augmentation with inverted flips, voxel entropy maps written
/// as NIfTI beside the inputs, failure detection per volume (Dice below 0.8) and per lesion (false positives), and conformal risk control
/// of the per-volume false-negative rate (threshold calibrated on half of the external volumes, checked on the other half).
/// </summary>
public static class VolumeStudy
{
    /// <summary>The Dice below which a volume's segmentation counts as a failure.</summary>
    public const double DiceThreshold = 0.8;

    /// <summary>Runs the study and writes <c>volumes-report.md</c> with the NIfTI files under <see cref="VolumeStudyOptions.OutputDirectory"/>.</summary>
    /// <param name="options">The sizes.</param>
    /// <param name="progress">Receives one line per step.</param>
    /// <param name="cancellationToken">Cancels between steps.</param>
    /// <returns>The report's text.</returns>
    public static string Run(VolumeStudyOptions options, IProgress<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        options.Validate();
        var root = Path.GetFullPath(options.OutputDirectory);
        var train = Path.Combine(root, "train");
        var test = Path.Combine(root, "test");
        WriteCohort(train, options.TrainPatients, options.VolumeSize, ScannerProfile.Internal, options.Seed);
        WriteCohort(test, options.TestPatients, options.VolumeSize, ScannerProfile.External, options.Seed + 1);
        progress.Report($"wrote {options.TrainPatients} training and {options.TestPatients} external volumes as NIfTI under {root}");

        using var network = Train(VolumeFolderDataset.Open(train), options, progress, cancellationToken);
        var patchModel = new TorchModuleModel(network, OutputKind.MulticlassLogits);
        var sliding = new SlidingWindowModel(patchModel, new SlidingWindowOptions
        {
            RoiSize = [options.PatchSize, options.PatchSize, options.PatchSize],
            Blend = SlidingWindowBlend.Gaussian,
            WindowBatchSize = 4,
        });
        var tta = new TestTimeAugmentationEstimator(sliding, TtaPolicy.Flips(3), EnsembleScore.PredictiveEntropy);

        var names = new List<string>();
        var maps = new List<Tensor>();
        var predicted = new List<Tensor>();
        var foreground = new List<Tensor>();
        var truths = new List<Tensor>();
        try
        {
            Directory.CreateDirectory(Path.Combine(test, "maps"));
            foreach (var sample in VolumeFolderDataset.Open(test).GetVolumes(null, cancellationToken))
            {
                using var input = sample.Image.Data.unsqueeze(0).unsqueeze(0);
                using var estimate = tta.Estimate(input);
                Nifti.Write(Path.Combine(test, "maps", sample.Case.Name + "_entropy.nii.gz"), estimate.Map![0], sample.Image.Header);
                names.Add(sample.Case.Name);
                maps.Add(estimate.Map[0].clone());
                predicted.Add(estimate.Probabilities[0].argmax(0).eq(1));
                foreground.Add(estimate.Probabilities[0][1].clone());
                truths.Add(sample.Label!.Data.gt(0.5));
            }

            progress.Report($"segmented {names.Count} external volumes with sliding windows × 4 flips; entropy maps written to {Path.Combine(test, "maps")}");
            using var map = torch.stack(maps);
            using var mask = torch.stack(predicted);
            using var truth = torch.stack(truths);
            using var probabilities = torch.stack(foreground);
            var report = Report(options, names, map, mask, truth) + RiskControl(options.RiskAlpha, probabilities, truth);
            File.WriteAllText(Path.Combine(root, "volumes-report.md"), report);
            return report;
        }
        finally
        {
            foreach (var t in maps)
            {
                t.Dispose();
            }

            foreach (var t in predicted)
            {
                t.Dispose();
            }

            foreach (var t in truths)
            {
                t.Dispose();
            }

            foreach (var t in foreground)
            {
                t.Dispose();
            }
        }
    }

    private static void WriteCohort(string folder, int patients, int size, ScannerProfile profile, int seed)
    {
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        Directory.CreateDirectory(Path.Combine(folder, "labels"));

        // 0.9 mm in-plane and 1.2 mm slices, stored LPS as DICOM-derived volumes often are.
        var affine = NiftiAffine.FromArray(new double[,] { { -0.9, 0, 0, 20 }, { 0, -0.9, 0, 25 }, { 0, 0, 1.2, -30 }, { 0, 0, 0, 1 } });
        using var volumes = TumourGenerator.Generate(patients, size, profile, seed);
        for (int p = 0; p < patients; p++)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"patient{p:D3}");
            Nifti.Write(Path.Combine(folder, "images", name + ".nii.gz"), volumes.Images[p], affine);
            using var label = volumes.Masks[p].gt(0.5);
            Nifti.Write(Path.Combine(folder, "labels", name + ".nii.gz"), label, affine);
        }
    }

    private static SegNet3d Train(VolumeFolderDataset dataset, VolumeStudyOptions options, IProgress<string> progress, CancellationToken cancellationToken)
    {
        torch.manual_seed(options.Seed);
        var network = new SegNet3d();
        using var optimizer = optim.Adam(network.parameters(), 0.01);
        network.train();
        int p = options.PatchSize;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            double loss = 0;
            int steps = 0;
            foreach (var batch in dataset.GetPatchBatches([p, p, p], options.PatchesPerVolume, 8, options.Seed + epoch, cancellationToken))
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();

                // Tumour voxels are few: weight them up (twice) so the network does not learn "all background".
                var value = F.cross_entropy(network.forward(batch.Inputs), batch.Labels!, weight: torch.tensor(new float[] { 1, 2 }));
                value.backward();
                optimizer.step();
                loss += value.item<float>();
                steps++;
            }

            progress.Report(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{options.Epochs}: loss {loss / steps:F3} over {steps} patch batches"));
        }

        network.eval();
        return network;
    }

    private static string Report(VolumeStudyOptions options, List<string> names, Tensor map, Tensor mask, Tensor truth)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine("# 3-D segmentation: volume- and lesion-level failure detection").AppendLine();
        text.AppendLine(invariant, $"{options.TrainPatients} training volumes (internal scanner), {names.Count} external volumes, {options.VolumeSize}³ voxels; ")
            .AppendLine(invariant, $"a 3-D CNN trained on {options.PatchSize}³ patches for {options.Epochs} epochs, run with {options.PatchSize}³ sliding windows (Gaussian blend) under four flips (inverted).")
            .AppendLine();
        using var failures = Failures.DiceBelow(mask, truth, DiceThreshold);
        using var scores = MapAggregation.ForegroundMean(map, mask);
        var dice = Dice(mask, truth);
        text.AppendLine("| volume | Dice | failure (Dice < 0.8) | foreground mean entropy |").AppendLine("|---|---:|---|---:|");
        for (int i = 0; i < names.Count; i++)
        {
            text.AppendLine(invariant, $"| {names[i]} | {dice[i]:F3} | {(failures[i].item<bool>() ? "yes" : "no")} | {scores[i].item<double>():F4} |");
        }

        text.AppendLine().AppendLine(Evaluate("Volume level (foreground mean entropy vs Dice < 0.8)", scores, failures));
        var lesions = Lesions.Analyze(map, mask, truth);
        int falsePositives = 0;
        foreach (var lesion in lesions.Predicted)
        {
            falsePositives += lesion.IsFalsePositive ? 1 : 0;
        }

        text.AppendLine(invariant, $"Lesions: {lesions.Predicted.Count} predicted ({falsePositives} false positives), {lesions.TrueLesionCount} true, {lesions.Missed.Count} missed.").AppendLine();
        using var lesionScores = lesions.Scores(LesionUncertainty.Mean);
        using var lesionFailures = lesions.FalsePositives();
        text.AppendLine(Evaluate("Lesion level (mean entropy over the lesion vs false positive)", lesionScores, lesionFailures));
        return text.ToString();
    }

    /// <summary>
    /// Conformal risk control (Angelopoulos et al. 2022) of the per-volume false-negative rate: the threshold t̂ (λ̂ = 1 − t̂) calibrated on
    /// the first half of the external volumes, and the mean false-negative rate of the masks p ≥ t̂ on the second half, beside that of p ≥ 0.5.
    /// </summary>
    private static string RiskControl(double alpha, Tensor probabilities, Tensor truth)
    {
        var n = (int)probabilities.shape[0] / 2;
        var m = (int)probabilities.shape[0] - n;
        var title = string.Create(CultureInfo.InvariantCulture, $"Conformal risk control of the per-volume false-negative rate (α = {alpha}, {n} calibration and {m} test volumes)");
        if (alpha < 1.0 / (n + 1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"\n{title}: undefined, {n} calibration volumes allow α ≥ 1/(n + 1) = {1.0 / (n + 1):F3}.\n");
        }

        ConformalRiskControl control;
        using (var calibration = probabilities.narrow(0, 0, n))
        using (var calibrationTruth = truth.narrow(0, 0, n))
        {
            control = ConformalRiskControl.Fit(calibration, calibrationTruth);
        }

        var threshold = control.Threshold(alpha);
        double calibrated = 0, half = 0;
        for (int i = n; i < n + m; i++)
        {
            using var map = probabilities[i];
            using var mask = truth[i];
            var steps = FalseNegativeRate.Instance.Steps(map, mask);
            calibrated += steps.Evaluate(threshold) / m;
            half += steps.Evaluate(0.5) / m;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"\n{title}: t̂ = {threshold:F4} (λ̂ = {1 - threshold:F4}); on the test volumes the masks p ≥ t̂ miss {calibrated:P1} of the tumour on average (p ≥ 0.5: {half:P1}).\n");
    }

    private static string Evaluate(string title, Tensor scores, Tensor failures)
    {
        long positives = failures.sum().item<long>();
        if (positives == 0 || positives == failures.shape[0])
        {
            return $"{title}: AUROC undefined ({positives} failures of {failures.shape[0]}: both kinds are needed).";
        }

        var result = RocEvaluator.Evaluate(scores.to(ScalarType.Float64), failures);
        return string.Create(CultureInfo.InvariantCulture, $"{title}: AUROC {result.Auroc:F3} ({positives} failures of {failures.shape[0]}).");
    }

    private static double[] Dice(Tensor mask, Tensor truth)
    {
        using var scope = torch.NewDisposeScope();
        var a = mask.flatten(1).to(ScalarType.Float64);
        var b = truth.flatten(1).to(ScalarType.Float64);
        var dice = a.mul(b).sum(1).mul(2).div(a.sum(1).add(b.sum(1)).clamp_min(1));
        return dice.data<double>().ToArray();
    }
}
