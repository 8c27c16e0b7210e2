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
        values["AUGRC"].Should().Be(result.Augrc.ToString("0.000", CultureInfo.InvariantCulture));
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

    private static string F(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

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
    public void OodComparison_DisplaysItsRowsAndTheMeansOfTwoOrMoreSets()
    {
        var (inDistribution, _) = Synthetic.Cases(120, 0.5, 0.0, seed: 21);
        using var idA = tensor(inDistribution);
        using var idB = tensor(inDistribution.Select(s => -s).ToArray());
        var sets = new[] { ("near <1>", OodShift.Near, 0.5, 22), ("far & wide", OodShift.Far, 2.0, 23), ("far 2", OodShift.Far, 3.0, 24) }
            .Select(set =>
            {
                var (ood, _) = Synthetic.Cases(80, 0.5, 0.0, seed: set.Item4);
                return new OodSet(set.Item1, set.Item2, new Dictionary<string, Tensor>
                {
                    ["A"] = tensor(ood.Select(s => s + set.Item3).ToArray()),
                    ["B"] = tensor(ood.Select(s => -s - set.Item3).ToArray()),
                });
            })
            .ToArray();
        var comparison = OodEvaluator.Compare(new Dictionary<string, Tensor> { ["A"] = idA, ["B"] = idB }, sets, new OodOptions { Bootstrap = new BootstrapOptions { Resamples = 200, Seed = 1 } });

        var html = comparison.ToDisplayString(UqlibFormatters.MimeType);

        html.Should().StartWith("<table class=\"uqlib-ood-comparison\"").And.Contain("near &lt;1&gt;").And.Contain("far &amp; wide").And.Contain("stratified bootstrap, 95%");
        var rows = HtmlDocument.Rows(html);
        rows[0].Should().Equal("Detector", "OOD set", "Shift", "AUROC", "AUROC CI", "AUPR-In", "AUPR-Out", "FPR@95%TPR", "FPR CI");
        rows.Should().HaveCount(1 + 6 + 2, "six (detector, set) rows and each detector's mean over its two far sets");
        rows.Skip(1).Select(r => r[0] + "/" + r[1]).Should().Equal("A/near <1>", "A/far & wide", "A/far 2", "A/mean of 2 far", "B/near <1>", "B/far & wide", "B/far 2", "B/mean of 2 far");
        var first = comparison.Rows[0].Result;
        rows[1].Should().Equal(
            "A", "near <1>", "near", F(first.Auroc), $"[{F(first.AurocCi!.Lower)}, {F(first.AurocCi.Upper)}]", F(first.AuprIn), F(first.AuprOut), F(first.FprAt95Tpr),
            first.FprAt95TprCi is { } ci ? $"[{F(ci.Lower)}, {F(ci.Upper)}]" : "undefined");
        var far = comparison.Means.Single(m => m.Detector == "B" && m.Shift == OodShift.Far);
        rows[8].Should().Equal("B", "mean of 2 far", "far", F(far.Auroc), string.Empty, F(far.AuprIn), F(far.AuprOut), F(far.FprAt95Tpr), string.Empty);
        foreach (var score in sets.SelectMany(set => set.Scores.Values))
        {
            score.Dispose();
        }
    }

    [Fact]
    public void OodComparison_WithoutBootstrap_LeavesTheIntervalCellsEmpty()
    {
        var (inDistribution, _) = Synthetic.Cases(50, 0.5, 0.0, seed: 25);
        var (ood, _) = Synthetic.Cases(50, 0.5, 0.0, seed: 26);
        using var id = tensor(inDistribution);
        using var shifted = tensor(ood.Select(s => s + 1.0).ToArray());
        var comparison = OodEvaluator.Compare(
            new Dictionary<string, Tensor> { ["A"] = id }, [new OodSet("x", OodShift.Far, new Dictionary<string, Tensor> { ["A"] = shifted })], new OodOptions { Bootstrap = null });

        var rows = HtmlDocument.Rows(comparison.ToDisplayString(UqlibFormatters.MimeType));

        rows.Should().HaveCount(2);
        rows[1][4].Should().BeEmpty();
        rows[1][8].Should().BeEmpty();
        comparison.ToDisplayString(UqlibFormatters.MimeType).Should().Contain("no intervals");
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
