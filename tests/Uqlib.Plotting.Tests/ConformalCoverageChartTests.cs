using System;
using System.Collections.Generic;
using FluentAssertions;
using Uqlib.Conformal;
using Uqlib.Plotting.Tests.TestSupport;
using Xunit;

namespace Uqlib.Plotting.Tests;

public sealed class ConformalCoverageChartTests
{
    private static Dictionary<string, IReadOnlyList<CoveragePoint>> TwoMethods() => new()
    {
        ["LAC"] = new[] { new CoveragePoint(0.2, 0.81, 1.2), new CoveragePoint(0.1, 0.905, 1.6), new CoveragePoint(0.05, 0.952, 2.1) },
        ["APS"] = new[] { new CoveragePoint(0.2, 0.83, 1.5), new CoveragePoint(0.1, 0.91, 2.0), new CoveragePoint(0.05, 0.96, 2.6) },
    };

    [Fact]
    public void Create_TwoMethods_SvgHasTitleAxisLabelsAndSizePerMethod()
    {
        using var chart = ConformalCoverageChart.Create(TwoMethods());
        var texts = Svg.Texts(chart.ToSvg());
        texts.Should().Contain(ConformalCoverageChart.DefaultTitle);
        texts.Should().Contain(ConformalCoverageChart.XLabel);
        texts.Should().Contain(ConformalCoverageChart.YLabel);
        texts.Should().ContainSingle(t => t == "LAC: mean size 2.100 at 1 − α = 0.950");
        texts.Should().ContainSingle(t => t == "APS: mean size 2.600 at 1 − α = 0.950");
    }

    [Fact]
    public void Create_TwoMethods_DrawsNominalAgainstEmpiricalCoverage()
    {
        using var chart = ConformalCoverageChart.Create(TwoMethods());
        var curves = new List<ScottPlot.Plottables.Scatter>(chart.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>());
        curves.Should().HaveCount(2);
        var points = curves[1].Data.GetScatterPoints();
        points.Should().HaveCount(3);
        points[0].X.Should().BeApproximately(0.8, 1e-15);
        points[0].Y.Should().Be(0.83);
        points[2].X.Should().BeApproximately(0.95, 1e-15);
    }

    [Fact]
    public void Create_NoMethodOrEmptyCurve_ThrowsNamingCurves()
    {
        FluentActions.Invoking(() => ConformalCoverageChart.Create(new Dictionary<string, IReadOnlyList<CoveragePoint>>()))
            .Should().Throw<ArgumentException>().WithParameterName("curves");
        FluentActions.Invoking(() => ConformalCoverageChart.Create(new Dictionary<string, IReadOnlyList<CoveragePoint>> { ["x"] = Array.Empty<CoveragePoint>() }))
            .Should().Throw<ArgumentException>().WithParameterName("curves");
    }
}
