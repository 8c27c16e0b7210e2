using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Conformal;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conformal;

/// <summary>
/// The coverage guarantee, tested statistically: 500 seeded random calibration/test splits from a calibrated 5-class model. For scores
/// without ties the expected coverage is exactly k/(n + 1), k = ⌈(n + 1)(1 − α)⌉, which lies in [1 − α, 1 − α + 1/(n + 1)].
/// </summary>
/// <remarks>
/// Noise bound: given the calibration set the coverage is Beta(k, n + 1 − k) (variance ≈ α(1 − α)/(n + 2)), and the m test cases add
/// binomial noise α(1 − α)/m; the mean over R replicates has variance (α(1 − α)/(n + 2) + α(1 − α)/m)/R, and the tests allow 4 standard
/// deviations (two-sided false-alarm probability 6·10⁻⁵). A rank one off (k ± 1) moves the mean by 1/(n + 1) ≈ 0.0099, 4.6 deviations.
/// </remarks>
public sealed class ConformalCoverageTests
{
    private const int Replicates = 500;
    private const int N = 100;
    private const int M = 100;
    private const int Classes = 5;
    private const double Alpha = 0.1;

    private static readonly double Tolerance = 4 * Math.Sqrt(((Alpha * (1 - Alpha) / (N + 2)) + (Alpha * (1 - Alpha) / M)) / Replicates);

    public static TheoryData<SetScore, bool> TieFree => new()
    {
        { SetScore.Lac, false }, { SetScore.Lac, true }, { SetScore.Aps, false }, { SetScore.Aps, true },
        { SetScore.Raps, false }, { SetScore.Raps, true }, { SetScore.TopK, true },
    };

    public static TheoryData<SetScore, bool> Every => new()
    {
        { SetScore.Lac, false }, { SetScore.Lac, true }, { SetScore.Aps, false }, { SetScore.Aps, true },
        { SetScore.Raps, false }, { SetScore.Raps, true }, { SetScore.TopK, false }, { SetScore.TopK, true },
    };

    [Theory]
    [MemberData(nameof(TieFree))]
    public void Predict_TieFreeScores_MeanCoverageIsExactlyKOverNPlusOne(SetScore score, bool randomized)
    {
        var options = new ConformalSetOptions { Score = score, Randomized = randomized, AllowEmptySets = true, Lambda = 0.1, KReg = 2 };
        var coverage = MeanCoverage(options, 17);
        var exact = 91.0 / 101; // k = ⌈101 · 0.9⌉ = 91
        coverage.Should().BeInRange(1 - Alpha - Tolerance, 1 - Alpha + (1.0 / (N + 1)) + Tolerance);
        coverage.Should().BeApproximately(exact, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void Predict_EveryScoreWithNeverEmptySets_CoversAtLeastOneMinusAlpha(SetScore score, bool randomized)
    {
        var options = new ConformalSetOptions { Score = score, Randomized = randomized };
        MeanCoverage(options, 29).Should().BeGreaterThanOrEqualTo(1 - Alpha - Tolerance);
    }

    [Theory]
    [InlineData(SetScore.Lac)]
    [InlineData(SetScore.Aps)]
    public void Predict_ClassConditional_CoversEveryClass(SetScore score)
    {
        // Class-conditional: n_c ≈ 100 per class (500 calibration cases), coverage within each class at least 1 − α.
        var options = new ConformalSetOptions { Score = score, ClassConditional = true, Randomized = true, AllowEmptySets = true };
        var hits = new double[Classes];
        var counts = new double[Classes];
        using var all = Draw(41, Replicates, (5 * N) + M);
        for (var r = 0; r < Replicates; r++)
        {
            using var scope = torch.NewDisposeScope();
            var p = all.Probabilities[r];
            var y = all.Labels[r];
            var classifier = ConformalClassifier.Fit(p.narrow(0, 0, 5 * N), y.narrow(0, 0, 5 * N), options with { Seed = r });
            using var sets = classifier.Predict(p.narrow(0, 5 * N, M), Alpha);
            foreach (var stratum in sets.ClassConditionalCoverage(y.narrow(0, 5 * N, M)))
            {
                hits[stratum.Value] += stratum.Coverage * stratum.Count;
                counts[stratum.Value] += stratum.Count;
            }
        }

        for (var c = 0; c < Classes; c++)
        {
            var coverage = hits[c] / counts[c];
            var sd = Math.Sqrt((Alpha * (1 - Alpha) / (counts[c] / Replicates)) / Replicates);
            coverage.Should().BeGreaterThanOrEqualTo(1 - Alpha - (4 * sd), $"class {c}");
        }
    }

    private static double MeanCoverage(ConformalSetOptions options, int seed)
    {
        using var all = Draw(seed, Replicates, N + M);
        var total = 0.0;
        for (var r = 0; r < Replicates; r++)
        {
            using var scope = torch.NewDisposeScope();
            var p = all.Probabilities[r];
            var y = all.Labels[r];
            var classifier = ConformalClassifier.Fit(p.narrow(0, 0, N), y.narrow(0, 0, N), options with { Seed = 1000L * r });
            using var sets = classifier.Predict(p.narrow(0, N, M), Alpha);
            total += sets.Coverage(y.narrow(0, N, M));
        }

        return total / Replicates;
    }

    /// <summary>Probabilities of a calibrated model (softmax of scaled Gaussian logits) and labels drawn from them, (R, n, C) and (R, n).</summary>
    internal static Draws Draw(int seed, int replicates, int n)
    {
        using var generator = new torch.Generator((ulong)seed);
        var probabilities = torch.randn(new long[] { replicates, n, Classes }, ScalarType.Float64, generator: generator).mul_(1.5).softmax(2);
        var labels = probabilities.reshape(-1, Classes).multinomial(1, generator: generator).reshape(replicates, n);
        return new Draws(probabilities, labels);
    }

    internal sealed record Draws(Tensor Probabilities, Tensor Labels) : IDisposable
    {
        public void Dispose()
        {
            Probabilities.Dispose();
            Labels.Dispose();
        }
    }
}
