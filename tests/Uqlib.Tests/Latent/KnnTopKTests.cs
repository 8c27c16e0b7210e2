using System;
using System.Collections.Generic;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Sharding;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class KnnTopKTests
{
    [Theory]
    [InlineData(5, 1_000_000L)]
    [InlineData(1, 1_000_000L)]
    [InlineData(5, 300L)]
    [InlineData(40, 300L)]
    public void Merge_BankSplitOverFourShards_ScoresEqualUnshardedBitForBit(int k, long chunkElements)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(40);
        var bank = torch.randn(new long[] { 2003, 16 }, generator: generator);
        using var generator2 = new Generator(41);
        var queries = torch.randn(new long[] { 517, 16 }, generator: generator2);
        var options = new KnnOptions { K = k, ChunkElements = chunkElements };
        using var whole = KnnDetector.Fit(bank, options);
        var expected = whole.Score(queries);
        var parts = new List<KnnTopK>();
        foreach (var i in new[] { 3, 1, 0, 2 })
        {
            var (start, end) = ShardSpec.Of(i, 4).CasesOf(bank.shape[0]);
            using var shard = KnnDetector.Fit(bank.narrow(0, start, end - start), options);
            parts.Add(KnnTopK.Compute(shard, queries, start));
        }

        using var merged = KnnTopK.Merge(parts);
        parts.ForEach(p => p.Dispose());
        var actual = merged.Scores();

        actual.dtype.Should().Be(ScalarType.Float64);
        // Bit for bit, tiny forced chunks included: the float32 products only choose candidates; every kept distance is the exact
        // float64 distance of the same two normalised rows, computed as the unsharded detector computes its k-th.
        actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
        merged.K.Should().Be(k);
        merged.Queries.Should().Be(517);
    }

    [Fact]
    public void Merge_Indices_AreTheGlobalRowsOfTheKNearest()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(42);
        var bank = torch.randn(new long[] { 400, 8 }, generator: generator);
        using var generator3 = new Generator(43);
        var queries = torch.randn(new long[] { 30, 8 }, generator: generator3);
        var parts = new List<KnnTopK>();
        for (var i = 0; i < 4; i++)
        {
            var (start, end) = ShardSpec.Of(i, 4).CasesOf(400);
            using var shard = KnnDetector.Fit(bank.narrow(0, start, end - start), new KnnOptions { K = 3 });
            parts.Add(KnnTopK.Compute(shard, queries, start));
        }

        using var merged = KnnTopK.Merge(parts);
        parts.ForEach(p => p.Dispose());

        // Brute force over the whole bank in float64: the same rows, and all k distances exact to float64 rounding.
        var (expectedValues, expectedRows) = BruteForce(queries, bank, 3);
        var rows = merged.Indices.sort(1).Values;
        rows.allclose(expectedRows.sort(1).Values, rtol: 0, atol: 0).Should().BeTrue();
        var values = merged.Distances.sort(1).Values;
        values.allclose(expectedValues, rtol: 1e-12, atol: 0).Should().BeTrue();
    }

    [Theory]
    [InlineData(5)]
    [InlineData(12)]
    public void Merge_NearDuplicateNeighbours_EveryDistanceExactAndScoresEqualUnsharded(int k)
    {
        // 40 bank rows within 1e-9 of one another around each query's nearest row: the float32 keys cannot rank them (the band around
        // the k-th spans every candidate), so each shard falls back to the exact float64 pass over its whole bank.
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(44);
        var bank = torch.randn(new long[] { 600, 16 }, ScalarType.Float64, generator: generator);
        var centre = bank.narrow(0, 0, 1);
        using var generator4 = new Generator(45);
        bank.narrow(0, 0, 40).copy_(centre.add(torch.randn(new long[] { 40, 16 }, ScalarType.Float64, generator: generator4).mul_(1e-9)));
        using var generator5 = new Generator(46);
        var queries = torch.cat(new[] { centre.add(0.01), centre.sub(0.02), torch.randn(new long[] { 20, 16 }, ScalarType.Float64, generator: generator5) }, 0);
        var options = new KnnOptions { K = k };
        using var whole = KnnDetector.Fit(bank, options);
        var parts = new List<KnnTopK>();
        for (var i = 0; i < 3; i++)
        {
            var (start, end) = ShardSpec.Of(i, 3).CasesOf(bank.shape[0]);
            using var shard = KnnDetector.Fit(bank.narrow(0, start, end - start), options);
            parts.Add(KnnTopK.Compute(shard, queries, start));
        }

        using var merged = KnnTopK.Merge(parts);
        parts.ForEach(p => p.Dispose());

        merged.Scores().allclose(whole.Score(queries), rtol: 0, atol: 0).Should().BeTrue();
        var (expectedValues, _) = BruteForce(queries, bank, k);
        merged.Distances.sort(1).Values.allclose(expectedValues, rtol: 1e-12, atol: 0).Should().BeTrue();
        using var indices = merged.Indices;
        indices.narrow(0, 0, 2).lt(40).all().ToBoolean().Should().BeTrue();
    }

    [Fact]
    public void Compute_OneShardWithWholeBank_EqualsDetectorScore()
    {
        using var scope = torch.NewDisposeScope();
        var golden = LatentCases.Case(0);
        var x = LatentCases.Features(golden);
        var q = LatentCases.Queries(golden);
        using var detector = KnnDetector.Fit(x, new KnnOptions { K = 5 });
        var reports = new List<EstimationProgress>();

        using var state = KnnTopK.Compute(detector, q, progress: new SynchronousProgress<EstimationProgress>(reports.Add));
        using var alone = KnnTopK.Merge([state]);

        alone.Scores().allclose(detector.Score(q).to(ScalarType.Float64), rtol: 0, atol: 0).Should().BeTrue();
        Golden.ToArray(state.Scores()).Should().Equal(Golden.Vector(golden.GetProperty("knn")), (a, b) => Math.Abs(a - b) < 2e-6);
        reports.Should().NotBeEmpty();
        reports[^1].Samples.Should().Be(q.shape[0]);
        reports[^1].TotalSamples.Should().Be(q.shape[0]);
        state.ToString().Should().Be($"KnnTopK(n={q.shape[0]}, k=5)");
    }

    [Fact]
    public void SaveLoad_RoundTripsBitExactly_AndRefusesCorruptFiles()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(44);
        var bank = torch.randn(new long[] { 50, 4 }, generator: generator);
        using var detector = KnnDetector.Fit(bank, new KnnOptions { K = 3 });
        using var state = KnnTopK.Compute(detector, bank.narrow(0, 0, 10), 100);

        using var loaded = SavedFiles.RoundTrip(state.Save, KnnTopK.Load);

        loaded.Distances.allclose(state.Distances, rtol: 0, atol: 0).Should().BeTrue();
        loaded.Indices.allclose(state.Indices, rtol: 0, atol: 0).Should().BeTrue();
        loaded.Indices.min().item<long>().Should().BeGreaterThanOrEqualTo(100);
        var before = LiveTensors.Count;
        SavedFiles.ShouldRefuseCorruptions(state.Save, KnnTopK.Load, "KnnTopK");
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void ComputeAndMerge_InvalidArguments_Throw()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(45);
        var bank = torch.randn(new long[] { 20, 4 }, generator: generator);
        using var detector = KnnDetector.Fit(bank, new KnnOptions { K = 3 });
        using var other = KnnDetector.Fit(bank, new KnnOptions { K = 2 });
        using var a = KnnTopK.Compute(detector, bank);
        using var b = KnnTopK.Compute(other, bank);
        using var c = KnnTopK.Compute(detector, bank.narrow(0, 0, 5));

        FluentActions.Invoking(() => KnnTopK.Compute(null!, bank)).Should().Throw<ArgumentNullException>().WithParameterName("shard");
        FluentActions.Invoking(() => KnnTopK.Compute(detector, torch.ones(3, 5))).Should().Throw<ArgumentException>().WithParameterName("features")
            .WithMessage("*dimension 4*");
        FluentActions.Invoking(() => KnnTopK.Compute(detector, torch.full(3, 4, double.NaN))).Should().Throw<ArgumentException>().WithParameterName("features");
        FluentActions.Invoking(() => KnnTopK.Compute(detector, bank, -1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("bankOffset");
        FluentActions.Invoking(() => KnnTopK.Merge([a, b])).Should().Throw<ArgumentException>().WithParameterName("parts").WithMessage("*k = 3*k = 2*");
        FluentActions.Invoking(() => KnnTopK.Merge([a, c])).Should().Throw<ArgumentException>().WithParameterName("parts").WithMessage("*20 queries*5*");
        FluentActions.Invoking(() => KnnTopK.Merge([])).Should().Throw<ArgumentException>().WithParameterName("parts");
        FluentActions.Invoking(() => KnnTopK.Merge([a, null!])).Should().Throw<ArgumentNullException>().WithParameterName("parts");
    }

    [Fact]
    public void ComputeMergeScores_LeakNoTensors_AndDisposedStateThrows()
    {
        using var generator = new Generator(46);
        using var bank = torch.randn(new long[] { 60, 4 }, generator: generator);
        using var detector = KnnDetector.Fit(bank, new KnnOptions { K = 3, ChunkElements = 40 });
        var before = LiveTensors.Count;
        using (var a = KnnTopK.Compute(detector, bank))
        using (var merged = KnnTopK.Merge([a, a]))
        using (var scores = merged.Scores())
        {
            scores.shape.Should().Equal(60);
        }

        LiveTensors.Count.Should().Be(before);
        var state = KnnTopK.Compute(detector, bank);
        state.Dispose();
        FluentActions.Invoking(() => state.Scores()).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => state.Distances).Should().Throw<ObjectDisposedException>();
    }

    /// <summary>The k nearest rows of the normalised bank to each normalised query, by float64 differences over the whole bank, ascending.</summary>
    private static (Tensor Values, Tensor Rows) BruteForce(Tensor queries, Tensor bank, int k)
    {
        var z = nn.functional.normalize(queries.to(ScalarType.Float64), 2.0, 1);
        var b = nn.functional.normalize(bank.to(ScalarType.Float64), 2.0, 1);
        return z.unsqueeze(1).sub(b.unsqueeze(0)).pow(2).sum(new long[] { 2 }).sqrt().topk(k, 1, largest: false, sorted: true);
    }
}
