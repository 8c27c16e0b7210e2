using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Segmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Segmentation;

public sealed class PixelCalibrationTests
{
    private static readonly JsonElement Reference = Golden.Load("pixel_calibration.json");

    private static long[] Shape(JsonElement golden) => golden.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static (Tensor Logits, Tensor Labels, Tensor Roi) Case(string name)
    {
        var golden = Reference.GetProperty(name);
        var shape = Shape(golden);
        var pixelShape = new[] { shape[0] }.Concat(shape.Skip(2)).ToArray();
        using var flat = Golden.VectorTensor(golden.GetProperty("logits"));
        var logits = flat.reshape(shape);
        var labels = torch.tensor(golden.GetProperty("labels").EnumerateArray().Select(e => e.GetInt64()).ToArray()).reshape(pixelShape);
        var roi = torch.tensor(golden.GetProperty("roi").EnumerateArray().Select(e => e.GetInt64()).ToArray()).reshape(pixelShape).ne(0);
        return (logits, labels, roi);
    }

    private static double Value(string name, string field) => Reference.GetProperty(name).GetProperty(field).GetDouble();

    [Fact]
    public void Ece_Multiclass2d_MatchesNumPyOverAllPixelsAndOverTheRegion()
    {
        var (logits, labels, roi) = Case("multiclass2d");
        using (logits)
        using (labels)
        using (roi)
        using (var probabilities = logits.softmax(1))
        using (var single = logits.to(ScalarType.Float32))
        {
            var live = LiveTensors.Count;
            PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, labels).Should().BeApproximately(Value("multiclass2d", "ece"), 1e-12);
            PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, labels, roi).Should().BeApproximately(Value("multiclass2d", "eceRoi"), 1e-12);
            PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, labels, bins: 10).Should().BeApproximately(Value("multiclass2d", "ece10"), 1e-12);
            PixelCalibration.Ece(probabilities, OutputKind.Probabilities, labels, roi).Should().BeApproximately(Value("multiclass2d", "eceRoi"), 1e-12);
            PixelCalibration.Ece(single, OutputKind.MulticlassLogits, labels, roi).Should().BeApproximately(Value("multiclass2d", "eceRoi"), 1e-5);
            LiveTensors.Count.Should().Be(live);
        }
    }

    [Fact]
    public void Ece_Binary3d_MatchesNumPyForLogitsAndPositiveProbabilities()
    {
        var (logits, labels, roi) = Case("binary3d");
        using (logits)
        using (labels)
        using (roi)
        using (var positive = logits.sigmoid())
        using (var roiAsInts = roi.to(ScalarType.Int32))
        {
            PixelCalibration.Ece(logits, OutputKind.BinaryLogit, labels).Should().BeApproximately(Value("binary3d", "ece"), 1e-12);
            PixelCalibration.Ece(logits, OutputKind.BinaryLogit, labels, roi).Should().BeApproximately(Value("binary3d", "eceRoi"), 1e-12);
            PixelCalibration.Ece(positive, OutputKind.Probabilities, labels, roiAsInts).Should().BeApproximately(Value("binary3d", "eceRoi"), 1e-12);
        }
    }

    [Theory]
    [InlineData("multiclass2d", OutputKind.MulticlassLogits)]
    [InlineData("binary3d", OutputKind.BinaryLogit)]
    public void FitTemperature_OnPixels_MatchesScipyOverAllPixelsAndOverTheRegion(string name, OutputKind kind)
    {
        var (logits, labels, roi) = Case(name);
        using (logits)
        using (labels)
        using (roi)
        {
            var live = LiveTensors.Count;
            var all = PixelCalibration.FitTemperature(logits, kind, labels);
            var inRoi = PixelCalibration.FitTemperature(logits, kind, labels, roi);
            LiveTensors.Count.Should().Be(live);
            all.Temperature.Should().BeApproximately(Value(name, "temperature"), 1e-7 * Value(name, "temperature"));
            inRoi.Temperature.Should().BeApproximately(Value(name, "temperatureRoi"), 1e-7 * Value(name, "temperatureRoi"));
            all.Classes.Should().Be(kind == OutputKind.BinaryLogit ? 2 : 4);
            all.Temperature.Should().BeGreaterThan(1, "the labels were drawn from softened probabilities: the model is over-confident");
        }
    }

    [Fact]
    public void FitTemperature_SubSampled_IsSeededAndFitsExactlyTheDrawnPixels()
    {
        var (logits, labels, roi) = Case("multiclass2d");
        using (logits)
        using (labels)
        using (roi)
        {
            var options = new PixelCalibrationOptions { MaxPixels = 100, Seed = 5 };
            var first = PixelCalibration.FitTemperature(logits, OutputKind.MulticlassLogits, labels, options: options);
            var again = PixelCalibration.FitTemperature(logits, OutputKind.MulticlassLogits, labels, options: options);
            var other = PixelCalibration.FitTemperature(logits, OutputKind.MulticlassLogits, labels, options: options with { Seed = 6 });
            again.Temperature.Should().Be(first.Temperature);
            other.Temperature.Should().NotBe(first.Temperature);

            // The same pixels, gathered by hand: flat index i of (N, H, W) is image i / (H W), pixel i % (H W).
            var chosen = PixelCalibration.Sample(labels.numel(), 100, 5);
            var hw = labels.shape[1] * labels.shape[2];
            using var rows = torch.stack(chosen.Select(i => logits[i / hw, .., (i % hw) / labels.shape[2], i % labels.shape[2]]).ToArray());
            using var y = torch.tensor(chosen.Select(i => labels[i / hw, (i % hw) / labels.shape[2], i % labels.shape[2]].item<long>()).ToArray());
            TemperatureScaling.Fit(rows, y).Temperature.Should().Be(first.Temperature);

            // Within the region: the draw picks among the region's pixels only.
            var roiCount = (int)roi.sum().item<long>();
            var sampledRoi = PixelCalibration.FitTemperature(logits, OutputKind.MulticlassLogits, labels, roi, options with { MaxPixels = roiCount - 1 });
            sampledRoi.Temperature.Should().NotBe(Value("multiclass2d", "temperatureRoi"));
            var wholeRoi = PixelCalibration.FitTemperature(logits, OutputKind.MulticlassLogits, labels, roi, options with { MaxPixels = roiCount });
            wholeRoi.Temperature.Should().BeApproximately(Value("multiclass2d", "temperatureRoi"), 1e-7 * wholeRoi.Temperature);
        }
    }

    [Fact]
    public void FitTemperature_SubSampleOfLargeVolume_EstimatesTheTemperatureOfEveryPixel()
    {
        // A sigmoid model over-confident by a factor 2 on 2 × 1 × 32 × 64 × 64 voxels (262 144): labels ~ Bernoulli(σ(z / 2)).
        var generator = new torch.Generator(11);
        using var z = torch.randn(new long[] { 2, 1, 32, 64, 64 }, generator: generator, dtype: ScalarType.Float32).mul_(4);
        using var u = torch.rand(new long[] { 2, 32, 64, 64 }, generator: generator, dtype: ScalarType.Float32);
        using var labels = u.lt(z.squeeze(1).div(2).sigmoid()).to(ScalarType.Int64);
        var full = PixelCalibration.FitTemperature(z, OutputKind.BinaryLogit, labels).Temperature;
        full.Should().BeApproximately(2, 0.05, "every voxel estimates the true temperature 2");
        foreach (var seed in Enumerable.Range(0, 5))
        {
            var sampled = PixelCalibration.FitTemperature(z, OutputKind.BinaryLogit, labels, options: new PixelCalibrationOptions { MaxPixels = 20_000, Seed = seed });
            sampled.Temperature.Should().BeApproximately(full, 0.1 * full, "20 000 voxels estimate it within a few percent");
        }
    }

    [Fact]
    public void Sample_DrawsDistinctAscendingIndicesUniformly()
    {
        var counts = new int[10];
        for (var seed = 0; seed < 2000; seed++)
        {
            var s = PixelCalibration.Sample(10, 3, seed);
            s.Should().HaveCount(3).And.BeInAscendingOrder().And.OnlyHaveUniqueItems();
            s.Should().OnlyContain(i => i >= 0 && i < 10);
            foreach (var i in s)
            {
                counts[i]++;
            }
        }

        // Each index is drawn with probability 3/10: 600 expected of 2000, binomial sd ≈ 20.5; allow 4 sd.
        counts.Should().OnlyContain(c => Math.Abs(c - 600) < 82);
        PixelCalibration.Sample(5, 5, 0).Should().Equal(0, 1, 2, 3, 4);
    }

    [Fact]
    public void Ece_BadInput_NamesTheArgumentAndWhatWasFound()
    {
        using var logits = torch.zeros(2, 3, 4, 5, dtype: ScalarType.Float64);
        using var labels = torch.zeros(new long[] { 2, 4, 5 }, dtype: ScalarType.Int64);
        using var nan = logits.clone();
        nan[1, 0, 2, 2] = torch.tensor(double.NaN);
        using var inf = logits.clone();
        inf[0, 0, 0, 0] = torch.tensor(double.NegativeInfinity);
        using var labels3d = torch.zeros(new long[] { 2, 1, 4, 5 }, dtype: ScalarType.Int64);
        using var outOfRange = labels.clone().fill_(3);
        using var floatLabels = labels.to(ScalarType.Float32);
        using var emptyRoi = torch.zeros(2, 4, 5, dtype: ScalarType.Bool);
        using var roi3d = torch.ones(2, 1, 4, 5, dtype: ScalarType.Bool);
        using var notBinary = labels.clone().fill_(2);
        using var empty = torch.zeros(0, 3, 4, 5);
        using var classification = torch.zeros(2, 3);

        var act = () => PixelCalibration.Ece(nan, OutputKind.MulticlassLogits, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("output").WithMessage("*1 NaN*");
        act = () => PixelCalibration.Ece(inf, OutputKind.MulticlassLogits, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("output").WithMessage("*infinite*");
        act = () => PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, labels3d);
        act.Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*shape (2, 4, 5)*found (2, 1, 4, 5)*");
        act = () => PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, outOfRange);
        act.Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*[0, 2]*");
        act = () => PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, floatLabels);
        act.Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*integer*");
        act = () => PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, labels, emptyRoi);
        act.Should().Throw<ArgumentException>().WithParameterName("regionOfInterest").WithMessage("*empty*");
        act = () => PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, labels, roi3d);
        act.Should().Throw<ArgumentException>().WithParameterName("regionOfInterest").WithMessage("*shape*must match*");
        act = () => PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, labels, notBinary);
        act.Should().Throw<ArgumentException>().WithParameterName("regionOfInterest").WithMessage("*binary*");
        act = () => PixelCalibration.Ece(empty, OutputKind.MulticlassLogits, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("output").WithMessage("*empty*");
        act = () => PixelCalibration.Ece(classification, OutputKind.MulticlassLogits, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("output").WithMessage("*segmentation output*");
        act = () => PixelCalibration.Ece(logits, OutputKind.Regression, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("kind");
        act = () => PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, labels, bins: 0);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("bins");
        act = () => PixelCalibration.Ece(logits, OutputKind.MulticlassLogits, null!);
        act.Should().Throw<ArgumentNullException>().WithParameterName("labels");
    }

    [Fact]
    public void FitTemperature_BadInput_NamesTheArgument()
    {
        using var logits = torch.zeros(2, 3, 4, 5, dtype: ScalarType.Float64);
        using var probabilities = logits.softmax(1);
        using var labels = torch.zeros(new long[] { 2, 4, 5 }, dtype: ScalarType.Int64);
        using var nan = logits.clone();
        nan[0, 1, 1, 1] = torch.tensor(double.NaN);
        var act = () => PixelCalibration.FitTemperature(probabilities, OutputKind.Probabilities, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("kind").WithMessage("*MulticlassLogits or BinaryLogit*Probabilities*");
        act = () => PixelCalibration.FitTemperature(nan, OutputKind.MulticlassLogits, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("output").WithMessage("*NaN*");
        act = () => PixelCalibration.FitTemperature(logits, OutputKind.BinaryLogit, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("output").WithMessage("*1 channel*");
        act = () => PixelCalibration.FitTemperature(logits, OutputKind.MulticlassLogits, labels, options: new PixelCalibrationOptions { MaxPixels = 0 });
        act.Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*MaxPixels*");
    }
}
