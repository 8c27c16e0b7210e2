using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Scores;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Scores;

public sealed class SoftmaxScoresTests
{
    private static readonly JsonElement Reference = Golden.Load("softmax_scores.json");

    public static TheoryData<int> Cases => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ProbabilityScores_MatchScipy(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        using var p = Golden.MatrixTensor(golden.GetProperty("probabilities"));
        using var msp = SoftmaxScores.OneMinusMaxProbability(p);
        using var entropy = SoftmaxScores.Entropy(p);
        using var margin = SoftmaxScores.OneMinusMargin(p);

        Golden.ToArray(msp).Should().Equal(Golden.Vector(golden.GetProperty("maxProbability")), (a, b) => Math.Abs(a - b) < 1e-12);
        Golden.ToArray(entropy).Should().Equal(Golden.Vector(golden.GetProperty("entropy")), (a, b) => Math.Abs(a - b) < 1e-12);
        Golden.ToArray(margin).Should().Equal(Golden.Vector(golden.GetProperty("margin")), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogitScores_MatchScipy(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        using var logits = Golden.MatrixTensor(golden.GetProperty("logits"));
        using var maxLogit = SoftmaxScores.NegativeMaxLogit(logits);
        using var energy = SoftmaxScores.Energy(logits);
        using var energyT2 = SoftmaxScores.Energy(logits, 2.0);

        Golden.ToArray(maxLogit).Should().Equal(Golden.Vector(golden.GetProperty("maxLogit")), (a, b) => Math.Abs(a - b) < 1e-12);
        Golden.ToArray(energy).Should().Equal(Golden.Vector(golden.GetProperty("energy")), (a, b) => Math.Abs(a - b) < 1e-10);
        Golden.ToArray(energyT2).Should().Equal(Golden.Vector(golden.GetProperty("energyT2")), (a, b) => Math.Abs(a - b) < 1e-10);
    }

    [Fact]
    public void Compute_FromLogits_MatchesScipyProbabilityScores()
    {
        var golden = Reference.GetProperty("cases")[1];
        using var logits = Golden.MatrixTensor(golden.GetProperty("logits"));
        using var entropy = SoftmaxScores.Compute(SoftmaxScore.Entropy, logits, OutputKind.MulticlassLogits);

        Golden.ToArray(entropy).Should().Equal(Golden.Vector(golden.GetProperty("entropy")), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void DistanceToHardLabel_MatchesReference_ForEveryBinaryForm()
    {
        var binary = Reference.GetProperty("binary");
        var expected = Golden.Vector(binary.GetProperty("distanceToHardLabel"));
        using var p = Golden.VectorTensor(binary.GetProperty("probabilities"));
        using var column = p.unsqueeze(1);
        using var logits = Golden.VectorTensor(binary.GetProperty("logits"));
        using var twoColumns = ProbabilityConversion.ToProbabilities(logits, OutputKind.BinaryLogit);

        using var fromVector = SoftmaxScores.DistanceToHardLabel(p);
        using var fromColumn = SoftmaxScores.DistanceToHardLabel(column);
        using var fromTwo = SoftmaxScores.DistanceToHardLabel(twoColumns);
        using var fromModel = SoftmaxScores.Compute(SoftmaxScore.DistanceToHardLabel, logits, OutputKind.BinaryLogit);

        foreach (var actual in new[] { fromVector, fromColumn, fromTwo, fromModel })
        {
            Golden.ToArray(actual).Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-12);
        }
    }

    [Fact]
    public void ProbabilityScores_OfMorePeakedSoftmax_AreNeverHigher()
    {
        using var logits = torch.randn(200, 6, generator: torch.manual_seed(3), dtype: ScalarType.Float64);
        using var sharper = logits.mul(3.0);
        foreach (var score in new[] { SoftmaxScore.OneMinusMaxProbability, SoftmaxScore.Entropy, SoftmaxScore.OneMinusMargin })
        {
            using var soft = SoftmaxScores.Compute(score, logits, OutputKind.MulticlassLogits);
            using var peaked = SoftmaxScores.Compute(score, sharper, OutputKind.MulticlassLogits);
            using var higher = peaked.gt(soft.add(1e-12));
            higher.any().item<bool>().Should().BeFalse($"{score} must not grow when the softmax gets more peaked");
        }
    }

    [Fact]
    public void LogitScores_ShiftWithTheLogits()
    {
        using var logits = torch.randn(50, 4, generator: torch.manual_seed(5), dtype: ScalarType.Float64);
        using var shifted = logits.add(2.5);
        using var maxLogit = SoftmaxScores.NegativeMaxLogit(logits);
        using var maxLogitShifted = SoftmaxScores.NegativeMaxLogit(shifted);
        using var energy = SoftmaxScores.Energy(logits);
        using var energyShifted = SoftmaxScores.Energy(shifted);
        using var maxLogitGap = maxLogit.sub(maxLogitShifted);
        using var energyGap = energy.sub(energyShifted);
        Golden.ToArray(maxLogitGap).Should().AllSatisfy(v => v.Should().BeApproximately(2.5, 1e-12));
        Golden.ToArray(energyGap).Should().AllSatisfy(v => v.Should().BeApproximately(2.5, 1e-12));
    }

    [Fact]
    public void Scores_OfHugeLogits_AreFinite()
    {
        using var logits = torch.tensor(new float[,] { { 1e4f, -1e4f, 0f }, { -1e4f, -1e4f, -1e4f }, { 1e4f, 1e4f, -1e4f } });
        foreach (var score in Enum.GetValues<SoftmaxScore>())
        {
            if (score == SoftmaxScore.DistanceToHardLabel)
            {
                continue;
            }

            using var result = SoftmaxScores.Compute(score, logits, OutputKind.MulticlassLogits);
            result.isfinite().all().item<bool>().Should().BeTrue($"{score} of ±1e4 logits must be finite");
        }

        using var binary = torch.tensor(new float[] { 1e4f, -1e4f, 0f });
        using var distance = SoftmaxScores.Compute(SoftmaxScore.DistanceToHardLabel, binary, OutputKind.BinaryLogit);
        Golden.ToArray(distance).Should().Equal(0.0, 0.0, 0.5);
    }

    [Fact]
    public void Scores_OfUniformProbabilities_AreMaximal()
    {
        using var p = torch.full(4, 5, 0.2, dtype: ScalarType.Float64);
        using var msp = SoftmaxScores.OneMinusMaxProbability(p);
        using var entropy = SoftmaxScores.Entropy(p);
        using var margin = SoftmaxScores.OneMinusMargin(p);
        Golden.ToArray(msp).Should().AllSatisfy(v => v.Should().BeApproximately(0.8, 1e-12));
        Golden.ToArray(entropy).Should().AllSatisfy(v => v.Should().BeApproximately(Math.Log(5), 1e-12));
        Golden.ToArray(margin).Should().AllSatisfy(v => v.Should().BeApproximately(1.0, 1e-12));
    }

    [Fact]
    public void Scores_OfSegmentationOutput_ArePerPixelMaps()
    {
        using var logits = torch.randn(2, 3, 4, 5, generator: torch.manual_seed(1));
        using var map = SoftmaxScores.Compute(SoftmaxScore.Entropy, logits, OutputKind.MulticlassLogits);
        map.shape.Should().Equal(2, 4, 5);
        using var pixel = logits[1, .., 2, 3].unsqueeze(0);
        using var single = SoftmaxScores.Compute(SoftmaxScore.Entropy, pixel, OutputKind.MulticlassLogits);
        map.dtype.Should().Be(ScalarType.Float32);
        single.dtype.Should().Be(ScalarType.Float64);
        map[1, 2, 3].item<float>().Should().BeApproximately((float)single[0].item<double>(), 1e-6f);
    }

    [Fact]
    public void NegativeMaxLogit_WithNaN_NamesCountAndRow()
    {
        using var logits = torch.zeros(20, 3);
        logits[17, 1] = torch.tensor(float.NaN);
        logits[18, 0] = torch.tensor(float.NaN);
        logits[19, 2] = torch.tensor(float.PositiveInfinity);
        var act = () => SoftmaxScores.NegativeMaxLogit(logits);
        act.Should().Throw<ArgumentException>().WithParameterName("logits")
            .WithMessage("logits has 2 NaN and 1 infinite values (first at row 17)*");
    }

    [Fact]
    public void OneMinusMaxProbability_WithNegativeInfinity_Throws()
    {
        using var p = torch.tensor(new double[,] { { 0.5, 0.5 }, { double.NegativeInfinity, 1 } });
        var act = () => SoftmaxScores.OneMinusMaxProbability(p);
        act.Should().Throw<ArgumentException>().WithMessage("probabilities has 1 infinite value (first at row 1)*");
    }

    [Fact]
    public void OneMinusMaxProbability_OfNonProbabilities_Throws()
    {
        using var p = torch.tensor(new double[,] { { 0.5, 0.7 }, { 0.2, 0.8 } });
        var act = () => SoftmaxScores.OneMinusMaxProbability(p);
        act.Should().Throw<ArgumentException>().WithMessage("probabilities must sum to 1*");
        using var negative = torch.tensor(new double[,] { { -0.5, 1.5 } });
        var actNegative = () => SoftmaxScores.Entropy(negative);
        actNegative.Should().Throw<ArgumentException>().WithMessage("probabilities must hold probabilities in [0, 1]*");
    }

    [Fact]
    public void Scores_OfEmptyOrWrongRank_Throw()
    {
        using var empty = torch.zeros(0, 3);
        using var vector = torch.zeros(3);
        using var single = torch.ones(4, 1);
        ((Action)(() => SoftmaxScores.NegativeMaxLogit(empty))).Should().Throw<ArgumentException>().WithMessage("logits is empty*");
        ((Action)(() => SoftmaxScores.Energy(vector))).Should().Throw<ArgumentException>().WithMessage("logits must have rank 2 to 8*");
        ((Action)(() => SoftmaxScores.OneMinusMargin(single))).Should().Throw<ArgumentException>().WithMessage("*at least 2 classes*");
        ((Action)(() => SoftmaxScores.NegativeMaxLogit(null!))).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Energy_WithBadTemperature_Throws()
    {
        using var logits = torch.zeros(2, 3);
        foreach (var t in new[] { 0.0, -1.0, double.NaN, double.PositiveInfinity })
        {
            ((Action)(() => SoftmaxScores.Energy(logits, t))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("temperature");
        }
    }

    [Fact]
    public void DistanceToHardLabel_OfMulticlass_Throws()
    {
        using var p = torch.full(2, 3, 1.0 / 3, dtype: ScalarType.Float64);
        ((Action)(() => SoftmaxScores.DistanceToHardLabel(p))).Should().Throw<ArgumentException>().WithMessage("*must be binary*");
    }

    [Fact]
    public void Compute_LeaksNoTensor()
    {
        using var logits = torch.randn(8, 4);
        var before = LiveTensors.Count;
        foreach (var score in new[] { SoftmaxScore.OneMinusMaxProbability, SoftmaxScore.Entropy, SoftmaxScore.OneMinusMargin, SoftmaxScore.NegativeMaxLogit, SoftmaxScore.Energy })
        {
            SoftmaxScores.Compute(score, logits, OutputKind.MulticlassLogits).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }

    public static TheoryData<int> EdgeCases => new() { 0, 1, 2, 3, 4, 5, 6, 7, 8 };

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void Compute_OfFloat32LogitsAtTheEdges_MatchesTheFloat64Reference(int index)
    {
        var golden = Golden.Load("float_edges.json").GetProperty("cases")[index];
        using var logits = Golden.VectorTensor(golden.GetProperty("logits"), ScalarType.Float32).unsqueeze(0);
        foreach (var (score, key) in new[] { (SoftmaxScore.OneMinusMaxProbability, "maxProbability"), (SoftmaxScore.Entropy, "entropy"), (SoftmaxScore.OneMinusMargin, "margin"), (SoftmaxScore.NegativeMaxLogit, "maxLogit") })
        {
            using var result = SoftmaxScores.Compute(score, logits, OutputKind.MulticlassLogits);
            var value = Golden.ToArray(result)[0];
            value.Should().BeApproximately(golden.GetProperty(key).GetDouble(), RelativeTolerance(golden.GetProperty(key).GetDouble()), $"{golden.GetProperty("name")}: {key}");
            if (score != SoftmaxScore.NegativeMaxLogit)
            {
                double.IsNegative(value).Should().BeFalse($"{key} of {golden.GetProperty("name")} must not be −0 or negative");
            }
        }

        foreach (var energy in golden.GetProperty("energy").EnumerateObject())
        {
            var temperature = double.Parse(energy.Name, System.Globalization.CultureInfo.InvariantCulture);
            using var result = SoftmaxScores.Energy(logits, temperature);
            Golden.ToArray(result)[0].Should().BeApproximately(energy.Value.GetDouble(), RelativeTolerance(energy.Value.GetDouble()), $"{golden.GetProperty("name")}: energy at T = {temperature}");
        }
    }

    [Fact]
    public void Compute_OfBinaryLogitsAtTheEdges_MatchesTheFloat64Reference()
    {
        var golden = Golden.Load("float_edges.json").GetProperty("binary").EnumerateArray().ToArray();
        using var logits = torch.tensor(golden.Select(g => (float)g.GetProperty("logit").GetDouble()).ToArray());
        using var msp = SoftmaxScores.Compute(SoftmaxScore.OneMinusMaxProbability, logits, OutputKind.BinaryLogit);
        using var entropy = SoftmaxScores.Compute(SoftmaxScore.Entropy, logits, OutputKind.BinaryLogit);
        using var distance = SoftmaxScores.Compute(SoftmaxScore.DistanceToHardLabel, logits, OutputKind.BinaryLogit);

        var expectedMsp = golden.Select(g => g.GetProperty("maxProbability").GetDouble()).ToArray();
        Golden.ToArray(msp).Should().Equal(expectedMsp, (a, b) => Math.Abs(a - b) <= RelativeTolerance(b));
        Golden.ToArray(distance).Should().Equal(expectedMsp, (a, b) => Math.Abs(a - b) <= RelativeTolerance(b));
        Golden.ToArray(entropy).Should().Equal(golden.Select(g => g.GetProperty("entropy").GetDouble()), (a, b) => Math.Abs(a - b) <= RelativeTolerance(b));
    }

    [Fact]
    public void Compute_OfConfidentLogits_KeepsTheirOrder()
    {
        // 1 − max p of float32 softmax outputs is 0 for every gap above ~17; the scores must still rank a gap of 20 above a gap of 30.
        using var logits = torch.tensor(new float[] { 20, 0, 30, 0, 40, 0 }).reshape(3, 2);
        using var msp = SoftmaxScores.Compute(SoftmaxScore.OneMinusMaxProbability, logits, OutputKind.MulticlassLogits);
        var values = Golden.ToArray(msp);
        values.Should().BeInDescendingOrder().And.OnlyHaveUniqueItems().And.OnlyContain(v => v > 0);
    }

    [Fact]
    public void Energy_WhenTheEnergyExceedsTheDtype_ThrowsNamingTemperature()
    {
        using var logits = torch.tensor(new float[] { 1, 2, 3 }).unsqueeze(0);
        ((Action)(() => SoftmaxScores.Energy(logits, 1e300))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("temperature").WithMessage("*range of Float32*");
        using var wide = logits.to(ScalarType.Float64);
        using var energy = SoftmaxScores.Energy(wide, 1e300);
        Golden.ToArray(energy)[0].Should().BeApproximately(-1e300 * Math.Log(3), 1e286);
    }

    private static double RelativeTolerance(double expected)
    {
        return (2e-6 * Math.Abs(expected)) + 1e-300;
    }

    [Fact]
    public void LogitScores_OfProbabilities_ThrowNamingTheArgument()
    {
        using var probabilities = torch.tensor(new[] { 0.7, 0.2, 0.1, 0.3, 0.3, 0.4 }).reshape(2, 3);
        ((Action)(() => SoftmaxScores.Energy(probabilities))).Should().Throw<ArgumentException>().WithParameterName("logits").WithMessage("*holds probabilities*");
        ((Action)(() => SoftmaxScores.NegativeMaxLogit(probabilities))).Should().Throw<ArgumentException>().WithParameterName("logits");
        ((Action)(() => SoftmaxScores.Compute(SoftmaxScore.Entropy, probabilities, OutputKind.MulticlassLogits))).Should().Throw<ArgumentException>().WithParameterName("output").WithMessage("*OutputKind.Probabilities*");
        using var entropy = SoftmaxScores.Compute(SoftmaxScore.Entropy, probabilities, OutputKind.Probabilities);
        Golden.ToArray(entropy)[0].Should().BeApproximately(-((0.7 * Math.Log(0.7)) + (0.2 * Math.Log(0.2)) + (0.1 * Math.Log(0.1))), 1e-12);
    }
}
