// Calibrates a model's outputs saved with np.save: fits a temperature on validation logits, reports ECE, NLL and Brier
// before and after, and writes the calibrated test probabilities (.npy) and the temperature (.npz) for Python.
// Run: dotnet run calibrate.cs [-- DATA_DIR OUTPUT_DIR]   (defaults: data, ../../artifacts/scripts/calibrate)
#:package Uqlib@0.1.0-*
#:package TorchSharp-cpu@0.107.0
#:property PublishAot=false
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Interop;

var data = args.Length > 0 ? args[0] : "data";
var output = Directory.CreateDirectory(args.Length > 1 ? args[1] : "../../artifacts/scripts/calibrate").FullName;
torch.set_num_threads(1);

using var valLogits = Npy.Read(Path.Combine(data, "val_logits.npy"));     // (N, C) logits, float32
using var valLabels = Npy.Read(Path.Combine(data, "val_labels.npy"));     // (N) class indices, int64
using var testLogits = Npy.Read(Path.Combine(data, "test_logits.npy"));
using var testLabels = Npy.Read(Path.Combine(data, "test_labels.npy"));

var temperature = TemperatureScaling.Fit(valLogits, valLabels);           // Guo et al. 2017: exact NLL minimum
using var before = testLogits.softmax(1);
using var after = temperature.Transform(testLogits);

Console.WriteLine($"temperature T = {temperature.Temperature:F4} (fitted on {valLogits.shape[0]} validation cases)");
Console.WriteLine($"{"test set",-10} {"ECE",8} {"NLL",8} {"Brier",8}");
foreach (var (name, p) in new[] { ("raw", before), ("T-scaled", after) })
{
    Console.WriteLine($"{name,-10} {CalibrationMetrics.Ece(p, testLabels),8:F4} {CalibrationMetrics.NegativeLogLikelihood(p, testLabels),8:F4} {CalibrationMetrics.BrierScore(p, testLabels),8:F4}");
}

Npy.Write(Path.Combine(output, "test_probabilities.npy"), after);        // np.load(...) in Python
NpzExport.Write(Path.Combine(output, "temperature.npz"), temperature);
Console.WriteLine($"wrote test_probabilities.npy and temperature.npz to {output}");
return CalibrationMetrics.Ece(after, testLabels) < CalibrationMetrics.Ece(before, testLabels) ? 0 : 1;
