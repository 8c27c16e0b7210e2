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

public sealed class FailuresTests
{
    private static readonly JsonElement Reference = Golden.Load("failures_reference.json");

    public static TheoryData<string> BinaryCases => new() { "binary2d", "binary3d" };

    public static TheoryData<string> MulticlassCases => new() { "multi2d", "multi3d" };

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void DiceBelow_BinaryMasks_MatchesNumPyDice(string name)
    {
        var golden = Reference.GetProperty(name);
        using var predicted = IntTensor(golden.GetProperty("predicted"));
        using var truth = IntTensor(golden.GetProperty("true"));
        using var predictedBool = predicted.to(ScalarType.Bool);
        var dice = Golden.Vector(golden.GetProperty("dice"));
        dice[0].Should().Be(1, "empty against empty counts as a perfect match");

        foreach (var threshold in new[] { 0.0, 0.3, 0.5, 1.0 })
        {
            using var failures = Failures.DiceBelow(predicted, truth, threshold);
            using var fromBool = Failures.DiceBelow(predictedBool, truth, threshold);
            var expected = dice.Select(d => d < threshold).ToArray();
            failures.dtype.Should().Be(ScalarType.Bool);
            failures.data<bool>().ToArray().Should().Equal(expected);
            fromBool.data<bool>().ToArray().Should().Equal(expected);
        }
    }

    [Theory]
    [MemberData(nameof(MulticlassCases))]
    public void DiceBelow_LabelMaps_MatchesNumPyMeanDice(string name)
    {
        var golden = Reference.GetProperty(name);
        using var predicted = IntTensor(golden.GetProperty("predicted"));
        using var truth = IntTensor(golden.GetProperty("true"));
        var classes = golden.GetProperty("classes").GetInt32();
        var foreground = Golden.Vector(golden.GetProperty("meanDiceForeground"));
        var all = Golden.Vector(golden.GetProperty("meanDiceAll"));

        foreach (var threshold in new[] { 0.2, 0.5, 0.8 })
        {
            using var fg = Failures.DiceBelow(predicted, truth, classes, threshold);
            using var withBackground = Failures.DiceBelow(predicted, truth, classes, threshold, includeBackground: true);
            fg.data<bool>().ToArray().Should().Equal(foreground.Select(d => d < threshold).ToArray());
            withBackground.data<bool>().ToArray().Should().Equal(all.Select(d => d < threshold).ToArray());
        }
    }

    [Fact]
    public void Misclassified_MatchesNumPyArgMax()
    {
        using var logits = Golden.MatrixTensor(Reference.GetProperty("logits"));
        using var labels = IntTensor(Reference.GetProperty("labels"));
        using var probabilities = logits.softmax(1);
        var before = LiveTensors.Count;

        using var failures = Failures.Misclassified(probabilities, labels);

        LiveTensors.Count.Should().Be(before + 1);
        failures.data<bool>().ToArray().Should().Equal(Reference.GetProperty("misclassified").EnumerateArray().Select(e => e.GetBoolean()));
    }

    [Fact]
    public void AbsoluteErrorAbove_MatchesNumPy_ForVectorsAndMatrices()
    {
        using var predicted = Golden.MatrixTensor(Reference.GetProperty("predicted"));
        using var target = Golden.MatrixTensor(Reference.GetProperty("target"));
        using var predicted0 = predicted.select(1, 0);
        using var target0 = target.select(1, 0);
        var max = Golden.Vector(Reference.GetProperty("maxAbsoluteError"));
        var first = Golden.Vector(Reference.GetProperty("absoluteError"));

        using var matrix = Failures.AbsoluteErrorAbove(predicted, target, 0.5);
        using var vector = Failures.AbsoluteErrorAbove(predicted0, target0, 0.5);

        matrix.data<bool>().ToArray().Should().Equal(max.Select(e => e > 0.5).ToArray());
        vector.data<bool>().ToArray().Should().Equal(first.Select(e => e > 0.5).ToArray());
    }

    [Fact]
    public void BadInput_ThrowsNamingTheArgument()
    {
        using var p = torch.rand(4, 3).softmax(1);
        using var labels = torch.tensor(new long[] { 0, 1, 2, 3 });
        using var shortLabels = torch.tensor(new long[] { 0, 1 });
        using var nan = torch.tensor(new[] { 1.0, double.NaN });
        using var inf = torch.tensor(new[] { 1.0, double.PositiveInfinity });
        using var ok = torch.tensor(new[] { 1.0, 2.0 });
        using var masks = torch.zeros(2, 4, 4);
        using var otherMasks = torch.zeros(2, 4, 5);
        using var notBinary = torch.full(2, 4, 4, 2.0);
        using var empty = torch.zeros(0, 4, 4);

        FluentActions.Invoking(() => Failures.Misclassified(p, labels)).Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*[0, 2]*");
        FluentActions.Invoking(() => Failures.Misclassified(p, shortLabels)).Should().Throw<ArgumentException>().WithParameterName("labels");
        FluentActions.Invoking(() => Failures.AbsoluteErrorAbove(nan, ok, 0.1)).Should().Throw<ArgumentException>().WithParameterName("predicted").WithMessage("*NaN*");
        FluentActions.Invoking(() => Failures.AbsoluteErrorAbove(ok, inf, 0.1)).Should().Throw<ArgumentException>().WithParameterName("target").WithMessage("*infinite*");
        FluentActions.Invoking(() => Failures.AbsoluteErrorAbove(ok, ok, double.NaN)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("tolerance");
        FluentActions.Invoking(() => Failures.AbsoluteErrorAbove(ok, ok, -1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("tolerance");
        FluentActions.Invoking(() => Failures.DiceBelow(masks, otherMasks, 0.5)).Should().Throw<ArgumentException>().WithParameterName("trueMasks").WithMessage("*shape*");
        FluentActions.Invoking(() => Failures.DiceBelow(notBinary, masks, 0.5)).Should().Throw<ArgumentException>().WithParameterName("predictedMasks").WithMessage("*binary*");
        FluentActions.Invoking(() => Failures.DiceBelow(masks, masks, double.NaN)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("threshold");
        FluentActions.Invoking(() => Failures.DiceBelow(empty, empty, 0.5)).Should().Throw<ArgumentException>().WithParameterName("predictedMasks").WithMessage("*empty*");
        FluentActions.Invoking(() => Failures.DiceBelow(masks, masks, 1, 0.5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("classes");
    }

    private static Tensor IntTensor(JsonElement element)
    {
        var shape = new List<long>();
        var e = element;
        while (e.ValueKind == JsonValueKind.Array)
        {
            shape.Add(e.GetArrayLength());
            e = e[0];
        }

        var values = new List<long>();
        Flatten(element, values);
        using var flat = torch.tensor(values.ToArray());
        return flat.reshape(shape.ToArray());
    }

    private static void Flatten(JsonElement element, List<long> values)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Flatten(item, values);
            }
        }
        else
        {
            values.Add(element.ValueKind == JsonValueKind.True ? 1 : element.ValueKind == JsonValueKind.False ? 0 : element.GetInt64());
        }
    }

    [Fact]
    public void Misclassified_OfLogits_ThrowsNamingTheOverloadThatTakesThem()
    {
        using var logits = torch.tensor(new[] { 2.0, -1.0, 0.5, 3.0 }).reshape(2, 2);
        using var labels = torch.tensor(new long[] { 0, 0 });
        FluentActions.Invoking(() => Failures.Misclassified(logits, labels)).Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*Misclassified(output, labels, kind)*");
        using var failed = Failures.Misclassified(logits, labels, OutputKind.MulticlassLogits);
        failed.data<bool>().ToArray().Should().Equal(false, true);
    }

    [Fact]
    public void Misclassified_OfABinaryModel_UsesTheSignOfTheLogitOrHalfTheProbability()
    {
        using var z = torch.tensor(new[] { 2.0, -1.0, 0.0, -3.0 });
        using var p = z.sigmoid();
        using var labels = torch.tensor(new long[] { 1, 1, 0, 0 });
        using var fromLogit = Failures.Misclassified(z, labels, OutputKind.BinaryLogit);
        using var fromColumn = Failures.Misclassified(z.unsqueeze(1), labels, OutputKind.BinaryLogit);
        using var fromProbability = Failures.Misclassified(p, labels, OutputKind.Probabilities);
        fromLogit.data<bool>().ToArray().Should().Equal(false, true, false, false);
        fromColumn.data<bool>().ToArray().Should().Equal(false, true, false, false);
        fromProbability.data<bool>().ToArray().Should().Equal(false, true, false, false);
        FluentActions.Invoking(() => Failures.Misclassified(z, labels, OutputKind.Regression)).Should().Throw<ArgumentException>().WithParameterName("kind");
    }
}
