using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Augmentation;

public sealed class AugmentationsTests
{
    private static readonly JsonElement Reference = Golden.Load("augmentations.json");

    public static TheoryData<int> SpatialCounts => new() { 2, 3 };

    /// <summary>A smooth batch: sums of low-frequency sines, (2, 2, 24, 20) or (2, 2, 20, 22, 24).</summary>
    private static Tensor Smooth(int spatial, ScalarType dtype = ScalarType.Float64)
    {
        using var scope = torch.NewDisposeScope();
        long[] sizes = spatial == 2 ? new long[] { 24, 20 } : new long[] { 20, 22, 24 };
        Tensor field = torch.zeros(1, dtype: dtype);
        for (var i = 0; i < spatial; i++)
        {
            var shape = Enumerable.Repeat(1L, spatial + 2).ToArray();
            shape[2 + i] = sizes[i];
            var coordinate = torch.linspace(0, 1, sizes[i], dtype: dtype).reshape(shape);
            field = field.add(coordinate.mul(Math.PI * (1 + (0.5 * i))).sin());
        }

        var batch = field.expand(new[] { 2L, 2L }.Concat(sizes).ToArray()).clone();
        batch[1] = batch[1].mul(-0.5).add(1.0);
        return batch.MoveToOuterDisposeScope();
    }

    private static Tensor Random(int spatial, int seed = 1)
    {
        long[] shape = spatial == 2 ? new long[] { 3, 2, 6, 5 } : new long[] { 2, 2, 4, 5, 3 };
        return torch.randn(shape, dtype: ScalarType.Float64, generator: torch.manual_seed(seed));
    }

    [Theory]
    [MemberData(nameof(SpatialCounts))]
    public void FlipAndRot90_InvertApply_IsExact(int spatial)
    {
        using var x = Random(spatial);
        var augmentations = Enumerable.Range(0, spatial).Select(a => Augmentations.Flip(a))
            .Concat(new[] { Augmentations.Flip(-1), Augmentations.Rot90(1), Augmentations.Rot90(2), Augmentations.Rot90(-1, 0, 1), Augmentations.Rot90(3, -1, 0) })
            .Concat(new[] { Augmentations.Compose(Augmentations.Flip(0), Augmentations.Rot90(1), Augmentations.Brightness(0.1)) });
        foreach (var augmentation in augmentations)
        {
            using var applied = augmentation.Apply(x);
            using var back = augmentation.Invert(applied);
            if (augmentation.Name.StartsWith("Compose", StringComparison.Ordinal))
            {
                using var brightened = Augmentations.Brightness(0.1).Apply(x);
                back.allclose(brightened, rtol: 0, atol: 0).Should().BeTrue(augmentation.Name);
            }
            else
            {
                back.allclose(x, rtol: 0, atol: 0).Should().BeTrue(augmentation.Name);
            }

            augmentation.IsGeometric.Should().BeTrue();
        }
    }

    [Fact]
    public void Flip_MirrorsTheChosenAxis()
    {
        using var x = torch.arange(6, dtype: ScalarType.Float32).reshape(1, 1, 2, 3);
        using var w = Augmentations.Flip(-1).Apply(x);
        using var h = Augmentations.Flip(0).Apply(x);
        w.data<float>().ToArray().Should().Equal(2, 1, 0, 5, 4, 3);
        h.data<float>().ToArray().Should().Equal(3, 4, 5, 0, 1, 2);
    }

    [Fact]
    public void Rot90_NonSquare_SwapsSizesAndInvertsDenseOutputsWithOtherChannels()
    {
        using var x = torch.randn(2, 1, 4, 6);
        using var applied = Augmentations.Rot90(1).Apply(x);
        applied.shape.Should().Equal(2, 1, 6, 4);
        using var output = torch.cat(new[] { applied, applied.mul(2), applied.neg() }, 1);
        using var back = Augmentations.Rot90(1).Invert(output);
        back.shape.Should().Equal(2, 3, 4, 6);
        back.narrow(1, 1, 1).allclose(x.mul(2), rtol: 0, atol: 0).Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(SpatialCounts))]
    public void Affine_InvertApply_RecoversSmoothImageInTheInterior(int spatial)
    {
        using var x = Smooth(spatial);
        // Linear interpolation errs by at most h²/8·|f''| per axis; the image is Σ_i sin(ω_i·pixel), sampled twice, the second time
        // after a scaling by s, which multiplies f'' by 1/s² (at most 1/0.81 here): the bound is (1 + 1/0.81)·Σ ω_i²/8.
        long[] sizes = spatial == 2 ? new long[] { 24, 20 } : new long[] { 20, 22, 24 };
        var bound = (1 + (1 / 0.81)) * Enumerable.Range(0, spatial).Sum(i => Math.Pow(Math.PI * (1 + (0.5 * i)) / (sizes[i] - 1), 2)) / 8;
        foreach (var augmentation in new[] { Augmentations.Rotate(10), Augmentations.Rotate(-7, 0, -1), Augmentations.Translate(-1, 0.1), Augmentations.Translate(0, -0.1), Augmentations.Scale(1.1), Augmentations.Scale(0.9) })
        {
            using var applied = augmentation.Apply(x);
            using var back = augmentation.Invert(applied);
            applied.shape.Should().Equal(x.shape);
            var error = Interior(back.sub(x).abs(), spatial).max().ToDouble();
            error.Should().BeLessThan(bound, augmentation.Name);
            using var moved = applied.sub(x).abs().max();
            moved.ToDouble().Should().BeGreaterThan(0.03, $"{augmentation.Name} must change the image");
        }
    }

    [Fact]
    public void Translate_ByWholePixels_ShiftsExactlyTowardsHigherIndices()
    {
        using var x = torch.zeros(1, 1, 8, 8, dtype: ScalarType.Float64);
        x[0, 0, 3, 2] = 1.0;
        using var right = Augmentations.Translate(-1, 0.25).Apply(x);
        using var down = Augmentations.Translate(0, -0.25).Apply(x);
        right[0, 0, 3, 4].ToDouble().Should().BeApproximately(1.0, 1e-12);
        right.sum().ToDouble().Should().BeApproximately(1.0, 1e-12);
        down[0, 0, 1, 2].ToDouble().Should().BeApproximately(1.0, 1e-12);
    }

    [Fact]
    public void Rotate_By90Degrees_EqualsRot90OnSquareImage()
    {
        using var x = torch.randn(new long[] { 2, 1, 7, 7 }, dtype: ScalarType.Float64, generator: torch.manual_seed(4));
        using var affine = Augmentations.Rotate(90).Apply(x);
        using var exact = Augmentations.Rot90(1).Apply(x);
        affine.allclose(exact, rtol: 0, atol: 1e-9).Should().BeTrue();
    }

    [Fact]
    public void Scale_Two_ZoomsIntoTheCentre()
    {
        using var x = torch.zeros(1, 1, 8, 8, dtype: ScalarType.Float64);
        x[0, 0, 3, 3] = 1.0;
        x[0, 0, 4, 4] = 1.0;
        using var zoomed = Augmentations.Scale(2).Apply(x);
        // The centre 4×4 block maps onto the whole image: each pixel becomes 2×2 (bilinear between centres).
        zoomed[0, 0, 3, 3].ToDouble().Should().BeGreaterThan(0.5);
        zoomed[0, 0, 0, 0].ToDouble().Should().Be(0);
    }

    [Fact]
    public void IntensityOperations_MatchHandComputedValues()
    {
        // One sample, min 0, max 4, mean 2 (range 4).
        using var x = torch.tensor(new double[] { 0, 1, 3, 4 }).reshape(1, 1, 2, 2);
        Values(Augmentations.Brightness(0.25).Apply(x)).Should().Equal(1, 2, 4, 5);
        Values(Augmentations.Contrast(0.5).Apply(x)).Should().Equal(1, 1.5, 2.5, 3);
        Values(Augmentations.Gamma(2).Apply(x)).Should().Equal(new[] { 0, 0.25, 2.25, 4 }, (a, b) => Math.Abs(a - b) < 1e-12);
        Values(Augmentations.Identity.Apply(x)).Should().Equal(0, 1, 3, 4);
        Augmentations.Contrast(1).Apply(x).allclose(x, rtol: 0, atol: 0).Should().BeTrue();
        Augmentations.Sharpness(0).Apply(x).allclose(x, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void IntensityOperations_UseEachSampleOwnRange()
    {
        using var x = torch.tensor(new double[] { 0, 1, 0, 10 }).reshape(2, 1, 1, 2);
        Values(Augmentations.Brightness(0.5).Apply(x)).Should().Equal(0.5, 1.5, 5, 15);
    }

    [Fact]
    public void GaussianBlur_MatchesScipyNdimage()
    {
        using var image = GoldenArrays.Tensor(Reference.GetProperty("image"));
        using var volume = GoldenArrays.Tensor(Reference.GetProperty("volume"));
        using var blurred = Augmentations.GaussianBlur(1.5).Apply(image);
        using var sharpened = Augmentations.Sharpness(0.7).Apply(image);
        using var blurredVolume = Augmentations.GaussianBlur(1.0).Apply(volume);
        Golden.ToArray(blurred).Should().Equal(GoldenArrays.Flat(Reference.GetProperty("imageBlur1_5")), (a, b) => Math.Abs(a - b) < 1e-12);
        Golden.ToArray(sharpened).Should().Equal(GoldenArrays.Flat(Reference.GetProperty("imageSharpness0_7")), (a, b) => Math.Abs(a - b) < 1e-12);
        Golden.ToArray(blurredVolume).Should().Equal(GoldenArrays.Flat(Reference.GetProperty("volumeBlur1")), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Theory]
    [MemberData(nameof(SpatialCounts))]
    public void RandomOperations_SameSeed_SameOutput_OtherSeed_Different(int spatial)
    {
        using var x = Smooth(spatial, ScalarType.Float32);
        foreach (var make in new Func<int, IAugmentation>[] { s => Augmentations.GaussianNoise(0.1, s), s => Augmentations.BiasField(0.5, s) })
        {
            using var a = make(7).Apply(x);
            using var b = make(7).Apply(x);
            using var c = make(8).Apply(x);
            a.allclose(b, rtol: 0, atol: 0).Should().BeTrue();
            a.allclose(c).Should().BeFalse();
            a.shape.Should().Equal(x.shape);
        }
    }

    [Fact]
    public void GaussianNoise_HasTheRequestedStandardDeviation()
    {
        using var x = torch.zeros(4, 1, 100, 100, dtype: ScalarType.Float64);
        x[.., .., 0, 0] = 2.0; // range 2 per sample
        using var noisy = Augmentations.GaussianNoise(0.1, 3).Apply(x);
        using var noise = noisy.sub(x);
        var std = noise.std().ToDouble();
        // 40,000 draws: the sample std of N(0, 0.2²) is within 0.2·(1 ± 5/√(2·40,000)) with overwhelming probability.
        std.Should().BeApproximately(0.2, 0.2 * 5 / Math.Sqrt(80_000));
        noise.mean().ToDouble().Should().BeApproximately(0, 5 * 0.2 / 200);
    }

    [Fact]
    public void BiasField_IsSmoothPositiveAndKeepsTheMinimum()
    {
        using var x = torch.ones(1, 1, 16, 16, dtype: ScalarType.Float64).mul(2);
        x[0, 0, 0, 0] = 1.0;
        using var biased = Augmentations.BiasField(0.5, 1).Apply(x);
        using var ratio = biased.sub(1).div(x.sub(1).clamp_min(1e-9));
        biased[0, 0, 0, 0].ToDouble().Should().Be(1.0);
        var field = ratio[0, 0, 1.., 1..];
        field.min().ToDouble().Should().BeGreaterThan(Math.Exp(-0.5 * 5));
        // |∂ log field / ∂x| ≤ 0.5·(2 + 1 + 1) per unit of normalised coordinate, and neighbours are 2/15 apart.
        field.log().diff(dim: -1).abs().max().ToDouble().Should().BeLessThanOrEqualTo(0.5 * 4 * 2 / 15.0);
        field.log().diff(dim: -2).abs().max().ToDouble().Should().BeLessThanOrEqualTo(0.5 * 4 * 2 / 15.0);
    }

    [Fact]
    public void IntensityOperations_InvertReturnsOutputsUnchanged()
    {
        using var outputs = torch.randn(2, 3);
        using var back = Augmentations.Gamma(0.5).Invert(outputs);
        back.allclose(outputs, rtol: 0, atol: 0).Should().BeTrue();
        Augmentations.Gamma(0.5).IsGeometric.Should().BeFalse();
    }

    [Fact]
    public void FromOperation_CoversEveryMedicalOperationAndAppliesToImagesAndVolumes()
    {
        using var image = Smooth(2, ScalarType.Float32);
        using var volume = Smooth(3, ScalarType.Float32);
        foreach (var operation in Augmentations.MedicalOperations)
        {
            foreach (var m in new[] { -1.0, -0.3, 0.0, 0.6, 1.0 })
            {
                var augmentation = Augmentations.FromOperation(operation, m, seed: 5);
                using var a = augmentation.Apply(image);
                using var b = augmentation.Apply(volume);
                a.isfinite().all().item<bool>().Should().BeTrue(augmentation.Name);
                b.isfinite().all().item<bool>().Should().BeTrue(augmentation.Name);
            }
        }

        Augmentations.FromOperation(AugmentationOperation.Rotate, 0.5).Name.Should().Contain("15°");
        ((Action)(() => Augmentations.FromOperation(AugmentationOperation.Rotate, 1.5))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("magnitude");
        ((Action)(() => Augmentations.FromOperation(AugmentationOperation.Rotate, double.NaN))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => Augmentations.FromOperation((AugmentationOperation)77, 0.5))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("operation");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(-5.0)]
    public void Factories_BadMagnitudes_Throw(double bad)
    {
        foreach (var make in new Func<double, IAugmentation>[]
                 {
                     v => Augmentations.Rotate(v * 1000), v => Augmentations.Translate(-1, v), v => Augmentations.Scale(v), v => Augmentations.Brightness(v),
                     v => Augmentations.Contrast(v), v => Augmentations.Gamma(v), v => Augmentations.GaussianNoise(v, 0), v => Augmentations.GaussianBlur(v),
                     v => Augmentations.Sharpness(v), v => Augmentations.BiasField(v, 0),
                 })
        {
            ((Action)(() => make(bad))).Should().Throw<ArgumentOutOfRangeException>();
        }
    }

    [Fact]
    public void Apply_BadInputs_ThrowNamingTheArgument()
    {
        using var rank3 = torch.zeros(2, 4, 4);
        using var integers = torch.zeros(new long[] { 2, 1, 4, 4 }, dtype: ScalarType.Int64);
        using var empty = torch.zeros(0, 1, 4, 4);
        using var image = torch.zeros(1, 1, 4, 4);
        foreach (var augmentation in new[] { Augmentations.Flip(), Augmentations.Rotate(5), Augmentations.Gamma(2), Augmentations.Compose(Augmentations.Identity) })
        {
            ((Action)(() => augmentation.Apply(rank3))).Should().Throw<ArgumentException>().WithParameterName("inputs").WithMessage("*rank 4 to 5*");
            ((Action)(() => augmentation.Apply(integers))).Should().Throw<ArgumentException>().WithMessage("*floating-point*");
            ((Action)(() => augmentation.Apply(empty))).Should().Throw<ArgumentException>().WithMessage("*empty*");
            ((Action)(() => augmentation.Apply(null!))).Should().Throw<ArgumentNullException>();
        }

        ((Action)(() => Augmentations.Flip(2).Apply(image))).Should().Throw<ArgumentException>().WithMessage("*axis 2 does not exist*2 spatial dimensions*");
        ((Action)(() => Augmentations.Rotate(5, 0, -2).Apply(image))).Should().Throw<ArgumentException>().WithMessage("*names one axis twice*");
        ((Action)(() => Augmentations.Flip(3))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => Augmentations.Rot90(1, 0, 0))).Should().Throw<ArgumentException>();
        ((Action)(() => Augmentations.Compose())).Should().Throw<ArgumentException>().WithMessage("*at least one*");
        ((Action)(() => Augmentations.Rotate(5).Invert(rank3))).Should().Throw<ArgumentException>().WithParameterName("outputs");
    }

    [Theory]
    [MemberData(nameof(SpatialCounts))]
    public void EveryAugmentation_LeaksNoTensor_AndLeavesInputAlive(int spatial)
    {
        using var x = Smooth(spatial, ScalarType.Float32);
        var all = Augmentations.MedicalOperations.Select(o => Augmentations.FromOperation(o, 0.7, 1)).ToList();
        all.Add(Augmentations.Compose(all.ToArray()));
        var before = LiveTensors.Count;
        foreach (var augmentation in all)
        {
            using var applied = augmentation.Apply(x);
            augmentation.Invert(applied).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
        x.IsInvalid.Should().BeFalse();
    }

    private static double[] Values(Tensor tensor)
    {
        using (tensor)
        {
            return Golden.ToArray(tensor);
        }
    }

    private static Tensor Interior(Tensor value, int spatial)
    {
        var x = value;
        for (var d = 2; d < 2 + spatial; d++)
        {
            var size = x.shape[d];
            var margin = Math.Max(2, size / 5);
            x = x.narrow(d, margin, size - (2 * margin));
        }

        return x;
    }
}
