using System;
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Uqlib;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Onnx;
using static TorchSharp.torch;

// Runs the ONNX model, a TorchSharp model and kNN/Mahalanobis scoring on CUDA, compares each with the CPU, and prints timings
// (median of 20 runs after 3 warm-ups). Exit code 0: every part that could run agreed; 1: a disagreement or a failure.
var failures = 0;
var generator = new Generator(7);
using var images = torch.rand(new long[] { 64, 1, 28, 28 }, generator: generator);

Console.WriteLine("ONNX Runtime, CUDA execution provider:");
try
{
    using var cpu = OnnxModel.Load("tiny_cnn.onnx", OutputKind.MulticlassLogits);
    using var cuda = OnnxModel.Load("tiny_cnn.onnx", OutputKind.MulticlassLogits, new OnnxModelOptions { ExecutionProvider = OnnxExecutionProvider.Cuda });
    failures += Compare("OnnxModel.Forward, 64 × 1 × 28 × 28", () => cpu.Forward(images).Logits, () => cuda.Forward(images).Logits, 1e-4);
}
catch (NotSupportedException e)
{
    Console.WriteLine($"  FAILED: {e.Message}");
    failures++;
}

if (!torch.cuda.is_available())
{
    Console.WriteLine("TorchSharp on cuda: skipped: TorchSharp has no CUDA runtime in this build. Build with -p:TorchSharpRuntime=TorchSharp-cuda-linux "
        + "where the package feed serves it (this workplace's feed does not serve the TorchSharp CUDA runtime packages).");
    return failures == 0 ? 0 : 1;
}

var device = torch.CUDA;
Console.WriteLine($"TorchSharp on {device}:");
using (var module = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 26 * 26, 10)))
{
    var cpuModel = new TorchModuleModel(module, OutputKind.MulticlassLogits);
    using var copy = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 26 * 26, 10));
    copy.load_state_dict(module.state_dict());
    copy.to(device);
    var cudaModel = new TorchModuleModel(copy, OutputKind.MulticlassLogits);
    using var onDevice = images.to(device);
    failures += Compare("TorchModuleModel.Forward, 64 × 1 × 28 × 28", () => cpuModel.Forward(images).Logits, () => cudaModel.Forward(onDevice).Logits, 1e-4);
}

using (var bank = torch.randn(new long[] { 200_000, 256 }, generator: generator))
using (var queries = torch.randn(new long[] { 10_000, 256 }, generator: generator))
using (var bankCuda = bank.to(device))
using (var queriesCuda = queries.to(device))
using (var knnCpu = KnnDetector.Fit(bank, new KnnOptions { K = 50 }))
using (var knnCuda = KnnDetector.Fit(bankCuda, new KnnOptions { K = 50 }))
{
    failures += Compare("KnnDetector.Score, 10,000 queries × 200,000 × 256, k = 50", () => knnCpu.Score(queries), () => knnCuda.Score(queriesCuda), 1e-4);
}

using (var features = torch.randn(new long[] { 100_000, 256 }, generator: generator))
using (var labels = torch.randint(0, 10, new long[] { 100_000 }, generator: generator))
using (var featuresCuda = features.to(device))
using (var labelsCuda = labels.to(device))
using (var mahalanobisCpu = MahalanobisDetector.Fit(features, labels, 10))
using (var mahalanobisCuda = MahalanobisDetector.Fit(featuresCuda, labelsCuda, 10))
{
    failures += Compare("MahalanobisDetector.Score, 100,000 × 256, 10 classes", () => mahalanobisCpu.Score(features), () => mahalanobisCuda.Score(featuresCuda), 1e-6);
}

return failures == 0 ? 0 : 1;

static int Compare(string what, Func<Tensor> onCpu, Func<Tensor> onCuda, double tolerance)
{
    using var expected = onCpu();
    using var actual = onCuda();
    using var difference = actual.cpu().to(ScalarType.Float64).sub(expected.to(ScalarType.Float64)).abs().max();
    var scale = Math.Max(1.0, expected.abs().max().ToDouble());
    var agrees = difference.ToDouble() <= tolerance * scale;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {what}: max |cuda − cpu| = {difference.ToDouble():G3} ({(agrees ? "ok" : "DISAGREES")}); median cpu {Median(onCpu, false):F2} ms, cuda {Median(onCuda, true):F2} ms"));
    return agrees ? 0 : 1;
}

static double Median(Func<Tensor> run, bool synchronise)
{
    var times = new double[20];
    for (var i = -3; i < times.Length; i++)
    {
        var watch = Stopwatch.StartNew();
        using (var result = run())
        {
            if (synchronise)
            {
                torch.cuda.synchronize();
            }
        }

        if (i >= 0)
        {
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
    }

    Array.Sort(times);
    return (times[9] + times[10]) / 2;
}
