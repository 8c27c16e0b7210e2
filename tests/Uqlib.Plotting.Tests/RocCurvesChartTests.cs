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

        chart.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>().Should().HaveCount(3);
        chart.Panels[0].GetPlottables<ScottPlot.Plottables.LinePlot>().Should().ContainSingle();
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

    [Fact]
    public void Create_GivenAxisLabels_SvgCarriesThemInsteadOfTheDefaults()
    {
        var options = new ChartOptions { XLabel = "False-positive rate (in-distribution flagged)", YLabel = "True-positive rate (OOD flagged)" };

        using var chart = RocCurvesChart.Create(Synthetic.ThreeMethods(), options);

        var texts = Svg.Texts(chart.ToSvg());
        texts.Should().Contain(options.XLabel).And.Contain(options.YLabel);
        texts.Should().NotContain(RocCurvesChart.XLabel).And.NotContain(RocCurvesChart.YLabel);
    }

    [Theory]
    [InlineData(640, 480)]
    [InlineData(400, 300)]
    public void Create_ThreeMethods_LegendBoxLiesBelowThePlotArea(int width, int height)
    {
        using var chart = RocCurvesChart.Create(Synthetic.ThreeMethods(), new ChartOptions { Width = width, Height = height });

        var svg = chart.ToSvg();
        var area = Svg.PlotAreas(svg).Should().ContainSingle().Subject;
        var legend = Svg.LegendBoxes(svg).Should().ContainSingle().Subject;

        legend.Overlaps(area).Should().BeFalse();
        legend.Y.Should().BeGreaterThan(area.Bottom);
        legend.Bottom.Should().BeLessThanOrEqualTo(height);
    }

    [Fact]
    public void ToPngAndToSvg_OneChartRenderedAgain_GivesTheSameBytesAsItsFirstRendering()
    {
        using var chart = RocCurvesChart.Create(Synthetic.ThreeMethods());

        var png = chart.ToPng();
        var svg = chart.ToSvg();

        chart.ToPng().Should().Equal(png);
        chart.ToSvg().Should().Be(svg);
    }

    [Fact]
    public void Create_OodResults_AxesSayOodAndLegendCarriesTheBootstrapInterval()
    {
        var id = new double[200];
        var ood = new double[150];
        var random = new Random(3);
        for (var i = 0; i < id.Length; i++)
        {
            id[i] = random.NextDouble();
        }

        for (var i = 0; i < ood.Length; i++)
        {
            ood[i] = 0.3 + random.NextDouble();
        }

        var result = OodEvaluator.Evaluate(id, ood, new OodOptions { Bootstrap = new BootstrapOptions { Resamples = 100 } });
        using var chart = RocCurvesChart.Create(new Dictionary<string, OodDetectionResult> { ["Energy"] = result });

        var texts = Svg.Texts(chart.ToSvg());

        texts.Should().Contain(RocCurvesChart.OodTitle);
        texts.Should().Contain("False-positive rate (in-distribution cases flagged)");
        texts.Should().Contain("True-positive rate (OOD cases flagged)");
        texts.Should().NotContain(RocCurvesChart.YLabel);
        var entry = string.Create(CultureInfo.InvariantCulture, $"Energy: AUROC {result.Auroc:0.000} [{result.AurocCi!.Lower:0.000}, {result.AurocCi.Upper:0.000}]");
        texts.Should().ContainSingle(t => t == entry);
        chart.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>().Should().ContainSingle();
    }

    [Fact]
    public void Create_OodResultsWithLabelsSet_UsesTheGivenLabels()
    {
        var result = OodEvaluator.Evaluate(new[] { 0.1, 0.2, 0.5 }, new[] { 0.4, 0.9 }, new OodOptions { Bootstrap = null });
        using var chart = RocCurvesChart.Create(
            new Dictionary<string, OodDetectionResult> { ["kNN"] = result }, new ChartOptions { XLabel = "Training-like images flagged", YLabel = "Other scanner flagged" });

        var texts = Svg.Texts(chart.ToSvg());

        texts.Should().Contain("Training-like images flagged").And.Contain("Other scanner flagged").And.Contain("kNN: AUROC 0.833");
    }
}
