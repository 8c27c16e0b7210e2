using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Evaluation;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Evaluation;

public sealed class DeLongTests
{
    private const double Tolerance = 1e-12;
    private static readonly JsonElement Reference = Golden.Load("roc_reference.json");

    public static TheoryData<int> Cases => new() { 0, 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void VarianceAndCi_MatchPRoc(int index)
    {
        var delong = Reference.GetProperty("cases")[index].GetProperty("delong");
        var (scores, failures) = RocEvaluatorTests.Case(index);

        DeLong.Variance(scores, failures).Should().BeApproximately(delong.GetProperty("variance").GetDouble(), 1e-15);
        var ci = DeLong.AurocCi(scores, failures, 0.9);
        ci.Lower.Should().BeApproximately(delong.GetProperty("ci90")[0].GetDouble(), Tolerance);
        ci.Upper.Should().BeApproximately(delong.GetProperty("ci90")[1].GetDouble(), Tolerance);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PairedTest_MatchesPRocRocTest(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        var delong = golden.GetProperty("delong");
        var (scores, failures) = RocEvaluatorTests.Case(index);
        var (scores2, _) = RocEvaluatorTests.Case(index, "scores2");

        var test = DeLong.PairedTest(scores, scores2, failures);

        test.AurocA.Should().BeApproximately(golden.GetProperty("auroc").GetDouble(), Tolerance);
        test.AurocB.Should().BeApproximately(golden.GetProperty("auroc2").GetDouble(), Tolerance);
        test.Z.Should().BeApproximately(delong.GetProperty("pairedZ").GetDouble(), 1e-10);
        test.PValue.Should().BeApproximately(delong.GetProperty("pairedP").GetDouble(), 1e-10);
        test.DifferenceCi.Lower.Should().BeApproximately(delong.GetProperty("pairedDifferenceCi95")[0].GetDouble(), 1e-10);
        test.DifferenceCi.Upper.Should().BeApproximately(delong.GetProperty("pairedDifferenceCi95")[1].GetDouble(), 1e-10);
    }

    [Fact]
    public void PairedTest_OfTheSameScore_ThrowsBecauseZIsUndefined()
    {
        // Identical placements give a difference of 0 over a standard error of 0: pROC reports Z = NaN; a zero-width interval [0, 0] is not an interval.
        var (scores, failures) = RocEvaluatorTests.Case(0);
        FluentActions.Invoking(() => DeLong.PairedTest(scores, scores, failures)).Should().Throw<ArgumentException>()
            .WithParameterName("scoresB").WithMessage("*zero DeLong variance*");
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(5, 1)]
    public void Statistics_OfOneFailureOrOneSuccess_ThrowNamingFailures(int failureCount, int successCount)
    {
        // With one failure the old code returned the variance of the successes' placements alone (0 for AUROC 1) and a CI of [1, 1].
        var failures = Enumerable.Range(0, failureCount + successCount).Select(i => i < failureCount).ToArray();
        var scores = Enumerable.Range(0, failures.Length).Select(i => failures[i] ? 10.0 + i : i * 0.5).ToArray();
        var other = scores.Select((s, i) => s + (i % 2)).ToArray();
        FluentActions.Invoking(() => DeLong.Variance(scores, failures)).Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*at least 2 of each*");
        FluentActions.Invoking(() => DeLong.AurocCi(scores, failures)).Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*at least 2 of each*");
        FluentActions.Invoking(() => DeLong.PairedTest(scores, other, failures)).Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*at least 2 of each*");
    }

    [Fact]
    public void AurocCi_OfPerfectSeparation_ThrowsInsteadOfAZeroWidthInterval()
    {
        var failures = new[] { true, true, true, false, false, false };
        var scores = new[] { 0.9, 0.8, 0.7, 0.3, 0.2, 0.1 };
        DeLong.Variance(scores, failures).Should().Be(0);
        FluentActions.Invoking(() => DeLong.AurocCi(scores, failures)).Should().Throw<ArgumentException>().WithParameterName("scores").WithMessage("*zero width*");
        var tied = new[] { 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 };
        FluentActions.Invoking(() => DeLong.AurocCi(tied, failures)).Should().Throw<ArgumentException>().WithParameterName("scores");
    }

    [Fact]
    public void PairedTest_Tensors_EqualSpans()
    {
        var (scores, failures) = RocEvaluatorTests.Case(1);
        var (scores2, _) = RocEvaluatorTests.Case(1, "scores2");
        using var a = torch.tensor(scores);
        using var b = torch.tensor(scores2);
        using var f = torch.tensor(failures);
        DeLong.PairedTest(a, b, f).Should().Be(DeLong.PairedTest(scores, scores2, failures));
        DeLong.AurocCi(a, f).Should().Be(DeLong.AurocCi(scores, failures));
    }

    [Fact]
    public void AurocCi_CoversTheTrueAuroc_AtTheNominalRate()
    {
        // Scores N(0,1) for successes and N(1,1) for failures: true AUROC = Φ(1/√2).
        var truth = MathNet.Numerics.Distributions.Normal.CDF(0, 1, 1 / Math.Sqrt(2));
        var random = new Random(2024);
        var covered = 0;
        const int Trials = 400;
        for (var t = 0; t < Trials; t++)
        {
            var failures = Enumerable.Range(0, 120).Select(i => i % 3 == 0).ToArray();
            var scores = failures.Select(f => Gaussian(random) + (f ? 1 : 0)).ToArray();
            var ci = DeLong.AurocCi(scores, failures);
            covered += ci.Lower <= truth && truth <= ci.Upper ? 1 : 0;
        }

        // 95% nominal; binomial sd at 400 trials is 1.1%: accept [0.91, 0.99].
        (covered / (double)Trials).Should().BeInRange(0.91, 0.99);
    }

    [Fact]
    public void BadInput_ThrowsNamingTheArgument()
    {
        var failures = new[] { true, false, true };
        FluentActions.Invoking(() => DeLong.AurocCi(new[] { 0.1, double.NaN, 0.3 }, failures)).Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => DeLong.AurocCi(new[] { 0.1, 0.2, 0.3 }, failures, 1.5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("level");
        FluentActions.Invoking(() => DeLong.AurocCi(new[] { 0.1, 0.2, 0.3 }, failures, double.NaN)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("level");
        FluentActions.Invoking(() => DeLong.Variance(Array.Empty<double>(), Array.Empty<bool>())).Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => DeLong.PairedTest(new[] { 0.1, 0.2, 0.3 }, new[] { 0.1, 0.2 }, failures)).Should().Throw<ArgumentException>().WithParameterName("failures");
        FluentActions.Invoking(() => DeLong.PairedTest(new[] { 0.1, 0.2, 0.3 }, new[] { 0.1, double.NegativeInfinity, 0.3 }, failures)).Should().Throw<ArgumentException>().WithParameterName("scoresB");
        FluentActions.Invoking(() => DeLong.Variance(new[] { 0.1, 0.2 }, new[] { true, true })).Should().Throw<ArgumentException>().WithParameterName("failures");
    }

    private static double Gaussian(Random random)
    {
        return Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }
}
