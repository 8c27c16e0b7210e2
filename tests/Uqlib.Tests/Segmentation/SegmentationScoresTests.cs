using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Scores;
using Uqlib.Segmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Segmentation;

public sealed class SegmentationScoresTests
{
    private static readonly JsonElement Reference = Golden.Load("segmentation.json");

    public static TheoryData<int> Cases => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Maps_OfLogits_MatchReferenceScript(int index)
    {
        var golden = Reference.GetProperty("scores")[index];
        var shape = golden.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var kind = golden.GetProperty("binary").GetBoolean() ? OutputKind.BinaryLogit : OutputKind.MulticlassLogits;
        using var flat = Golden.VectorTensor(golden.GetProperty("logits"));
        using var logits = flat.reshape(shape);
        var mapShape = shape.Where((_, i) => i != 1).ToArray();

        using var entropy = SegmentationScores.EntropyMap(logits, kind);
        using var maxProbability = SegmentationScores.OneMinusMaxProbabilityMap(logits, kind);
        using var labels = SegmentationScores.PredictedLabels(logits, kind);
        using var mask = SegmentationScores.PredictedMask(logits, kind);

        entropy.shape.Should().Equal(mapShape);
        mask.dtype.Should().Be(ScalarType.Bool);
        labels.dtype.Should().Be(ScalarType.Int64);
        ShouldMatch(entropy, Golden.Vector(golden.GetProperty("entropy")), 1e-12);
        ShouldMatch(maxProbability, Golden.Vector(golden.GetProperty("maxProbability")), 1e-12);
        Golden.ToArray(labels).Should().Equal(Golden.Vector(golden.GetProperty("labels")));
        Golden.ToArray(mask).Should().Equal(Golden.Vector(golden.GetProperty("foreground")));
    }

    [Fact]
    public void Maps_OfProbabilities_EqualMapsOfTheirLogits()
    {
        using var logits = torch.randn(new long[] { 2, 3, 4, 5, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(5));
        using var probabilities = logits.softmax(1);
        using var fromLogits = SegmentationScores.EntropyMap(logits, OutputKind.MulticlassLogits);
        using var fromProbabilities = SegmentationScores.EntropyMap(probabilities, OutputKind.Probabilities);
        fromProbabilities.allclose(fromLogits, rtol: 0, atol: 1e-12).Should().BeTrue();

        using var binary = torch.randn(new long[] { 2, 1, 4, 5 }, dtype: ScalarType.Float64, generator: torch.manual_seed(6));
        using var sigmoid = binary.sigmoid();
        using var a = SegmentationScores.OneMinusMaxProbabilityMap(binary, OutputKind.BinaryLogit);
        using var b = SegmentationScores.OneMinusMaxProbabilityMap(sigmoid, OutputKind.Probabilities);
        using var c = SegmentationScores.Map(SoftmaxScore.DistanceToHardLabel, sigmoid, OutputKind.Probabilities);
        b.allclose(a, rtol: 0, atol: 1e-12).Should().BeTrue();
        c.allclose(a, rtol: 0, atol: 1e-12).Should().BeTrue();
        using var maskA = SegmentationScores.PredictedMask(binary, OutputKind.BinaryLogit);
        using var maskB = SegmentationScores.PredictedMask(sigmoid, OutputKind.Probabilities);
        maskA.equal(maskB).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void EntropyMap_OfBinaryLogitZero_IsLogTwo_AndBackground()
    {
        using var logits = torch.tensor(new[] { 0.0, 40.0, -40.0, 0.0 }, dtype: ScalarType.Float64).reshape(1, 1, 2, 2);
        using var entropy = SegmentationScores.EntropyMap(logits, OutputKind.BinaryLogit);
        using var mask = SegmentationScores.PredictedMask(logits, OutputKind.BinaryLogit);
        var values = Golden.ToArray(entropy);
        values[0].Should().BeApproximately(Math.Log(2), 1e-15);
        values[1].Should().BeApproximately(0, 1e-15);
        Golden.ToArray(mask).Should().Equal(0, 1, 0, 0);
    }

    [Fact]
    public void Maps_LeakNoTensors()
    {
        using var logits = torch.randn(2, 3, 4, 5);
        using var positive = torch.rand(2, 1, 4, 5);
        var before = LiveTensors.Count;
        SegmentationScores.EntropyMap(logits, OutputKind.MulticlassLogits).Dispose();
        SegmentationScores.OneMinusMaxProbabilityMap(positive, OutputKind.Probabilities).Dispose();
        SegmentationScores.PredictedMask(logits, OutputKind.MulticlassLogits).Dispose();
        SegmentationScores.PredictedLabels(positive, OutputKind.Probabilities).Dispose();
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Maps_OfClassificationOutputOrWrongChannels_Throw()
    {
        using var classification = torch.randn(4, 3);
        using var threeChannels = torch.randn(2, 3, 4, 5);
        using var oneChannel = torch.randn(2, 1, 4, 5);
        using var map = torch.rand(2, 4, 5);
        FluentActions.Invoking(() => SegmentationScores.EntropyMap(classification, OutputKind.MulticlassLogits)).Should().Throw<ArgumentException>()
            .Where(e => e.ParamName == "output" && e.Message.Contains("(N, C, H, W)") && e.Message.Contains("(4, 3)"));
        FluentActions.Invoking(() => SegmentationScores.PredictedMask(map, OutputKind.BinaryLogit)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "output");
        FluentActions.Invoking(() => SegmentationScores.EntropyMap(threeChannels, OutputKind.BinaryLogit)).Should().Throw<ArgumentException>()
            .Where(e => e.Message.Contains("1 channel"));
        FluentActions.Invoking(() => SegmentationScores.EntropyMap(oneChannel, OutputKind.MulticlassLogits)).Should().Throw<ArgumentException>()
            .Where(e => e.Message.Contains("BinaryLogit"));
        FluentActions.Invoking(() => SegmentationScores.EntropyMap(threeChannels, OutputKind.Regression)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "kind");
        FluentActions.Invoking(() => SegmentationScores.Map(SoftmaxScore.DistanceToHardLabel, threeChannels, OutputKind.MulticlassLogits)).Should().Throw<ArgumentException>()
            .Where(e => e.ParamName == "score");
        FluentActions.Invoking(() => SegmentationScores.EntropyMap(null!, OutputKind.MulticlassLogits)).Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Maps_OfNonFiniteOutput_Throw(double bad)
    {
        using var logits = torch.randn(2, 3, 4, 5, dtype: ScalarType.Float64);
        logits[1, 0, 2, 2] = torch.tensor(bad);
        using var positive = torch.rand(2, 1, 4, 5, dtype: ScalarType.Float64);
        positive[0, 0, 1, 1] = torch.tensor(bad);
        FluentActions.Invoking(() => SegmentationScores.EntropyMap(logits, OutputKind.MulticlassLogits)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("first at row 1"));
        FluentActions.Invoking(() => SegmentationScores.PredictedMask(logits, OutputKind.MulticlassLogits)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "output");
        FluentActions.Invoking(() => SegmentationScores.OneMinusMaxProbabilityMap(positive, OutputKind.Probabilities)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "output");
    }

    [Fact]
    public void Maps_OfInvalidProbabilitiesOrEmptyOutput_Throw()
    {
        using var aboveOne = torch.full(new long[] { 1, 1, 2, 2 }, 1.5);
        using var notSummingToOne = torch.full(new long[] { 1, 3, 2, 2 }, 0.5);
        using var empty = torch.zeros(0, 3, 4, 5);
        using var emptyPixels = torch.zeros(2, 3, 0, 5);
        FluentActions.Invoking(() => SegmentationScores.EntropyMap(aboveOne, OutputKind.Probabilities)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("[0, 1]"));
        FluentActions.Invoking(() => SegmentationScores.PredictedLabels(notSummingToOne, OutputKind.Probabilities)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("sum to 1"));
        FluentActions.Invoking(() => SegmentationScores.EntropyMap(empty, OutputKind.MulticlassLogits)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("empty"));
        FluentActions.Invoking(() => SegmentationScores.PredictedMask(emptyPixels, OutputKind.MulticlassLogits)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("empty"));
    }

    private static void ShouldMatch(Tensor actual, double[] expected, double tolerance)
    {
        var values = Golden.ToArray(actual);
        values.Should().HaveCount(expected.Length);
        for (var i = 0; i < values.Length; i++)
        {
            values[i].Should().BeApproximately(expected[i], tolerance, $"pixel {i}");
        }
    }

    [Fact]
    public void Maps_OfTiedLogitsNearTheFloat32Limits_KeepTheirMeaning()
    {
        // Pixel 0: logits (1e8, 1e8, 0), MSP score 0.5; pixel 1: all −3.4e38, MSP score 2/3, entropy log 3 (float_edges.json).
        using var output = torch.tensor(new float[] { 1e8f, -3.4e38f, 1e8f, -3.4e38f, 0, -3.4e38f }).reshape(1, 3, 1, 2);
        using var msp = SegmentationScores.OneMinusMaxProbabilityMap(output, OutputKind.MulticlassLogits);
        using var entropy = SegmentationScores.EntropyMap(output, OutputKind.MulticlassLogits);
        Golden.ToArray(msp).Should().Equal(new[] { 0.5, 2.0 / 3 }, (a, b) => Math.Abs(a - b) < 1e-6);
        Golden.ToArray(entropy).Should().Equal(new[] { Math.Log(2), Math.Log(3) }, (a, b) => Math.Abs(a - b) < 1e-6);
    }
}
