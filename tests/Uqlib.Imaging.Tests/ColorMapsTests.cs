using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using Uqlib.Imaging.Tests.TestSupport;
using Xunit;

namespace Uqlib.Imaging.Tests;

public sealed class ColorMapsTests
{
    [Theory]
    [InlineData(ColorMap.Viridis, "viridis")]
    [InlineData(ColorMap.Inferno, "inferno")]
    [InlineData(ColorMap.Gray, "gray")]
    public void Lookup_MatchesMatplotlibWithinItsOwnTableStep(ColorMap map, string name)
    {
        // matplotlib looks values up in a 256-entry table (nearest bin); Uqlib interpolates 65 anchors of it: they agree within 4 of 255.
        var golden = Golden.Load("colormaps.json").GetProperty(name);
        var values = golden.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var colors = golden.GetProperty("rgb").EnumerateArray().Select(Rgb).ToArray();

        for (var i = 0; i < values.Length; i++)
        {
            var (r, g, b) = ColorMaps.Lookup(map, values[i]);
            Math.Abs(r - colors[i].R).Should().BeLessThanOrEqualTo(4, "red at {0}", values[i]);
            Math.Abs(g - colors[i].G).Should().BeLessThanOrEqualTo(4, "green at {0}", values[i]);
            Math.Abs(b - colors[i].B).Should().BeLessThanOrEqualTo(4, "blue at {0}", values[i]);
        }
    }

    [Theory]
    [InlineData(ColorMap.Viridis, "viridis")]
    [InlineData(ColorMap.Inferno, "inferno")]
    public void Lookup_AtAnchors_IsExact(ColorMap map, string name)
    {
        var anchors = Golden.Load("colormaps.json").GetProperty(name).GetProperty("anchors").EnumerateArray().Select(Rgb).ToArray();

        for (var k = 0; k < anchors.Length; k++)
        {
            ColorMaps.Lookup(map, k / 64.0).Should().Be(anchors[k]);
        }
    }

    [Fact]
    public void Lookup_ClampsOutsideUnitRange()
    {
        ColorMaps.Lookup(ColorMap.Viridis, -3).Should().Be(((byte)68, (byte)1, (byte)84));
        ColorMaps.Lookup(ColorMap.Viridis, 7).Should().Be(((byte)253, (byte)231, (byte)37));
    }

    private static (byte R, byte G, byte B) Rgb(JsonElement element)
    {
        var c = element.EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray();
        return (c[0], c[1], c[2]);
    }
}
