// Compares failure detectors on a model's test outputs saved with np.save: softmax scores after temperature scaling,
// and Mahalanobis and kNN distances on its features. Prints the method table (AUROC with DeLong CIs, AUPR, FPR@95%TPR,
// AURC) and writes it as Markdown and CSV, with the ROC, risk-coverage and reliability charts as PNG.
// Run: dotnet run compare-detectors.cs [-- DATA_DIR OUTPUT_DIR]   (defaults: data, ../../artifacts/scripts/compare-detectors)
#:package Uqlib@0.1.0-*
#:package Uqlib.Plotting@0.1.0-*
#:package TorchSharp-cpu@0.107.0
#:property PublishAot=false
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Uqlib.Interop;
using Uqlib.Latent;
using Uqlib.Plotting;
using Uqlib.Scores;
using static TorchSharp.torch;

var data = args.Length > 0 ? args[0] : "data";
var output = Directory.CreateDirectory(args.Length > 1 ? args[1] : "../../artifacts/scripts/compare-detectors").FullName;
torch.set_num_threads(1);
using var scope = torch.NewDisposeScope();          // every tensor below is disposed at the end

Tensor Load(string name) => Npy.Read(Path.Combine(data, name + ".npy"));
var temperature = TemperatureScaling.Fit(Load("val_logits"), Load("val_labels"));
var logits = Load("test_logits");
var labels = Load("test_labels");
var probabilities = temperature.Transform(logits);
var failures = Failures.Misclassified(probabilities, labels);      // positive = the model was wrong

using var mahalanobis = MahalanobisDetector.Fit(Load("train_features"), Load("train_labels"), classes: (int)logits.shape[1]);
using var knn = KnnDetector.Fit(Load("train_features"), new KnnOptions { K = 10 });
var testFeatures = Load("test_features");
var scores = new Dictionary<string, Tensor>                        // every score: higher = more uncertain
{
    ["MSP"] = SoftmaxScores.OneMinusMaxProbability(probabilities),         // already 1 - max p
    ["Entropy"] = SoftmaxScores.Entropy(probabilities),
    ["Margin"] = SoftmaxScores.OneMinusMargin(probabilities),
    ["Energy"] = SoftmaxScores.Energy(logits, temperature.Temperature),
    ["Mahalanobis"] = mahalanobis.Score(testFeatures),
    ["kNN (k=10)"] = knn.Score(testFeatures),
};

var comparison = RocEvaluator.Compare(scores, failures);
Console.WriteLine($"{comparison.Failures} failures among {comparison.Cases} test cases (temperature {temperature.Temperature:F3})");
Console.WriteLine(comparison.ToText());
File.WriteAllText(Path.Combine(output, "comparison.md"), comparison.ToMarkdown());
File.WriteAllText(Path.Combine(output, "comparison.csv"), comparison.ToCsv());

var results = scores.ToDictionary(s => s.Key, s => RocEvaluator.Evaluate(s.Value, failures));
using (var roc = RocCurvesChart.Create(results))
{
    roc.Save(Path.Combine(output, "roc-curves.png"));
}

using (var riskCoverage = RiskCoverageChart.Create(results))
{
    riskCoverage.Save(Path.Combine(output, "risk-coverage.png"));
}

using (var reliability = ReliabilityDiagramChart.Create(ReliabilityDiagram.Compute(probabilities, labels)))
{
    reliability.Save(Path.Combine(output, "reliability-diagram.png"));
}

Console.WriteLine($"wrote comparison.md, comparison.csv, roc-curves.png, risk-coverage.png and reliability-diagram.png to {output}");
return 0;
