using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Evaluation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Evaluation;

public sealed class SegmentationEvaluationTests
{
    private static readonly JsonElement Reference = Golden.Load("segmentation_evaluation.json");

    public static TheoryData<int> SpearmanCases => new() { 0, 1, 2, 3, 4, 5, 6 };

    private static long[] Shape(JsonElement golden) => golden.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static Tensor Ints(JsonElement golden, string name)
    {
        var values = golden.GetProperty(name).EnumerateArray().Select(e => e.GetInt64()).ToArray();
        return torch.tensor(values).reshape(Shape(golden));
    }

    private static Dictionary<string, Tensor> Scores(JsonElement golden)
    {
        return golden.GetProperty("scores").EnumerateObject().ToDictionary(p => p.Name, p => Golden.VectorTensor(p.Value));
    }

    private static void DisposeAll(Dictionary<string, Tensor> scores)
    {
        foreach (var t in scores.Values)
        {
            t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(SpearmanCases))]
    public void SpearmanCorrelation_WithAndWithoutTies_MatchesScipy(int index)
    {
        var golden = Reference.GetProperty("spearman")[index];
        var x = Golden.Vector(golden.GetProperty("x"));
        var y = Golden.Vector(golden.GetProperty("y"));
        SegmentationEvaluation.SpearmanCorrelation(x, y).Should().BeApproximately(golden.GetProperty("rho").GetDouble(), 1e-12);
        SegmentationEvaluation.SpearmanCorrelation(y, x).Should().BeApproximately(golden.GetProperty("rho").GetDouble(), 1e-12, "ρ is symmetric");
    }

    [Fact]
    public void SpearmanCorrelation_UnderMonotoneTransforms_IsInvariantAndFlipsSign()
    {
        var random = new Random(7);
        var x = Enumerable.Range(0, 300).Select(_ => Math.Round(random.NextDouble() * 20)).ToArray();
        var y = x.Select(v => v + (random.NextDouble() * 8)).ToArray();
        var rho = SegmentationEvaluation.SpearmanCorrelation(x, y);
        rho.Should().BeInRange(-1, 1);
        SegmentationEvaluation.SpearmanCorrelation(x.Select(Math.Exp).ToArray(), y.Select(v => (3 * v) - 5).ToArray()).Should().BeApproximately(rho, 1e-12);
        SegmentationEvaluation.SpearmanCorrelation(x.Select(v => -v).ToArray(), y).Should().BeApproximately(-rho, 1e-12);
        SegmentationEvaluation.SpearmanCorrelation(x, x).Should().BeApproximately(1, 1e-12);
    }

    [Fact]
    public void SpearmanCorrelation_OfIndependentSamples_IsWithinItsNullSpread()
    {
        // Under independence ρ has standard deviation 1/sqrt(n − 1): over 200 seeded repetitions of n = 100, the mean is near 0
        // (|mean| < 4 · 0.1/sqrt(200)) and the spread near 0.1.
        var values = new double[200];
        for (var r = 0; r < values.Length; r++)
        {
            var random = new Random(1000 + r);
            var x = Enumerable.Range(0, 100).Select(_ => random.NextDouble()).ToArray();
            var y = Enumerable.Range(0, 100).Select(_ => random.NextDouble()).ToArray();
            values[r] = SegmentationEvaluation.SpearmanCorrelation(x, y);
        }

        var mean = values.Average();
        var sd = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Sum() / (values.Length - 1));
        Math.Abs(mean).Should().BeLessThan(4 * 0.1 / Math.Sqrt(200));
        sd.Should().BeInRange(0.08, 0.12);
    }

    [Fact]
    public void SpearmanCorrelation_OfBadInput_NamesTheArgument()
    {
        var act = () => SegmentationEvaluation.SpearmanCorrelation(new[] { 1.0, double.NaN, 3 }, new[] { 1.0, 2, 3 });
        act.Should().Throw<ArgumentException>().WithParameterName("first").WithMessage("*NaN*");
        act = () => SegmentationEvaluation.SpearmanCorrelation(new[] { 1.0, 2, 3 }, new[] { 1.0, double.PositiveInfinity, 3 });
        act.Should().Throw<ArgumentException>().WithParameterName("second");
        act = () => SegmentationEvaluation.SpearmanCorrelation(new[] { 1.0, double.NegativeInfinity, 3 }, new[] { 1.0, 2, 3 });
        act.Should().Throw<ArgumentException>().WithParameterName("first");
        act = () => SegmentationEvaluation.SpearmanCorrelation(Array.Empty<double>(), Array.Empty<double>());
        act.Should().Throw<ArgumentException>().WithParameterName("first").WithMessage("*at least 2*found 0*");
        act = () => SegmentationEvaluation.SpearmanCorrelation(new[] { 1.0, 2 }, new[] { 1.0, 2, 3 });
        act.Should().Throw<ArgumentException>().WithParameterName("second").WithMessage("*3 values*2*");
        act = () => SegmentationEvaluation.SpearmanCorrelation(new[] { 4.0, 4, 4 }, new[] { 1.0, 2, 3 });
        act.Should().Throw<ArgumentException>().WithParameterName("first").WithMessage("*constant*undefined*");
    }

    [Fact]
    public void Evaluate_BinaryMasks_MatchesNumPyDiceScipySpearmanAndRocEvaluator()
    {
        var golden = Reference.GetProperty("binary2d");
        using var predicted = Ints(golden, "predicted");
        using var truth = Ints(golden, "true");
        var scores = Scores(golden);
        var live = LiveTensors.Count;
        const double threshold = 0.7;

        var result = SegmentationEvaluation.Evaluate(scores, predicted, truth, threshold);

        LiveTensors.Count.Should().Be(live);
        var dice = Golden.Vector(golden.GetProperty("dice"));
        result.Dice.Should().Equal(dice, (a, b) => Math.Abs(a - b) < 1e-12);
        result.DiceThreshold.Should().Be(threshold);
        foreach (var (name, rho) in golden.GetProperty("spearman").EnumerateObject().Select(p => (p.Name, p.Value.GetDouble())))
        {
            result.SpearmanWithDice[name].Should().BeApproximately(rho, 1e-12);
        }

        var failures = dice.Select(d => d < threshold).ToArray();
        result.Comparison.Failures.Should().Be(failures.Count(f => f));
        result.Comparison.Rows.Select(r => r.Method).Should().Equal(scores.Keys);
        foreach (var row in result.Comparison.Rows)
        {
            row.Auroc.Should().Be(RocEvaluator.Auroc(Golden.ToArray(scores[row.Method]), failures));
        }

        result.ToMarkdown().Should().Contain("Spearman ρ with Dice").And.Contain("| noisy | -0.740 |");
        result.ToString().Should().Contain("Spearman ρ(score, Dice) tied: -0.973");
        DisposeAll(scores);
    }

    [Fact]
    public void Evaluate_LabelMaps_ForegroundMeanAndOneClass_MatchNumPyAndScipy()
    {
        var golden = Reference.GetProperty("multi3d");
        using var predicted = Ints(golden, "predicted");
        using var truth = Ints(golden, "true");
        var classes = golden.GetProperty("classes").GetInt32();
        var scores = Scores(golden);

        var foreground = SegmentationEvaluation.Evaluate(scores, predicted, truth, classes, 0.6);
        var fgDice = Golden.Vector(golden.GetProperty("diceForeground"));
        foreground.Dice.Should().Equal(fgDice, (a, b) => Math.Abs(a - b) < 1e-12);
        foreground.SpearmanWithDice["noisy"].Should().BeApproximately(golden.GetProperty("spearmanForeground").GetProperty("noisy").GetDouble(), 1e-12);
        using (var expected = Failures.DiceBelow(predicted, truth, classes, 0.6))
        {
            foreground.Comparison.Failures.Should().Be((int)expected.sum().item<long>());
        }

        var classOne = SegmentationEvaluation.Evaluate(scores, predicted, truth, classes, 0.6, evaluatedClass: 1);
        var oneDice = Golden.Vector(golden.GetProperty("dicePerClass").GetProperty("1"));
        classOne.Dice.Should().Equal(oneDice, (a, b) => Math.Abs(a - b) < 1e-12);
        classOne.SpearmanWithDice["noisy"].Should().BeApproximately(golden.GetProperty("spearmanClass1").GetProperty("noisy").GetDouble(), 1e-12);
        classOne.Comparison.Failures.Should().Be(oneDice.Count(d => d < 0.6));
        DisposeAll(scores);
    }

    [Fact]
    public void Evaluate_ScoresThatTrackTheDice_CorrelateNegatively()
    {
        // Image i has a predicted square that misses the true one by i pixels; the score is the miss plus a little seeded noise.
        const int n = 20;
        using var truth = torch.zeros(n, 32, 32, dtype: ScalarType.Bool);
        using var predicted = torch.zeros(n, 32, 32, dtype: ScalarType.Bool);
        var random = new Random(3);
        var score = new double[n];
        for (var i = 0; i < n; i++)
        {
            truth[i, 8..24, 8..24] = torch.tensor(true);
            predicted[i, (8 + (i / 2))..(24 + (i / 2)), 8..24] = torch.tensor(true);
            score[i] = i + random.NextDouble();
        }

        using var scoreTensor = torch.tensor(score);
        var result = SegmentationEvaluation.Evaluate(new Dictionary<string, Tensor> { ["miss"] = scoreTensor }, predicted, truth, 0.8);
        result.SpearmanWithDice["miss"].Should().BeApproximately(-1, 0.01, "the Dice falls as the score rises (the ties of i / 2 aside)");
        result.Comparison.Rows[0].Auroc.Should().Be(1);
    }

    [Fact]
    public void Evaluate_BadInput_NamesTheArgument()
    {
        using var masks = torch.zeros(4, 5, 5, dtype: ScalarType.Bool);
        using var truth = torch.ones(4, 5, 5, dtype: ScalarType.Bool);
        truth[0] = torch.tensor(false);
        using var allTrue = torch.ones(4, 5, 5, dtype: ScalarType.Bool);
        using var good = torch.tensor(new[] { 0.1, 0.2, 0.3, 0.4 });
        using var nan = torch.tensor(new[] { 0.1, double.NaN, 0.3, 0.4 });
        using var inf = torch.tensor(new[] { 0.1, double.PositiveInfinity, 0.3, 0.4 });
        using var shorter = torch.tensor(new[] { 0.1, 0.2, 0.3 });
        using var empty = torch.zeros(0);
        using var constant = torch.ones(4, dtype: ScalarType.Float64);
        using var mask3d = torch.zeros(4, 2, 5, 5, dtype: ScalarType.Bool);

        Action Call(Tensor s, Tensor? p = null, Tensor? t = null, double threshold = 0.5) =>
            () => SegmentationEvaluation.Evaluate(new Dictionary<string, Tensor> { ["m"] = s }, p ?? masks, t ?? truth, threshold);

        Call(nan).Should().Throw<ArgumentException>().WithMessage("*scores[\"m\"]*NaN*");
        Call(inf).Should().Throw<ArgumentException>().WithMessage("*scores[\"m\"]*infinite*");
        Call(shorter).Should().Throw<ArgumentException>().WithParameterName("scores").WithMessage("*3 scores*4 images*");
        Call(empty).Should().Throw<ArgumentException>().WithMessage("*empty*");
        Call(constant).Should().Throw<ArgumentException>().WithMessage("*constant*");
        Call(good, mask3d).Should().Throw<ArgumentException>().WithParameterName("trueMasks").WithMessage("*shape*must match*");
        Call(good, threshold: double.NaN).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("diceThreshold");
        Call(good, t: masks).Should().Throw<ArgumentException>().WithParameterName("diceThreshold").WithMessage("No image has a Dice below*0 of 4 failed*");
        Call(good, t: allTrue).Should().Throw<ArgumentException>().WithParameterName("diceThreshold").WithMessage("Every image*");
        var noMethods = () => SegmentationEvaluation.Evaluate(new Dictionary<string, Tensor>(), masks, truth, 0.5);
        noMethods.Should().Throw<ArgumentException>().WithParameterName("scores");

        using var labels = torch.zeros(4, 5, 5, dtype: ScalarType.Int64);
        var badClass = () => SegmentationEvaluation.Evaluate(new Dictionary<string, Tensor> { ["m"] = good }, labels, labels, 3, 0.5, evaluatedClass: 3);
        badClass.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("evaluatedClass").WithMessage("*[0, 2]*found 3*");
    }
}
