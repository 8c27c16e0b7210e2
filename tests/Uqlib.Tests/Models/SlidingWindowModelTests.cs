using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Ensembles;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Models;

public sealed class SlidingWindowModelTests
{
    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Golden.Load("sliding_window.json").GetProperty("cases").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_PatchModel_MatchesTheNumPyReferenceOfMonaiSemantics(int index)
    {
        var golden = Golden.Load("sliding_window.json").GetProperty("cases")[index];
        var shape = golden.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        using var image = torch.tensor(Golden.Vector(golden.GetProperty("image")), ScalarType.Float64).to(ScalarType.Float32).reshape(shape);
        int calls = 0;
        long windows = 0;
        var patchModel = new DelegateModel(x => { calls++; windows += x.shape[0]; return PositionalModel(x); }, OutputKind.MulticlassLogits);
        var model = new SlidingWindowModel(patchModel, new SlidingWindowOptions
        {
            RoiSize = golden.GetProperty("roi").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            Overlap = golden.GetProperty("overlap").GetDouble(),
            Blend = golden.GetProperty("mode").GetString() == "gaussian" ? SlidingWindowBlend.Gaussian : SlidingWindowBlend.Constant,
            WindowBatchSize = golden.GetProperty("batch").GetInt32(),
            Padding = golden.GetProperty("padding").GetString() switch
            {
                "reflect" => SlidingWindowPadding.Reflect,
                "replicate" => SlidingWindowPadding.Replicate,
                _ => SlidingWindowPadding.Constant,
            },
        });

        using var output = model.Forward(image);

        var expectedShape = new[] { shape[0], 2L }.Concat(shape.Skip(2)).ToArray();
        output.Logits.shape.Should().Equal(expectedShape);
        windows.Should().Be(golden.GetProperty("windows").GetInt64());
        calls.Should().Be((int)Math.Ceiling((double)windows / golden.GetProperty("batch").GetInt32()));
        var expected = Golden.Vector(golden.GetProperty("output"));
        var actual = output.Logits.to(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            actual[i].Should().BeApproximately(expected[i], 2e-5 * Math.Max(1, Math.Abs(expected[i])), "element {0}", i);
        }
    }

    [Fact]
    public void Forward_WindowCoveringTheImage_EqualsOnePlainForwardPass()
    {
        var generator = new Generator().manual_seed(5);
        using var image = torch.randn(new long[] { 2, 1, 6, 7 }, generator: generator);
        var patchModel = new DelegateModel(PositionalModel, OutputKind.MulticlassLogits);
        var model = new SlidingWindowModel(patchModel, new SlidingWindowOptions { RoiSize = [6, 7], Blend = SlidingWindowBlend.Gaussian });

        using var output = model.Forward(image);
        using var plain = patchModel.Forward(image);

        output.Logits.allclose(plain.Logits, 1e-6, 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Forward_FeaturesPerWindow_AveragedPerImage()
    {
        using var image = torch.arange(0, 2 * 8 * 8, dtype: ScalarType.Float32).reshape(2, 1, 8, 8);
        var patchModel = new DelegateModel(x => (PositionalModel(x), x.flatten(1).mean(new long[] { 1 }, keepdim: true)), OutputKind.MulticlassLogits);
        var model = new SlidingWindowModel(patchModel, new SlidingWindowOptions { RoiSize = [4, 8], Overlap = 0 });

        using var output = model.Forward(image);

        // Windows are rows 0-3 and 4-7 of each image: their means average to the image mean.
        output.Features!.shape.Should().Equal(2L, 1L);
        output.Features.data<float>().ToArray().Should().Equal(31.5f, 95.5f);
    }

    [Fact]
    public void TestTimeAugmentation_OverSlidingWindows_InvertsFlipsOfVolumes()
    {
        // A voxel-wise network is flip-equivariant, so TTA with inverted flips must give exactly its own prediction and zero spread;
        // un-inverted outputs would be mirrored against each other.
        using var volume = torch.randn(new long[] { 2, 1, 9, 10, 11 }, generator: torch.manual_seed(8));
        var pointwise = new DelegateModel(x => torch.cat([x.mul(2), x.neg()], 1), OutputKind.MulticlassLogits);
        var model = new SlidingWindowModel(pointwise, new SlidingWindowOptions { RoiSize = [4, 6, 5], Blend = SlidingWindowBlend.Gaussian });
        var tta = new TestTimeAugmentationEstimator(model, TtaPolicy.Flips(3), EnsembleScore.MutualInformation);

        using var estimate = tta.Estimate(volume);
        using var plain = pointwise.Forward(volume);
        using var expected = plain.Logits.softmax(1);

        estimate.Probabilities.allclose(expected, 1e-5, 1e-6).Should().BeTrue();
        estimate.Map!.shape.Should().Equal(2L, 9L, 10L, 11L);
        estimate.Map.abs().max().item<float>().Should().BeLessThan(1e-5f);
    }

    [Fact]
    public void GreedyPolicySearch_OverSlidingWindows_InvertsEveryGeometricCandidate_AndSearchesAsThePlainModel()
    {
        using var scope = torch.NewDisposeScope();
        var volumes = torch.rand(new long[] { 3, 1, 6, 10, 10 }, generator: torch.manual_seed(11));
        var masks = volumes.squeeze(1).gt(0.6).to(ScalarType.Int64);
        var validation = new[] { new Batch(volumes, masks) };
        var pool = CandidatePool.Of(
            SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, 1)),
            SubPolicy.Of(new PolicyOperation(AugmentationOperation.Rot90, -1)),
            SubPolicy.Of(new PolicyOperation(AugmentationOperation.Brightness, 0.5)),
            SubPolicy.Of(new PolicyOperation(AugmentationOperation.Contrast, 0.7)));

        // A voxel-wise network slid in windows smaller than the volume: flips and quarter turns must be undone exactly.
        var pointwise = new DelegateModel(x => torch.cat([torch.zeros_like(x), x.sub(0.6).mul(8)], 1), OutputKind.MulticlassLogits);
        var windowed = new SlidingWindowModel(pointwise, new SlidingWindowOptions { RoiSize = [4, 6, 6], Blend = SlidingWindowBlend.Gaussian });
        using var cache = CandidateCache.Build(windowed, validation, pool, new CandidateCacheOptions { PixelsPerImage = 50, Seed = 4 });
        cache.LogProbabilities.shape.Should().Equal(5, 150, 2);
        cache.LogProbabilities[1].allclose(cache.LogProbabilities[0], rtol: 0, atol: 1e-6).Should().BeTrue("a flip is undone through the windows");
        cache.LogProbabilities[2].allclose(cache.LogProbabilities[0], rtol: 0, atol: 1e-6).Should().BeTrue("so is a quarter turn");
        cache.LogProbabilities[3].allclose(cache.LogProbabilities[0], rtol: 0, atol: 1e-3).Should().BeFalse("brightness changes the prediction");

        // A network with a spatial kernel, under one window covering the volume: the search sees exactly what the plain network gives.
        var kernel = torch.randn(new long[] { 2, 1, 3, 3, 3 }, generator: torch.manual_seed(12));
        var conv = new DelegateModel(x => nn.functional.conv3d(x, kernel, padding: [1, 1, 1]), OutputKind.MulticlassLogits);
        var covering = new SlidingWindowModel(conv, new SlidingWindowOptions { RoiSize = [6, 10, 10] });
        var options = new GreedyPolicySearchOptions { Steps = 6, HeldOutCheck = false };
        var cacheOptions = new CandidateCacheOptions { PixelsPerImage = 80, Seed = 5 };
        var throughWindows = GreedyPolicySearch.Fit(covering, validation, pool, options, cacheOptions);
        var plain = GreedyPolicySearch.Fit(conv, validation, pool, options, cacheOptions);

        throughWindows.Count.Should().Be(plain.Count);
        throughWindows.Temperature!.Value.Should().BeApproximately(plain.Temperature!.Value, 1e-5);
        throughWindows.Augmentations.Select(a => a.Name).Should().Equal(plain.Augmentations.Select(a => a.Name));
    }

    [LinuxFact]
    public void Forward_OverA256CubedVolume_HoldsTheOutputAndOneWindowBatch()
    {
        // The blended logits (2 × 64 MiB) and the summed weights (64 MiB) are the output's own size; the 125 windows' logits together
        // would add 250 MiB more. One batch of 4 windows (crops, logits) is a few MiB (measured: 219 MiB in all, 10 runs of 10).
        var peak = PeakMemory.MeasureHeldMiB(SlideOver256Cubed);

        peak.Should().BeLessThan(256, "the output (192 MiB) and one window batch may be held, never every window");
    }

    private static void SlideOver256Cubed(string[] arguments)
    {
        using var volume = torch.rand(new long[] { 1, 1, 256, 256, 256 }, generator: torch.manual_seed(2));
        var pointwise = new DelegateModel(x => torch.cat([x, x.neg()], 1), OutputKind.MulticlassLogits);
        var model = new SlidingWindowModel(pointwise, new SlidingWindowOptions { RoiSize = [64, 64, 64], WindowBatchSize = 4 });
        using (var small = torch.rand(new long[] { 1, 1, 64, 64, 64 }))
        {
            model.Forward(small).Dispose();
        }

        PeakMemory.Start();
        model.Forward(volume).Dispose();
    }

    [Fact]
    public void Forward_ModelReturningPerWindowLogits_SaysWhatShapeIsNeeded()
    {
        using var image = torch.zeros(1, 1, 8, 8);
        var classifier = new DelegateModel(x => torch.zeros(x.shape[0], 3), OutputKind.MulticlassLogits);
        var model = new SlidingWindowModel(classifier, new SlidingWindowOptions { RoiSize = [4, 4] });

        var act = () => model.Forward(image);

        act.Should().Throw<InvalidOperationException>().WithMessage("*logits of shape [4, 3]*needs (4, K, 4, 4)*");
    }

    [Fact]
    public void Forward_InputOfAnotherRank_NamesInputs()
    {
        using var image = torch.zeros(new long[] { 1, 1, 4, 4, 4 });
        var model = new SlidingWindowModel(new DelegateModel(PositionalModel, OutputKind.MulticlassLogits), new SlidingWindowOptions { RoiSize = [4, 4] });

        var act = () => model.Forward(image);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "inputs").WithMessage("*(N, C, H, W)*[1, 1, 4, 4, 4]*");
    }

    [Fact]
    public void Constructor_InvalidOptions_ListsEveryProblem()
    {
        var inner = new DelegateModel(PositionalModel, OutputKind.MulticlassLogits);

        var act = () => new SlidingWindowModel(inner, new SlidingWindowOptions { RoiSize = [0, 8, 9000], Overlap = 1, WindowBatchSize = 0, SigmaScale = double.NaN });

        act.Should().Throw<ArgumentException>().WithMessage("*RoiSize values*found 0*found 9000*Overlap*SigmaScale*WindowBatchSize*");
    }

    /// <summary>out[k] = (k + 1)·x + 0.01·(flat index inside the window) − 0.5·k: position-dependent, so overlapping windows disagree.</summary>
    private static Tensor PositionalModel(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var roi = x.shape.Skip(2).ToArray();
        var ramp = torch.arange(0, roi.Aggregate(1L, (a, b) => a * b), dtype: ScalarType.Float32).mul(0.01f).reshape(roi);
        var outs = Enumerable.Range(0, 2).Select(k => x[.., 0].mul((float)(k + 1)).add(ramp).sub((float)(0.5 * k))).ToArray();
        return torch.stack(outs, 1).MoveToOuterDisposeScope();
    }
}
