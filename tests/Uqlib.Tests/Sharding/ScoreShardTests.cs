using System;
using System.Collections.Generic;
using FluentAssertions;
using TorchSharp;
using Uqlib.Sharding;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Sharding;

public sealed class ScoreShardTests
{
    [Fact]
    public void Merge_FourShardsGatheredOutOfOrder_GivesSingleProcessOrderBitExactly()
    {
        using var generator = new Generator(3);
        using var all = torch.rand(new long[] { 1003, 5 }, dtype: ScalarType.Float64, generator: generator);
        var shards = new List<ScoreShard>();
        foreach (var i in new[] { 2, 0, 3, 1 })
        {
            var (start, end) = ShardSpec.Of(i, 4).CasesOf(1003);
            using var part = all.narrow(0, start, end - start);
            shards.Add(ScoreShard.Create(part, start));
        }

        using var merged = ScoreShard.Merge(shards, 1003);
        shards.ForEach(s => s.Dispose());
        using var values = merged.Values;
        using var indices = merged.CaseIndices;

        values.allclose(all, rtol: 0, atol: 0).Should().BeTrue();
        indices.data<long>().ToArray().Should().Equal(System.Linq.Enumerable.Select(System.Linq.Enumerable.Range(0, 1003), i => (long)i));
        merged.Cases.Should().Be(1003);
    }

    [Fact]
    public void Merge_ExplicitScatteredIndices_SortsByCase()
    {
        using var a = ScoreShard.Create(torch.tensor(new[] { 30.0, 10.0 }), torch.tensor(new long[] { 3, 1 }));
        using var b = ScoreShard.Create(torch.tensor(new[] { 0.0, 20.0 }), torch.tensor(new long[] { 0, 2 }));

        using var merged = ScoreShard.Merge([a, b], 4);
        using var values = merged.Values;

        values.data<double>().ToArray().Should().Equal(0.0, 10.0, 20.0, 30.0);
        merged.ToString().Should().Be("ScoreShard(n=4, cases 0..3, Float64 (4))");
    }

    [Fact]
    public void Merge_RepeatedOrMissingCases_Throws()
    {
        using var a = ScoreShard.Create(torch.zeros(3), 0);
        using var b = ScoreShard.Create(torch.zeros(3), 2);
        using var c = ScoreShard.Create(torch.zeros(3), 4);
        using var d = ScoreShard.Create(torch.zeros(3, 2), 3);
        using var e = ScoreShard.Create(torch.zeros(3, dtype: ScalarType.Float64), 3);

        FluentActions.Invoking(() => ScoreShard.Merge([a, b])).Should().Throw<ArgumentException>().WithParameterName("shards")
            .WithMessage("*case 2 appears more than once*");
        FluentActions.Invoking(() => ScoreShard.Merge([a, c], 7)).Should().Throw<ArgumentException>().WithParameterName("shards")
            .WithMessage("*cover the cases 0 to 6 exactly once; they hold 6 distinct cases from 0 to 6*");
        FluentActions.Invoking(() => ScoreShard.Merge([a, d])).Should().Throw<ArgumentException>().WithParameterName("shards").WithMessage("*one shape and type*");
        FluentActions.Invoking(() => ScoreShard.Merge([a, e])).Should().Throw<ArgumentException>().WithParameterName("shards").WithMessage("*one shape and type*");
        FluentActions.Invoking(() => ScoreShard.Merge([])).Should().Throw<ArgumentException>().WithParameterName("shards");
        FluentActions.Invoking(() => ScoreShard.Merge([a, null!])).Should().Throw<ArgumentNullException>().WithParameterName("shards");
        FluentActions.Invoking(() => ScoreShard.Merge([a], 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("totalCases");
    }

    [Fact]
    public void Create_InvalidValuesOrIndices_Throws()
    {
        FluentActions.Invoking(() => ScoreShard.Create(torch.tensor(new[] { 1.0, double.NaN }), 0)).Should().Throw<ArgumentException>().WithParameterName("values");
        FluentActions.Invoking(() => ScoreShard.Create(torch.zeros(2, dtype: ScalarType.Int32), 0)).Should().Throw<ArgumentException>().WithParameterName("values")
            .WithMessage("*float32, float64 or int64; found Int32*");
        FluentActions.Invoking(() => ScoreShard.Create(torch.zeros(2), -1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("firstCase");
        FluentActions.Invoking(() => ScoreShard.Create(torch.zeros(2), torch.tensor(new long[] { 1, 1 }))).Should().Throw<ArgumentException>()
            .WithParameterName("caseIndices").WithMessage("*case 1 appears more than once*");
        FluentActions.Invoking(() => ScoreShard.Create(torch.zeros(2), torch.tensor(new long[] { -1, 1 }))).Should().Throw<ArgumentException>()
            .WithParameterName("caseIndices").WithMessage("*at least 0; found -1*");
        FluentActions.Invoking(() => ScoreShard.Create(torch.zeros(2), torch.tensor(new long[] { 0, 1, 2 }))).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => ScoreShard.Create(torch.zeros(2), torch.tensor(new[] { 0.0, 1.0 }))).Should().Throw<ArgumentException>()
            .WithParameterName("caseIndices").WithMessage("*integer*");
    }

    [Fact]
    public void SaveLoad_RoundTripsBitExactly()
    {
        using var generator = new Generator(4);
        using var values = torch.randn(new long[] { 40, 3 }, generator: generator);
        using var shard = ScoreShard.Create(values, 100);

        using var loaded = SavedFiles.RoundTrip(shard.Save, ScoreShard.Load);
        using var actual = loaded.Values;
        using var indices = loaded.CaseIndices;

        actual.allclose(values, rtol: 0, atol: 0).Should().BeTrue();
        indices[0].item<long>().Should().Be(100);
        actual.dtype.Should().Be(ScalarType.Float32);
    }

    [Fact]
    public void Load_CorruptOrInconsistentFiles_AreRefusedWithoutLeaks()
    {
        using var shard = ScoreShard.Create(torch.arange(10, dtype: ScalarType.Float64), 0);
        var before = LiveTensors.Count;

        SavedFiles.ShouldRefuseCorruptions(shard.Save, ScoreShard.Load, "ScoreShard");
        SavedFiles.ShouldRefuseFields("{\"rank\": 1, \"dtype\": \"Int32\"}", ScoreShard.Load, "ScoreShard", "*rank 1 and type Int32 are not supported*");

        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Members_AfterDispose_Throw()
    {
        var shard = ScoreShard.Create(torch.zeros(2), 0);
        shard.Dispose();

        FluentActions.Invoking(() => shard.Values).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => shard.Cases).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => shard.Save("x")).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => ScoreShard.Merge([shard])).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Merge_CalibrationOutputsOfFourShards_CalibrationAndConformalFitsEqualSingleProcess()
    {
        // Each shard runs the model on its block of calibration cases and saves logits and labels; the merge gathers them, and the
        // (small) calibration and conformal fits run once on the gathered outputs.
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(50);
        var logits = torch.randn(new long[] { 2001, 5 }, dtype: ScalarType.Float64, generator: generator).mul_(3.0);
        using var generator2 = new Generator(51);
        var labels = logits.softmax(1).multinomial(1, generator: generator2).squeeze(1);
        var logitShards = new List<ScoreShard>();
        var labelShards = new List<ScoreShard>();
        foreach (var i in new[] { 1, 3, 0, 2 })
        {
            var (start, end) = ShardSpec.Of(i, 4).CasesOf(2001);
            logitShards.Add(SavedFiles.RoundTrip(ScoreShard.Create(logits.narrow(0, start, end - start), start).Save, ScoreShard.Load));
            labelShards.Add(SavedFiles.RoundTrip(ScoreShard.Create(labels.narrow(0, start, end - start), start).Save, ScoreShard.Load));
        }

        using var mergedLogits = ScoreShard.Merge(logitShards, 2001);
        using var mergedLabels = ScoreShard.Merge(labelShards, 2001);
        logitShards.ForEach(s => s.Dispose());
        labelShards.ForEach(s => s.Dispose());
        var gatheredLogits = mergedLogits.Values;
        var gatheredLabels = mergedLabels.Values;

        var single = Uqlib.Calibration.TemperatureScaling.Fit(logits, labels);
        var merged = Uqlib.Calibration.TemperatureScaling.Fit(gatheredLogits, gatheredLabels);
        merged.Temperature.Should().Be(single.Temperature);
        var singleConformal = Uqlib.Conformal.ConformalClassifier.Fit(single.Transform(logits), labels);
        var mergedConformal = Uqlib.Conformal.ConformalClassifier.Fit(merged.Transform(gatheredLogits), gatheredLabels);
        mergedConformal.Thresholds(0.1).Should().Equal(singleConformal.Thresholds(0.1));
        single.Temperature.Should().NotBe(1.0);
    }

    [Fact]
    public void Merge_EnsembleMembersRunOnCaseShards_EnsembleScoresEqualSingleProcess()
    {
        // Deep-ensemble and TTA passes split by cases: each shard job saves every member's (or augmentation's) probabilities of its
        // cases; the merge gathers them per member, and the ensemble measures run on the gathered (M, N, C) tensor.
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(52);
        var probabilities = torch.randn(new long[] { 3, 1001, 4 }, dtype: ScalarType.Float64, generator: generator).softmax(2);
        var members = new List<Tensor>();
        for (var m = 0; m < 3; m++)
        {
            var shards = new List<ScoreShard>();
            foreach (var i in new[] { 2, 0, 3, 1 })
            {
                var (start, end) = ShardSpec.Of(i, 4).CasesOf(1001);
                shards.Add(ScoreShard.Create(probabilities[m].narrow(0, start, end - start), start));
            }

            using var merged = ScoreShard.Merge(shards, 1001);
            shards.ForEach(s => s.Dispose());
            members.Add(merged.Values);
        }

        var gathered = torch.stack(members, 0);

        Uqlib.Ensembles.EnsembleScores.MutualInformation(gathered).allclose(Uqlib.Ensembles.EnsembleScores.MutualInformation(probabilities), rtol: 0, atol: 0)
            .Should().BeTrue();
        Uqlib.Ensembles.EnsembleScores.PredictiveEntropy(gathered).allclose(Uqlib.Ensembles.EnsembleScores.PredictiveEntropy(probabilities), rtol: 0, atol: 0)
            .Should().BeTrue();
    }
}
