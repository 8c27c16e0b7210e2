using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using MathNet.Numerics.Distributions;
using TorchSharp;
using Uqlib.Evaluation;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Evaluation;

public sealed class ClusteredAurocTests
{
    private const double Tolerance = 1e-10;
    private static readonly JsonElement Reference = Golden.Load("clustered_auroc.json");

    public static TheoryData<int> Cases => new() { 0, 1, 2, 3, 4 };

    internal static (double[] A, double[] B, bool[] Failures, long[] Clusters) Case(int index)
    {
        var c = Reference.GetProperty("cases")[index];
        return (Golden.Vector(c.GetProperty("scoresA")), Golden.Vector(c.GetProperty("scoresB")),
            Golden.Vector(c.GetProperty("failures")).Select(v => v == 1).ToArray(),
            c.GetProperty("clusters").EnumerateArray().Select(e => e.GetInt64()).ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Estimate_MatchesObuchowskiReference(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        var (a, _, failures, ids) = Case(index);

        var result = ClusteredAuroc.Estimate(a, failures, ClusterIds.From(ids));
        var result90 = ClusteredAuroc.Estimate(a, failures, ClusterIds.From(ids), 0.9);

        result.Auroc.Should().BeApproximately(golden.GetProperty("aurocA").GetDouble(), Tolerance);
        result.Variance.Should().BeApproximately(golden.GetProperty("varianceA").GetDouble(), Tolerance);
        result.Ci!.Lower.Should().BeApproximately(golden.GetProperty("ci95A")[0].GetDouble(), Tolerance);
        result.Ci.Upper.Should().BeApproximately(golden.GetProperty("ci95A")[1].GetDouble(), Tolerance);
        result90.Ci!.Lower.Should().BeApproximately(golden.GetProperty("ci90A")[0].GetDouble(), Tolerance);
        result90.Ci.Upper.Should().BeApproximately(golden.GetProperty("ci90A")[1].GetDouble(), Tolerance);
        result.Clusters.Should().Be(new ClusterSummary(
            golden.GetProperty("clusterCount").GetInt32(), golden.GetProperty("clustersWithFailures").GetInt32(),
            golden.GetProperty("minClusterSize").GetInt32(), golden.GetProperty("medianClusterSize").GetDouble(), golden.GetProperty("maxClusterSize").GetInt32()));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PairedTest_MatchesObuchowskiReference(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        var (a, b, failures, ids) = Case(index);

        var test = ClusteredAuroc.PairedTest(a, b, failures, ClusterIds.From(ids));

        test.AurocA.Should().BeApproximately(golden.GetProperty("aurocA").GetDouble(), Tolerance);
        test.AurocB.Should().BeApproximately(golden.GetProperty("aurocB").GetDouble(), Tolerance);
        test.Variance.Should().BeApproximately(golden.GetProperty("differenceVariance").GetDouble(), Tolerance);
        test.Z.Should().BeApproximately(golden.GetProperty("z").GetDouble(), Tolerance);
        test.PValue.Should().BeApproximately(golden.GetProperty("p").GetDouble(), Tolerance);
        test.DifferenceCi.Lower.Should().BeApproximately(golden.GetProperty("differenceCi95")[0].GetDouble(), Tolerance);
        test.DifferenceCi.Upper.Should().BeApproximately(golden.GetProperty("differenceCi95")[1].GetDouble(), Tolerance);
        ClusteredAuroc.Estimate(b, failures, ClusterIds.From(ids)).Variance.Should().BeApproximately(golden.GetProperty("varianceB").GetDouble(), Tolerance);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Estimate_StringKeysAndTensorInputs_GiveTheSameResult(int index)
    {
        var (a, b, failures, ids) = Case(index);
        var expected = ClusteredAuroc.Estimate(a, failures, ClusterIds.From(ids));
        using var scope = torch.NewDisposeScope();

        var fromStrings = ClusteredAuroc.Estimate(a, failures, ClusterIds.From(ids.Select(i => "patient-" + i).ToArray()));
        var fromTensors = ClusteredAuroc.Estimate(torch.tensor(a), torch.tensor(failures), ClusterIds.From(torch.tensor(ids)));
        var testFromTensors = ClusteredAuroc.PairedTest(torch.tensor(a), torch.tensor(b), torch.tensor(failures), ClusterIds.From(ids.Select(i => (double)i).ToArray()));

        fromStrings.Should().Be(expected);
        fromTensors.Should().Be(expected);
        testFromTensors.Should().Be(ClusteredAuroc.PairedTest(a, b, failures, ClusterIds.From(ids)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryClusterOfSizeOne_EqualsDeLong(int index)
    {
        var (a, b, failures, _) = Case(index);
        var singletons = ClusterIds.From(Enumerable.Range(0, a.Length).Select(i => (long)i).ToArray());

        var clustered = ClusteredAuroc.Estimate(a, failures, singletons);
        var test = ClusteredAuroc.PairedTest(a, b, failures, singletons);
        var delong = DeLong.PairedTest(a, b, failures);

        clustered.Variance.Should().BeApproximately(DeLong.Variance(a, failures), 1e-12);
        clustered.Ci!.Lower.Should().BeApproximately(DeLong.AurocCi(a, failures).Lower, 1e-12);
        clustered.Ci.Upper.Should().BeApproximately(DeLong.AurocCi(a, failures).Upper, 1e-12);
        test.Z.Should().BeApproximately(delong.Z, 1e-12);
        test.PValue.Should().BeApproximately(delong.PValue, 1e-12);
        test.DifferenceCi.Lower.Should().BeApproximately(delong.DifferenceCi.Lower, 1e-12);
        test.DifferenceCi.Upper.Should().BeApproximately(delong.DifferenceCi.Upper, 1e-12);
    }

    [Fact]
    public void Estimate_ReversedScores_MirrorsTheAurocAndKeepsTheVariance()
    {
        var (a, _, failures, ids) = Case(0);
        var clusters = ClusterIds.From(ids);

        var forward = ClusteredAuroc.Estimate(a, failures, clusters);
        var reversed = ClusteredAuroc.Estimate(a.Select(s => -s).ToArray(), failures, clusters);

        reversed.Auroc.Should().BeApproximately(1 - forward.Auroc, 1e-12);
        reversed.Variance.Should().BeApproximately(forward.Variance, 1e-12);
    }

    [Fact]
    public void PairedTest_OfTheSameScore_IsUndefinedAsDeLongs()
    {
        // The difference has variance 0: a test would claim certainty (DeLong's paired test refuses the same case).
        var (a, _, failures, ids) = Case(1);
        FluentActions.Invoking(() => ClusteredAuroc.PairedTest(a, a, failures, ClusterIds.From(ids)))
            .Should().Throw<ArgumentException>().WithParameterName("scoresB").WithMessage("*no positive clustered variance*undefined*");
    }

    [Fact]
    public void Estimate_ClustersOfTheWrongLength_NamesClusters()
    {
        var (a, _, failures, ids) = Case(0);
        FluentActions.Invoking(() => ClusteredAuroc.Estimate(a, failures, ClusterIds.From(ids.Skip(1).ToArray())))
            .Should().Throw<ArgumentException>().WithParameterName("clusters").WithMessage("*clusters has 114 cases but failures has 115*");
        FluentActions.Invoking(() => ClusteredAuroc.Estimate(a, failures, null!))
            .Should().Throw<ArgumentNullException>().WithParameterName("clusters");
    }

    [Fact]
    public void Estimate_SingleCluster_NamesClusters()
    {
        var (a, _, failures, _) = Case(0);
        FluentActions.Invoking(() => ClusteredAuroc.Estimate(a, failures, ClusterIds.From(new long[a.Length])))
            .Should().Throw<ArgumentException>().WithParameterName("clusters").WithMessage("*single cluster*");
    }

    [Fact]
    public void Estimate_OneClusterHoldsEveryFailure_IsRefusedAsUndefined()
    {
        var failures = new[] { true, true, false, false, false, false };
        var scores = new[] { 0.9, 0.8, 0.1, 0.4, 0.3, 0.2 };
        var clusters = ClusterIds.From(new[] { "p1", "p1", "p1", "p2", "p3", "p3" });

        FluentActions.Invoking(() => ClusteredAuroc.Estimate(scores, failures, clusters))
            .Should().Throw<ArgumentException>().WithParameterName("clusters").WithMessage("*only 1 of 3 clusters hold a failure*undefined*");
        FluentActions.Invoking(() => ClusteredAuroc.PairedTest(scores, scores, failures, clusters))
            .Should().Throw<ArgumentException>().WithParameterName("clusters");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(scores, failures, clusters))
            .Should().Throw<ArgumentException>().WithParameterName("clusters");
    }

    [Fact]
    public void Estimate_OneClusterHoldsEverySuccess_IsRefusedAsUndefined()
    {
        var failures = new[] { true, true, false, false, true };
        var clusters = ClusterIds.From(new long[] { 1, 2, 3, 3, 2 });
        FluentActions.Invoking(() => ClusteredAuroc.Estimate(new[] { 0.9, 0.8, 0.1, 0.4, 0.3 }, failures, clusters))
            .Should().Throw<ArgumentException>().WithParameterName("clusters").WithMessage("*only 1 of 3 clusters hold a success*");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Estimate_LevelOutOfRange_Throws(double level)
    {
        var (a, _, failures, ids) = Case(0);
        FluentActions.Invoking(() => ClusteredAuroc.Estimate(a, failures, ClusterIds.From(ids), level))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("level");
    }

    [Fact]
    public void Estimate_NaNScore_NamesScores()
    {
        var (a, _, failures, ids) = Case(0);
        a[3] = double.NaN;
        FluentActions.Invoking(() => ClusteredAuroc.Estimate(a, failures, ClusterIds.From(ids)))
            .Should().Throw<ArgumentException>().WithParameterName("scores");
    }

    /// <summary>
    /// 150 clusters of 8 cases; a cluster effect u ~ N(0, 1) shifts every score of the cluster and half the clusters fail at rate 0.6,
    /// the others at 0.2, so cases of one cluster share both their scores' level and their failure rate. Score = u + failure + N(0, 0.5²):
    /// for a failure and a success of different clusters the difference is N(1, 2·(1 + 0.25)), so the true AUROC is Φ(1/√2.5) (pairs
    /// within a cluster, a vanishing fraction, do not define it).
    /// </summary>
    [Fact]
    public void Ci_ClusteredGenerativeModel_CoversTheTrueAurocAtTheNominalRate_WhileDeLongUndercovers()
    {
        const int Replicates = 400, Clusters = 150, Size = 8;
        var truth = Normal.CDF(0, 1, 1 / Math.Sqrt(2.5));
        var random = new Random(15);
        var ids = ClusterIds.From(Enumerable.Range(0, Clusters * Size).Select(i => (long)(i / Size)).ToArray());
        var scores = new double[Clusters * Size];
        var failures = new bool[Clusters * Size];
        int clustered = 0, naive = 0;
        for (var r = 0; r < Replicates; r++)
        {
            for (var c = 0; c < Clusters; c++)
            {
                var effect = Gaussian(random);
                var rate = random.NextDouble() < 0.5 ? 0.6 : 0.2;
                for (var k = 0; k < Size; k++)
                {
                    var i = (c * Size) + k;
                    failures[i] = random.NextDouble() < rate;
                    scores[i] = effect + (failures[i] ? 1 : 0) + (0.5 * Gaussian(random));
                }
            }

            var ci = ClusteredAuroc.Estimate(scores, failures, ids).Ci!;
            var delong = DeLong.AurocCi(scores, failures);
            clustered += ci.Lower <= truth && truth <= ci.Upper ? 1 : 0;
            naive += delong.Lower <= truth && truth <= delong.Upper ? 1 : 0;
        }

        // A simulation of 4,000 replicates of this model gave 94.7% (clustered) and 80% (DeLong); binomial sd at 400 is 1.1% and 2.0%.
        clustered.Should().BeInRange(372, 388, "the clustered 95% CI should cover in 93-97% of 400 replicates");
        naive.Should().BeLessThan(352, "DeLong treats the 8 correlated cases of a cluster as independent and should cover clearly less (below 88%)");
    }

    internal static double Gaussian(Random random)
    {
        return Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }
}
