using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Samples.BiradsShape.Training;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.Training;

public sealed class TrainingAugmentationTests
{
    [Fact]
    public void Apply_SameSeed_SameOutput_OtherSeed_Differs()
    {
        using var generator = new Generator(1);
        using var images = randn(8, 1, 16, 16, generator: generator);
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        using var g3 = new Generator(6);
        using var a = TrainingAugmentation.Apply(images, g1);
        using var b = TrainingAugmentation.Apply(images, g2);
        using var c = TrainingAugmentation.Apply(images, g3);
        a.shape.Should().Equal(8, 1, 16, 16);
        a.allclose(b, rtol: 0, atol: 0).Should().BeTrue();
        a.allclose(c, rtol: 0, atol: 0).Should().BeFalse();
        a.isfinite().all().ToBoolean().Should().BeTrue();
    }

    [Fact]
    public void Apply_DoesNotChangeInput()
    {
        using var generator = new Generator(1);
        using var images = randn(4, 1, 16, 16, generator: generator);
        using var copy = images.clone();
        using var g = new Generator(2);
        using (TrainingAugmentation.Apply(images, g))
        {
        }

        images.allclose(copy, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Apply_NotSquare_Throws()
    {
        using var images = zeros(2, 1, 16, 12);
        using var g = new Generator(2);
        var act = () => TrainingAugmentation.Apply(images, g);
        act.Should().Throw<ArgumentException>().WithParameterName("images");
    }
}
