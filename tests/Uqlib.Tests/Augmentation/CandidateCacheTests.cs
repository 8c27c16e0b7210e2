using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Augmentation;

public sealed class CandidateCacheTests : IDisposable
{
    private static readonly CandidatePool FlipPool = CandidatePool.Of(SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, 1)));

    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-gps-cache-").FullName;

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>A classifier that is not flip-invariant: logits are weighted sums of the pixels.</summary>
    private static DelegateModel Classifier()
    {
        var weights = torch.randn(new long[] { 3, 36 }, generator: torch.manual_seed(1));
        return new DelegateModel(x => x.flatten(1).matmul(weights.t()), OutputKind.MulticlassLogits);
    }

    /// <summary>A per-pixel (equivariant) segmenter: class 1's logit is 10·(x − 0.5), class 0's is 0.</summary>
    private static DelegateModel Segmenter() =>
        new(x => torch.cat(new[] { torch.zeros_like(x), x.sub(0.5).mul(10) }, 1), OutputKind.MulticlassLogits);

    [Fact]
    public void Build_Classification_CachesEachCandidatesLogSoftmax_AndTheLabels()
    {
        using var scope = torch.NewDisposeScope();
        var model = Classifier();
        var x1 = torch.rand(new long[] { 4, 1, 6, 6 }, generator: torch.manual_seed(2));
        var x2 = torch.rand(new long[] { 3, 1, 6, 6 }, generator: torch.manual_seed(3));
        var batches = new[] { new Batch(x1, torch.tensor(new long[] { 0, 1, 2, 0 })), new Batch(x2, torch.tensor(new long[] { 2, 2, 1 })) };
        var reports = new List<EstimationProgress>();

        using var cache = CandidateCache.Build(model, batches, FlipPool, progress: new SynchronousProgress<EstimationProgress>(reports.Add));

        cache.LogProbabilities.shape.Should().Equal(2, 7, 3);
        cache.LogProbabilities.dtype.Should().Be(ScalarType.Float32);
        var x = torch.cat(new[] { x1, x2 }, 0);
        var plain = model.Forward(x).Logits.log_softmax(1);
        var flipped = model.Forward(x.flip(-1)).Logits.log_softmax(1);
        cache.LogProbabilities[0].allclose(plain, rtol: 0, atol: 1e-5).Should().BeTrue();
        cache.LogProbabilities[1].allclose(flipped, rtol: 0, atol: 1e-5).Should().BeTrue();
        cache.Labels.data<long>().ToArray().Should().Equal(0, 1, 2, 0, 2, 2, 1);
        (cache.Candidates, cache.Rows, cache.Classes).Should().Be((2, 7L, 3));
        reports.Should().Equal(new EstimationProgress(1, 4), new EstimationProgress(2, 7));
    }

    [Fact]
    public void Build_Float16_HalvesTheCache_WithinHalfPrecision()
    {
        using var scope = torch.NewDisposeScope();
        var model = Classifier();
        var batch = new Batch(torch.rand(new long[] { 5, 1, 6, 6 }, generator: torch.manual_seed(4)), torch.tensor(new long[] { 0, 1, 2, 0, 1 }));
        using var single = CandidateCache.Build(model, new[] { batch }, FlipPool);
        using var half = CandidateCache.Build(model, new[] { batch }, FlipPool, new CandidateCacheOptions { Precision = ScalarType.Float16 });
        half.LogProbabilities.dtype.Should().Be(ScalarType.Float16);
        half.LogProbabilities.to(ScalarType.Float32).allclose(single.LogProbabilities, rtol: 1e-3, atol: 1e-3).Should().BeTrue();
        var fromHalf = GreedyPolicySearch.Search(half.LogProbabilities, half.Labels, new GreedyPolicySearchOptions { Steps = 3 });
        var fromSingle = GreedyPolicySearch.Search(single.LogProbabilities, single.Labels, new GreedyPolicySearchOptions { Steps = 3 });
        fromHalf.SelectedCandidates.Should().Equal(fromSingle.SelectedCandidates);
        fromHalf.Steps[^1].CalibratedLogLikelihood.Should().BeApproximately(fromSingle.Steps[^1].CalibratedLogLikelihood, 1e-3);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Build_Segmentation_InvertsGeometricCandidates_AndDrawsTheSamePixels(bool volume)
    {
        using var scope = torch.NewDisposeScope();
        var shape = volume ? new long[] { 2, 1, 4, 8, 8 } : new long[] { 2, 1, 8, 8 };
        var x = torch.rand(shape, generator: torch.manual_seed(5));
        var masks = x.squeeze(1).gt(0.5).to(ScalarType.Int64);
        var pool = CandidatePool.Of(
            SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, 1)),
            SubPolicy.Of(new PolicyOperation(AugmentationOperation.Rot90, -1)),
            SubPolicy.Of(new PolicyOperation(AugmentationOperation.Brightness, 0.5)));

        using var cache = CandidateCache.Build(Segmenter(), new[] { new Batch(x, masks) }, pool, new CandidateCacheOptions { PixelsPerImage = 20, Seed = 3 });

        cache.LogProbabilities.shape.Should().Equal(4, 40, 2);
        cache.LogProbabilities[1].allclose(cache.LogProbabilities[0], rtol: 0, atol: 0).Should().BeTrue("a flip of an equivariant model is undone exactly");
        cache.LogProbabilities[2].allclose(cache.LogProbabilities[0], rtol: 0, atol: 0).Should().BeTrue("so is a quarter turn");
        cache.LogProbabilities[3].allclose(cache.LogProbabilities[0]).Should().BeFalse("brightness changes the prediction");
        cache.LogProbabilities[0].argmax(1).equal(cache.Labels).all().item<bool>().Should().BeTrue("each row's label is its own pixel's");
        using var again = CandidateCache.Build(Segmenter(), new[] { new Batch(x, masks) }, pool, new CandidateCacheOptions { PixelsPerImage = 20, Seed = 3 });
        again.LogProbabilities.allclose(cache.LogProbabilities, rtol: 0, atol: 0).Should().BeTrue("the pixel draw is seeded");
        using var all = CandidateCache.Build(Segmenter(), new[] { new Batch(x, masks) }, pool, new CandidateCacheOptions { PixelsPerImage = 100_000 });
        all.Rows.Should().Be(masks.numel());
    }

    [Fact]
    public void Build_DoesNotLeakTensors()
    {
        var model = Classifier();
        using var x = torch.rand(new long[] { 4, 1, 6, 6 }, generator: torch.manual_seed(2));
        using var y = torch.tensor(new long[] { 0, 1, 2, 0 });
        var batches = new[] { new Batch(x, y), new Batch(x, y) };
        CandidateCache.Build(model, batches, FlipPool).Dispose();
        var before = LiveTensors.Count;
        CandidateCache.Build(model, batches, FlipPool).Dispose();
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Build_BadInput_ThrowsClearly()
    {
        using var scope = torch.NewDisposeScope();
        var model = Classifier();
        var x = torch.rand(new long[] { 4, 1, 6, 6 }, generator: torch.manual_seed(2));
        var y = torch.tensor(new long[] { 0, 1, 2, 0 });
        var good = new[] { new Batch(x, y) };
        ((Action)(() => CandidateCache.Build(null!, good, FlipPool))).Should().Throw<ArgumentNullException>().WithParameterName("model");
        ((Action)(() => CandidateCache.Build(model, null!, FlipPool))).Should().Throw<ArgumentNullException>().WithParameterName("validation");
        ((Action)(() => CandidateCache.Build(model, good, null!))).Should().Throw<ArgumentNullException>().WithParameterName("pool");
        ((Action)(() => CandidateCache.Build(model, Array.Empty<Batch>(), FlipPool))).Should().Throw<ArgumentException>().WithMessage("*no batches*");
        ((Action)(() => CandidateCache.Build(model, new[] { new Batch(x) }, FlipPool))).Should().Throw<ArgumentException>().WithMessage("*batch 0 has no labels*");
        ((Action)(() => CandidateCache.Build(model, new[] { new Batch(x, torch.tensor(new long[] { 0, 1 })) }, FlipPool)))
            .Should().Throw<ArgumentException>().WithMessage("*2 labels for 4*");
        ((Action)(() => CandidateCache.Build(model, new[] { new Batch(x, torch.tensor(new long[] { 0, 1, 3, 0 })) }, FlipPool)))
            .Should().Throw<ArgumentException>().WithMessage("*[0, 2]*");
        ((Action)(() => CandidateCache.Build(model, new[] { new Batch(x, torch.tensor(new[] { 0f, 1, 2, 0 })) }, FlipPool)))
            .Should().Throw<ArgumentException>().WithMessage("*integer*");
        var nan = new DelegateModel(t => torch.full(new long[] { t.shape[0], 3 }, double.NaN), OutputKind.MulticlassLogits);
        ((Action)(() => CandidateCache.Build(nan, good, FlipPool))).Should().Throw<ArgumentException>().WithMessage("*output*");
        var infinite = new DelegateModel(t => torch.full(new long[] { t.shape[0], 3 }, double.PositiveInfinity), OutputKind.MulticlassLogits);
        ((Action)(() => CandidateCache.Build(infinite, good, FlipPool))).Should().Throw<ArgumentException>().WithMessage("*output*");
        ((Action)(() => CandidateCache.Build(model, new[] { new Batch(torch.zeros(new long[] { 0, 1, 6, 6 }), torch.zeros(new long[] { 0 }, ScalarType.Int64)) }, FlipPool)))
            .Should().Throw<ArgumentException>().WithParameterName("validation");
        ((Action)(() => CandidateCache.Build(model, new Batch[] { null! }, FlipPool))).Should().Throw<ArgumentException>().WithMessage("*batch 0 is null*");
        var regression = new DelegateModel(t => t.flatten(1).narrow(1, 0, 1), OutputKind.Regression);
        ((Action)(() => CandidateCache.Build(regression, good, FlipPool))).Should().Throw<ArgumentException>().WithMessage("*Regression*");
        var wide = new Batch(torch.rand(new long[] { 2, 1, 6, 8 }), torch.tensor(new long[] { 0, 1 }));
        var flat = new DelegateModel(t => t.flatten(1).narrow(1, 0, 3), OutputKind.MulticlassLogits);
        ((Action)(() => CandidateCache.Build(flat, new[] { wide }, CandidatePool.Of(SubPolicy.Of(new PolicyOperation(AugmentationOperation.Rot90, 1))))))
            .Should().Throw<ArgumentException>().WithMessage("*changes the input shape*");
        ((Action)(() => CandidateCache.Build(model, good, FlipPool, new CandidateCacheOptions { Precision = ScalarType.Float64, PixelsPerImage = 0 })))
            .Should().Throw<ArgumentException>().WithMessage("*Precision*PixelsPerImage*");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        ((Action)(() => CandidateCache.Build(model, good, FlipPool, cancellationToken: cancelled.Token))).Should().Throw<OperationCanceledException>();
    }

    [Theory]
    [InlineData(ScalarType.Float32, false)]
    [InlineData(ScalarType.Float16, false)]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.Float16, true)]
    public void Build_OnDisk_GivesTheInMemoryCache_AndTheSameSearch(ScalarType precision, bool heldOut)
    {
        using var scope = torch.NewDisposeScope();
        var model = Classifier();
        var pool = CandidatePool.Medical(count: 12, operationsPerSubPolicy: 2, seed: 3);
        var batches = new[]
        {
            new Batch(torch.rand(new long[] { 40, 1, 6, 6 }, generator: torch.manual_seed(6)), torch.randint(0, 3, new long[] { 40 }, generator: torch.manual_seed(7))),
            new Batch(torch.rand(new long[] { 25, 1, 6, 6 }, generator: torch.manual_seed(8)), torch.randint(0, 3, new long[] { 25 }, generator: torch.manual_seed(9))),
        };
        var options = new CandidateCacheOptions { Precision = precision };
        var searchOptions = new GreedyPolicySearchOptions { Steps = 6, HeldOutCheck = heldOut, Seed = 2, ChunkElements = 400 };

        using var memory = CandidateCache.Build(model, batches, pool, options);
        using var disk = CandidateCache.Build(model, batches, pool, options with { DiskDirectory = directory });

        memory.FilePath.Should().BeNull();
        disk.LogProbabilities.shape.Should().Equal(memory.LogProbabilities.shape);
        disk.LogProbabilities.dtype.Should().Be(precision);
        disk.LogProbabilities.allclose(memory.LogProbabilities, rtol: 0, atol: 0).Should().BeTrue();
        disk.Labels.data<long>().ToArray().Should().Equal(memory.Labels.data<long>().ToArray());
        var fromDisk = GreedyPolicySearch.Search(disk.LogProbabilities, disk.Labels, searchOptions);
        var fromMemory = GreedyPolicySearch.Search(memory.LogProbabilities, memory.Labels, searchOptions);
        fromDisk.SelectedCandidates.Should().Equal(fromMemory.SelectedCandidates);
        fromDisk.Temperature.Should().Be(fromMemory.Temperature);
        fromDisk.Steps.Should().Equal(fromMemory.Steps);
    }

    [Fact]
    public void Build_OnDiskOneBatch_GivesTheInMemoryCache()
    {
        using var scope = torch.NewDisposeScope();
        var pool = CandidatePool.Medical(count: 5, operationsPerSubPolicy: 2, seed: 4);
        var batch = new Batch(torch.rand(new long[] { 9, 1, 6, 6 }, generator: torch.manual_seed(4)), torch.randint(0, 3, new long[] { 9 }, generator: torch.manual_seed(5)));
        using var memory = CandidateCache.Build(Classifier(), new[] { batch }, pool);
        using var disk = CandidateCache.Build(Classifier(), new[] { batch }, pool, new CandidateCacheOptions { DiskDirectory = directory });

        disk.LogProbabilities.shape.Should().Equal(6, 9, 3);
        disk.LogProbabilities.allclose(memory.LogProbabilities, rtol: 0, atol: 0).Should().BeTrue();
        Directory.GetFiles(directory).Should().Equal(disk.FilePath);
    }

    [Fact]
    public void Build_OnDisk_KeepsTheFileWhileInUse_AndDeletesItOnDispose()
    {
        using var scope = torch.NewDisposeScope();
        var batch = new Batch(torch.rand(new long[] { 5, 1, 6, 6 }, generator: torch.manual_seed(4)), torch.tensor(new long[] { 0, 1, 2, 0, 1 }));
        var cache = CandidateCache.Build(Classifier(), new[] { batch, batch }, FlipPool, new CandidateCacheOptions { DiskDirectory = directory });

        var path = cache.FilePath;
        Directory.GetFiles(directory).Should().Equal(path);
        new FileInfo(path!).Length.Should().Be(2 * 10 * 3 * 4);
        cache.Dispose();
        File.Exists(path).Should().BeFalse();
        Directory.GetFiles(directory).Should().BeEmpty();
    }

    [Fact]
    public void Build_OnDisk_DoesNotLeakTensors()
    {
        var model = Classifier();
        using var x = torch.rand(new long[] { 4, 1, 6, 6 }, generator: torch.manual_seed(2));
        using var y = torch.tensor(new long[] { 0, 1, 2, 0 });
        var batches = new[] { new Batch(x, y), new Batch(x, y) };
        var options = new CandidateCacheOptions { DiskDirectory = directory };
        CandidateCache.Build(model, batches, FlipPool, options).Dispose();
        var before = LiveTensors.Count;
        CandidateCache.Build(model, batches, FlipPool, options).Dispose();
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Build_OnDisk_BadDirectory_ThrowsClearly()
    {
        using var scope = torch.NewDisposeScope();
        var batch = new Batch(torch.rand(new long[] { 4, 1, 6, 6 }), torch.tensor(new long[] { 0, 1, 2, 0 }));
        var missing = Path.Combine(directory, "missing");
        ((Action)(() => CandidateCache.Build(Classifier(), new[] { batch }, FlipPool, new CandidateCacheOptions { DiskDirectory = missing })))
            .Should().Throw<ArgumentException>().WithParameterName("options").WithMessage($"*DiskDirectory*{missing}*does not exist*");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Build_OnDisk_Cancelled_RemovesThePartialFile(int callsBeforeCancel)
    {
        using var scope = torch.NewDisposeScope();
        using var source = new CancellationTokenSource();
        var weights = torch.randn(new long[] { 3, 36 }, generator: torch.manual_seed(1));
        var calls = 0;
        var model = new DelegateModel(x =>
        {
            if (++calls == callsBeforeCancel)
            {
                source.Cancel();
            }

            return x.flatten(1).matmul(weights.t());
        }, OutputKind.MulticlassLogits);
        var batch = new Batch(torch.rand(new long[] { 4, 1, 6, 6 }, generator: torch.manual_seed(2)), torch.tensor(new long[] { 0, 1, 2, 0 }));

        ((Action)(() => CandidateCache.Build(model, new[] { batch, batch }, FlipPool, new CandidateCacheOptions { DiskDirectory = directory },
            cancellationToken: source.Token))).Should().Throw<OperationCanceledException>();

        calls.Should().Be(callsBeforeCancel);
        Directory.GetFiles(directory).Should().BeEmpty();
    }

    [Fact]
    public void Merge_CachesOfFourValidationShards_EqualSingleProcessCacheBitExactly()
    {
        using var scope = torch.NewDisposeScope();
        var model = Classifier();
        // 24 cases, shards of 6, batches of 3: every shard's batches are batches of the single-process pass, so the model sees the same inputs.
        var x = torch.rand(new long[] { 24, 1, 6, 6 }, generator: torch.manual_seed(30));
        var y = torch.randint(0, 3, new long[] { 24 }, generator: torch.manual_seed(31));
        var pool = CandidatePool.Medical(6, seed: 2);
        using var single = CandidateCache.Build(model, Batches(x, y, 0, 24), pool);
        var shards = new List<CandidateCache>();
        for (var i = 0; i < 4; i++)
        {
            var (start, end) = Uqlib.Sharding.ShardSpec.Of(i, 4).CasesOf(24);
            shards.Add(CandidateCache.Build(model, Batches(x, y, start, end), pool));
        }

        var reports = new List<EstimationProgress>();
        using var merged = CandidateCache.Merge(shards, new SynchronousProgress<EstimationProgress>(reports.Add));
        shards.ForEach(s => s.Dispose());

        merged.LogProbabilities.allclose(single.LogProbabilities, rtol: 0, atol: 0).Should().BeTrue();
        merged.Labels.allclose(single.Labels, rtol: 0, atol: 0).Should().BeTrue();
        reports[^1].Should().Be(new EstimationProgress(4, 24));
        var searched = GreedyPolicySearch.Search(merged.LogProbabilities, merged.Labels);
        var expected = GreedyPolicySearch.Search(single.LogProbabilities, single.Labels);
        searched.SelectedCandidates.Should().Equal(expected.SelectedCandidates);
        searched.Temperature.Should().Be(expected.Temperature);
    }

    [Fact]
    public void SaveLoad_Float32AndFloat16Caches_RoundTripBitExactly()
    {
        using var scope = torch.NewDisposeScope();
        var model = Classifier();
        var x = torch.rand(new long[] { 5, 1, 6, 6 }, generator: torch.manual_seed(32));
        var batch = new Batch(x, torch.tensor(new long[] { 0, 1, 2, 0, 1 }));
        foreach (var precision in new[] { ScalarType.Float32, ScalarType.Float16 })
        {
            using var cache = CandidateCache.Build(model, [batch], FlipPool, new CandidateCacheOptions { Precision = precision });

            using var loaded = SavedFiles.RoundTrip(cache.Save, CandidateCache.Load);

            loaded.LogProbabilities.dtype.Should().Be(precision);
            loaded.LogProbabilities.to(ScalarType.Float32).allclose(cache.LogProbabilities.to(ScalarType.Float32), rtol: 0, atol: 0).Should().BeTrue();
            loaded.Labels.allclose(cache.Labels, rtol: 0, atol: 0).Should().BeTrue();
            loaded.FilePath.Should().BeNull();
            loaded.ToString().Should().Be($"CandidateCache(K=2, N=5, C=3, {precision})");
        }
    }

    [Fact]
    public void Load_CorruptOrInconsistentFiles_AreRefusedWithoutLeaks()
    {
        var model = Classifier();
        using var x = torch.rand(new long[] { 5, 1, 6, 6 }, generator: torch.manual_seed(33));
        using var labels = torch.tensor(new long[] { 0, 1, 2, 0, 1 });
        using var cache = CandidateCache.Build(model, [new Batch(x, labels)], FlipPool);
        var before = LiveTensors.Count;

        SavedFiles.ShouldRefuseCorruptions(cache.Save, CandidateCache.Load, "CandidateCache");
        SavedFiles.ShouldRefuseFields("{\"precision\": \"Float64\"}", CandidateCache.Load, "CandidateCache", "*precision Float64 is not Float32 or Float16*");

        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Merge_MismatchedOrMissingCaches_Throws()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.rand(new long[] { 4, 1, 6, 6 }, generator: torch.manual_seed(34));
        var batch = new Batch(x, torch.tensor(new long[] { 0, 1, 2, 0 }));
        using var flips = CandidateCache.Build(Classifier(), [batch], FlipPool);
        using var identity = CandidateCache.Build(Classifier(), [batch], CandidatePool.Medical(6, seed: 2));
        using var half = CandidateCache.Build(Classifier(), [batch], FlipPool, new CandidateCacheOptions { Precision = ScalarType.Float16 });
        var disposed = CandidateCache.Build(Classifier(), [batch], FlipPool);
        disposed.Dispose();

        ((Action)(() => CandidateCache.Merge([flips, identity]))).Should().Throw<ArgumentException>().WithParameterName("shards")
            .WithMessage("*shards[0] has 2 candidates*");
        ((Action)(() => CandidateCache.Merge([flips, half]))).Should().Throw<ArgumentException>().WithParameterName("shards").WithMessage("*Float16*");
        ((Action)(() => CandidateCache.Merge([]))).Should().Throw<ArgumentException>().WithParameterName("shards");
        ((Action)(() => CandidateCache.Merge(null!))).Should().Throw<ArgumentNullException>().WithParameterName("shards");
        ((Action)(() => CandidateCache.Merge([flips, null!]))).Should().Throw<ArgumentNullException>().WithParameterName("shards");
        ((Action)(() => CandidateCache.Merge([flips, disposed]))).Should().Throw<ObjectDisposedException>();
    }

    /// <summary>Batches of three cases over the cases from start to end.</summary>
    private static List<Batch> Batches(Tensor x, Tensor y, long start, long end)
    {
        var batches = new List<Batch>();
        for (var from = start; from < end; from += 3)
        {
            var length = Math.Min(3, end - from);
            batches.Add(new Batch(x.narrow(0, from, length), y.narrow(0, from, length)));
        }

        return batches;
    }
}
