using System;
using System.IO;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Models;

public sealed class TorchScriptModelTests
{
    private static readonly JsonElement Reference = Golden.Load("tiny_cnn.json");

    private static Tensor Inputs()
    {
        var shape = Golden.Vector(Reference.GetProperty("inputShape"));
        var values = Golden.Vector(Reference.GetProperty("inputs"));
        using var flat = torch.tensor(values, dtype: ScalarType.Float32);
        return flat.reshape(Array.ConvertAll(shape, v => (long)v));
    }

    [Fact]
    public void Forward_OfTracedTuple_GivesPyTorchLogitsAndFeatures()
    {
        using var model = TorchScriptModel.Load(Golden.PathOf("tiny_cnn.pt"), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        using var output = model.Forward(inputs);

        output.Features.Should().NotBeNull();
        AssertClose(output.Logits, Reference.GetProperty("logits"));
        AssertClose(output.Features!, Reference.GetProperty("features"));
    }

    [Fact]
    public void Forward_OfTracedLogitsOnly_GivesLogitsAndNoFeatures()
    {
        using var model = TorchScriptModel.Load(File.ReadAllBytes(Golden.PathOf("tiny_cnn_logits_only.pt")), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        using var output = model.Forward(inputs);

        output.Features.Should().BeNull();
        AssertClose(output.Logits, Reference.GetProperty("logits"));
    }

    [Fact]
    public void Forward_WithMaxBatchSize_GivesIdenticalResults()
    {
        using var whole = TorchScriptModel.Load(Golden.PathOf("tiny_cnn.pt"), OutputKind.MulticlassLogits);
        using var chunked = TorchScriptModel.Load(Golden.PathOf("tiny_cnn.pt"), OutputKind.MulticlassLogits, new ModelOptions { MaxBatchSize = 2 });
        using var inputs = Inputs();
        using var a = whole.Forward(inputs);
        using var b = chunked.Forward(inputs);

        // Different batch sizes may take different BLAS kernels: equal up to float32 rounding.
        a.Logits.allclose(b.Logits, rtol: 0, atol: 1e-6).Should().BeTrue();
        a.Features!.allclose(b.Features!, rtol: 0, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Load_OfMissingFile_ThrowsFileNotFound()
    {
        var act = () => TorchScriptModel.Load("no/such/model.pt", OutputKind.MulticlassLogits);
        act.Should().Throw<FileNotFoundException>().WithMessage("*no/such/model.pt*does not exist*");
    }

    [Fact]
    public void Load_OfFileThatIsNotTorchScript_ThrowsInvalidData()
    {
        var path = Path.Combine(Path.GetTempPath(), $"uqlib-not-torchscript-{Guid.NewGuid():N}.pt");
        File.WriteAllText(path, "this is not a model");
        try
        {
            var act = () => TorchScriptModel.Load(path, OutputKind.MulticlassLogits);
            act.Should().Throw<InvalidDataException>().WithMessage($"{path} is not a TorchScript module*");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Forward_OfWrongInputShape_ThrowsNamingTheShape()
    {
        using var model = TorchScriptModel.Load(Golden.PathOf("tiny_cnn.pt"), OutputKind.MulticlassLogits);
        using var inputs = torch.zeros(2, 3, 8, 8);
        var act = () => model.Forward(inputs);
        act.Should().Throw<InvalidOperationException>().WithMessage("*failed on inputs of shape (2, 3, 8, 8)*");
    }

    private static void AssertClose(Tensor actual, JsonElement expected)
    {
        var want = Golden.Matrix(expected);
        actual.shape.Should().Equal(want.GetLength(0), want.GetLength(1));
        var got = Golden.ToArray(actual);
        for (var i = 0; i < want.GetLength(0); i++)
        {
            for (var j = 0; j < want.GetLength(1); j++)
            {
                got[(i * want.GetLength(1)) + j].Should().BeApproximately(want[i, j], 1e-5);
            }
        }
    }
}
