using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using FluentAssertions;
using TorchSharp;
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

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
