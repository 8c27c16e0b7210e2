using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests;

public sealed class ProbabilityConversionTests
{
    [Fact]
    public void ToProbabilities_OfMulticlassLogits_IsSoftmaxSummingToOne()
    {
        var golden = Golden.Load("softmax_scores.json").GetProperty("cases")[1];
        using var logits = Golden.MatrixTensor(golden.GetProperty("logits"));
        using var p = ProbabilityConversion.ToProbabilities(logits, OutputKind.MulticlassLogits);
        using var expected = Golden.MatrixTensor(golden.GetProperty("probabilities"));
        p.allclose(expected, rtol: 0, atol: 1e-14).Should().BeTrue();
    }

    [Fact]
    public void ToProbabilities_OfBinaryLogit_GivesTwoColumnsFromSigmoid()
    {
        var binary = Golden.Load("softmax_scores.json").GetProperty("binary");
        using var logits = Golden.VectorTensor(binary.GetProperty("logits"));
        using var column = logits.unsqueeze(1);
        using var fromVector = ProbabilityConversion.ToProbabilities(logits, OutputKind.BinaryLogit);
        using var fromColumn = ProbabilityConversion.ToProbabilities(column, OutputKind.BinaryLogit);
        using var expected = Golden.VectorTensor(binary.GetProperty("probabilities"));

        fromVector.shape.Should().Equal(25, 2);
        fromVector.allclose(fromColumn, rtol: 0, atol: 0).Should().BeTrue();
        fromVector.select(1, 1).allclose(expected, rtol: 0, atol: 1e-14).Should().BeTrue();
        using var sums = fromVector.sum(1);
        Golden.ToArray(sums).Should().AllSatisfy(v => v.Should().BeApproximately(1.0, 1e-15));
    }

    [Fact]
    public void ToLogits_OfBinaryLogit_HasTheSameSoftmaxAsTheSigmoid()
    {
        using var z = torch.tensor(new double[] { -3, 0, 2.5 });
        using var logits = ProbabilityConversion.ToLogits(z, OutputKind.BinaryLogit);
        using var softmax = logits.softmax(1);
        using var sigmoid = z.sigmoid();
        softmax.select(1, 1).allclose(sigmoid).Should().BeTrue();
    }

    [Fact]
    public void ToProbabilities_OfBinarySegmentation_KeepsTheSpatialDimensions()
    {
        using var z = torch.randn(2, 1, 3, 4);
        using var p = ProbabilityConversion.ToProbabilities(z, OutputKind.BinaryLogit);
        p.shape.Should().Equal(2, 2, 3, 4);
    }

    [Fact]
    public void ToProbabilities_OfValidProbabilities_ReturnsThem()
    {
        using var given = torch.tensor(new double[,] { { 0.2, 0.8 }, { 1, 0 } });
        using var p = ProbabilityConversion.ToProbabilities(given, OutputKind.Probabilities);
        p.allclose(given, rtol: 0, atol: 0).Should().BeTrue();
        using var positive = torch.tensor(new double[] { 0.25, 1 });
        using var two = ProbabilityConversion.ToProbabilities(positive, OutputKind.Probabilities);
        Golden.ToArray(two).Should().Equal(0.75, 0.25, 0, 1);
    }

    [Fact]
    public void ToProbabilities_OfInvalidInput_Throws()
    {
        using var notSummingToOne = torch.tensor(new double[,] { { 0.2, 0.2 } });
        using var wideBinary = torch.zeros(3, 2, 5);
        using var nan = torch.tensor(new double[,] { { double.NaN, 1 } });
        ((Action)(() => ProbabilityConversion.ToProbabilities(notSummingToOne, OutputKind.Probabilities)))
            .Should().Throw<ArgumentException>().WithMessage("output must sum to 1 over dimension 1*");
        ((Action)(() => ProbabilityConversion.ToProbabilities(wideBinary, OutputKind.BinaryLogit)))
            .Should().Throw<ArgumentException>().WithMessage("*binary-logit model must have shape (N) or (N, 1, …); found (3, 2, 5)*");
        ((Action)(() => ProbabilityConversion.ToProbabilities(nan, OutputKind.MulticlassLogits)))
            .Should().Throw<ArgumentException>().WithMessage("output has 1 NaN value (first at row 0)*");
        ((Action)(() => ProbabilityConversion.ToProbabilities(notSummingToOne, OutputKind.Regression)))
            .Should().Throw<ArgumentException>().WithMessage("A regression output has no class probabilities*");
    }
}
