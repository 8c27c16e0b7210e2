using System;
using System.Collections.Generic;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Regression;
using Uqlib.Segmentation;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests;

public sealed class PreconditionsTests
{
    /// <summary>Every size argument of the core's public API, each called just past its documented upper bound (and with int.MaxValue, which used to allocate until OutOfMemoryException).</summary>
    private static readonly Dictionary<string, Action<int>> Sizes = new()
    {
        ["CalibrationMetrics.Ece bins"] = bins => WithProbabilities((p, y) => CalibrationMetrics.Ece(p, y, bins)),
        ["CalibrationMetrics.Ece (span) bins"] = bins => CalibrationMetrics.Ece(new[] { 0.8, 0.2 }, new[] { 0 }, bins),
        ["CalibrationMetrics.AdaptiveEce bins"] = bins => WithProbabilities((p, y) => CalibrationMetrics.AdaptiveEce(p, y, bins)),
        ["CalibrationMetrics.Mce bins"] = bins => WithProbabilities((p, y) => CalibrationMetrics.Mce(p, y, bins)),
        ["CalibrationMetrics.ClasswiseEce bins"] = bins => WithProbabilities((p, y) => CalibrationMetrics.ClasswiseEce(p, y, bins)),
        ["CalibrationMetrics.EceWithInterval bins"] = bins => WithProbabilities((p, y) => CalibrationMetrics.EceWithInterval(p, y, bins)),
        ["CalibrationMetrics.EceWithInterval resamples"] = resamples => WithProbabilities((p, y) => CalibrationMetrics.EceWithInterval(p, y, resamples: resamples)),
        ["ReliabilityDiagram.Compute bins"] = bins => WithProbabilities((p, y) => ReliabilityDiagram.Compute(p, y, bins)),
        ["RegressionMetrics.MiscalibrationArea bins"] = bins => RegressionMetrics.MiscalibrationArea(new[] { 0.0, 1.0 }, new[] { 1.0, 1.0 }, new[] { 0.5, 0.5 }, bins),
        ["PixelCalibration.Ece bins"] = bins =>
        {
            using var output = torch.randn(1, 2, 2, 2);
            using var labels = torch.zeros(1, 2, 2, dtype: ScalarType.Int64);
            PixelCalibration.Ece(output, OutputKind.MulticlassLogits, labels, bins: bins);
        },
        ["HistogramBinningOptions.Bins"] = bins => new HistogramBinningOptions { Bins = bins }.Validate(),
        ["BootstrapOptions.Resamples"] = resamples => new BootstrapOptions { Resamples = resamples }.Validate(),
        ["KnnOptions.K"] = k => new KnnOptions { K = k }.Validate(),
        ["VimOptions.PrincipalDimension"] = d => new VimOptions { PrincipalDimension = d }.Validate(),
        ["ModelOptions.MaxBatchSize"] = size => new ModelOptions { MaxBatchSize = size }.Validate(),
        ["TtaOptions.MaxAugmentedBatchSize"] = size => new TtaOptions { MaxAugmentedBatchSize = size }.Validate(),
        ["CandidateCacheOptions.PixelsPerImage"] = size => new CandidateCacheOptions { PixelsPerImage = size }.Validate(),
        ["CandidatePool.Medical count"] = count => CandidatePool.Medical(count),
        ["CandidatePool.Medical operationsPerSubPolicy"] = count => CandidatePool.Medical(10, count),
        ["GreedyPolicySearchOptions.Steps"] = steps => new GreedyPolicySearchOptions { Steps = steps }.Validate(),
        ["PixelCalibrationOptions.MaxPixels"] = size => new PixelCalibrationOptions { MaxPixels = size }.Validate(),
        ["TemperatureScaling.WithTemperature classes"] = classes => TemperatureScaling.WithTemperature(1.5, classes),
        ["FeatureStatisticsAccumulator classes"] = classes => new FeatureStatisticsAccumulator(classes).Dispose(),
        ["Failures.DiceBelow classes"] = classes =>
        {
            using var labels = torch.zeros(1, 2, 2, dtype: ScalarType.Int64);
            Failures.DiceBelow(labels, labels, classes, 0.5).Dispose();
        },
        ["MapAggregation.BoundaryBand width"] = width =>
        {
            using var mask = torch.ones(1, 4, 4, dtype: ScalarType.Bool);
            MapAggregation.BoundaryBand(mask, width).Dispose();
        },
    };

    public static TheoryData<string> SizeArguments()
    {
        var data = new TheoryData<string>();
        foreach (var name in Sizes.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SizeArguments))]
    public void SizeArgument_AboveItsDocumentedBound_IsRefusedBeforeAllocating(string argument)
    {
        var call = Sizes[argument];
        var bound = Bound(argument);
        FluentActions.Invoking(() => call(bound + 1)).Should().Throw<ArgumentException>().WithMessage($"*{bound}*", argument);
        FluentActions.Invoking(() => call(int.MaxValue)).Should().Throw<ArgumentException>(argument);
    }

    [Fact]
    public void ChunkElements_AboveTwoToThe31_IsRefused()
    {
        var over = Preconditions.MaxChunkElements + 1;
        FluentActions.Invoking(() => new KnnOptions { ChunkElements = over }.Validate()).Should().Throw<ArgumentException>().WithMessage("*ChunkElements must be in [1, 2147483648]*");
        FluentActions.Invoking(() => new GreedyPolicySearchOptions { ChunkElements = long.MaxValue }.Validate()).Should().Throw<ArgumentException>().WithMessage("*ChunkElements must be in [1, 2147483648]*");
        new KnnOptions { ChunkElements = Preconditions.MaxChunkElements }.Validate();
    }

    [Fact]
    public void InRange_NamesTheArgumentTheRangeAndTheValue()
    {
        FluentActions.Invoking(() => Preconditions.InRange(7, "bins", 1, 5)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("bins").WithMessage("bins must be in [1, 5]; found 7.*");
        Preconditions.InRange(5, "bins", 1, 5).Should().Be(5);
    }

    [Fact]
    public void NotProbabilities_RefusesSoftmaxRowsOnly()
    {
        using var probabilities = torch.tensor(new[] { 0.25, 0.75, 0.5, 0.5 }).reshape(2, 2);
        using var logits = torch.tensor(new[] { 0.25, 0.75, 0.5, 0.4 }).reshape(2, 2);
        using var binary = torch.tensor(new[] { 0.25, 0.75 });
        FluentActions.Invoking(() => Preconditions.NotProbabilities(probabilities, "logits")).Should().Throw<ArgumentException>().WithParameterName("logits");
        FluentActions.Invoking(() => Preconditions.NotProbabilities(logits, "logits")).Should().NotThrow();
        FluentActions.Invoking(() => Preconditions.NotProbabilities(binary, "logits")).Should().NotThrow();
    }

    /// <summary>The documented upper bound of each argument in <see cref="Sizes"/>.</summary>
    private static int Bound(string argument)
    {
        return argument switch
        {
            _ when argument.Contains("bins", StringComparison.Ordinal) || argument.Contains("Bins", StringComparison.Ordinal) => Preconditions.MaxBins,
            _ when argument.Contains("esamples", StringComparison.Ordinal) => Preconditions.MaxResamples,
            _ when argument.Contains("classes", StringComparison.Ordinal) => Preconditions.MaxClasses,
            _ when argument.Contains("BatchSize", StringComparison.Ordinal) => Preconditions.MaxBatchSize,
            _ when argument.Contains("PixelsPerImage", StringComparison.Ordinal) => 1 << 20,
            _ when argument.Contains("MaxPixels", StringComparison.Ordinal) => 1 << 28,
            _ when argument.Contains("operationsPerSubPolicy", StringComparison.Ordinal) => 64,
            _ when argument.Contains("width", StringComparison.Ordinal) => 1024,
            _ => Preconditions.MaxCount,
        };
    }

    private static void WithProbabilities(Action<Tensor, Tensor> call)
    {
        using var p = torch.tensor(new[] { 0.8, 0.2, 0.3, 0.7, 0.6, 0.4 }).reshape(3, 2);
        using var y = torch.tensor(new long[] { 0, 1, 1 });
        call(p, y);
    }
}
