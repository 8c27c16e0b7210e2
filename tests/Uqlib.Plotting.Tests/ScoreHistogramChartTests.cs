using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Plotting.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Plotting.Tests;

public sealed class ScoreHistogramChartTests
{
    [Fact]
    public void Create_TwoGroups_SvgHasTitleAxisLabelsAndOneLegendEntryPerGroup()
    {
        var (scores, failures) = Synthetic.Cases(500, 0.2, 1.5, seed: 5);
        var failed = failures.Count(f => f);
        using var chart = ScoreHistogramChart.Create(scores, failures, "Entropy");

        var texts = Svg.Texts(chart.ToSvg());

        texts.Should().Contain(ScoreHistogramChart.DefaultTitle);
        texts.Should().Contain("Entropy");
        texts.Should().Contain(ScoreHistogramChart.YLabel);
        var correctEntry = $"Correct (n = {500 - failed})";
        var failedEntry = $"Failed (n = {failed})";
        texts.Should().ContainSingle(t => t == correctEntry);
        texts.Should().ContainSingle(t => t == failedEntry);
    }

    [Fact]
    public void Create_TwoGroups_EachGroupsBarsSumToOne()
    {
        var (scores, failures) = Synthetic.Cases(300, 0.3, 1.0, seed: 6);
        using var chart = ScoreHistogramChart.Create(scores, failures, bins: 12);

        var groups = chart.Panels[0].GetPlottables<ScottPlot.Plottables.BarPlot>().ToList();

        groups.Should().HaveCount(2);
        foreach (var group in groups)
        {
            group.Bars.Should().HaveCount(12);
            group.Bars.Sum(b => b.Value).Should().BeApproximately(1.0, 1e-12);
        }
    }

    [Fact]
    public void Create_KnownScores_PutsEachScoreInItsBin()
    {
        // Range [0, 4], 4 bins of width 1: 0 and 0.5 in bin 0, 1.5 in bin 1, 4 (the maximum) in the last bin.
        double[] scores = { 0, 0.5, 1.5, 4, 3.2 };
        bool[] failures = { false, false, false, true, true };
        using var chart = ScoreHistogramChart.Create(scores, failures, bins: 4);

        var groups = chart.Panels[0].GetPlottables<ScottPlot.Plottables.BarPlot>().ToList();

        groups[0].Bars.Select(b => b.Value).Should().Equal(2.0 / 3, 1.0 / 3, 0, 0);
        groups[1].Bars.Select(b => b.Value).Should().Equal(0, 0, 0, 1.0);
        groups[0].Bars.Select(b => b.Position).Should().Equal(0.5, 1.5, 2.5, 3.5);
    }

    [Fact]
    public void Create_AllScoresEqual_DrawsOneUnitWideRange()
    {
        using var chart = ScoreHistogramChart.Create(new double[] { 2, 2, 2 }, new[] { false, true, false }, bins: 2);

        var bars = chart.Panels[0].GetPlottables<ScottPlot.Plottables.BarPlot>().First().Bars;

        bars.Select(b => b.Position).Should().Equal(1.75, 2.25);
    }

    [Fact]
    public void Create_Tensors_MatchesTheSpanOverload()
    {
        var (scores, failures) = Synthetic.Cases(100, 0.3, 1.0, seed: 7);
        using var scoreTensor = tensor(scores);
        using var failureTensor = tensor(failures);
        var before = LiveTensors.Count;

        using var fromTensors = ScoreHistogramChart.Create(scoreTensor, failureTensor);
        using var fromSpans = ScoreHistogramChart.Create(scores, failures);

        fromTensors.ToSvg().Should().Be(fromSpans.ToSvg());
        LiveTensors.Count.Should().Be(before);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Create_NonFiniteScore_ThrowsNamingScores(double bad)
    {
        var act = () => ScoreHistogramChart.Create(new[] { 0.1, bad }, new[] { false, true });

        act.Should().Throw<ArgumentException>().WithParameterName("scores").WithMessage("*index 1*");
    }

    [Fact]
    public void Create_Empty_ThrowsNamingScores()
    {
        var act = () => ScoreHistogramChart.Create(Array.Empty<double>(), Array.Empty<bool>());

        act.Should().Throw<ArgumentException>().WithParameterName("scores").WithMessage("*empty*");
    }

    [Fact]
    public void Create_LengthMismatch_ThrowsNamingFailures()
    {
        var act = () => ScoreHistogramChart.Create(new[] { 0.1, 0.2 }, new[] { true });

        act.Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*1 cases*2*");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1001)]
    public void Create_BinsOutOfRange_Throws(int bins)
    {
        var act = () => ScoreHistogramChart.Create(new[] { 0.1, 0.2 }, new[] { true, false }, bins: bins);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("bins");
    }

    [Fact]
    public void Create_NonBinaryFailureTensor_Throws()
    {
        using var scores = tensor(new[] { 0.1, 0.2 });
        using var failures = tensor(new[] { 0L, 2L });

        var act = () => ScoreHistogramChart.Create(scores, failures);

        act.Should().Throw<ArgumentException>().WithParameterName("failures");
    }

    [Fact]
    public void Create_TwoGroups_LegendBoxLiesAboveThePlotArea()
    {
        var (scores, failures) = Synthetic.Cases(400, 0.3, 1.5, seed: 11);
        using var chart = ScoreHistogramChart.Create(scores, failures);

        var svg = chart.ToSvg();
        var area = Svg.PlotAreas(svg).Should().ContainSingle().Subject;
        var legend = Svg.LegendBoxes(svg).Should().ContainSingle().Subject;

        legend.Overlaps(area).Should().BeFalse();
        legend.Bottom.Should().BeLessThanOrEqualTo(area.Y);
    }
}
