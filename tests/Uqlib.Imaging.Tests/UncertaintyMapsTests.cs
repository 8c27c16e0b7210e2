using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using Uqlib.Imaging.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Imaging.Tests;

public sealed class UncertaintyMapsTests : IDisposable
{
    private static readonly Rgb24 ViridisMin = new(68, 1, 84);
    private static readonly Rgb24 ViridisMax = new(253, 231, 37);
    private static readonly Rgb24 InfernoMin = new(0, 0, 4);
    private static readonly Rgb24 InfernoMax = new(252, 255, 164);

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>A 4 × 5 map (H × W) whose largest value is at row 1, column 2 and smallest at row 3, column 0.</summary>
    private static Tensor Map()
    {
        var values = Enumerable.Range(0, 20).Select(i => 0.5f).ToArray();
        values[(1 * 5) + 2] = 0.9f;
        values[(3 * 5) + 0] = 0.1f;
        return torch.tensor(values, [4, 5]);
    }

    private static byte[] ColorMapped(Tensor map, HeatMapOptions? options = null)
    {
        using var stream = new MemoryStream();
        UncertaintyMaps.SaveColorMapped(map, stream, options);
        return stream.ToArray();
    }

    [Fact]
    public void SaveColorMapped_MaxAndMinTakeTheEndColours()
    {
        using var map = Map();

        using var image = Png.Decode(ColorMapped(map, new HeatMapOptions { ColorBar = false }));

        image.Width.Should().Be(5);
        image.Height.Should().Be(4);
        image[2, 1].Should().Be(ViridisMax);
        image[0, 3].Should().Be(ViridisMin);
        image[4, 0].Should().Be(new Rgb24(33, 145, 140), "0.5 of the range is viridis(0.5)");
    }

    [Fact]
    public void SaveColorMapped_Path_WritesThePng()
    {
        using var map = Map();
        var path = Path.Combine(folder.Path, "map.png");

        UncertaintyMaps.SaveColorMapped(map, path, new HeatMapOptions { ColorMap = ColorMap.Inferno });

        using var image = Png.Decode(File.ReadAllBytes(path));
        image[2, 1].Should().Be(InfernoMax);
        image[0, 3].Should().Be(InfernoMin);
    }

    [Fact]
    public void SaveColorMapped_ColorBar_RunsFromMaxAtTopToMinAtBottom_WithLabels()
    {
        using var map = torch.linspace(0, 1, 64 * 40, ScalarType.Float32).reshape(64, 40);

        using var image = Png.Decode(ColorMapped(map));

        image.Height.Should().Be(64);
        image.Width.Should().BeGreaterThan(40 + 16, "a panel with the bar and its labels is added on the right");
        var barX = 40 + 4 + 6;
        image[barX, 0].Should().Be(ViridisMax);
        image[barX, 63].Should().Be(ViridisMin);
        image[40 + 1, 10].Should().Be(new Rgb24(255, 255, 255), "the gap between image and bar is white");
        var labelPixels = 0;
        for (var y = 0; y < 64; y++)
        {
            for (var x = 40 + 4 + 12; x < image.Width; x++)
            {
                labelPixels += image[x, y] == new Rgb24(0, 0, 0) ? 1 : 0;
            }
        }

        labelPixels.Should().BeGreaterThan(20, "the smallest, middle and largest values are written beside the bar");
    }

    [Fact]
    public void SaveColorMapped_GivenRange_ClampsValuesOutsideIt()
    {
        using var map = torch.tensor(new[] { -5f, 0f, 0.5f, 1f, 9f }, [1, 5]);

        using var image = Png.Decode(ColorMapped(map, new HeatMapOptions { Minimum = 0, Maximum = 1, ColorBar = false }));

        image[0, 0].Should().Be(ViridisMin);
        image[1, 0].Should().Be(ViridisMin);
        image[3, 0].Should().Be(ViridisMax);
        image[4, 0].Should().Be(ViridisMax);
    }

    [Fact]
    public void SaveColorMapped_ConstantMap_UsesTheFirstColour()
    {
        using var map = torch.full(3, 3, 0.25f);

        using var image = Png.Decode(ColorMapped(map, new HeatMapOptions { ColorBar = false }));

        image[1, 1].Should().Be(ViridisMin);
    }

    [Fact]
    public void SaveColorMapped_LeadingUnitDimensionsAndDoubles_Accepted()
    {
        using var map = Map();
        using var batched = map.to(ScalarType.Float64).reshape(1, 1, 4, 5);

        ColorMapped(batched).Should().Equal(ColorMapped(map), "the same map in another shape and dtype draws the same picture");
    }

    [Fact]
    public void SaveColorMapped_IsDeterministic_AndLeavesTheMapAlone()
    {
        using var map = Map();
        var before = LiveTensors.Count;

        var first = ColorMapped(map);

        ColorMapped(map).Should().Equal(first);
        LiveTensors.Count.Should().Be(before);
        map.IsInvalid.Should().BeFalse();
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "infinite")]
    [InlineData(float.NegativeInfinity, "infinite")]
    public void SaveColorMapped_NonFiniteValues_Throw(float bad, string expected)
    {
        using var map = torch.tensor(new[] { 0f, bad, 1f, 1f }, [2, 2]);

        var act = () => ColorMapped(map);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "map" && e.Message.Contains(expected));
    }

    [Fact]
    public void SaveColorMapped_BadShapes_Throw()
    {
        using var vector = torch.zeros(5);
        using var twoMaps = torch.zeros(2, 4, 4);
        using var empty = torch.zeros(0, 4);
        using var integers = torch.zeros(new long[] { 2, 2 }, ScalarType.Int32);

        FluentActions.Invoking(() => ColorMapped(vector)).Should().Throw<ArgumentException>().WithMessage("*rank 2 to 4*");
        FluentActions.Invoking(() => ColorMapped(twoMaps)).Should().Throw<ArgumentException>().WithMessage("*found shape (2, 4, 4)*");
        FluentActions.Invoking(() => ColorMapped(empty)).Should().Throw<ArgumentException>().WithMessage("*empty*");
        FluentActions.Invoking(() => ColorMapped(integers)).Should().Throw<ArgumentException>().WithMessage("*floating-point*");
        FluentActions.Invoking(() => UncertaintyMaps.SaveColorMapped(null!, new MemoryStream())).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => UncertaintyMaps.SaveColorMapped(vector, (Stream)null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void SaveOverlay_BlendsGrayscaleImageWithTheHeatMap()
    {
        using var map = Map();
        // The image: 0 everywhere except 1 at the map's maximum and 0.5 at its minimum (min–max scaled for display: 0, 1, 0.5).
        var pixels = new float[20];
        pixels[(1 * 5) + 2] = 1f;
        pixels[(3 * 5) + 0] = 0.5f;
        using var input = torch.tensor(pixels, [1, 1, 4, 5]);
        using var stream = new MemoryStream();
        var before = LiveTensors.Count;

        UncertaintyMaps.SaveOverlay(input, map, stream, new HeatMapOptions { Opacity = 0.25, ColorBar = false });

        LiveTensors.Count.Should().Be(before, "no temporary tensor outlives the call");
        input.IsInvalid.Should().BeFalse();
        using var image = Png.Decode(stream);
        static byte Blend(double gray, byte heat) => (byte)Math.Round((0.75 * 255 * gray) + (0.25 * heat));
        image[2, 1].Should().Be(new Rgb24(Blend(1, 253), Blend(1, 231), Blend(1, 37)));
        image[0, 3].Should().Be(new Rgb24(Blend(0.5, 68), Blend(0.5, 1), Blend(0.5, 84)));
        image[4, 0].Should().Be(new Rgb24(Blend(0, 33), Blend(0, 145), Blend(0, 140)));
    }

    [Fact]
    public void SaveOverlay_RgbImage_UsesLuminance_AndAddsTheColorBar()
    {
        using var map = Map();
        using var input = torch.zeros(3, 4, 5);
        input[0, 1, 2] = torch.tensor(1f);
        var path = Path.Combine(folder.Path, "overlay.png");

        UncertaintyMaps.SaveOverlay(input, map, path);

        using var image = Png.Decode(File.ReadAllBytes(path));
        image.Width.Should().BeGreaterThan(5);
        // Only red is lit, so the luminance there is the maximum (scaled to 1); opacity 0.5.
        image[2, 1].Should().Be(new Rgb24((byte)Math.Round(127.5 + 126.5), (byte)Math.Round(127.5 + 115.5), (byte)Math.Round(127.5 + 18.5)));
        image[5 + 4 + 6, 0].Should().Be(ViridisMax);
        image[5 + 4 + 6, 3].Should().Be(ViridisMin);
    }

    [Fact]
    public void SaveOverlay_SizeMismatch_Throws()
    {
        using var map = Map();
        using var input = torch.zeros(1, 4, 6);

        var act = () => UncertaintyMaps.SaveOverlay(input, map, new MemoryStream());

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "image" && e.Message.Contains("4 × 6") && e.Message.Contains("4 × 5"));
    }

    [Fact]
    public void SaveOverlay_BadImages_Throw()
    {
        using var map = Map();
        using var twoChannels = torch.zeros(2, 4, 5);
        using var twoImages = torch.zeros(2, 1, 4, 5);
        using var withNaN = torch.full(1, 4, 5, float.NaN);

        FluentActions.Invoking(() => UncertaintyMaps.SaveOverlay(twoChannels, map, new MemoryStream()))
            .Should().Throw<ArgumentException>().WithMessage("*C = 1 or 3*");
        FluentActions.Invoking(() => UncertaintyMaps.SaveOverlay(twoImages, map, new MemoryStream()))
            .Should().Throw<ArgumentException>().WithMessage("*C = 1 or 3*");
        FluentActions.Invoking(() => UncertaintyMaps.SaveOverlay(withNaN, map, new MemoryStream()))
            .Should().Throw<ArgumentException>().WithMessage("*NaN*");
        FluentActions.Invoking(() => UncertaintyMaps.SaveOverlay(null!, map, new MemoryStream()))
            .Should().Throw<ArgumentNullException>().WithParameterName("image");
    }

    [Fact]
    public void SaveOverlay_InvalidOptions_Throw()
    {
        using var map = Map();

        var act = () => UncertaintyMaps.SaveOverlay(map, map, new MemoryStream(), new HeatMapOptions { Opacity = 2 });

        act.Should().Throw<ArgumentException>().WithMessage("*Opacity*");
    }
}
