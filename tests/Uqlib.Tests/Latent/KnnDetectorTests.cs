using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class KnnDetectorTests
{
    public static TheoryData<int> Cases => new() { 0, 1 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Score_MatchesScikitLearnNearestNeighbors(int index)
    {
        var golden = LatentCases.Case(index);
        var k = golden.GetProperty("k").GetInt32();
        using var x = LatentCases.Features(golden);
        using var q = LatentCases.Queries(golden);
        using var detector = KnnDetector.Fit(x, new KnnOptions { K = k });
        using var nearest = KnnDetector.Fit(x, new KnnOptions { K = 1 });
        using var scores = detector.Score(q);
        using var first = nearest.Score(q);

        scores.dtype.Should().Be(ScalarType.Float64);
        Golden.ToArray(scores).Should().Equal(Golden.Vector(golden.GetProperty("knn")), (a, b) => Math.Abs(a - b) < 2e-6);
        Golden.ToArray(first).Should().Equal(Golden.Vector(golden.GetProperty("knnFirst")), (a, b) => Math.Abs(a - b) < 2e-6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(50)]
    [InlineData(1000)]
    public void Score_ChunkedOverTheBank_EqualsUnchunked(long chunkElements)
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var q = LatentCases.Queries(golden);
        using var whole = KnnDetector.Fit(x, new KnnOptions { K = 5 });
        using var chunked = KnnDetector.Fit(x, new KnnOptions { K = 5, ChunkElements = chunkElements });
        using var expected = whole.Score(q);
        using var actual = chunked.Score(q);

        actual.allclose(expected, rtol: 0, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Score_IsInvariantToFeatureScale()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var q = LatentCases.Queries(golden);
        using var scaled = q.mul(37.5);
        using var detector = KnnDetector.Fit(x, new KnnOptions { K = 5 });
        using var plain = detector.Score(q);
        using var actual = detector.Score(scaled);

        actual.allclose(plain, rtol: 0, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Score_OfABankFeature_WithKEqualOne_IsZero()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var some = x.narrow(0, 10, 5);
        using var detector = KnnDetector.Fit(x, new KnnOptions { K = 1 });
        using var scores = detector.Score(some);

        Golden.ToArray(scores).Should().OnlyContain(s => s < 1e-3);
    }

    [Fact]
    public void Fit_BankSize_SubSamplesDeterministicallyBySeed()
    {
        using var x = torch.randn(new long[] { 200, 4 }, generator: new Generator(9));
        using var a = KnnDetector.Fit(x, new KnnOptions { K = 3, BankSize = 50, Seed = 1 });
        using var b = KnnDetector.Fit(x, new KnnOptions { K = 3, BankSize = 50, Seed = 1 });
        using var c = KnnDetector.Fit(x, new KnnOptions { K = 3, BankSize = 50, Seed = 2 });

        a.BankSize.Should().Be(50);
        using var scope = torch.NewDisposeScope();
        a.Bank.allclose(b.Bank, rtol: 0, atol: 0).Should().BeTrue();
        a.Bank.allclose(c.Bank, rtol: 0, atol: 0).Should().BeFalse();
    }

    [Fact]
    public void Fit_BankSize_DrawsEveryRowWithEqualProbability()
    {
        // 200 distinguishable rows, banks of 50 under 400 seeds: each row's inclusion count is Binomial(400, 1/4), mean 100, sd 8.66.
        using var index = torch.arange(1, 201, dtype: ScalarType.Float32).unsqueeze(1);
        using var ones = torch.ones(200, 1);
        using var x = torch.cat(new[] { index, ones }, 1);
        var counts = new int[200];
        for (var seed = 0; seed < 400; seed++)
        {
            using var detector = KnnDetector.Fit(x, new KnnOptions { K = 1, BankSize = 50, Seed = seed });
            using var bank = detector.Bank;
            using var ratio = bank.select(1, 0).div(bank.select(1, 1)).round();
            foreach (var row in Golden.ToArray(ratio))
            {
                counts[(int)row - 1]++;
            }
        }

        counts.Sum().Should().Be(400 * 50);
        counts.Should().OnlyContain(c => c > 100 - (5 * 8.66) && c < 100 + (5 * 8.66));
        var chiSquare = counts.Sum(c => (c - 100.0) * (c - 100.0) / 75.0);   // variance 400·¼·¾ = 75; 199 degrees of freedom
        chiSquare.Should().BeLessThan(280);                                    // P(χ²₁₉₉ > 280) < 2e-4
    }

    [Fact]
    public void Fit_KLargerThanBank_Throws()
    {
        using var x = torch.randn(4, 3, generator: new Generator(1));

        var act = () => KnnDetector.Fit(x, new KnnOptions { K = 5 });

        act.Should().Throw<ArgumentException>().WithMessage("K = 5 needs at least 5 training features; found 4.*");
    }

    [Fact]
    public void Options_Validate_ReportsEveryProblem()
    {
        var act = () => new KnnOptions { K = 0, BankSize = -1, ChunkElements = 0 }.Validate();

        act.Should().Throw<ArgumentException>().WithMessage("*K must be in [1, 100000]*BankSize*ChunkElements*");
    }

    [Fact]
    public void Score_DimensionMismatch_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(2, 5);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*dimension 6*(2, 5)*");
    }

    [Fact]
    public void Score_NaN_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(2, 6);
        q[1, 2] = torch.tensor(float.NaN);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*NaN*row 1*");
    }

    [Fact]
    public void Score_Infinite_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(2, 6);
        q[0, 2] = torch.tensor(float.PositiveInfinity);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*infinite*");
    }

    [Fact]
    public void Score_Empty_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(0, 6);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*empty*");
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalScores_AndCorruptionIsRefused()
    {
        var golden = LatentCases.Case(0);
        using var q = LatentCases.Queries(golden);
        using var detector = FitSmall();
        var path = Path.GetTempFileName();
        try
        {
            detector.Save(path);
            using (var loaded = KnnDetector.Load(path))
            {
                using var expected = detector.Score(q);
                using var actual = loaded.Score(q);
                actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
                loaded.K.Should().Be(5);
            }

            SavedFiles.ShouldRefuseCorruptions(detector.Save, KnnDetector.Load, "KnnDetector");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bank_IsACopy_AndDisposeMakesEveryMemberThrow()
    {
        using var q = LatentCases.Queries(LatentCases.Case(0));
        var detector = FitSmall();
        Ownership.ShouldHandOutCopies_AndRefuseUseAfterDispose(detector, () => detector.Score(q), () => detector.Bank);
    }

    [Fact]
    public void FitAndScore_LeakNoTensors()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var q = LatentCases.Queries(golden);
        var before = LiveTensors.Count;
        using (var detector = KnnDetector.Fit(x, new KnnOptions { K = 5, BankSize = 60, ChunkElements = 10 }))
        {
            detector.Score(q).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }

    [LinuxFact]
    public void Score_WithAChunkLimit_HoldsAboutOneChunkAtATime()
    {
        // 12,000 queries against 12,000 bank features make 576 MB of similarities; ChunkElements = 2^20 allows 4 MiB at once.
        var peak = PeakMemory.MeasureMiB(ScoreTwelveThousandSquared);

        peak.Should().BeLessThan(64, "one chunk of similarities (4 MiB), its top-k, the normalised queries (3 MiB) and the scores may be held, with the C heap's slack; before the fix 603 MiB");
    }

    private static void ScoreTwelveThousandSquared(string[] arguments)
    {
        using var generator = new Generator(0);
        using var bank = torch.randn(new long[] { 12_000, 64 }, generator: generator);
        using var queries = torch.randn(new long[] { 12_000, 64 }, generator: generator);
        using var detector = KnnDetector.Fit(bank, new KnnOptions { K = 50, ChunkElements = 1 << 20 });
        using (var warmUp = queries.narrow(0, 0, 10))
        {
            detector.Score(warmUp).Dispose();
        }

        PeakMemory.Start();
        detector.Score(queries).Dispose();
    }

    private static KnnDetector FitSmall()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        return KnnDetector.Fit(x, new KnnOptions { K = 5 });
    }

    [Fact]
    public void ToString_NamesKBankAndDimension_AndSaysDisposed()
    {
        using var features = torch.randn(40, 6, generator: torch.manual_seed(3));
        var detector = KnnDetector.Fit(features, new KnnOptions { K = 5 });
        detector.ToString().Should().Be("KnnDetector(k=5, bank=40, dim=6)");
        detector.Dispose();
        detector.ToString().Should().Be("KnnDetector(disposed)");
    }
}
