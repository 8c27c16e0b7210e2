// The consumer test's program: built by .ci/consumer-test in a fresh console app outside the solution, against the
// packed Uqlib from a local folder feed. Each Check line prints "ok" or "FAIL"; any failure makes the exit code 1.
// To cover more of the package, add calls and Check lines (expected values from a trusted implementation, cited).
using System;
using System.Globalization;
using TorchSharp;
using Uqlib;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Uqlib.Onnx;
using Uqlib.Scores;
using static TorchSharp.torch;

torch.set_num_threads(1);
var failures = 0;

void Check(string name, Tensor actual, double[] expected, double tolerance)
{
    using var values = actual.to(ScalarType.Float64).cpu();
    var got = values.data<double>().ToArray();
    var ok = got.Length == expected.Length;
    for (var i = 0; ok && i < got.Length; i++)
    {
        ok = Math.Abs(got[i] - expected[i]) <= tolerance;
    }

    failures += ok ? 0 : 1;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{(ok ? "ok  " : "FAIL")} {name}: [{string.Join(", ", Array.ConvertAll(got, v => v.ToString("F6", CultureInfo.InvariantCulture)))}]"));
}

// Fixed logits for three cases; expected values from PyTorch 1.13 in float64 (softmax, logsumexp).
using var logits = torch.tensor(new float[] { 2f, 0f, -1f, 0.5f, 0.4f, 0.3f, -3f, 4f, 0f }, 3, 3);
using var probabilities = ProbabilityConversion.ToProbabilities(logits, OutputKind.MulticlassLogits);
using (var msp = SoftmaxScores.OneMinusMaxProbability(probabilities))
{
    Check("softmax max-probability score", msp, [0.15620526551866054, 0.6328345988890745, 0.0188647975656826], 1e-6);
}

using (var entropy = SoftmaxScores.Entropy(probabilities))
{
    Check("softmax entropy", entropy, [0.5242666167276728, 1.0952872686537243, 0.09718823663259944], 1e-6);
}

using (var energy = SoftmaxScores.Energy(logits))
{
    Check("energy", energy, [-2.1698460195562856, -1.501942848229244, -4.0190450078792574], 1e-5);
}

// Temperature scaling and failure-detection ROC; expected values from SciPy and scikit-learn (.ci/consumer/reference.py).
using (var validation = torch.tensor(new double[] { 2, 0, -1, 0.5, 0.4, 0.3, -3, 4, 0, 1, 2, 0, 3, -1, 0, 0, 0, 2.5 }, 6, 3))
using (var labels = torch.tensor(new long[] { 0, 2, 1, 0, 0, 1 }))
using (var temperature = torch.tensor(TemperatureScaling.Fit(validation, labels).Temperature))
{
    Check("temperature scaling", temperature, [1.8153483272969086], 1e-6);
}

using (var scores = torch.tensor(new double[] { 0.9, 0.1, 0.4, 0.4, 0.8, 0.2, 0.7, 0.3 }))
using (var failed = torch.tensor(new[] { true, false, true, false, true, false, false, false }))
{
    var result = RocEvaluator.Evaluate(scores, failed);
    using var metrics = torch.tensor(new[] { result.Auroc, result.Aupr });
    Check("failure-detection AUROC and AUPR", metrics, [0.9, 0.8666666666666667], 1e-12);
}

// Uqlib.Onnx: the ONNX export of the test network (tests/Uqlib.Onnx.Tests/Reference/tiny_cnn.onnx) on a fixed ramp input;
// expected logits from PyTorch 1.13 running the TorchScript file the ONNX file was exported from.
using (var model = OnnxModel.Load("tiny_cnn.onnx", OutputKind.MulticlassLogits))
using (var ramp = torch.linspace(-1, 1, 64).reshape(1, 1, 8, 8))
using (var output = model.Forward(ramp))
{
    Check("onnx logits", output.Logits, [0.19476786255836487, 0.32310494780540466, 0.02402626723051071], 1e-5);
}

Console.WriteLine(failures == 0 ? "consumer: all checks passed" : $"consumer: {failures} checks failed");
return failures == 0 ? 0 : 1;
