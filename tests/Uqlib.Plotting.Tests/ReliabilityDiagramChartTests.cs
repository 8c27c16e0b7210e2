using System;
using System.Globalization;
using System.Linq;
using FluentAssertions;
using Uqlib.Calibration;
using Uqlib.Plotting.Tests.TestSupport;
using Xunit;

namespace Uqlib.Plotting.Tests;

public sealed class ReliabilityDiagramChartTests
{
    /// <summary>Seeded over-confident binary-like predictions over 3 classes, row-major.</summary>
    private static (double[] Probabilities, int[] Labels) Predictions(int count, int seed)
    {
        var random = new Random(seed);
        var probabilities = new double[count * 3];
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            var top = random.Next(3);
            var confidence = 0.4 + (0.6 * random.NextDouble());
            for (var c = 0; c < 3; c++)
            {
                probabilities[(i * 3) + c] = c == top ? confidence : (1 - confidence) / 2;
            }

            // Right less often than the confidence claims: over-confident.
            labels[i] = random.NextDouble() < confidence - 0.15 ? top : (top + 1) % 3;
        }

        return (probabilities, labels);
    }

    [Fact]
    public void Create_Diagram_SvgHasTitleWithEceAxisLabelsAndLegend()
    {
        var (probabilities, labels) = Predictions(1000, seed: 1);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels);
        using var chart = ReliabilityDiagramChart.Create(diagram);

        var texts = Svg.Texts(chart.ToSvg());

        var title = string.Create(CultureInfo.InvariantCulture, $"Reliability diagram (ECE {diagram.Ece:0.000}, 15 bins)");
        texts.Should().Contain(title);
        chart.Title.Should().Be(title);
        texts.Should().Contain(ReliabilityDiagramChart.XLabel).And.Contain(ReliabilityDiagramChart.YLabel);
        texts.Should().Contain(ReliabilityDiagramChart.AccuracyLegend).And.Contain(ReliabilityDiagramChart.GapLegend)
            .And.Contain(ReliabilityDiagramChart.DiagonalLegend).And.Contain(ReliabilityDiagramChart.HistogramLabel);
    }

    [Fact]
    public void Create_Diagram_DrawsAccuracyAndGapAboveAndTheShareOfSamplesInTheLowerPanel()
    {
        var (probabilities, labels) = Predictions(1000, seed: 2);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels, bins: 10);
        using var chart = ReliabilityDiagramChart.Create(diagram);

        var groups = chart.Panels[0].GetPlottables<ScottPlot.Plottables.BarPlot>().ToList();
        var histogram = chart.Panels[1].GetPlottables<ScottPlot.Plottables.BarPlot>().ToList();
        var filled = diagram.Bins.Where(b => b.Count > 0).ToList();

        chart.Panels.Should().HaveCount(2);
        groups.Should().HaveCount(2);
        groups[0].Bars.Select(b => b.Value).Should().Equal(filled.Select(b => b.Accuracy));
        groups[1].Bars.Select(b => (b.ValueBase, b.Value)).Should().Equal(filled.Select(b => (b.Accuracy, b.Confidence)));
        histogram.Should().ContainSingle().Which.Bars.Select(b => b.Value).Should().Equal(filled.Select(b => (double)b.Count / diagram.SampleCount));
        groups[0].Bars.Select(b => b.Position).Should().Equal(filled.Select(b => (b.Lower + b.Upper) / 2));
    }

    [Fact]
    public void Create_EqualMassBins_NamesTheAdaptiveEce()
    {
        var (probabilities, labels) = Predictions(600, seed: 3);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels, bins: 8, scheme: BinningScheme.EqualMass);

        using var chart = ReliabilityDiagramChart.Create(diagram);

        chart.Title.Should().StartWith("Reliability diagram (adaptive ECE ").And.EndWith(", 8 bins)");
    }

    [Fact]
    public void Create_SameDiagramTwice_GivesIdenticalPngAndSvg()
    {
        var (probabilities, labels) = Predictions(500, seed: 4);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels);
        using var first = ReliabilityDiagramChart.Create(diagram);
        using var second = ReliabilityDiagramChart.Create(diagram, new ChartOptions());

        second.ToPng().Should().Equal(first.ToPng());
        second.ToSvg().Should().Be(first.ToSvg());
    }

    [Fact]
    public void Create_GivenTitleAndSize_UsesThem()
    {
        var (probabilities, labels) = Predictions(200, seed: 5);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels);

        using var chart = ReliabilityDiagramChart.Create(diagram, new ChartOptions { Title = "Before scaling", Width = 500, Height = 500 });

        chart.Title.Should().Be("Before scaling");
        PngInfo.Size(chart.ToPng()).Should().Be((500, 500));
    }

    [Fact]
    public void Create_NullDiagram_Throws()
    {
        var act = () => ReliabilityDiagramChart.Create(null!);

        act.Should().Throw<ArgumentNullException>().WithParameterName("diagram");
    }

    [Fact]
    public void Create_Diagram_SvgHasTwoAlignedPlotAreasTheHistogramBelow()
    {
        var (probabilities, labels) = Predictions(1000, seed: 6);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels);
        using var chart = ReliabilityDiagramChart.Create(diagram);

        var areas = Svg.PlotAreas(chart.ToSvg()).OrderBy(a => a.Y).ToList();

        areas.Should().HaveCount(2);
        var (upper, lower) = (areas[0], areas[1]);
        lower.Y.Should().BeGreaterThan(upper.Bottom);
        lower.X.Should().BeApproximately(upper.X, 0.5, "both panels share the confidence axis");
        lower.Width.Should().BeApproximately(upper.Width, 0.5);
        upper.Height.Should().BeGreaterThan(1.5 * lower.Height);
    }

    [Fact]
    public void Create_Diagram_HistogramAxisReachesJustAboveTheLargestShare()
    {
        var (probabilities, labels) = Predictions(1000, seed: 7);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels);
        using var chart = ReliabilityDiagramChart.Create(diagram);

        var largest = diagram.Bins.Max(b => (double)b.Count / diagram.SampleCount);
        var limits = chart.Panels[1].Axes.GetLimits();

        limits.Bottom.Should().Be(0);
        limits.Top.Should().BeApproximately(1.08 * largest, 1e-12);
        chart.Panels[0].Axes.GetLimits().Top.Should().BeApproximately(1.02, 1e-12);
    }

    [Theory]
    [InlineData(640, 480)]
    [InlineData(500, 500)]
    public void Create_Diagram_LegendBoxCoversNoPlotArea(int width, int height)
    {
        var (probabilities, labels) = Predictions(1000, seed: 8);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels);
        using var chart = ReliabilityDiagramChart.Create(diagram, new ChartOptions { Width = width, Height = height });

        var svg = chart.ToSvg();
        var areas = Svg.PlotAreas(svg);
        var legend = Svg.LegendBoxes(svg).Should().ContainSingle().Subject;

        areas.Should().HaveCount(2);
        areas.Should().OnlyContain(a => !legend.Overlaps(a));
        legend.Bottom.Should().BeLessThanOrEqualTo(areas.Min(a => a.Y));
    }

    [Fact]
    public void Create_GivenAxisLabels_LabelsTheConfidenceAxisAndTheUpperPanel()
    {
        var (probabilities, labels) = Predictions(300, seed: 9);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels);
        var options = new ChartOptions { XLabel = "Predicted probability of malignancy", YLabel = "Observed frequency" };

        using var chart = ReliabilityDiagramChart.Create(diagram, options);

        var texts = Svg.Texts(chart.ToSvg());
        texts.Should().Contain(options.XLabel).And.Contain(options.YLabel).And.Contain(ReliabilityDiagramChart.HistogramLabel);
        texts.Should().NotContain(ReliabilityDiagramChart.XLabel).And.NotContain(ReliabilityDiagramChart.YLabel);
    }
}
