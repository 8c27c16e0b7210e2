using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Segmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Segmentation;

public sealed class MapAggregationTests
{
    private static readonly JsonElement Reference = Golden.Load("segmentation.json");

    public static TheoryData<int> MapCases => new() { 0, 1 };

    private static long[] Shape(JsonElement golden) => golden.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static Tensor Field(JsonElement golden, string name, long[] shape, ScalarType dtype = ScalarType.Float64)
    {
        using var flat = Golden.VectorTensor(golden.GetProperty(name));
        return flat.reshape(shape).to(dtype);
    }

    private static Tensor Grid(double[,] values) => torch.tensor(values, dtype: ScalarType.Float64).unsqueeze(0);

    private static Tensor Mask(int[,] values) => torch.tensor(values).ne(0).unsqueeze(0);

    [Theory]
    [MemberData(nameof(MapCases))]
    public void MapScores_OfRandomMapsAndMasks_MatchReferenceScript(int index)
    {
        var golden = Reference.GetProperty("maps")[index];
        var shape = Shape(golden);
        using var map = Field(golden, "map", shape);
        using var mask = Field(golden, "mask", shape, ScalarType.Bool);

        using (var mean = MapAggregation.Mean(map))
        {
            Golden.ToArray(mean).Should().BeEquivalentTo(Golden.Vector(golden.GetProperty("mean")), o => o.Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-12)).WhenTypeIs<double>());
        }

        using (var foreground = MapAggregation.ForegroundMean(map, mask))
        {
            ShouldMatch(foreground, golden.GetProperty("foregroundMean"));
        }

        var widths = golden.GetProperty("widths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        for (var i = 0; i < widths.Length; i++)
        {
            using var band = MapAggregation.BoundaryBand(mask, widths[i]);
            using var expectedBand = Golden.VectorTensor(golden.GetProperty("bands")[i]).reshape(shape).ne(0);
            band.dtype.Should().Be(ScalarType.Bool);
            band.equal(expectedBand).all().item<bool>().Should().BeTrue($"the band of width {widths[i]} is SciPy's");
            using var boundary = MapAggregation.BoundaryMean(map, mask, widths[i]);
            ShouldMatch(boundary, golden.GetProperty("boundaryMean")[i]);
        }

        var percentiles = Golden.Vector(golden.GetProperty("percentiles"));
        for (var i = 0; i < percentiles.Length; i++)
        {
            using var percentile = MapAggregation.Percentile(map, percentiles[i]);
            ShouldMatch(percentile, golden.GetProperty("percentile")[i]);
        }
    }

    [Theory]
    [MemberData(nameof(MapCases))]
    public void MemberScores_OfRandomMasks_MatchReferenceScript(int index)
    {
        var golden = Reference.GetProperty("members")[index];
        var shape = Shape(golden);
        using var masks = Field(golden, "masks", shape, ScalarType.Bool);
        using var cv = MapAggregation.VolumeCoefficientOfVariation(masks);
        using var disagreement = MapAggregation.PairwiseDiceDisagreement(masks);
        cv.dtype.Should().Be(ScalarType.Float64);
        ShouldMatch(cv, golden.GetProperty("volumeCv"));
        ShouldMatch(disagreement, golden.GetProperty("diceDisagreement"));
    }

    [Fact]
    public void ImageScores_OfModelWrongExactlyWhereUncertain_RankFailedImagesFirst()
    {
        // A synthetic binary segmentation "model" over 24 images of 32 × 32: the truth is a square of side 10–16 in the left half;
        // the model is confident (|z| ≈ 5) everywhere, less so on the true boundary (|z| ≈ 2.5, still right), and in every other
        // image adds a spurious square of side 8–10 in the right half where it is wrong and uncertain (|z| ≈ 0.2).
        const int images = 24, size = 32;
        var random = new Random(2026);
        var truth = new float[images, size, size];
        var logits = new float[images, 1, size, size];
        var failed = new bool[images];
        for (var n = 0; n < images; n++)
        {
            var side = random.Next(10, 17);
            var (top, left) = (random.Next(0, size - side), random.Next(0, 16 - side + 1));
            var wrong = n % 2 == 1;
            var patch = random.Next(8, 11);
            var (patchTop, patchLeft) = (random.Next(0, size - patch), random.Next(18, size - patch + 1));
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    var inside = y >= top && y < top + side && x >= left && x < left + side;
                    var edge = inside && (y == top || y == top + side - 1 || x == left || x == left + side - 1);
                    var inPatch = wrong && y >= patchTop && y < patchTop + patch && x >= patchLeft && x < patchLeft + patch;
                    var magnitude = (inPatch ? 0.2 : edge ? 2.5 : 5.0) * (1 + (0.2 * random.NextDouble()));
                    truth[n, y, x] = inside ? 1 : 0;
                    logits[n, 0, y, x] = (float)(inside || inPatch ? magnitude : -magnitude);
                }
            }
        }

        using var output = torch.tensor(logits);
        using var truthMasks = torch.tensor(truth).gt(0.5);
        using var predicted = SegmentationScores.PredictedMask(output, OutputKind.BinaryLogit);
        using var entropy = SegmentationScores.EntropyMap(output, OutputKind.BinaryLogit);
        using var maxProbability = SegmentationScores.OneMinusMaxProbabilityMap(output, OutputKind.BinaryLogit);

        // Failures: Dice(predicted, truth) below 0.9 (the evaluation branch will provide this label; computed here by hand).
        using var intersection = predicted.logical_and(truthMasks).flatten(1).sum(1).to(ScalarType.Float64);
        using var volumes = predicted.flatten(1).sum(1).add(truthMasks.flatten(1).sum(1)).to(ScalarType.Float64);
        var dice = Golden.ToArray(intersection.mul(2).div(volumes));
        for (var n = 0; n < images; n++)
        {
            failed[n] = dice[n] < 0.9;
            failed[n].Should().Be(n % 2 == 1, $"image {n} has Dice {dice[n]}");
        }

        // Members: the model's logits plus seeded N(0, 1) noise, thresholded; only uncertain pixels flip.
        using var noise = torch.randn(new long[] { 6, images, size, size }, generator: torch.manual_seed(17));
        using var members = noise.add(output.squeeze(1)).gt(0);

        var scores = new (string Name, Tensor Value)[]
        {
            ("mean entropy", MapAggregation.Mean(entropy)),
            ("mean max-probability score", MapAggregation.Mean(maxProbability)),
            ("foreground mean", MapAggregation.ForegroundMean(entropy, predicted)),
            ("boundary mean", MapAggregation.BoundaryMean(entropy, predicted, 2)),
            ("99th percentile", MapAggregation.Percentile(entropy, 99)),
            ("volume CV", MapAggregation.VolumeCoefficientOfVariation(members)),
            ("Dice disagreement", MapAggregation.PairwiseDiceDisagreement(members)),
        };
        foreach (var (name, value) in scores)
        {
            using (value)
            {
                var v = Golden.ToArray(value);
                var lowestFailed = Enumerable.Range(0, images).Where(n => failed[n]).Min(n => v[n]);
                var highestGood = Enumerable.Range(0, images).Where(n => !failed[n]).Max(n => v[n]);
                lowestFailed.Should().BeGreaterThan(highestGood, $"the {name} ranks every failed image above every good one");
            }
        }
    }

    [Fact]
    public void Mean_OfSmallMap_IsHandComputed()
    {
        using var map = torch.tensor(new double[] { 1, 2, 3, 4, 0, 0, 0, 8 }).reshape(2, 2, 2);
        using var mean = MapAggregation.Mean(map);
        Golden.ToArray(mean).Should().Equal(2.5, 2.0);
    }

    [Fact]
    public void ForegroundMean_OfSmallMap_AveragesOnlyTheForeground()
    {
        using var map = Grid(new double[,] { { 0, 1, 2 }, { 3, 4, 5 }, { 6, 7, 8 } });
        using var mask = Mask(new[,] { { 0, 0, 0 }, { 0, 1, 1 }, { 0, 0, 1 } });
        using var score = MapAggregation.ForegroundMean(map, mask);
        Golden.ToArray(score).Should().Equal((4 + 5 + 8) / 3.0);
    }

    [Fact]
    public void ForegroundMean_WithEmptyForeground_IsTheImageMeanNotNaN()
    {
        using var map = torch.tensor(new double[] { 1, 2, 3, 6, 9, 9, 9, 9 }).reshape(2, 2, 2);
        using var mask = torch.tensor(new long[] { 0, 0, 0, 0, 1, 0, 0, 0 }).reshape(2, 2, 2);
        using var score = MapAggregation.ForegroundMean(map, mask);
        Golden.ToArray(score).Should().Equal(3.0, 9.0);
    }

    [Fact]
    public void BoundaryBand_OfCentredSquare_IsEverythingButTheCentre()
    {
        using var mask = Mask(new[,] { { 0, 0, 0, 0, 0 }, { 0, 1, 1, 1, 0 }, { 0, 1, 1, 1, 0 }, { 0, 1, 1, 1, 0 }, { 0, 0, 0, 0, 0 } });
        using var band = MapAggregation.BoundaryBand(mask, 1);
        band.sum().item<long>().Should().Be(24);
        band[0, 2, 2].item<bool>().Should().BeFalse();
    }

    [Fact]
    public void BoundaryBand_OfSinglePixel_IsItsThreeByThreeNeighbourhood()
    {
        using var mask = torch.zeros(1, 7, 7, dtype: ScalarType.Bool);
        mask[0, 3, 3] = torch.tensor(true);
        using var band = MapAggregation.BoundaryBand(mask, 1);
        using var expected = torch.zeros(1, 7, 7, dtype: ScalarType.Bool);
        expected[0, TensorIndex.Slice(2, 5), TensorIndex.Slice(2, 5)] = torch.tensor(true);
        band.equal(expected).all().item<bool>().Should().BeTrue();
        using var wide = MapAggregation.BoundaryBand(mask, 2);
        wide.sum().item<long>().Should().Be(25, "dilation by a 5 × 5 square, erosion empty");
    }

    [Fact]
    public void BoundaryBand_AtTheImageEdge_DoesNotTreatTheEdgeAsBoundary()
    {
        // Columns 0–1 foreground: the boundary is between columns 1 and 2 only, so column 0 survives the erosion.
        using var mask = Mask(new[,] { { 1, 1, 0, 0 }, { 1, 1, 0, 0 }, { 1, 1, 0, 0 }, { 1, 1, 0, 0 } });
        using var band = MapAggregation.BoundaryBand(mask, 1);
        using var expected = Mask(new[,] { { 0, 1, 1, 0 }, { 0, 1, 1, 0 }, { 0, 1, 1, 0 }, { 0, 1, 1, 0 } });
        band.equal(expected).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void BoundaryBand_OfEmptyOrFullMask_IsEmpty_AndBoundaryMeanFallsBackToImageMean()
    {
        using var map = torch.tensor(new double[] { 1, 2, 3, 6, 5, 5, 5, 9 }).reshape(2, 2, 2);
        using var mask = torch.tensor(new[] { false, false, false, false, true, true, true, true }).reshape(2, 2, 2);
        using var band = MapAggregation.BoundaryBand(mask);
        band.any().item<bool>().Should().BeFalse();
        using var score = MapAggregation.BoundaryMean(map, mask);
        Golden.ToArray(score).Should().Equal(3.0, 6.0);
    }

    [Fact]
    public void BoundaryBand_WiderThanTheImage_CoversTheImageOutsideTheErodedCore()
    {
        using var mask = torch.zeros(1, 5, 5, dtype: ScalarType.Bool);
        mask[0, 2, 2] = torch.tensor(true);
        using var band = MapAggregation.BoundaryBand(mask, 10);
        band.all().item<bool>().Should().BeTrue("the dilation by a 21 × 21 square covers the image and the erosion is empty");
    }

    [Fact]
    public void BoundaryMean_OfVolume_UsesTheCubeNeighbourhood()
    {
        using var mask = torch.zeros(1, 5, 5, 5, dtype: ScalarType.Bool);
        mask[0, 2, 2, 2] = torch.tensor(true);
        using var map = torch.zeros(1, 5, 5, 5, dtype: ScalarType.Float64);
        map[0, TensorIndex.Slice(1, 4), TensorIndex.Slice(1, 4), TensorIndex.Slice(1, 4)] = torch.tensor(2.0);
        map[0, 0, 0, 0] = torch.tensor(100.0);
        using var score = MapAggregation.BoundaryMean(map, mask);
        Golden.ToArray(score).Should().Equal(2.0);
    }

    [Fact]
    public void Percentile_OfOneToTen_InterpolatesLinearly()
    {
        using var map = torch.arange(1.0, 11.0, dtype: ScalarType.Float64).reshape(1, 2, 5);
        using var p95 = MapAggregation.Percentile(map);
        using var p50 = MapAggregation.Percentile(map, 50);
        using var p0 = MapAggregation.Percentile(map, 0);
        using var p100 = MapAggregation.Percentile(map, 100);
        Golden.ToArray(p95)[0].Should().BeApproximately(9.55, 1e-12);
        Golden.ToArray(p50).Should().Equal(5.5);
        Golden.ToArray(p0).Should().Equal(1.0);
        Golden.ToArray(p100).Should().Equal(10.0);
    }

    [Fact]
    public void Percentile_OfFloat32Map_IsFloat64AndBracketsMeanBetweenMinAndMax()
    {
        using var map = torch.rand(5, 3, 8, 9, generator: torch.manual_seed(7));
        using var low = MapAggregation.Percentile(map, 0);
        using var high = MapAggregation.Percentile(map, 100);
        using var mean = MapAggregation.Mean(map);
        using var min = map.flatten(1).amin(1).to(ScalarType.Float64);
        using var max = map.flatten(1).amax(1).to(ScalarType.Float64);
        high.dtype.Should().Be(ScalarType.Float64);
        low.equal(min).all().item<bool>().Should().BeTrue();
        high.equal(max).all().item<bool>().Should().BeTrue();
        mean.ge(low).logical_and(mean.le(high)).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void VolumeCoefficientOfVariation_OfTwoMembers_IsHandComputed()
    {
        // Volumes 2 and 4: mean 3, population standard deviation 1. Second image: both members empty.
        using var masks = torch.tensor(new long[] { 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0 }).reshape(2, 2, 2, 2);
        using var cv = MapAggregation.VolumeCoefficientOfVariation(masks);
        Golden.ToArray(cv)[0].Should().BeApproximately(1.0 / 3.0, 1e-15);
        Golden.ToArray(cv)[1].Should().Be(0.0);
    }

    [Fact]
    public void PairwiseDiceDisagreement_OfThreeMembers_IsHandComputed()
    {
        // Pixels of a 1 × 4 image. A = {0, 1}, B = {1, 2, 3}, C = {}: Dice(A, B) = 2/5, Dice(A, C) = Dice(B, C) = 0.
        // Image 2: every member empty (empty-vs-empty Dice = 1). Image 3: identical masks.
        using var masks = torch.tensor(new long[]
        {
            1, 1, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 1, 1, 0,
            0, 1, 1, 1, /**/ 0, 0, 0, 0, /**/ 0, 1, 1, 0,
            0, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 1, 1, 0,
        }).reshape(3, 3, 1, 4);
        using var disagreement = MapAggregation.PairwiseDiceDisagreement(masks);
        var values = Golden.ToArray(disagreement);
        values[0].Should().BeApproximately(1 - (0.4 + 0 + 0) / 3, 1e-15);
        values[1].Should().Be(0.0);
        values[2].Should().Be(0.0);
        using var cv = MapAggregation.VolumeCoefficientOfVariation(masks);
        // Volumes 2, 3, 0: mean 5/3, variance (1/9 + 16/9 + 25/9)/3 = 14/9.
        Golden.ToArray(cv)[0].Should().BeApproximately(Math.Sqrt(14.0 / 9.0) / (5.0 / 3.0), 1e-15);
    }

    [Fact]
    public void PairwiseDiceDisagreement_OfEmptyAgainstNonEmpty_IsOne()
    {
        using var masks = torch.tensor(new[] { false, false, true, false }).reshape(2, 1, 1, 2);
        using var disagreement = MapAggregation.PairwiseDiceDisagreement(masks);
        Golden.ToArray(disagreement).Should().Equal(1.0);
    }

    [Fact]
    public void MemberScores_UnderPermutationOfMembers_AreUnchanged()
    {
        var random = new Random(11);
        using var masks = torch.rand(5, 4, 6, 7, generator: torch.manual_seed(3)).gt(0.6);
        using var cv = MapAggregation.VolumeCoefficientOfVariation(masks);
        using var disagreement = MapAggregation.PairwiseDiceDisagreement(masks);
        for (var trial = 0; trial < 3; trial++)
        {
            var order = Enumerable.Range(0, 5).OrderBy(_ => random.Next()).Select(i => (long)i).ToArray();
            using var index = torch.tensor(order);
            using var shuffled = masks.index_select(0, index);
            using var cv2 = MapAggregation.VolumeCoefficientOfVariation(shuffled);
            using var disagreement2 = MapAggregation.PairwiseDiceDisagreement(shuffled);
            cv2.allclose(cv, rtol: 0, atol: 1e-14).Should().BeTrue();
            disagreement2.allclose(disagreement, rtol: 0, atol: 1e-14).Should().BeTrue();
        }

        disagreement.ge(0).logical_and(disagreement.le(1)).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void AllScores_LeakNoTensors()
    {
        using var map = torch.rand(2, 6, 7, generator: torch.manual_seed(1));
        using var mask = map.gt(0.5);
        using var members = torch.stack(new[] { mask, map.gt(0.4) });
        var before = LiveTensors.Count;
        MapAggregation.Mean(map).Dispose();
        MapAggregation.ForegroundMean(map, mask).Dispose();
        MapAggregation.BoundaryBand(mask, 2).Dispose();
        MapAggregation.BoundaryMean(map, mask, 2).Dispose();
        MapAggregation.Percentile(map, 90).Dispose();
        MapAggregation.VolumeCoefficientOfVariation(members).Dispose();
        MapAggregation.PairwiseDiceDisagreement(members).Dispose();
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void MapScores_OfMaskAndMapOfDifferentShapes_Throw()
    {
        using var map = torch.rand(2, 4, 5);
        using var wrongSize = torch.zeros(2, 4, 6, dtype: ScalarType.Bool);
        using var volume = torch.zeros(2, 3, 4, 5, dtype: ScalarType.Bool);
        FluentActions.Invoking(() => MapAggregation.ForegroundMean(map, wrongSize)).Should().Throw<ArgumentException>()
            .Where(e => e.ParamName == "predictedMask" && e.Message.Contains("(2, 4, 6)") && e.Message.Contains("(2, 4, 5)"));
        FluentActions.Invoking(() => MapAggregation.BoundaryMean(map, volume)).Should().Throw<ArgumentException>()
            .Where(e => e.ParamName == "predictedMask" && e.Message.Contains("3-D predictedMask against a 2-D map"));
    }

    [Fact]
    public void MapScores_OfModelOutputOrWrongRank_Throw()
    {
        using var output = torch.rand(new long[] { 2, 3, 4, 5, 6 });
        using var flat = torch.rand(2, 5);
        FluentActions.Invoking(() => MapAggregation.Mean(output)).Should().Throw<ArgumentException>()
            .Where(e => e.ParamName == "map" && e.Message.Contains("(N, D, H, W)") && e.Message.Contains("EntropyMap"));
        FluentActions.Invoking(() => MapAggregation.Percentile(flat)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "map");
        FluentActions.Invoking(() => MapAggregation.BoundaryBand(output)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "predictedMask");
        FluentActions.Invoking(() => MapAggregation.Mean(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => MapAggregation.ForegroundMean(flat.reshape(1, 2, 5), null!)).Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void MapScores_OfNonFiniteMap_Throw(double bad)
    {
        using var map = torch.rand(2, 4, 5, dtype: ScalarType.Float64);
        map[1, 2, 3] = torch.tensor(bad);
        using var mask = torch.ones(2, 4, 5, dtype: ScalarType.Bool);
        FluentActions.Invoking(() => MapAggregation.Mean(map)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("first at row 1"));
        FluentActions.Invoking(() => MapAggregation.ForegroundMean(map, mask)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "map");
        FluentActions.Invoking(() => MapAggregation.BoundaryMean(map, mask)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "map");
        FluentActions.Invoking(() => MapAggregation.Percentile(map)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "map");
    }

    [Fact]
    public void MaskScores_OfNonBinaryOrNaNMask_Throw()
    {
        using var map = torch.rand(1, 3, 3, dtype: ScalarType.Float64);
        using var half = torch.full(new long[] { 1, 3, 3 }, 0.5, dtype: ScalarType.Float64);
        using var nan = torch.full(new long[] { 1, 3, 3 }, double.NaN, dtype: ScalarType.Float64);
        using var members = torch.full(2, 1, 3, 3, 2L);
        FluentActions.Invoking(() => MapAggregation.ForegroundMean(map, half)).Should().Throw<ArgumentException>()
            .Where(e => e.ParamName == "predictedMask" && e.Message.Contains("9 other values"));
        FluentActions.Invoking(() => MapAggregation.BoundaryBand(nan)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "predictedMask");
        FluentActions.Invoking(() => MapAggregation.PairwiseDiceDisagreement(members)).Should().Throw<ArgumentException>().Where(e => e.ParamName == "memberMasks");
    }

    [Fact]
    public void AllScores_OfEmptyInput_Throw()
    {
        using var noImages = torch.zeros(0, 4, 5);
        using var noPixels = torch.zeros(2, 0, 5);
        using var noMembers = torch.zeros(2, 0, 4, 5, dtype: ScalarType.Bool);
        FluentActions.Invoking(() => MapAggregation.Mean(noImages)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("empty"));
        FluentActions.Invoking(() => MapAggregation.Percentile(noPixels)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("empty"));
        FluentActions.Invoking(() => MapAggregation.BoundaryBand(noPixels.gt(0))).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("empty"));
        FluentActions.Invoking(() => MapAggregation.VolumeCoefficientOfVariation(noMembers)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("empty"));
    }

    [Fact]
    public void MemberScores_OfOneMemberOrUnstackedMasks_Throw()
    {
        using var one = torch.zeros(1, 2, 4, 5, dtype: ScalarType.Bool);
        using var unstacked = torch.zeros(2, 4, 5, dtype: ScalarType.Bool);
        FluentActions.Invoking(() => MapAggregation.PairwiseDiceDisagreement(one)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("at least 2 members"));
        FluentActions.Invoking(() => MapAggregation.VolumeCoefficientOfVariation(unstacked)).Should().Throw<ArgumentException>().Where(e => e.Message.Contains("(M, N, H, W)"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void BoundaryScores_OfWidthBelowOne_Throw(int width)
    {
        using var map = torch.rand(1, 4, 4);
        using var mask = map.gt(0.5);
        FluentActions.Invoking(() => MapAggregation.BoundaryBand(mask, width)).Should().Throw<ArgumentOutOfRangeException>().Where(e => e.ParamName == "width");
        FluentActions.Invoking(() => MapAggregation.BoundaryMean(map, mask, width)).Should().Throw<ArgumentOutOfRangeException>().Where(e => e.ParamName == "width");
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Percentile_OutsideZeroToHundred_Throws(double percentile)
    {
        using var map = torch.rand(1, 4, 4);
        FluentActions.Invoking(() => MapAggregation.Percentile(map, percentile)).Should().Throw<ArgumentOutOfRangeException>()
            .Where(e => e.ParamName == "percentile" && e.Message.Contains("[0, 100]"));
    }

    private static void ShouldMatch(Tensor actual, JsonElement expected)
    {
        var values = Golden.ToArray(actual);
        var reference = Golden.Vector(expected);
        values.Should().HaveCount(reference.Length);
        for (var i = 0; i < values.Length; i++)
        {
            values[i].Should().BeApproximately(reference[i], 1e-12, $"image {i}");
        }
    }
}
