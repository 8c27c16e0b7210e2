using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Ensembles;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Ensembles;

public sealed class SubEnsemblesTests
{
    [Fact]
    public void DocsExample_RunsAsWritten()
    {
        // docs/ensembles-and-tta.md, "Sub-ensembles": keep the two in step.
        using var memberProbabilities = Probabilities();
        using var spread = SubEnsembles.PredictionVariance(memberProbabilities, new SubEnsembleOptions { SubsetSize = 3, Seed = 1 });
        using var miSpread = SubEnsembles.ScoreVariance(EnsembleScore.MutualInformation, memberProbabilities);

        spread.shape.Should().Equal(20);
        miSpread.shape.Should().Equal(20);
    }

    private static readonly System.Text.Json.JsonElement Reference = Golden.Load("sub_ensembles.json");

    [Fact]
    public void PredictionVariance_GivenSubsets_MatchesNumPy()
    {
        using var p = Probabilities();
        using var variance = SubEnsembles.PredictionVariance(p, Subsets());

        variance.dtype.Should().Be(ScalarType.Float64);
        Golden.ToArray(variance).Should().Equal(Golden.Vector(Reference.GetProperty("predictionVariance")), (a, b) => Math.Abs(a - b) <= 1e-14);
    }

    [Theory]
    [InlineData(EnsembleScore.PredictiveEntropy)]
    [InlineData(EnsembleScore.MutualInformation)]
    [InlineData(EnsembleScore.Disagreement)]
    public void ScoreVariance_GivenSubsets_MatchesNumPy(EnsembleScore score)
    {
        using var p = Probabilities();
        using var variance = SubEnsembles.ScoreVariance(score, p, Subsets());

        Golden.ToArray(variance).Should().Equal(
            Golden.Vector(Reference.GetProperty("scoreVariance").GetProperty(score.ToString())), (a, b) => Math.Abs(a - b) <= 1e-13);
    }

    [Fact]
    public void PredictionVariance_SubsetsAreTheWholeEnsemble_IsZero()
    {
        using var p = Probabilities();
        using var variance = SubEnsembles.PredictionVariance(p, new SubEnsembleOptions { SubsetSize = 8 });
        using var scoreVariance = SubEnsembles.ScoreVariance(EnsembleScore.MutualInformation, p, new SubEnsembleOptions { SubsetSize = 8 });

        variance.abs().max().ToDouble().Should().BeLessThan(1e-16);
        scoreVariance.abs().max().ToDouble().Should().BeLessThan(1e-16);
    }

    [Fact]
    public void PredictionVariance_IdenticalMembers_IsZero_AndSpreadMembersAreNot()
    {
        using var member = torch.tensor(new double[,] { { 0.7, 0.2, 0.1 }, { 0.1, 0.1, 0.8 } });
        using var same = member.unsqueeze(0).expand(6, 2, 3).contiguous();
        using var zero = SubEnsembles.PredictionVariance(same);
        using var spread = Probabilities();
        using var positive = SubEnsembles.PredictionVariance(spread, new SubEnsembleOptions { SubsetSize = 2 });

        zero.abs().max().ToDouble().Should().Be(0);
        positive.gt(0).all().ToBoolean().Should().BeTrue();
    }

    [Fact]
    public void PredictionVariance_SingleMemberSubsets_EqualsTheVariancePerMember()
    {
        // With m = 1 and every member used once, the variance over subsets is the members' variance at the ensemble's class.
        using var p = Probabilities();
        using var subsetVariance = SubEnsembles.PredictionVariance(p, new SubEnsembleOptions { SubsetSize = 1 });
        using var memberVariance = EnsembleScores.Variance(p);

        subsetVariance.allclose(memberVariance.to(ScalarType.Float64), rtol: 1e-12, atol: 1e-15).Should().BeTrue();
    }

    [Fact]
    public void DrawSubsets_FewDistinctSubsets_EnumeratesEveryOneOnce()
    {
        var subsets = SubEnsembles.DrawSubsets(4, new SubEnsembleOptions { SubsetSize = 2, Subsets = 10 });

        subsets.Select(s => string.Join(",", s)).Should().Equal("0,1", "0,2", "0,3", "1,2", "1,3", "2,3");
    }

    [Fact]
    public void DrawSubsets_ManyDistinctSubsets_AreSeededSortedAndDistinctWithin()
    {
        var options = new SubEnsembleOptions { SubsetSize = 5, Subsets = 50, Seed = 7 };
        var first = SubEnsembles.DrawSubsets(10, options);
        var again = SubEnsembles.DrawSubsets(10, options);
        var other = SubEnsembles.DrawSubsets(10, options with { Seed = 8 });

        first.Should().HaveCount(50);
        first.Should().AllSatisfy(s => s.Should().HaveCount(5).And.BeInAscendingOrder().And.OnlyHaveUniqueItems().And.OnlyContain(m => m >= 0 && m < 10));
        first.Select(s => string.Join(",", s)).Should().Equal(again.Select(s => string.Join(",", s)));
        first.Select(s => string.Join(",", s)).Should().NotEqual(other.Select(s => string.Join(",", s)));
    }

    [Fact]
    public void DrawSubsets_EachMemberIsIncludedAtRateMOverM()
    {
        // Over S = 20,000 uniform subsets of 6 of 20 members (C(20, 6) = 38,760 > S, so they are drawn), each member's count is Binomial(20000, 0.3): mean 6000, sd ≈ 64.8;
        // ±5 sd bounds every one of the 20 counts with probability above 1 − 20 · 6e−7.
        var subsets = SubEnsembles.DrawSubsets(20, new SubEnsembleOptions { SubsetSize = 6, Subsets = 20_000, Seed = 1 });
        var counts = new int[20];
        foreach (var subset in subsets)
        {
            foreach (var member in subset)
            {
                counts[member]++;
            }
        }

        counts.Should().OnlyContain(c => Math.Abs(c - 6000) <= 5 * 64.8);
    }

    [Fact]
    public void DrawSubsets_SubsetSizeAboveMembers_Throws()
    {
        var act = () => SubEnsembles.DrawSubsets(4, new SubEnsembleOptions { SubsetSize = 5 });

        act.Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*at most*4 members*found 5*");
    }

    [Fact]
    public void Validate_ReportsEveryProblem()
    {
        var act = () => new SubEnsembleOptions { SubsetSize = 0, Subsets = 1 }.Validate();

        act.Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*SubsetSize must be*Subsets must be*");
    }

    [Fact]
    public void PredictionVariance_BadSubsets_Throw()
    {
        using var p = Probabilities();

        FluentActions.Invoking(() => SubEnsembles.PredictionVariance(p, new[] { new[] { 0, 1 } }))
            .Should().Throw<ArgumentException>().WithParameterName("subsets").WithMessage("*at least 2 subsets*");
        FluentActions.Invoking(() => SubEnsembles.PredictionVariance(p, new[] { new[] { 0, 1 }, new[] { 2, 2 } }))
            .Should().Throw<ArgumentException>().WithParameterName("subsets").WithMessage("*subsets[1]*distinct*found 2 twice*");
        FluentActions.Invoking(() => SubEnsembles.PredictionVariance(p, new[] { new[] { 0, 1 }, new[] { 8 } }))
            .Should().Throw<ArgumentException>().WithParameterName("subsets").WithMessage("*[0, 8)*found 8*");
        FluentActions.Invoking(() => SubEnsembles.PredictionVariance(p, new[] { new[] { 0, 1 }, Array.Empty<int>() }))
            .Should().Throw<ArgumentException>().WithParameterName("subsets").WithMessage("*subsets[1]*empty*");
    }

    [Fact]
    public void ScoreVariance_NaNOrOneMember_Throws()
    {
        using var nan = Probabilities();
        nan[2, 3, 1] = torch.tensor(double.NaN);
        using var one = torch.full(1, 4, 3, 1.0 / 3);

        FluentActions.Invoking(() => SubEnsembles.ScoreVariance(EnsembleScore.PredictiveEntropy, nan))
            .Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*NaN*");
        FluentActions.Invoking(() => SubEnsembles.ScoreVariance(EnsembleScore.PredictiveEntropy, one))
            .Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*at least 2 members*");
    }

    [Fact]
    public void ScoreVariance_SegmentationMaps_GivePerPixelVariances()
    {
        using var generator = new Generator(3);
        using var logits = torch.randn(new long[] { 5, 2, 3, 4, 4 }, generator: generator);
        using var p = logits.softmax(2);
        using var maps = SubEnsembles.ScoreVariance(EnsembleScore.PredictiveEntropy, p, new SubEnsembleOptions { SubsetSize = 2 });
        using var prediction = SubEnsembles.PredictionVariance(p, new SubEnsembleOptions { SubsetSize = 2 });

        maps.shape.Should().Equal(2, 4, 4);
        prediction.shape.Should().Equal(2, 4, 4);
    }

    [Fact]
    public void Both_LeakNoTensors()
    {
        using var p = Probabilities();
        var before = LiveTensors.Count;
        SubEnsembles.PredictionVariance(p).Dispose();
        SubEnsembles.ScoreVariance(EnsembleScore.ExpectedPairwiseKL, p).Dispose();

        LiveTensors.Count.Should().Be(before);
    }

    private static Tensor Probabilities()
    {
        var members = Reference.GetProperty("probabilities").EnumerateArray().Select(m => Golden.MatrixTensor(m)).ToArray();
        var stacked = torch.stack(members);
        foreach (var member in members)
        {
            member.Dispose();
        }

        return stacked;
    }

    private static int[][] Subsets()
    {
        return Reference.GetProperty("subsets").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
    }
}
