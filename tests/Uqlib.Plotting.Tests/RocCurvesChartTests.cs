using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using FluentAssertions;
using Uqlib.Evaluation;
using Uqlib.Plotting.Tests.TestSupport;
using Xunit;

namespace Uqlib.Plotting.Tests;

public sealed class RocCurvesChartTests
{
    [Fact]
    public void Create_ThreeMethods_SvgHasTitleAxisLabelsAndOneLegendEntryPerMethod()
    {
        var results = Synthetic.ThreeMethods();
        using var chart = RocCurvesChart.Create(results);

        var texts = Svg.Texts(chart.ToSvg());

        texts.Should().Contain(RocCurvesChart.DefaultTitle);
        texts.Should().Contain(RocCurvesChart.XLabel);
        texts.Should().Contain(RocCurvesChart.YLabel);
        foreach (var (method, result) in results)
        {
            var entry = string.Create(CultureInfo.InvariantCulture,
                $"{method}: AUROC {result.Auroc:0.000} [{result.AurocCi!.Lower:0.000}, {result.AurocCi!.Upper:0.000}]");
            texts.Should().ContainSingle(t => t == entry);
        }
    }

    [Fact]
    public void Create_ThreeMethods_DrawsOneCurvePerMethodPlusTheChanceLine()
    {
        using var chart = RocCurvesChart.Create(Synthetic.ThreeMethods());

        chart.Plot.GetPlottables<ScottPlot.Plottables.Scatter>().Should().HaveCount(3);
        chart.Plot.GetPlottables<ScottPlot.Plottables.LinePlot>().Should().ContainSingle();
    }

    [Fact]
    public void Create_OneMethod_UsesTheGivenTitleAndSize()
    {
        var (scores, failures) = Synthetic.Cases(200, 0.3, 1.0, seed: 3);
        var result = RocEvaluator.Evaluate(scores, failures);
        using var chart = RocCurvesChart.Create("Energy", result, new ChartOptions { Width = 300, Height = 200, Title = "Energy score" });

        PngInfo.Size(chart.ToPng()).Should().Be((300, 200));
        Svg.Texts(chart.ToSvg()).Should().Contain("Energy score").And.NotContain(RocCurvesChart.DefaultTitle);
        chart.Title.Should().Be("Energy score");
    }

    [Fact]
    public void Create_SameInputTwice_GivesIdenticalPngAndSvg()
    {
        var results = Synthetic.ThreeMethods();
        using var first = RocCurvesChart.Create(results);
        using var second = RocCurvesChart.Create(results);

        second.ToPng().Should().Equal(first.ToPng());
        second.ToSvg().Should().Be(first.ToSvg());
    }

    [Fact]
    public void Create_NullResults_Throws()
    {
        var act = () => RocCurvesChart.Create((IReadOnlyDictionary<string, FailureDetectionResult>)null!);

        act.Should().Throw<ArgumentNullException>().WithParameterName("results");
    }

    [Fact]
    public void Create_NoMethod_ThrowsNamingResults()
    {
        var act = () => RocCurvesChart.Create(new Dictionary<string, FailureDetectionResult>());

        act.Should().Throw<ArgumentException>().WithParameterName("results").WithMessage("*at least one method*");
    }

    [Fact]
    public void Create_BlankMethodName_ThrowsNamingResults()
    {
        var result = Synthetic.ThreeMethods()["Entropy"];

        var act = () => RocCurvesChart.Create(new Dictionary<string, FailureDetectionResult> { [" "] = result });

        act.Should().Throw<ArgumentException>().WithParameterName("results").WithMessage("*empty name*");
    }

    [Fact]
    public void Create_NullResultForAMethod_ThrowsNamingTheMethod()
    {
        var act = () => RocCurvesChart.Create(new Dictionary<string, FailureDetectionResult> { ["MSP"] = null! });

        act.Should().Throw<ArgumentException>().WithMessage("*'MSP'*");
    }

    [Fact]
    public void Create_InvalidOptions_Throws()
    {
        var act = () => RocCurvesChart.Create(Synthetic.ThreeMethods(), new ChartOptions { Width = 10 });

        act.Should().Throw<ArgumentException>().WithMessage("*Width*");
    }

    [Fact]
    public void ToPng_AfterDispose_Throws()
    {
        var chart = RocCurvesChart.Create(Synthetic.ThreeMethods());
        chart.Dispose();

        var act = () => chart.ToPng();

        act.Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Save_PngAndSvgPaths_WriteTheRightFormat()
    {
        using var chart = RocCurvesChart.Create(Synthetic.ThreeMethods());
        var folder = Directory.CreateTempSubdirectory("uqlib-plotting-");
        try
        {
            var png = Path.Combine(folder.FullName, "roc.png");
            var svg = Path.Combine(folder.FullName, "roc.svg");
            chart.Save(png);
            chart.Save(svg);

            PngInfo.Size(File.ReadAllBytes(png)).Should().Be((640, 480));
            File.ReadAllText(svg).Should().StartWith("<?xml").And.Contain("<svg");
            File.ReadAllBytes(svg).AsSpan(0, 3).ToArray().Should().NotEqual(new byte[] { 0xEF, 0xBB, 0xBF });
            var act = () => chart.Save(Path.Combine(folder.FullName, "roc.jpg"));
            act.Should().Throw<ArgumentException>().WithParameterName("path").WithMessage("*.png or .svg*");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
