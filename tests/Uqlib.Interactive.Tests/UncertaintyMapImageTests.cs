using System;
using System.IO;
using FluentAssertions;
using Uqlib.Interactive.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Interactive.Tests;

public sealed class UncertaintyMapImageTests
{
    [Fact]
    public void ColorMapped_Map_HoldsTheSamePngAsUncertaintyMaps()
    {
        using var map = linspace(0, 1, 32 * 16).reshape(16, 32);
        using var expected = new MemoryStream();
        Uqlib.Imaging.UncertaintyMaps.SaveColorMapped(map, expected);

        var image = UncertaintyMapImage.ColorMapped(map);

        image.ToPng().Should().Equal(expected.ToArray());
        image.Caption.Should().Be("Uncertainty map");
    }

    [Fact]
    public void Overlay_ImageAndMap_HasTheSizeOfTheRenderedPng()
    {
        using var generator = new Generator(3);
        using var picture = rand(new long[] { 1, 24, 40 }, generator: generator);
        using var generator2 = new Generator(4);
        using var map = rand(new long[] { 24, 40 }, generator: generator2);
        var before = LiveTensors.Count;

        var image = UncertaintyMapImage.Overlay(picture, map, new Uqlib.Imaging.HeatMapOptions { ColorBar = false });

        image.Width.Should().Be(40);
        image.Height.Should().Be(24);
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void ToPng_ReturnsACopy()
    {
        using var map = zeros(8, 8);
        var image = UncertaintyMapImage.ColorMapped(map);

        image.ToPng()[0] = 0;

        image.ToPng()[0].Should().Be(137);
    }

    [Fact]
    public void ColorMapped_NaNInMap_ThrowsNamingMap()
    {
        using var map = tensor(new[,] { { 0f, float.NaN } });

        var act = () => UncertaintyMapImage.ColorMapped(map);

        act.Should().Throw<ArgumentException>().WithParameterName("map");
    }

    [Fact]
    public void ColorMapped_NullCaption_Throws()
    {
        using var map = zeros(8, 8);

        var act = () => UncertaintyMapImage.ColorMapped(map, caption: null!);

        act.Should().Throw<ArgumentNullException>().WithParameterName("caption");
    }
}
