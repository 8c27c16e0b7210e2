using System.Linq;
using FluentAssertions;
using SkiaSharp;
using Uqlib.Plotting.Tests.TestSupport;
using Xunit;

namespace Uqlib.Plotting.Tests;

public sealed class ChartFontTests
{
    [Fact]
    public void Bytes_EmbeddedResource_IsDejaVuSans()
    {
        using var data = SKData.CreateCopy(ChartFont.Bytes);
        using var typeface = SKTypeface.FromData(data);

        typeface.Should().NotBeNull();
        typeface.FamilyName.Should().Be(ChartFont.Family);
    }

    [Fact]
    public void EnsureRegistered_ResolvesTheFamilyToTheEmbeddedFontAheadOfTheSystem()
    {
        ChartFont.EnsureRegistered();

        var typeface = ScottPlot.Fonts.GetTypeface(ChartFont.Family, bold: false, italic: false);

        typeface.FamilyName.Should().Be(ChartFont.Family);
        ScottPlot.Fonts.FontResolvers[0].Should().NotBeOfType<ScottPlot.FontResolvers.SystemFontResolver>();
    }

    [Fact]
    public void Render_AnyChart_AsksOnlyForTheEmbeddedFamily()
    {
        using var chart = RocCurvesChart.Create(Synthetic.ThreeMethods());

        Svg.FontFamilies(chart.ToSvg()).Should().Equal(ChartFont.Family);
    }

    [Fact]
    public void Render_AnyChart_LeavesScottPlotsProcessWideDefaultFontAlone()
    {
        var before = ScottPlot.Fonts.Default;

        using var chart = RocCurvesChart.Create(Synthetic.ThreeMethods());

        ScottPlot.Fonts.Default.Should().Be(before);
        Svg.Texts(chart.ToSvg()).Should().NotBeEmpty();
    }
}
