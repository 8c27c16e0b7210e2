using System;
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
        using var msp = SoftmaxScores.MaxProbability(p);
        using var entropy = SoftmaxScores.Entropy(p);
        using var margin = SoftmaxScores.Margin(p);

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
        using var maxLogit = SoftmaxScores.MaxLogit(logits);
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
        foreach (var score in new[] { SoftmaxScore.MaxProbability, SoftmaxScore.Entropy, SoftmaxScore.Margin })
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
        using var maxLogit = SoftmaxScores.MaxLogit(logits);
        using var maxLogitShifted = SoftmaxScores.MaxLogit(shifted);
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
        using var msp = SoftmaxScores.MaxProbability(p);
        using var entropy = SoftmaxScores.Entropy(p);
        using var margin = SoftmaxScores.Margin(p);
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
        map[1, 2, 3].item<float>().Should().BeApproximately(single[0].item<float>(), 1e-6f);
    }

    [Fact]
    public void MaxLogit_WithNaN_NamesCountAndRow()
    {
        using var logits = torch.zeros(20, 3);
        logits[17, 1] = torch.tensor(float.NaN);
        logits[18, 0] = torch.tensor(float.NaN);
        logits[19, 2] = torch.tensor(float.PositiveInfinity);
        var act = () => SoftmaxScores.MaxLogit(logits);
        act.Should().Throw<ArgumentException>().WithParameterName("logits")
            .WithMessage("logits has 2 NaN and 1 infinite values (first at row 17)*");
    }

    [Fact]
    public void MaxProbability_WithNegativeInfinity_Throws()
    {
        using var p = torch.tensor(new double[,] { { 0.5, 0.5 }, { double.NegativeInfinity, 1 } });
        var act = () => SoftmaxScores.MaxProbability(p);
        act.Should().Throw<ArgumentException>().WithMessage("probabilities has 1 infinite value (first at row 1)*");
    }

    [Fact]
    public void MaxProbability_OfNonProbabilities_Throws()
    {
        using var p = torch.tensor(new double[,] { { 0.5, 0.7 }, { 0.2, 0.8 } });
        var act = () => SoftmaxScores.MaxProbability(p);
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
        ((Action)(() => SoftmaxScores.MaxLogit(empty))).Should().Throw<ArgumentException>().WithMessage("logits is empty*");
        ((Action)(() => SoftmaxScores.Energy(vector))).Should().Throw<ArgumentException>().WithMessage("logits must have rank 2 to 8*");
        ((Action)(() => SoftmaxScores.Margin(single))).Should().Throw<ArgumentException>().WithMessage("*at least 2 classes*");
        ((Action)(() => SoftmaxScores.MaxLogit(null!))).Should().Throw<ArgumentNullException>();
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
        foreach (var score in new[] { SoftmaxScore.MaxProbability, SoftmaxScore.Entropy, SoftmaxScore.Margin, SoftmaxScore.MaxLogit, SoftmaxScore.Energy })
        {
            SoftmaxScores.Compute(score, logits, OutputKind.MulticlassLogits).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }
}
