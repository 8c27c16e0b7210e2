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
