using System;
using System.IO;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Models;
using Uqlib.Onnx.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Onnx.Tests;

public sealed class OnnxModelTests
{
    private static readonly JsonElement Reference = Golden.Load("tiny_cnn_onnx.json");

    private static Tensor Inputs(ScalarType dtype = ScalarType.Float32)
    {
        var shape = Golden.Vector(Reference.GetProperty("inputShape"));
        var values = Golden.Vector(Reference.GetProperty("inputs"));
        using var flat = torch.tensor(values, dtype: ScalarType.Float32);
        using var shaped = flat.reshape(Array.ConvertAll(shape, v => (long)v));
        return shaped.to(dtype);
    }

    [Fact]
    public void Load_OfDynamicBatchModel_DiscoversNamesFromMetadata()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);

        model.InputName.Should().Be("image");
        model.LogitsOutputName.Should().Be("logits");
        model.FeaturesOutputName.Should().Be("features");
        model.FixedBatchSize.Should().BeNull();
        model.InputType.Should().Be(ScalarType.Float32);
        model.OutputKind.Should().Be(OutputKind.MulticlassLogits);
    }

    [Fact]
    public void Forward_OfDynamicBatchModel_GivesPyTorchLogitsAndFeatures()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        using var output = model.Forward(inputs);

        AssertClose(output.Logits, Reference.GetProperty("logits"), 1e-5);
        AssertClose(output.Features!, Reference.GetProperty("features"), 1e-5);
    }

    [Fact]
    public void Forward_GivesTheTorchScriptModelsLogitsAndFeatures()
    {
        using var onnx = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var script = TorchScriptModel.Load(Golden.PathOf("tiny_cnn.pt"), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        using var a = onnx.Forward(inputs);
        using var b = script.Forward(inputs);

        a.Logits.allclose(b.Logits, rtol: 0, atol: 1e-5).Should().BeTrue();
        a.Features!.allclose(b.Features!, rtol: 0, atol: 1e-5).Should().BeTrue();
    }

    [Fact]
    public void Load_FromBytes_GivesTheSameLogitsAsFromFile()
    {
        using var fromFile = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var fromBytes = OnnxModel.Load(File.ReadAllBytes(Golden.PathOf("tiny_cnn.onnx")), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        using var a = fromFile.Forward(inputs);
        using var b = fromBytes.Forward(inputs);

        a.Logits.allclose(b.Logits, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Forward_OfFixedBatchModel_ChunksAndDropsThePadding()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn_logits_only.onnx"), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        using var output = model.Forward(inputs);

        model.FixedBatchSize.Should().Be(2);
        model.LogitsOutputName.Should().Be("scores");
        output.Features.Should().BeNull();
        AssertClose(output.Logits, Reference.GetProperty("logits"), 1e-5);
    }

    [Fact]
    public void Forward_OfFixedBatchModel_WithOneSample_PadsIt()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn_logits_only.onnx"), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        using var first = inputs.narrow(0, 0, 1);
        using var output = model.Forward(first);

        output.Logits.shape.Should().Equal(1, 3);
        var want = Golden.Matrix(Reference.GetProperty("logits"));
        var got = Golden.ToArray(output.Logits);
        for (var j = 0; j < 3; j++)
        {
            got[j].Should().BeApproximately(want[0, j], 1e-5);
        }
    }

    [Fact]
    public void Forward_WithMaxBatchSize_GivesTheSameResults()
    {
        using var whole = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var chunked = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits, new OnnxModelOptions { MaxBatchSize = 2 });
        using var inputs = Inputs();
        using var a = whole.Forward(inputs);
        using var b = chunked.Forward(inputs);

        a.Logits.allclose(b.Logits, rtol: 0, atol: 1e-6).Should().BeTrue();
        a.Features!.allclose(b.Features!, rtol: 0, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Forward_OfFloat16Model_GivesPyTorchResults()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn_float16.onnx"), OutputKind.MulticlassLogits, new OnnxModelOptions { IntraOpThreads = 1 });
        using var inputs = Inputs(ScalarType.Float16);
        using var output = model.Forward(inputs);

        model.InputType.Should().Be(ScalarType.Float16);
        AssertClose(output.Logits, Reference.GetProperty("float16Logits"), 1e-5);
        AssertClose(output.Features!, Reference.GetProperty("float16Features"), 1e-5);
    }

    [Fact]
    public void Forward_OfWrongDtype_ThrowsNamingTheExpectedInputs()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn_float16.onnx"), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        var act = () => model.Forward(inputs);

        act.Should().Throw<ArgumentException>()
            .WithMessage("inputs must have dtype Float16*expects image: Float16 [batch, 1, 8, 8]; found dtype Float32*")
            .And.ParamName.Should().Be("inputs");
    }

    [Fact]
    public void Forward_OfWrongRank_ThrowsNamingTheExpectedInputs()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var inputs = torch.zeros(2, 8, 8);
        var act = () => model.Forward(inputs);

        act.Should().Throw<ArgumentException>()
            .WithMessage("inputs must have rank 4*expects image: Float [batch, 1, 8, 8]; found shape (2, 8, 8).*");
    }

    [Fact]
    public void Forward_OfWrongChannelCount_ThrowsNamingTheExpectedInputs()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var inputs = torch.zeros(2, 3, 8, 8);
        var act = () => model.Forward(inputs);

        act.Should().Throw<ArgumentException>()
            .WithMessage("inputs has size 3 in dimension 1*expects image: Float [batch, 1, 8, 8]; found shape (2, 3, 8, 8).*");
    }

    [Fact]
    public void Forward_OfEmptyInputs_Throws()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var inputs = torch.zeros(0, 1, 8, 8);
        var act = () => model.Forward(inputs);

        act.Should().Throw<ArgumentException>().WithMessage("inputs is empty*(0, 1, 8, 8)*");
    }

    [Fact]
    public void Forward_OfNullInputs_ThrowsArgumentNull()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        var act = () => model.Forward(null!);

        act.Should().Throw<ArgumentNullException>().WithParameterName("inputs");
    }

    [Fact]
    public void Forward_OfNonContiguousInputs_GivesTheSameLogits()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        using var transposedTwice = inputs.transpose(2, 3).contiguous().transpose(2, 3);
        using var a = model.Forward(inputs);
        using var b = model.Forward(transposedTwice);

        transposedTwice.is_contiguous().Should().BeFalse();
        a.Logits.allclose(b.Logits, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Forward_LeaksNoTensorsAndKeepsTheCallersInputs()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn_logits_only.onnx"), OutputKind.MulticlassLogits);
        using var inputs = Inputs();
        var before = LiveTensors.Count;

        using (model.Forward(inputs))
        {
        }

        LiveTensors.Count.Should().Be(before);
        inputs.IsInvalid.Should().BeFalse();
        inputs.shape.Should().Equal(5, 1, 8, 8);
    }

    [Fact]
    public void Load_WithLogitsOutputOnly_GivesNoFeatures()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits, new OnnxModelOptions { LogitsOutputName = "logits" });
        using var inputs = Inputs();
        using var output = model.Forward(inputs);

        model.FeaturesOutputName.Should().BeNull();
        output.Features.Should().BeNull();
        AssertClose(output.Logits, Reference.GetProperty("logits"), 1e-5);
    }

    [Fact]
    public void Load_WithFeaturesOutputOnly_TakesTheOtherOutputAsLogits()
    {
        using var model = OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits, new OnnxModelOptions { FeaturesOutputName = "features" });

        model.LogitsOutputName.Should().Be("logits");
        model.FeaturesOutputName.Should().Be("features");
    }

    [Fact]
    public void Load_OfTwoInputModelWithoutInputName_ThrowsListingTheInputs()
    {
        var act = () => OnnxModel.Load(Golden.PathOf("tiny_cnn_two_inputs.onnx"), OutputKind.MulticlassLogits);

        act.Should().Throw<ArgumentException>()
            .WithMessage("*has 2 inputs (image: Float [batch, 1, 8, 8]; mask: Float [batch, 1, 8, 8]); set OnnxModelOptions.InputName*");
    }

    [Fact]
    public void Load_WithUnknownInputName_ThrowsListingTheInputs()
    {
        var act = () => OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits, new OnnxModelOptions { InputName = "pixels" });

        act.Should().Throw<ArgumentException>().WithMessage("InputName 'pixels' is not an input*its inputs are image: Float [batch, 1, 8, 8].*");
    }

    [Fact]
    public void Load_WithUnknownOutputName_ThrowsListingTheOutputs()
    {
        var act = () => OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits, new OnnxModelOptions { LogitsOutputName = "probs" });

        act.Should().Throw<ArgumentException>()
            .WithMessage("LogitsOutputName 'probs' is not an output*its outputs are logits: Float [batch, 3]; features: Float [batch, 8].*");
    }

    [Fact]
    public void Load_WithFeaturesNameOfTheOnlyOutput_Throws()
    {
        var act = () => OnnxModel.Load(Golden.PathOf("tiny_cnn_logits_only.onnx"), OutputKind.MulticlassLogits, new OnnxModelOptions { FeaturesOutputName = "scores" });

        act.Should().Throw<ArgumentException>().WithMessage("FeaturesOutputName 'scores' is the only output*no output left for the logits.*");
    }

    [Fact]
    public void Load_OfMissingFile_ThrowsFileNotFound()
    {
        var act = () => OnnxModel.Load("no/such/model.onnx", OutputKind.MulticlassLogits);

        act.Should().Throw<FileNotFoundException>().WithMessage("*no/such/model.onnx*does not exist*");
    }

    [Fact]
    public void Load_OfFileThatIsNotOnnx_ThrowsInvalidData()
    {
        var path = Path.Combine(Path.GetTempPath(), $"uqlib-not-onnx-{Guid.NewGuid():N}.onnx");
        File.WriteAllText(path, "this is not a model");
        try
        {
            var act = () => OnnxModel.Load(path, OutputKind.MulticlassLogits);
            act.Should().Throw<InvalidDataException>().WithMessage($"The file '{path}' is not an ONNX model*");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_OfBytesThatAreNotOnnx_ThrowsInvalidData()
    {
        var act = () => OnnxModel.Load(File.ReadAllBytes(Golden.PathOf("tiny_cnn.pt")), OutputKind.MulticlassLogits);

        act.Should().Throw<InvalidDataException>().WithMessage("*is not an ONNX model*");
    }

    [Fact]
    public void Load_OfUndefinedOutputKind_ThrowsOutOfRange()
    {
        var act = () => OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), (OutputKind)42);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("outputKind");
    }

    [Fact]
    public void Load_WithCudaOnTheCpuRuntime_ThrowsNotSupported()
    {
        var act = () => OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits, new OnnxModelOptions { ExecutionProvider = OnnxExecutionProvider.Cuda });

        act.Should().Throw<NotSupportedException>()
            .WithMessage("The CUDA execution provider is not available*reference Microsoft.ML.OnnxRuntime.Gpu.Linux of the same version as Microsoft.ML.OnnxRuntime (1.32.0)*ExcludeAssets=\"native\"*CUDA 12*ONNX Runtime said: *");
    }

    private static void AssertClose(Tensor actual, JsonElement expected, double tolerance)
    {
        var want = Golden.Matrix(expected);
        actual.shape.Should().Equal(want.GetLength(0), want.GetLength(1));
        var got = Golden.ToArray(actual);
        for (var i = 0; i < want.GetLength(0); i++)
        {
            for (var j = 0; j < want.GetLength(1); j++)
            {
                got[(i * want.GetLength(1)) + j].Should().BeApproximately(want[i, j], tolerance);
            }
        }
    }
}
