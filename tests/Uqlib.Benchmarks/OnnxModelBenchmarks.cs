using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using Uqlib.Onnx;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// The test CNN as ONNX on a (1024, 1, 8, 8) float32 batch, one ONNX Runtime thread: <see cref="OnnxModel.Forward"/> from a
/// TorchSharp tensor to TorchSharp logits and features, against the peer, the plain ONNX Runtime C# API from a managed
/// array to managed arrays (what a caller without Uqlib writes). The model is tiny, so the difference is the adapter's overhead.
/// </summary>
[MemoryDiagnoser]
public class OnnxModelBenchmarks
{
    private static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "Reference", "tiny_cnn.onnx");
    private static readonly long[] Shape = [1024, 1, 8, 8];

    private OnnxModel model = null!;
    private InferenceSession session = null!;
    private Tensor inputs = null!;
    private float[] values = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        model = OnnxModel.Load(ModelPath, OutputKind.MulticlassLogits, new OnnxModelOptions { IntraOpThreads = 1 });
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        session = new InferenceSession(ModelPath, options);
        inputs = torch.randn(Shape, generator: torch.manual_seed(0));
        values = inputs.data<float>().ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        model.Dispose();
        session.Dispose();
        inputs.Dispose();
    }

    [Benchmark]
    public void Uqlib()
    {
        model.Forward(inputs).Dispose();
    }

    [Benchmark(Baseline = true)]
    public float OnnxRuntimeDirect()
    {
        using var value = OrtValue.CreateTensorValueFromMemory(values, Shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["image"], [value], ["logits", "features"]);
        var logits = results[0].GetTensorDataAsSpan<float>().ToArray();
        var features = results[1].GetTensorDataAsSpan<float>().ToArray();
        return logits[0] + features[0];
    }
}
