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
}
