using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Plotting.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Plotting.Tests;

public sealed class SpreadChartTests
{
    private static Tensor MemberValues(int members, int cases, int seed)
    {
        var generator = new Generator((ulong)seed);
        return rand(new long[] { members, cases }, generator: generator);
    }

    [Fact]
    public void Create_WithFailures_SvgHasTitleAxisLabelsAndLegendPerGroup()
    {
        using var values = MemberValues(5, 20, seed: 1);
        using var failures = tensor(Enumerable.Range(0, 20).Select(i => i % 4 == 0).ToArray());
        using var chart = SpreadChart.Create(values, failures);

        var texts = Svg.Texts(chart.ToSvg());

        texts.Should().Contain(SpreadChart.DefaultTitle);
        texts.Should().Contain(SpreadChart.XLabel);
        texts.Should().Contain("Probability of the predicted class");
        texts.Should().Contain("Correct: each of 5 members").And.Contain("Correct: mean");
        texts.Should().Contain("Failed: each of 5 members").And.Contain("Failed: mean");
    }

    [Fact]
    public void Create_KnownValues_DrawsEachCasesRangeAndMean()
    {
        // Two members, three cases: ranges [0.2, 0.4], [0.5, 0.5], [0.1, 0.9].
        using var values = tensor(new float[,] { { 0.2f, 0.5f, 0.9f }, { 0.4f, 0.5f, 0.1f } });
        using var chart = SpreadChart.Create(values, valueName: "p");

        var ranges = chart.Panels[0].GetPlottables<ScottPlot.Plottables.LinePlot>().ToList();
        var markers = chart.Panels[0].GetPlottables<ScottPlot.Plottables.Markers>().ToList();

        ranges.Select(r => (r.Line.Start.X, Math.Round(r.Line.Start.Y, 6), Math.Round(r.Line.End.Y, 6)))
            .Should().Equal((0.0, 0.2, 0.4), (1.0, 0.5, 0.5), (2.0, 0.1, 0.9));
        markers.Should().HaveCount(2);
        markers[1].Data.GetScatterPoints().Select(p => Math.Round(p.Y, 6)).Should().Equal(0.3, 0.5, 0.5);
        markers[0].Data.GetScatterPoints().Should().HaveCount(6);
    }

    [Fact]
    public void Create_LeaksNoTensor()
    {
        using var values = MemberValues(3, 10, seed: 2);
        var before = LiveTensors.Count;

        using (SpreadChart.Create(values))
        {
        }

        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Create_NaN_ThrowsNamingMemberValues()
    {
        using var values = tensor(new[,] { { 0.1f, float.NaN } });

        var act = () => SpreadChart.Create(values);

        act.Should().Throw<ArgumentException>().WithParameterName("memberValues");
    }

    [Fact]
    public void Create_Rank1_ThrowsNamingMemberValues()
    {
        using var values = tensor(new[] { 0.1f, 0.2f });

        var act = () => SpreadChart.Create(values);

        act.Should().Throw<ArgumentException>().WithParameterName("memberValues").WithMessage("*rank 2*");
    }

    [Fact]
    public void Create_TooManyCases_ThrowsNamingMemberValues()
    {
        using var values = zeros(2, SpreadChart.MaxCases + 1);

        var act = () => SpreadChart.Create(values);

        act.Should().Throw<ArgumentException>().WithParameterName("memberValues").WithMessage("*1 to 500 cases*");
    }

    [Fact]
    public void Create_NoCase_ThrowsNamingMemberValues()
    {
        using var values = zeros(2, 0);

        var act = () => SpreadChart.Create(values);

        act.Should().Throw<ArgumentException>().WithParameterName("memberValues");
    }

    [Fact]
    public void Create_FailuresOfAnotherLength_ThrowsNamingFailures()
    {
        using var values = zeros(2, 3);
        using var failures = tensor(new[] { true, false });

        var act = () => SpreadChart.Create(values, failures);

        act.Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*2 cases*3*");
    }

    [Fact]
    public void Create_Array_MatchesTheTensorOverload()
    {
        var array = new double[,] { { 0.25, 0.5, 0.875 }, { 0.375, 0.5, 0.125 } };
        using var values = tensor(array);
        using var failures = tensor(new[] { false, true, false });

        using var fromTensor = SpreadChart.Create(values, failures);
        using var fromArray = SpreadChart.Create(array, new[] { false, true, false });

        fromArray.ToSvg().Should().Be(fromTensor.ToSvg());
    }

    [Fact]
    public void Create_ArrayWithInfinity_ThrowsNamingMemberValues()
    {
        var act = () => SpreadChart.Create(new double[,] { { 0.1, double.PositiveInfinity } });

        act.Should().Throw<ArgumentException>().WithParameterName("memberValues").WithMessage("*index 1*");
    }

    [Fact]
    public void Create_ArrayWithNoMember_ThrowsNamingMemberValues()
    {
        var act = () => SpreadChart.Create(new double[0, 3]);

        act.Should().Throw<ArgumentException>().WithParameterName("memberValues").WithMessage("*[0, 3]*");
    }

    [Fact]
    public void Create_ArrayFailuresOfAnotherLength_ThrowsNamingFailures()
    {
        var act = () => SpreadChart.Create(new double[2, 3], new[] { true });

        act.Should().Throw<ArgumentException>().WithParameterName("failures");
    }

    [Fact]
    public void Create_WithFailures_LegendBoxLiesAboveThePlotAreaWhoseAxisHugsTheData()
    {
        using var values = tensor(new float[,] { { 0.2f, 0.5f, 0.9f, 0.3f }, { 0.4f, 0.5f, 0.1f, 0.6f } });
        using var failures = tensor(new[] { false, true, false, true });
        using var chart = SpreadChart.Create(values, failures);

        var svg = chart.ToSvg();
        var area = Svg.PlotAreas(svg).Should().ContainSingle().Subject;
        var legend = Svg.LegendBoxes(svg).Should().ContainSingle().Subject;

        legend.Overlaps(area).Should().BeFalse();
        legend.Bottom.Should().BeLessThanOrEqualTo(area.Y);
        chart.Panels[0].Axes.GetLimits().Top.Should().BeApproximately(0.9 + (0.05 * 0.8), 1e-6, "no headroom is kept for a legend inside");
    }
}
