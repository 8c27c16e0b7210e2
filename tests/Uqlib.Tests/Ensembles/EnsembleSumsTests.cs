using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Ensembles;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Ensembles;

public sealed class EnsembleSumsTests
{
    private const double Tolerance = 1e-12;
    private const int Members = 8;

    public static TheoryData<EnsembleScore> Scores => new((EnsembleScore[])Enum.GetValues(typeof(EnsembleScore)));

    [Theory]
    [MemberData(nameof(Scores))]
    public void Merge_FourShardsOfTwoMembersInAChain_MatchesOneProcess(EnsembleScore score)
    {
        using var members = Probabilities(new long[] { 40, 5 });
        var shards = Shards(score, members, [2, 2, 2, 2]);
        try
        {
            for (var i = 1; i < shards.Count; i++)
            {
                shards[0].Merge(shards[i]);
            }

            AssertMatchesOneProcess(score, members, shards[0], Tolerance);
        }
        finally
        {
            DisposeAll(shards);
        }
    }

    [Theory]
    [MemberData(nameof(Scores))]
    public void Merge_FourShardsOfTwoMembersAsATree_MatchesOneProcess(EnsembleScore score)
    {
        using var members = Probabilities(new long[] { 6, 3, 4, 5 });
        var shards = Shards(score, members, [2, 2, 2, 2]);
        try
        {
            shards[0].Merge(shards[1]);
            shards[2].Merge(shards[3]);
            shards[0].Merge(shards[2]);
            AssertMatchesOneProcess(score, members, shards[0], Tolerance);
        }
        finally
        {
            DisposeAll(shards);
        }
    }

    [Theory]
    [MemberData(nameof(Scores))]
    public void Merge_ShardsAddedInTheSingleProcessOrder_AreBitIdentical(EnsembleScore score)
    {
        using var members = Probabilities(new long[] { 40, 5 });
        var shards = Shards(score, members, [5, 1, 1, 1]);
        try
        {
            var progress = new List<EstimationProgress>();
            for (var i = 1; i < shards.Count; i++)
            {
                shards[0].Merge(shards[i], new SynchronousProgress<EstimationProgress>(progress.Add));
            }

            progress.Should().Equal(new EstimationProgress(1, 1), new EstimationProgress(1, 1), new EstimationProgress(1, 1));
            AssertMatchesOneProcess(score, members, shards[0], 0.0);
        }
        finally
        {
            DisposeAll(shards);
        }
    }

    [Fact]
    public void Merge_IntoEmptySums_TakesTheOtherShard()
    {
        using var members = Probabilities(new long[] { 10, 3 });
        using var empty = new EnsembleSums(EnsembleScore.MutualInformation);
        var shards = Shards(EnsembleScore.MutualInformation, members, [8]);
        try
        {
            empty.Merge(shards[0]);
            empty.Count.Should().Be(Members);
            using var expected = shards[0].Compute();
            using var actual = empty.Compute();
            Golden.ToArray(actual).Should().Equal(Golden.ToArray(expected));
        }
        finally
        {
            DisposeAll(shards);
        }
    }

    [Theory]
    [MemberData(nameof(Scores))]
    public void SaveThenLoad_EveryScore_IsBitExact(EnsembleScore score)
    {
        using var members = Probabilities(new long[] { 7, 4, 3 });
        var shards = Shards(score, members, [3]);
        var path = Path.Combine(Path.GetTempPath(), $"uqlib-sums-{Guid.NewGuid():N}.uqlib");
        try
        {
            shards[0].Save(path);
            using var loaded = EnsembleSums.Load(path);
            loaded.Score.Should().Be(score);
            loaded.Count.Should().Be(3);
            loaded.ToString().Should().Be($"EnsembleSums(score={score}, members=3, shape=(7, 4, 3))");
            using var expected = shards[0].Compute();
            using var actual = loaded.Compute();
            Golden.ToArray(actual).Should().Equal(Golden.ToArray(expected));
        }
        finally
        {
            File.Delete(path);
            DisposeAll(shards);
        }
    }

    [Fact]
    public void SaveThenLoad_EmptySums_KeepsNoMembers()
    {
        using var sums = new EnsembleSums(EnsembleScore.Disagreement);
        var path = Path.Combine(Path.GetTempPath(), $"uqlib-sums-{Guid.NewGuid():N}.uqlib");
        try
        {
            sums.Save(path);
            using var loaded = EnsembleSums.Load(path);
            loaded.Count.Should().Be(0);
            loaded.ToString().Should().Be("EnsembleSums(score=Disagreement, members=0, shape=none)");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Add_BadProbabilities_NamesTheParameter()
    {
        using var sums = new EnsembleSums(EnsembleScore.Variance);
        using var vector = torch.full(3, 1.0 / 3, ScalarType.Float64);
        using var notSummingToOne = torch.full(new long[] { 2, 3 }, 0.5, ScalarType.Float64);
        using var integers = torch.ones(new long[] { 2, 1 }, ScalarType.Int64);
        using var first = torch.full(new long[] { 2, 4 }, 0.25, ScalarType.Float64);
        using var otherShape = torch.full(new long[] { 3, 4 }, 0.25, ScalarType.Float64);
        using var otherType = torch.full(new long[] { 2, 4 }, 0.25, ScalarType.Float32);

        sums.Invoking(s => s.Add(null!)).Should().Throw<ArgumentNullException>().WithParameterName("probabilities");
        sums.Invoking(s => s.Add(vector)).Should().Throw<ArgumentException>().WithParameterName("probabilities");
        sums.Invoking(s => s.Add(notSummingToOne)).Should().Throw<ArgumentException>().WithParameterName("probabilities");
        sums.Invoking(s => s.Add(integers)).Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*float32 or float64*Int64*");
        sums.Add(first);
        sums.Invoking(s => s.Add(otherShape)).Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*shape*");
        sums.Invoking(s => s.Add(otherType)).Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*element type*");
        sums.Count.Should().Be(1);
    }

    [Fact]
    public void Merge_IncompatibleSums_AreRefusedWithClearMessages()
    {
        using var sums = new EnsembleSums(EnsembleScore.Variance);
        using var otherScore = new EnsembleSums(EnsembleScore.TotalVariance);
        using var otherShape = new EnsembleSums(EnsembleScore.Variance);
        using var otherType = new EnsembleSums(EnsembleScore.Variance);
        using var first = torch.full(new long[] { 2, 4 }, 0.25, ScalarType.Float64);
        using var wider = torch.full(new long[] { 2, 2 }, 0.5, ScalarType.Float64);
        using var single = torch.full(new long[] { 2, 4 }, 0.25, ScalarType.Float32);
        sums.Add(first);
        otherShape.Add(wider);
        otherType.Add(single);

        sums.Invoking(s => s.Merge(null!)).Should().Throw<ArgumentNullException>().WithParameterName("other");
        sums.Invoking(s => s.Merge(sums)).Should().Throw<ArgumentException>().WithParameterName("other").WithMessage("*twice*");
        sums.Invoking(s => s.Merge(otherScore)).Should().Throw<ArgumentException>().WithParameterName("other").WithMessage("*Variance*TotalVariance*");
        sums.Invoking(s => s.Merge(otherShape)).Should().Throw<ArgumentException>().WithParameterName("other").WithMessage("*(2, 4)*(2, 2)*");
        sums.Invoking(s => s.Merge(otherType)).Should().Throw<ArgumentException>().WithParameterName("other").WithMessage("*Float64*Float32*");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        sums.Invoking(s => s.Merge(otherType, cancellationToken: cancelled.Token)).Should().Throw<OperationCanceledException>();
        sums.Count.Should().Be(1);
    }

    [Fact]
    public void Compute_FewerThanTwoMembers_Throws()
    {
        using var sums = new EnsembleSums(EnsembleScore.PredictiveEntropy);
        sums.Invoking(s => s.Mean()).Should().Throw<InvalidOperationException>();
        using var first = torch.full(new long[] { 2, 4 }, 0.25, ScalarType.Float64);
        sums.Add(first);
        using var mean = sums.Mean();
        Golden.ToArray(mean).Should().AllBeEquivalentTo(0.25);
        sums.Invoking(s => s.Compute()).Should().Throw<InvalidOperationException>().WithMessage("*at least 2 members*1 have been added*");
    }

    [Fact]
    public void Constructor_UndefinedScore_Throws()
    {
        FluentActions.Invoking(() => new EnsembleSums((EnsembleScore)99)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("score");
    }

    [Fact]
    public void Members_AfterDispose_ThrowObjectDisposed()
    {
        var sums = new EnsembleSums(EnsembleScore.Disagreement);
        using var other = new EnsembleSums(EnsembleScore.Disagreement);
        using var first = torch.full(new long[] { 2, 4 }, 0.25, ScalarType.Float64);
        sums.Dispose();
        sums.Dispose();

        sums.Invoking(s => s.Add(first)).Should().Throw<ObjectDisposedException>();
        sums.Invoking(s => s.Merge(other)).Should().Throw<ObjectDisposedException>();
        other.Invoking(s => s.Merge(sums)).Should().Throw<ObjectDisposedException>();
        sums.Invoking(s => s.Compute()).Should().Throw<ObjectDisposedException>();
        sums.Invoking(s => s.Mean()).Should().Throw<ObjectDisposedException>();
        sums.Invoking(s => s.Save("x.uqlib")).Should().Throw<ObjectDisposedException>();
        sums.Invoking(s => s.Count).Should().Throw<ObjectDisposedException>();
        sums.ToString().Should().Be("EnsembleSums(disposed)");
    }

    /// <summary>Eight members' probabilities <c>(8, N, C[, …])</c>, float64, with some near-zero entries and a spread of predicted classes.</summary>
    private static Tensor Probabilities(long[] caseShape)
    {
        using var scope = torch.NewDisposeScope();
        var shape = new long[caseShape.Length + 1];
        shape[0] = Members;
        caseShape.CopyTo(shape, 1);
        var logits = torch.randn(shape, ScalarType.Float64, generator: torch.manual_seed(20)).mul_(3.0);
        return logits.softmax(2).MoveToOuterDisposeScope();
    }

    private static List<EnsembleSums> Shards(EnsembleScore score, Tensor members, int[] sizes)
    {
        var shards = new List<EnsembleSums>();
        var next = 0L;
        foreach (var size in sizes)
        {
            var shard = new EnsembleSums(score);
            shards.Add(shard);
            for (var m = 0; m < size; m++)
            {
                using var member = members[next++];
                shard.Add(member);
            }
        }

        return shards;
    }

    private static void AssertMatchesOneProcess(EnsembleScore score, Tensor members, EnsembleSums merged, double tolerance)
    {
        merged.Count.Should().Be(Members);
        using var one = new EnsembleSums(score);
        for (long m = 0; m < Members; m++)
        {
            using var member = members[m];
            one.Add(member);
        }

        using var expected = EnsembleScores.Compute(score, members);
        using var single = one.Compute();
        using var actual = merged.Compute();
        Golden.ToArray(single).Should().Equal(Golden.ToArray(expected), "one EnsembleSums over all members is the EnsembleScores computation");
        Golden.ToArray(actual).Should().Equal(Golden.ToArray(expected), (a, b) => Math.Abs(a - b) <= tolerance, score.ToString());
        using var expectedMean = members.mean(new long[] { 0 });
        using var mean = merged.Mean();
        Golden.ToArray(mean).Should().Equal(Golden.ToArray(expectedMean), (a, b) => Math.Abs(a - b) <= 1e-14, "the mean probabilities");
    }

    private static void DisposeAll(List<EnsembleSums> shards)
    {
        foreach (var shard in shards)
        {
            shard.Dispose();
        }
    }
}
