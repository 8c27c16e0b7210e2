using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Training;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.Training;

public sealed class ShapeNetTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void Forward_Slices_TwoLogits(int size)
    {
        using var network = new ShapeNet(size);
        network.eval();
        using var input = zeros(3, 1, size, size);
        using var logits = network.call(input);
        logits.shape.Should().Equal(3, 2);
        network.named_modules().Select(m => m.name).Should().Contain(ShapeNet.FeatureLayer);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(20)]
    [InlineData(136)]
    public void Constructor_BadSize_Throws(int size)
    {
        var act = () => new ShapeNet(size);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("imageSize");
    }
}
