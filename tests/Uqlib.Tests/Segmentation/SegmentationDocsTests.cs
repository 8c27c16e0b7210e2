using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Ensembles;
using Uqlib.Evaluation;
using Uqlib.Models;
using Uqlib.Segmentation;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Segmentation;

/// <summary>Runs the examples of docs/segmentation.md; <see cref="Docs_ExamplesAreTheCodeOfTheseTests"/> proves each block is copied from here.</summary>
public sealed partial class SegmentationDocsTests
{
    [Fact]
    public void Example_MapsAndImageScoresOfOneModel()
    {
        using var output = BinaryVolumeLogits();
        {
            // output: (N, 1, D, H, W) logits of a sigmoid segmentation model (multiclass: (N, C, D, H, W), OutputKind.MulticlassLogits).
            using var mask = SegmentationScores.PredictedMask(output, OutputKind.BinaryLogit);    // (N, D, H, W) bool
            using var entropy = SegmentationScores.EntropyMap(output, OutputKind.BinaryLogit);     // (N, D, H, W), nats

            using var mean = MapAggregation.Mean(entropy);                                          // (N) image-level scores
            using var foreground = MapAggregation.ForegroundMean(entropy, mask);
            using var boundary = MapAggregation.BoundaryMean(entropy, mask, width: 2);
            using var p95 = MapAggregation.Percentile(entropy, 95);
            Console.WriteLine($"image 0: mean {mean[0].ToSingle():F3}, foreground {foreground[0].ToSingle():F3}, "
                + $"boundary {boundary[0].ToSingle():F3}, 95th percentile {p95[0].ToSingle():F3}");

            mean.shape.Should().Equal(3);
            boundary.gt(mean).all().item<bool>().Should().BeTrue("the uncertainty of this model sits on its boundaries");
            p95.ge(mean).all().item<bool>().Should().BeTrue();
        }
    }

    [Fact]
    public void Example_ScoresFromMembersMasks()
    {
        using var first = BinaryVolumeLogits();
        using var second = first.add(0.8);
        using var third = first.sub(0.8);
        {
            // Each member's (or augmentation's) output, (N, 1, D, H, W); stack their masks as (M, N, D, H, W).
            Tensor[] outputs = { first, second, third };
            var masks = outputs.Select(o => SegmentationScores.PredictedMask(o, OutputKind.BinaryLogit)).ToArray();
            using var stacked = torch.stack(masks);
            foreach (var m in masks)
            {
                m.Dispose();
            }

            using var volumeCv = MapAggregation.VolumeCoefficientOfVariation(stacked);       // (N), float64
            using var disagreement = MapAggregation.PairwiseDiceDisagreement(stacked);       // (N) in [0, 1]
            Console.WriteLine($"image 0: volume CV {volumeCv[0].ToDouble():F3}, Dice disagreement {disagreement[0].ToDouble():F3}");

            volumeCv.gt(0).all().item<bool>().Should().BeTrue();
            disagreement.gt(0).logical_and(disagreement.lt(1)).all().item<bool>().Should().BeTrue();
        }
    }

    [Fact]
    public void Example_WorkedStudy_TtaMapsScoresEvaluationAndPixelCalibration()
    {
        var (model, volumes, trueMasks, validationVolumes, validationMasks) = Study();
        using var scope = torch.NewDisposeScope();
        {
            // 1. Per-voxel maps from test-time augmentation, streamed one augmentation per forward pass (memory flat in K).
            var policy = TtaPolicy.Of(
                Augmentations.Identity, Augmentations.Flip(0), Augmentations.Flip(1), Augmentations.Flip(2),
                Augmentations.Rot90(1), Augmentations.Rot90(2), Augmentations.Rot90(3), Augmentations.Compose(Augmentations.Flip(0), Augmentations.Rot90(1)));
            var tta = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation, new TtaOptions { MaxAugmentedBatchSize = 1 });
            using var estimate = tta.Estimate(volumes);                      // Probabilities (N, C, D, H, W), Map (N, D, H, W)
            using var mask = SegmentationScores.PredictedMask(estimate.Probabilities, OutputKind.Probabilities);
            using var entropy = SegmentationScores.EntropyMap(estimate.Probabilities, OutputKind.Probabilities);

            // 2. Image-level scores.
            using var boundary = MapAggregation.BoundaryMean(estimate.Map!, mask);
            using var p95 = MapAggregation.Percentile(entropy, 95);

            // 3. Which scores find the failed segmentations (Dice < 0.85)?
            var scores = new Dictionary<string, Tensor>
            {
                ["TTA mutual information, mean"] = estimate.Scores,
                ["TTA mutual information, boundary"] = boundary,
                ["entropy, 95th percentile"] = p95,
            };
            var evaluation = SegmentationEvaluation.Evaluate(scores, mask, trueMasks, diceThreshold: 0.85);
            Console.WriteLine(evaluation.ToMarkdown());                      // AUROC [CI], AUPR, AURC, … and Spearman ρ with the Dice

            // 4. Pixel-level calibration: fit T on validation voxels near the structure, then measure on the test volumes.
            using var validationLogits = model.Forward(validationVolumes).Logits;
            using var validationLabels = validationMasks.to(ScalarType.Int64);
            using var validationRegion = MapAggregation.BoundaryBand(validationMasks, width: 3);
            var temperature = PixelCalibration.FitTemperature(validationLogits, OutputKind.MulticlassLogits, validationLabels, validationRegion,
                new PixelCalibrationOptions { MaxPixels = 100_000, Seed = 1 });

            using var logits = model.Forward(volumes).Logits;
            using var labels = trueMasks.to(ScalarType.Int64);
            using var region = MapAggregation.BoundaryBand(trueMasks, width: 3);
            using var calibrated = logits.div(temperature.Temperature);       // T applies to the whole output
            var before = PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, labels, region);
            var after = PixelCalibration.Ece(calibrated, OutputKind.MulticlassLogits, labels, region);
            Console.WriteLine($"T = {temperature.Temperature:F2}; ECE near the boundary {before:F3} -> {after:F3}");

            evaluation.Comparison.Failures.Should().BeInRange(2, 10);
            evaluation.Comparison.Rows.Should().OnlyContain(r => r.Auroc > 0.8);
            evaluation.SpearmanWithDice.Values.Should().OnlyContain(rho => rho < -0.5);
            temperature.Temperature.Should().BeGreaterThan(1.2, "the model is over-confident");
            after.Should().BeLessThan(before);
        }
    }

    /// <summary>
    /// Twelve test and twelve validation 8 × 16 × 16 volumes: a box of intensity 0.5 + c/2 on 0.5 − c/2, c from 0.9 down to 0.05, plus
    /// noise of SD 0.12; the model's two logits are ±(10(x − 0.5) + a ramp along W), so low-contrast volumes fail and it is uncertain there,
    /// and its ramp makes flipped copies disagree. It is over-confident: the truth is a box, its logits are sharp.
    /// </summary>
    private static (IModel Model, Tensor Volumes, Tensor TrueMasks, Tensor ValidationVolumes, Tensor ValidationMasks) Study()
    {
        var ramp = torch.linspace(-1.5, 1.5, 16, dtype: ScalarType.Float32).view(1, 1, 1, 1, 16);
        var model = new DelegateModel(
            x =>
            {
                using var scope = torch.NewDisposeScope();
                var z = x.sub(0.5).mul_(10).add_(ramp);
                return torch.cat(new[] { z.neg(), z }, 1).MoveToOuterDisposeScope();
            },
            OutputKind.MulticlassLogits);
        (Tensor, Tensor) Volumes(int seed)
        {
            var generator = torch.manual_seed(seed);
            var truth = torch.zeros(12, 8, 16, 16, dtype: ScalarType.Bool);
            truth[.., 2..6, 4..12, 3..13] = torch.tensor(true);
            var contrast = torch.linspace(0.9, 0.05, 12, dtype: ScalarType.Float32).view(12, 1, 1, 1);
            var x = truth.to(ScalarType.Float32).sub(0.5).mul(contrast).add(0.5)
                .add(torch.randn(new long[] { 12, 8, 16, 16 }, generator: generator).mul_(0.12f));
            return (x.unsqueeze(1), truth);
        }

        var (volumes, masks) = Volumes(31);
        var (validationVolumes, validationMasks) = Volumes(32);
        return (model, volumes, masks, validationVolumes, validationMasks);
    }

    [Fact]
    public void Docs_ExamplesAreTheCodeOfTheseTests()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Uqlib.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        root.Should().NotBeNull("the tests run inside the repository");
        var docs = File.ReadAllText(Path.Combine(root!, "docs", "segmentation.md"));
        var source = Normalise(File.ReadAllText(Path.Combine(root!, "tests", "Uqlib.Tests", "Segmentation", "SegmentationDocsTests.cs")));
        var blocks = CodeBlock().Matches(docs).Select(m => m.Groups[1].Value).ToArray();
        blocks.Should().HaveCountGreaterThanOrEqualTo(2);
        foreach (var block in blocks)
        {
            source.Should().Contain(Normalise(block), "every C# block of docs/segmentation.md must be copied from a test here");
        }
    }

    /// <summary>Three 8 × 16 × 16 volumes: a ball of radius 5 whose logits fall linearly through 0 at its surface (uncertain boundaries).</summary>
    private static Tensor BinaryVolumeLogits()
    {
        using var scope = torch.NewDisposeScope();
        var z = torch.arange(8, dtype: ScalarType.Float32).sub_(3.5f).mul_(2).view(8, 1, 1);
        var y = torch.arange(16, dtype: ScalarType.Float32).sub_(7.5f).view(1, 16, 1);
        var x = torch.arange(16, dtype: ScalarType.Float32).sub_(7.5f).view(1, 1, 16);
        var radius = z.square().add(y.square()).add(x.square()).sqrt();
        var logits = radius.neg().add_(5.0f).mul_(1.5f);
        var shifts = torch.tensor(new[] { 0f, 0.7f, -0.5f }).view(3, 1, 1, 1);
        return logits.unsqueeze(0).add(shifts).unsqueeze(1).MoveToOuterDisposeScope();
    }

    private static string Normalise(string code)
    {
        return string.Join("\n", code.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0));
    }

    /// <summary>A C# block not marked "&lt;!-- snippet: NAME --&gt;" (those are regions of samples/Uqlib.Samples.Docs, checked by .ci/check-docs).</summary>
    [GeneratedRegex("(?<!<!-- snippet: [a-z0-9-]+ -->\\n)```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
