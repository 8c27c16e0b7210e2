using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

public sealed class ReliabilityDiagramTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Compute_EqualWidth_MatchesReferenceBins(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var p = CalibrationFixtures.Probabilities(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var diagram = ReliabilityDiagram.Compute(p, y);

        var rows = golden.GetProperty("diagram");
        diagram.Bins.Should().HaveCount(15);
        diagram.SampleCount.Should().Be(y.shape[0]);
        for (var b = 0; b < 15; b++)
        {
            var bin = diagram.Bins[b];
            bin.Count.Should().Be(rows[b][0].GetInt64());
            bin.Confidence.Should().BeApproximately(rows[b][1].GetDouble(), 1e-12);
            bin.Accuracy.Should().BeApproximately(rows[b][2].GetDouble(), 1e-12);
            bin.Gap.Should().BeApproximately(bin.Confidence - bin.Accuracy, 0);
            bin.Lower.Should().BeApproximately(b / 15.0, 1e-15);
            bin.Upper.Should().BeApproximately((b + 1) / 15.0, 1e-15);
        }

        diagram.Ece.Should().BeApproximately(golden.GetProperty("ece").GetDouble(), 1e-9);
        diagram.Mce.Should().BeApproximately(golden.GetProperty("mce").GetDouble(), 1e-9);
    }

    [Fact]
    public void Compute_EqualMass_GivesBalancedBinsAndAdaptiveEce()
    {
        var golden = CalibrationFixtures.Case(2);
        using var p = CalibrationFixtures.Probabilities(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var diagram = ReliabilityDiagram.Compute(p, y, 15, BinningScheme.EqualMass);

        diagram.Bins.Sum(b => b.Count).Should().Be(400);
        diagram.Bins.Select(b => b.Count).Should().OnlyContain(c => c == 26 || c == 27);
        diagram.Bins.Zip(diagram.Bins.Skip(1)).Should().OnlyContain(pair => pair.First.Upper <= pair.Second.Lower);
        diagram.Ece.Should().BeApproximately(golden.GetProperty("adaptiveEce").GetDouble(), 1e-9);
    }

    [Fact]
    public void Compute_EqualMass_WithFewerSamplesThanBins_SkipsEmptyBins()
    {
        var diagram = ReliabilityDiagram.Compute(new[] { 0.9, 0.6, 0.7 }, new[] { 1, 0, 1 }, 10, BinningScheme.EqualMass);
        diagram.Bins.Should().HaveCount(3);
        diagram.Bins.Select(b => b.Confidence).Should().Equal(0.6, 0.7, 0.9);
        diagram.Bins.Select(b => b.Accuracy).Should().Equal(0.0, 1.0, 1.0);
        diagram.Ece.Should().BeApproximately((0.6 + 0.3 + 0.1) / 3, 1e-15);
    }

    [Fact]
    public void Compute_OfSpans_EqualsTensors()
    {
        var golden = CalibrationFixtures.Case(1);
        using var p = CalibrationFixtures.Probabilities(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fromTensors = ReliabilityDiagram.Compute(p, y, 12, BinningScheme.EqualMass);
        var fromSpans = ReliabilityDiagram.Compute(TestSupport.Golden.ToArray(p.flatten()), CalibrationFixtures.LabelArray(golden), 12, BinningScheme.EqualMass);
        fromSpans.Bins.Should().Equal(fromTensors.Bins);
    }

    [Fact]
    public void DocsExample_CalibrationMd_Runs()
    {
        // The examples of docs/calibration.md, on the over-confident golden case.
        var golden = CalibrationFixtures.Case(1);
        using var validationLogits = CalibrationFixtures.Logits(golden);
        using var validationLabels = CalibrationFixtures.Labels(golden);
        using var testLogits = validationLogits.slice(0, 0, 100, 1);
        using var probabilities = validationLogits.softmax(1);
        using var labels = validationLabels.alias();

        double ece = CalibrationMetrics.Ece(probabilities, labels);
        double adaptive = CalibrationMetrics.AdaptiveEce(probabilities, labels);
        double nll = CalibrationMetrics.NegativeLogLikelihood(probabilities, labels);
        var diagram = ReliabilityDiagram.Compute(probabilities, labels, bins: 10);
        var lines = diagram.Bins.Select(bin =>
            $"({bin.Lower:F1}, {bin.Upper:F1}]  n = {bin.Count,5}  confidence {bin.Confidence:F3}  accuracy {bin.Accuracy:F3}  gap {bin.Gap:+0.000;-0.000}").ToList();

        var temperature = TemperatureScaling.Fit(validationLogits, validationLabels);
        using var calibrated = temperature.Transform(testLogits);
        var path = System.IO.Path.GetTempFileName();
        temperature.Save(path);
        var again = TemperatureScaling.Load(path);
        System.IO.File.Delete(path);

        lines.Should().HaveCount(10);
        ece.Should().BeGreaterThan(0.1, "the case is over-confident");
        adaptive.Should().BeGreaterThan(0.1);
        nll.Should().BeGreaterThan(0);
        diagram.Bins.Where(b => b.Count > 0).Average(b => b.Gap).Should().BeGreaterThan(0, "over-confident bins have positive gaps");
        again.Temperature.Should().Be(temperature.Temperature);
        calibrated.shape.Should().Equal(100, 5);
        using var after = temperature.Transform(validationLogits);
        CalibrationMetrics.Ece(after, labels).Should().BeLessThan(ece);
    }

    [Fact]
    public void Compute_OfBadArguments_Throws()
    {
        using var p = torch.tensor(new[] { 0.2, double.NaN });
        using var y = torch.tensor(new long[] { 0, 1 });
        ((Action)(() => ReliabilityDiagram.Compute(p, y))).Should().Throw<ArgumentException>().WithMessage("*NaN*");
        ((Action)(() => ReliabilityDiagram.Compute(new[] { 0.5 }, new[] { 1 }, 0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => ReliabilityDiagram.Compute(new[] { 0.5 }, new[] { 1 }, 5, (BinningScheme)7))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("scheme");
    }
}
