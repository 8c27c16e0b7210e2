using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Uqlib.Calibration;
using Uqlib.Cli.Io;
using Uqlib.Conformal;
using Uqlib.Evaluation;
using Uqlib.Latent;
using Uqlib.Plotting;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary>
/// <c>uqlib report</c>: the whole study in one folder — calibration before and after temperature scaling with reliability diagrams,
/// the failure-detection comparison of every score (softmax, and latent detectors when features are given), ROC and risk–coverage
/// curves, and conformal coverage — as Markdown (and HTML) with PNG charts, written atomically.
/// </summary>
internal static class ReportCommand
{
    private static readonly double[] Alphas = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var valLogits = CommonOptions.Array("--val-logits", "Validation logits, (N, C): fit temperature scaling and conformal sets");
        var valLabels = CommonOptions.Array("--val-labels", "Validation labels, (N)");
        var testLogits = CommonOptions.Array("--test-logits", "Test logits, (M, C): everything is evaluated on them");
        var testLabels = CommonOptions.Array("--test-labels", "Test labels, (M)");
        var trainFeatures = CommonOptions.Array("--train-features", "Training features, (T, D): adds Mahalanobis and kNN scores", required: false);
        var trainLabels = CommonOptions.Array("--train-labels", "Training labels, (T), for Mahalanobis", required: false);
        var testFeatures = CommonOptions.Array("--test-features", "Test features, (M, D)", required: false);
        var clusters = CommonOptions.Array("--test-clusters", "Cluster ids of the test cases (patients), (M): clustered intervals and tests", required: false);
        var k = new Option<int>("--knn-k") { Description = "kNN: the neighbour whose distance is the score.", DefaultValueFactory = _ => 10 };
        var html = new Option<bool>("--html") { Description = "Also write report.html (the same content, images linked)." };
        var folder = CommonOptions.Output("The report folder: report.md, report.json, tables (.md, .csv) and charts (.png). Written whole or not at all.");
        var overwrite = CommonOptions.Overwrite();
        var command = new Command("report", CommonOptions.Describe(
            "Writes the whole uncertainty study of a model's outputs as one folder: calibration (ECE, NLL, Brier, reliability diagrams) " +
            "before and after temperature scaling, the failure-detection comparison of every score with confidence intervals, ROC and " +
            "risk-coverage curves, and conformal coverage on the test set.",
            "uqlib report --val-logits val_logits.npy --val-labels val_labels.npy --test-logits test_logits.npy --test-labels test_labels.npy -o study",
            "uqlib report ... --train-features train_features.npy --train-labels train_labels.npy --test-features test_features.npy --test-clusters test.csv:patient --html -o study"))
        {
            valLogits, valLabels, testLogits, testLabels, trainFeatures, trainLabels, testFeatures, clusters, k, html, folder, overwrite,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var vx = ArrayInput.ReadMatrix(parse.GetValue(valLogits)!, "--val-logits", "cases, classes");
            var classes = (int)vx.shape[1];
            var vy = ArrayInput.ReadLabels(parse.GetValue(valLabels)!, "--val-labels", classes);
            ArrayInput.SameCases(("--val-logits", vx), ("--val-labels", vy));
            var tx = ArrayInput.ReadMatrix(parse.GetValue(testLogits)!, "--test-logits", "cases, classes");
            if (tx.shape[1] != classes)
            {
                throw CliException.Input("--test-logits", $"has {tx.shape[1]} classes but --val-logits has {classes}");
            }

            var ty = ArrayInput.ReadLabels(parse.GetValue(testLabels)!, "--test-labels", classes);
            ArrayInput.SameCases(("--test-logits", tx), ("--test-labels", ty));
            ClusterIds? ids = null;
            if (parse.GetValue(clusters) is string clustersSpec)
            {
                ids = ArrayInput.ReadClusters(clustersSpec, "--test-clusters");
                if (ids.Cases != tx.shape[0])
                {
                    throw CliException.Input("--test-clusters", $"has {ids.Cases} cases but --test-logits has {tx.shape[0]}");
                }
            }

            using var staged = new StagedFolder(parse.GetValue(folder)!, parse.GetValue(overwrite), "--output");
            var dir = staged.Staging;
            var md = new StringBuilder();
            var json = new JsonObject { ["validationCases"] = vx.shape[0], ["testCases"] = tx.shape[0], ["classes"] = classes };
            md.AppendLine("# Uncertainty report").AppendLine()
                .AppendLine(Invariant($"{vx.shape[0]} validation cases (fitting), {tx.shape[0]} test cases (evaluation), {classes} classes."))
                .AppendLine(Invariant($"Written by `uqlib report` (Uqlib {typeof(TemperatureScaling).Assembly.GetName().Version})."));

            // Calibration.
            context.Progress("calibration: temperature scaling on the validation set");
            var temperature = TemperatureScaling.Fit(vx, vy);
            var raw = tx.softmax(1);
            var calibrated = temperature.Transform(tx);
            var calibration = new JsonObject
            {
                ["temperature"] = temperature.Temperature,
                ["raw"] = CalibrateCommand.Metrics(raw, ty),
                ["temperatureScaled"] = CalibrateCommand.Metrics(calibrated, ty),
            };
            json["calibration"] = calibration;
            md.AppendLine().AppendLine("## Calibration").AppendLine()
                .AppendLine(Invariant($"Temperature scaling (Guo et al. 2017) fitted on the validation set: T = {temperature.Temperature:F4}. Test set:")).AppendLine()
                .AppendLine("| Probabilities | ECE | NLL | Brier |").AppendLine("|---|---:|---:|---:|")
                .AppendLine(MetricsRow("raw softmax", (JsonObject)calibration["raw"]!))
                .AppendLine(MetricsRow("temperature-scaled", (JsonObject)calibration["temperatureScaled"]!)).AppendLine();
            SaveChart(ReliabilityDiagramChart.Create(ReliabilityDiagram.Compute(raw, ty)), dir, "reliability-raw.png");
            SaveChart(ReliabilityDiagramChart.Create(ReliabilityDiagram.Compute(calibrated, ty)), dir, "reliability-calibrated.png");
            md.AppendLine("![Reliability, raw softmax](reliability-raw.png) ![Reliability, temperature-scaled](reliability-calibrated.png)");

            // Failure detection.
            var scores = SoftmaxScoreSet.Compute(tx, calibrated, temperature.Temperature);
            if (parse.GetValue(testFeatures) is string testFeaturesSpec)
            {
                var fx = ArrayInput.ReadMatrix(testFeaturesSpec, "--test-features", "cases, feature dimensions");
                ArrayInput.SameCases(("--test-logits", tx), ("--test-features", fx));
                var trainSpec = parse.GetValue(trainFeatures) ?? throw CliException.Input("--train-features", "--test-features needs the training features");
                var trx = ArrayInput.ReadMatrix(trainSpec, "--train-features", "cases, feature dimensions");
                if (trx.shape[1] != fx.shape[1])
                {
                    throw CliException.Input("--test-features", $"has {fx.shape[1]} dimensions but --train-features has {trx.shape[1]}");
                }

                if (parse.GetValue(trainLabels) is string trainLabelsSpec)
                {
                    var try_ = ArrayInput.ReadLabels(trainLabelsSpec, "--train-labels", classes);
                    ArrayInput.SameCases(("--train-features", trx), ("--train-labels", try_));
                    context.Progress($"latent: Mahalanobis on {trx.shape[0]} training cases");
                    using var mahalanobis = MahalanobisDetector.Fit(trx, try_, classes);
                    scores["Mahalanobis"] = mahalanobis.Score(fx).to(ScalarType.Float64);
                }

                context.Progress($"latent: kNN (k = {parse.GetValue(k)}) on {trx.shape[0]} training cases");
                using var knn = KnnDetector.Fit(trx, new KnnOptions { K = parse.GetValue(k) });
                scores[Invariant($"kNN (k={knn.K})")] = knn.Score(fx).to(ScalarType.Float64);
            }

            context.Progress($"failure detection: {scores.Count} scores on {tx.shape[0]} test cases");
            var failures = Failures.Misclassified(calibrated, ty);
            var comparison = ids is null ? RocEvaluator.Compare(scores, failures) : RocEvaluator.Compare(scores, failures, ids);
            json["failureDetection"] = EvaluateCommand.ToJson(comparison);
            File.WriteAllText(Path.Combine(dir, "comparison.md"), comparison.ToMarkdown());
            File.WriteAllText(Path.Combine(dir, "comparison.csv"), comparison.ToCsv());
            md.AppendLine().AppendLine("## Failure detection").AppendLine()
                .AppendLine(Invariant($"A failure is a misclassified test case: {comparison.Failures} of {comparison.Cases}. Every score is higher = more uncertain."))
                .AppendLine(ids is null
                    ? "Intervals: DeLong (cases independent)."
                    : Invariant($"Intervals and tests resample {ids.Count} clusters (Obuchowski 1997), not cases: cases of one patient are not independent."))
                .AppendLine().AppendLine(comparison.ToMarkdown().TrimEnd()).AppendLine();
            var results = scores.ToDictionary(s => s.Key, s => ids is null ? RocEvaluator.Evaluate(s.Value, failures) : RocEvaluator.Evaluate(s.Value, failures, ids));
            SaveChart(RocCurvesChart.Create(results), dir, "roc-curves.png");
            SaveChart(RiskCoverageChart.Create(results), dir, "risk-coverage.png");
            var best = comparison.Rows.MaxBy(r => r.Auroc)!.Method;
            SaveChart(ScoreHistogramChart.Create(scores[best], failures, best), dir, "histogram-best.png");
            md.AppendLine("![ROC curves](roc-curves.png) ![Risk-coverage curves](risk-coverage.png)").AppendLine()
                .AppendLine(Invariant($"The best score, {best}, on failures and successes:")).AppendLine().AppendLine("![Histogram of the best score](histogram-best.png)");

            // Conformal prediction.
            context.Progress("conformal: LAC and APS sets calibrated on the validation set");
            var vp = temperature.Transform(vx);
            var curves = new Dictionary<string, IReadOnlyList<CoveragePoint>>();
            var conformal = new JsonObject();
            md.AppendLine().AppendLine("## Conformal prediction sets").AppendLine()
                .AppendLine("Split-conformal sets calibrated on the validation set, on the test set: coverage should reach 1 − α.").AppendLine()
                .AppendLine("| Score | α | Coverage | Mean size |").AppendLine("|---|---:|---:|---:|");
            foreach (var (name, score) in new[] { ("LAC", SetScore.Lac), ("APS", SetScore.Aps) })
            {
                var classifier = ConformalClassifier.Fit(vp, vy, new ConformalSetOptions { Score = score });
                var curve = classifier.CoverageCurve(calibrated, ty, Alphas);
                curves[name] = curve;
                conformal[name] = new JsonArray(curve.Select(p => (JsonNode?)new JsonObject { ["alpha"] = p.Alpha, ["coverage"] = p.Coverage, ["meanSize"] = p.MeanSize }).ToArray());
                foreach (var point in curve.Where(p => p.Alpha is 0.05 or 0.1))
                {
                    md.AppendLine(Invariant($"| {name} | {point.Alpha:F2} | {point.Coverage:F3} | {point.MeanSize:F2} |"));
                }
            }

            json["conformal"] = conformal;
            SaveChart(ConformalCoverageChart.Create(curves), dir, "conformal-coverage.png");
            md.AppendLine().AppendLine("![Conformal coverage](conformal-coverage.png)");

            var markdown = md.ToString();
            File.WriteAllText(Path.Combine(dir, "report.md"), markdown);
            File.WriteAllText(Path.Combine(dir, "report.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            if (parse.GetValue(html))
            {
                File.WriteAllText(Path.Combine(dir, "report.html"), MarkdownPage.ToHtml(markdown, "Uncertainty report"));
            }

            staged.Commit();
            json["output"] = staged.Target;
            context.Result(json, comparison.ToText() + $"\nreport written to {Path.Combine(staged.Target, "report.md")}\n");
            return ExitCodes.Success;
        });
        return command;
    }

    private static void SaveChart(Chart chart, string dir, string name)
    {
        using (chart)
        {
            chart.Save(Path.Combine(dir, name));
        }
    }

    private static string MetricsRow(string name, JsonObject m) =>
        Invariant($"| {name} | {(double)m["ece"]!:F4} | {(double)m["nll"]!:F4} | {(double)m["brier"]!:F4} |");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
