using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using FluentAssertions;
using Microsoft.DotNet.Interactive.Formatting;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Uqlib.Interactive.Tests.TestSupport;
using Uqlib.Plotting;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Interactive.Tests;

[Collection(nameof(FormatterCollection))]
public sealed class UqlibFormattersTests
{
    public UqlibFormattersTests()
    {
        Formatter.ResetToDefault();
        UqlibFormatters.Register();
    }

    [Fact]
    public void FailureDetectionResult_DisplaysAsAMetricTable()
    {
        var (scores, failures) = Synthetic.Cases(300, 0.25, 1.5, seed: 11);
        var result = RocEvaluator.Evaluate(scores, failures);

        var html = result.ToDisplayString(UqlibFormatters.MimeType);

        html.Should().StartWith("<table class=\"uqlib-failure-detection\"");
        var rows = HtmlDocument.Rows(html);
        rows[0].Should().Equal("Metric", "Value");
        var values = rows.Skip(1).ToDictionary(r => r[0], r => r[1]);
        values["Cases"].Should().Be("300");
        values["AUROC"].Should().Be(result.Auroc.ToString("0.000", CultureInfo.InvariantCulture));
        values["AUROC 95% CI (DeLong)"].Should().Be(string.Create(CultureInfo.InvariantCulture, $"[{result.AurocCi!.Lower:0.000}, {result.AurocCi!.Upper:0.000}]"));
        values["AURC"].Should().Be(result.Aurc.ToString("0.000", CultureInfo.InvariantCulture));
        values["E-AURC"].Should().Be(result.EAurc.ToString("0.000", CultureInfo.InvariantCulture));
        values["FPR@95%TPR"].Should().Be(result.FprAt95Tpr.ToString("0.000", CultureInfo.InvariantCulture));
        values.Should().NotContainKey("At the given threshold");
    }

    [Fact]
    public void FailureDetectionResult_WithThreshold_AddsItsOperatingPoint()
    {
        var (scores, failures) = Synthetic.Cases(200, 0.25, 1.5, seed: 12);
        var result = RocEvaluator.Evaluate(scores, failures, new RocOptions { Threshold = 0.5 });

        var rows = HtmlDocument.Rows(result.ToDisplayString(UqlibFormatters.MimeType));

        rows.Should().Contain(r => r[0] == "At the given threshold" && r[1].StartsWith("0.500: sensitivity ", StringComparison.Ordinal));
    }

    [Fact]
    public void MethodComparison_DisplaysOneRowPerMethodInOrder()
    {
        var (weak, failures) = Synthetic.Cases(300, 0.2, 0.3, seed: 13);
        var (strong, _) = Synthetic.Cases(300, 0.2, 2.0, seed: 13);
        using var weakTensor = tensor(weak);
        using var strongTensor = tensor(strong);
        using var failureTensor = tensor(failures);
        var comparison = RocEvaluator.Compare(
            new Dictionary<string, Tensor> { ["MSP <weak>"] = weakTensor, ["Ensemble & TTA"] = strongTensor }, failureTensor);

        var html = comparison.ToDisplayString(UqlibFormatters.MimeType);

        html.Should().Contain("MSP &lt;weak&gt;").And.Contain("Ensemble &amp; TTA");
        var rows = HtmlDocument.Rows(html);
        rows[0].Should().Equal("Method", "AUROC", "AUROC CI", "AUPR", "FPR@95%TPR", "AURC", "E-AURC", "AUGRC", "p vs best");
        rows.Should().HaveCount(3);
        rows[1][0].Should().Be("MSP <weak>");
        rows[1][1].Should().Be(comparison.Rows[0].Auroc.ToString("0.000", CultureInfo.InvariantCulture));
        rows[1][7].Should().Be(comparison.Rows[0].Augrc.ToString("0.000", CultureInfo.InvariantCulture));
        rows[2][0].Should().Be("Ensemble & TTA");
        rows[2][8].Should().Be("best");
        rows[1][8].Should().Be("<0.001");
    }

    [Fact]
    public void Chart_DisplaysAsAPngImageOfItsSize()
    {
        var (scores, failures) = Synthetic.Cases(200, 0.3, 1.0, seed: 14);
        using var chart = ScoreHistogramChart.Create(scores, failures, options: new ChartOptions { Width = 320, Height = 240 });

        var html = chart.ToDisplayString(UqlibFormatters.MimeType);

        var img = HtmlDocument.Parse(html);
        img.Name.LocalName.Should().Be("img");
        ((string?)img.Attribute("width")).Should().Be("320");
        ((string?)img.Attribute("height")).Should().Be("240");
        ((string?)img.Attribute("alt")).Should().Be(ScoreHistogramChart.DefaultTitle);
        var src = (string)img.Attribute("src")!;
        src.Should().StartWith("data:image/png;base64,");
        Convert.FromBase64String(src["data:image/png;base64,".Length..]).Should().Equal(chart.ToPng());
    }

    [Fact]
    public void ReliabilityDiagram_DisplaysAsItsChartsPng()
    {
        double[] probabilities = { 0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4 };
        int[] labels = { 0, 1, 1, 1 };
        var diagram = ReliabilityDiagram.Compute(probabilities, labels, bins: 5);
        using var chart = ReliabilityDiagramChart.Create(diagram);

        var html = diagram.ToDisplayString(UqlibFormatters.MimeType);

        var img = HtmlDocument.Parse(html);
        ((string?)img.Attribute("alt")).Should().Be(ReliabilityDiagramChart.DefaultTitle(diagram));
        Convert.FromBase64String(((string)img.Attribute("src")!)["data:image/png;base64,".Length..]).Should().Equal(chart.ToPng());
    }

    [Fact]
    public void UncertaintyMapImage_DisplaysAsAPngImage()
    {
        using var map = linspace(0, 1, 64 * 48).reshape(48, 64);
        var image = UncertaintyMapImage.ColorMapped(map, caption: "Entropy map");

        var html = image.ToDisplayString(UqlibFormatters.MimeType);

        var img = HtmlDocument.Parse(html);
        ((string?)img.Attribute("alt")).Should().Be("Entropy map");
        ((string?)img.Attribute("width")).Should().Be(image.Width.ToString(CultureInfo.InvariantCulture));
        Convert.FromBase64String(((string)img.Attribute("src")!)["data:image/png;base64,".Length..]).Should().Equal(image.ToPng());
    }

    [Fact]
    public void Register_ThenText_PlainTextDisplayStillWorks()
    {
        var (scores, failures) = Synthetic.Cases(100, 0.3, 1.0, seed: 15);
        var result = RocEvaluator.Evaluate(scores, failures);

        var text = result.ToDisplayString("text/plain");

        text.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void Register_PrefersHtmlForEveryUqlibType()
    {
        foreach (var type in new[] { typeof(FailureDetectionResult), typeof(MethodComparison), typeof(ReliabilityDiagram), typeof(Chart), typeof(UncertaintyMapImage) })
        {
            Formatter.GetPreferredMimeTypesFor(type).Should().Equal(UqlibFormatters.MimeType);
        }
    }
}

[CollectionDefinition(nameof(FormatterCollection), DisableParallelization = true)]
public sealed class FormatterCollection
{
}
