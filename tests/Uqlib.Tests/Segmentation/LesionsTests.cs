using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Segmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Segmentation;

public sealed class LesionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Analyze_RandomLesions_MatchesTheReferenceTable(int index)
    {
        var golden = Golden.Load("lesions.json").GetProperty("lesions")[index];
        var shape = new long[] { 1 }.Concat(golden.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64())).ToArray();
        using var map = torch.tensor(Golden.Vector(golden.GetProperty("map")), ScalarType.Float64).reshape(shape);
        using var predicted = torch.tensor(Golden.Vector(golden.GetProperty("predicted_mask"))).reshape(shape);
        using var truth = torch.tensor(Golden.Vector(golden.GetProperty("true_mask"))).reshape(shape);
        var options = new LesionOptions
        {
            Connectivity = (Connectivity)golden.GetProperty("connectivity").GetInt32(),
            MatchThreshold = golden.GetProperty("threshold").GetDouble(),
            Percentile = golden.GetProperty("percentile").GetDouble(),
            BandWidth = golden.GetProperty("width").GetInt32(),
        };

        var table = Lesions.Analyze(map, predicted, truth, options);

        var rows = golden.GetProperty("predicted").EnumerateArray().ToArray();
        table.Predicted.Should().HaveCount(rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            var actual = table.Predicted[i];
            var expected = rows[i];
            actual.Label.Should().Be(expected.GetProperty("label").GetInt32());
            actual.Voxels.Should().Be(expected.GetProperty("voxels").GetInt64());
            actual.Mean.Should().BeApproximately(expected.GetProperty("mean").GetDouble(), 1e-12);
            actual.Max.Should().Be(expected.GetProperty("max").GetDouble());
            actual.Percentile.Should().BeApproximately(expected.GetProperty("quantile").GetDouble(), 1e-12);
            actual.BoundaryMean.Should().BeApproximately(expected.GetProperty("band_mean").GetDouble(), 1e-12);
            actual.Dice.Should().BeApproximately(expected.GetProperty("best_dice").GetDouble(), 1e-12);
            actual.IsFalsePositive.Should().Be(expected.GetProperty("false_positive").GetBoolean());
        }

        table.Missed.Select(m => (m.Label, m.Voxels)).Should().Equal(
            golden.GetProperty("missed").EnumerateArray().Select(m => (m.GetProperty("label").GetInt32(), m.GetProperty("voxels").GetInt64())));
        table.TrueLesionCount.Should().Be(golden.GetProperty("true_lesions").GetInt32());
    }

    [Fact]
    public void Analyze_Batch_GivesImagesAsClustersAndScoresInOrder()
    {
        // Image 0: one lesion matching the truth; image 1: a false positive and a missed true lesion.
        using var predicted = torch.zeros(2, 6, 6);
        using var truth = torch.zeros(2, 6, 6);
        predicted[0, TensorIndex.Slice(1, 3), TensorIndex.Slice(1, 3)] = torch.tensor(1f);
        truth[0, TensorIndex.Slice(1, 3), TensorIndex.Slice(1, 4)] = torch.tensor(1f);
        predicted[1, TensorIndex.Slice(0, 2), TensorIndex.Slice(0, 2)] = torch.tensor(1f);
        truth[1, TensorIndex.Slice(4, 6), TensorIndex.Slice(4, 6)] = torch.tensor(1f);
        using var map = torch.zeros(2, 6, 6);
        map[1] = torch.tensor(0.8f);
        map[0] = torch.tensor(0.1f);

        var table = Lesions.Analyze(map, predicted, truth);

        table.Images.Should().Equal(0, 1);
        table.Predicted[0].Dice.Should().BeApproximately(2.0 * 4 / (4 + 6), 1e-12);
        table.Predicted[0].IsFalsePositive.Should().BeFalse();
        table.Predicted[1].IsFalsePositive.Should().BeTrue();
        table.Missed.Should().ContainSingle().Which.Should().Be(new MissedLesion(1, 1, 4));
        table.Sensitivity.Should().Be(0.5);
        using var scores = table.Scores(LesionUncertainty.Mean);
        using var failures = table.FalsePositives();
        scores.data<double>().ToArray().Should().Equal(0.10000000149011612, 0.800000011920929);
        failures.data<bool>().ToArray().Should().Equal(false, true);
    }

    [Fact]
    public void Sensitivity_NoTrueLesion_IsUndefined()
    {
        using var map = torch.rand(1, 4, 4);
        using var predicted = torch.ones(1, 4, 4);
        using var truth = torch.zeros(1, 4, 4);

        var table = Lesions.Analyze(map, predicted, truth);
        var act = () => table.Sensitivity;

        table.Predicted.Should().ContainSingle().Which.IsFalsePositive.Should().BeTrue();
        act.Should().Throw<InvalidOperationException>().WithMessage("*undefined*");
    }

    [Fact]
    public void Analyze_InvalidOptions_ListsEveryProblem()
    {
        using var map = torch.rand(1, 4, 4);
        using var mask = torch.ones(1, 4, 4);

        var act = () => Lesions.Analyze(map, mask, mask, new LesionOptions { MatchThreshold = 0, Percentile = 101, BandWidth = 0 });
        var rank = () => Lesions.Analyze(map, mask, mask, new LesionOptions { Connectivity = Connectivity.Six });

        act.Should().Throw<ArgumentException>().WithMessage("*MatchThreshold*Percentile*BandWidth*");
        rank.Should().Throw<ArgumentException>().Where(e => e.ParamName == "options");
    }

    [Fact]
    public void Analyze_MaskShapeUnlikeTheMap_NamesTheMask()
    {
        using var map = torch.rand(1, 4, 4);
        using var mask = torch.ones(1, 4, 4);
        using var other = torch.ones(1, 4, 5);

        var act = () => Lesions.Analyze(map, mask, other);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "trueMasks");
    }
}
