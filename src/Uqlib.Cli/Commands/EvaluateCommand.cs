using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Uqlib.Cli.Io;
using Uqlib.Evaluation;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary><c>uqlib evaluate</c>: the failure-detection table (AUROC with CIs, AUPR, FPR@95%TPR, AURC, paired tests) of uncertainty scores.</summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var scores = CommonOptions.NamedArrays("--score", "An uncertainty score per case, higher = more uncertain", required: false);
        var logits = CommonOptions.Array("--logits", "Logits, (N, C): adds the softmax scores OneMinusMaxProbability, Entropy, OneMinusMargin and Energy", required: false);
        var calibrator = CommonOptions.File("--calibrator", "A saved calibrator applied to --logits before the softmax scores.", required: false);
        var labels = CommonOptions.Array("--labels", "Labels, (N): with --logits, a failure is a misclassified case", required: false);
        var failures = CommonOptions.Array("--failures", "Failures, (N), 1 = the model failed on the case (instead of --labels)", required: false);
        var clusters = CommonOptions.Array("--clusters", "Cluster ids (patients, sites), (N): intervals and tests resample clusters (Obuchowski 1997), not cases; a CSV column may hold any text", required: false);
        var level = new Option<double>("--level") { Description = "The confidence level of the intervals, in (0, 1).", DefaultValueFactory = _ => 0.95 };
        var csv = CommonOptions.File("--csv", "Also write the table as CSV.", required: false);
        var markdown = CommonOptions.File("--markdown", "Also write the table as Markdown.", required: false);
        var command = new Command("evaluate", CommonOptions.Describe(
            "Evaluates uncertainty scores as failure detectors: AUROC with its confidence interval (DeLong, or clustered when --clusters is " +
            "given), AUPR, FPR at 95% TPR, AURC, E-AURC and AUGRC, and the paired test of each method against the best.",
            "uqlib evaluate --logits test_logits.npy --labels test_labels.npy",
            "uqlib evaluate --logits test_logits.npy --labels test_labels.npy --clusters test.csv:patient --score kNN=knn_scores.npy",
            "uqlib evaluate --score mine=scores.npy --failures failures.npy --csv table.csv --json"))
        {
            scores, logits, calibrator, labels, failures, clusters, level, csv, markdown,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var named = new Dictionary<string, Tensor>();
            Tensor? failed = null;
            if (parse.GetValue(logits) is string logitsSpec)
            {
                var x = ArrayInput.ReadMatrix(logitsSpec, "--logits", "cases, classes");
                var probabilities = x.softmax(1);
                var temperature = 1.0;
                if (parse.GetValue(calibrator) is string calibratorPath)
                {
                    var fitted = SavedFiles.LoadCalibrator(calibratorPath, "--calibrator");
                    probabilities = fitted.Transform(x);
                    temperature = fitted is Uqlib.Calibration.TemperatureScaling t ? t.Temperature : 1.0;
                }

                foreach (var (name, score) in SoftmaxScoreSet.Compute(x, probabilities, temperature))
                {
                    named[name] = score;
                }

                if (parse.GetValue(labels) is string labelsSpec)
                {
                    var y = ArrayInput.ReadLabels(labelsSpec, "--labels", (int)x.shape[1]);
                    ArrayInput.SameCases(("--logits", x), ("--labels", y));
                    failed = Failures.Misclassified(probabilities, y);
                }
            }

            foreach (var (name, spec) in CommonOptions.SplitNamed(parse.GetValue(scores), "--score"))
            {
                if (named.ContainsKey(name))
                {
                    throw CliException.Input("--score", $"the name '{name}' is already taken by a softmax score");
                }

                named[name] = ArrayInput.ReadVector(spec, "--score", "one score per case");
            }

            if (named.Count == 0)
            {
                throw CliException.Input("--score", "no scores to evaluate: give --score NAME=ARRAY or --logits");
            }

            if (parse.GetValue(failures) is string failuresSpec)
            {
                failed = ArrayInput.ReadFailures(failuresSpec, "--failures");
            }

            if (failed is null)
            {
                throw CliException.Input("--failures", "no failures: give --failures, or --logits with --labels");
            }

            var inputs = named.Select(p => ($"--score {p.Key}", p.Value)).Prepend(("failures", failed)).ToArray();
            ArrayInput.SameCases(inputs);
            var options = new RocOptions { ConfidenceLevel = parse.GetValue(level) };
            context.Progress($"evaluating {named.Count} scores on {failed.shape[0]} cases");
            MethodComparison comparison;
            if (parse.GetValue(clusters) is string clustersSpec)
            {
                var ids = ArrayInput.ReadClusters(clustersSpec, "--clusters");
                if (ids.Cases != failed.shape[0])
                {
                    throw CliException.Input("--clusters", $"has {ids.Cases} cases but the scores have {failed.shape[0]}");
                }

                comparison = RocEvaluator.Compare(named, failed, ids, options);
            }
            else
            {
                comparison = RocEvaluator.Compare(named, failed, options);
            }

            Write(parse.GetValue(csv), "--csv", comparison.ToCsv());
            Write(parse.GetValue(markdown), "--markdown", comparison.ToMarkdown());
            context.Result(ToJson(comparison), comparison.ToText() + "\n");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A method comparison as JSON: cases, failures, clusters and one object per method.</summary>
    public static JsonObject ToJson(MethodComparison comparison)
    {
        var rows = new JsonArray();
        foreach (var row in comparison.Rows)
        {
            rows.Add(new JsonObject
            {
                ["method"] = row.Method,
                ["auroc"] = row.Auroc,
                ["aurocLower"] = row.AurocCi?.Lower,
                ["aurocUpper"] = row.AurocCi?.Upper,
                ["aupr"] = row.Aupr,
                ["fprAt95Tpr"] = row.FprAt95Tpr,
                ["aurc"] = row.Aurc,
                ["eAurc"] = row.EAurc,
                ["augrc"] = row.Augrc,
                ["pValueVersusBest"] = row.PValueVersusBest,
            });
        }

        var json = new JsonObject { ["cases"] = comparison.Cases, ["failures"] = comparison.Failures, ["methods"] = rows };
        if (comparison.Clusters is ClusterSummary clusters)
        {
            json["clusters"] = clusters.Count;
        }

        return json;
    }

    private static void Write(string? path, string option, string content)
    {
        if (path is not null)
        {
            OutputFiles.WriteText(path, content, option);
        }
    }

    internal static string Invariant(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
