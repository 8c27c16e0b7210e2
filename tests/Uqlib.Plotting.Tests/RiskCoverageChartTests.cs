using System;
using System.Collections.Generic;
using System.Globalization;
using FluentAssertions;
using Uqlib.Evaluation;
using Uqlib.Plotting.Tests.TestSupport;
using Xunit;

namespace Uqlib.Plotting.Tests;

public sealed class RiskCoverageChartTests
{
    [Fact]
    public void Create_ThreeMethods_SvgHasTitleAxisLabelsAndAurcPerMethod()
    {
        var results = Synthetic.ThreeMethods();
        using var chart = RiskCoverageChart.Create(results);

        var texts = Svg.Texts(chart.ToSvg());

        texts.Should().Contain(RiskCoverageChart.DefaultTitle);
        texts.Should().Contain(RiskCoverageChart.XLabel);
        texts.Should().Contain(RiskCoverageChart.YLabel);
        foreach (var (method, result) in results)
        {
            var entry = string.Create(CultureInfo.InvariantCulture, $"{method}: AURC {result.Aurc:0.000}");
            texts.Should().ContainSingle(t => t == entry);
        }
    }

    [Fact]
    public void Create_ThreeMethods_DrawsOneCurvePerMethodWithTheEvaluatorsPoints()
    {
        var results = Synthetic.ThreeMethods();
        using var chart = RiskCoverageChart.Create(results);

        var curves = new List<ScottPlot.Plottables.Scatter>(chart.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>());
        curves.Should().HaveCount(3);
        var points = curves[2].Data.GetScatterPoints();
        points.Should().HaveCount(results["Ensemble MI"].RiskCoverage.Coverages.Count);
        points[0].X.Should().Be(results["Ensemble MI"].RiskCoverage.Coverages[0]);
        points[0].Y.Should().Be(results["Ensemble MI"].RiskCoverage.Risks[0]);
    }

    [Fact]
    public void Create_SameInputTwice_GivesIdenticalSvg()
    {
        using var first = RiskCoverageChart.Create(Synthetic.ThreeMethods());
        using var second = RiskCoverageChart.Create(Synthetic.ThreeMethods());

        second.ToSvg().Should().Be(first.ToSvg());
    }

    [Fact]
    public void Create_NoMethod_ThrowsNamingResults()
    {
        var act = () => RiskCoverageChart.Create(new Dictionary<string, FailureDetectionResult>());

        act.Should().Throw<ArgumentException>().WithParameterName("results");
    }

    [Fact]
    public void Create_NullResults_Throws()
    {
        var act = () => RiskCoverageChart.Create(null!);

        act.Should().Throw<ArgumentNullException>().WithParameterName("results");
    }

    [Fact]
    public void Create_GivenAxisLabels_SvgCarriesThemInsteadOfTheDefaults()
    {
        var options = new ChartOptions { XLabel = "Coverage (fraction of scans kept)", YLabel = "Selective risk (OOD among kept)" };

        using var chart = RiskCoverageChart.Create(Synthetic.ThreeMethods(), options);

        var texts = Svg.Texts(chart.ToSvg());
        texts.Should().Contain(options.XLabel).And.Contain(options.YLabel);
        texts.Should().NotContain(RiskCoverageChart.XLabel).And.NotContain(RiskCoverageChart.YLabel);
    }

    [Fact]
    public void Create_ThreeMethods_LegendBoxLiesBelowThePlotArea()
    {
        using var chart = RiskCoverageChart.Create(Synthetic.ThreeMethods(), new ChartOptions { Width = 800, Height = 500 });

        var svg = chart.ToSvg();
        var area = Svg.PlotAreas(svg).Should().ContainSingle().Subject;
        var legend = Svg.LegendBoxes(svg).Should().ContainSingle().Subject;

        legend.Overlaps(area).Should().BeFalse();
        legend.Y.Should().BeGreaterThan(area.Bottom);
        legend.Bottom.Should().BeLessThanOrEqualTo(500);
    }
}
