using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Writes a study's <c>report.md</c>, <c>results.json</c> and <c>predictions.csv</c>, and renders the console summary.</summary>
public static class StudyReportWriter
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The name of the Markdown report in the output folder.</summary>
    public const string ReportFile = "report.md";

    /// <summary>The name of the JSON file holding every number.</summary>
    public const string ResultsFile = "results.json";

    /// <summary>The name of the per-case CSV file (one row per fold model and slice of the validation, internal test and external sets).</summary>
    public const string PredictionsFile = "predictions.csv";

    /// <summary>The name of the CSV file of the seed's classification table.</summary>
    public const string ClassificationFile = "classification.csv";

    /// <summary>The name of the CSV file of the reliability diagrams' bins before and after temperature scaling.</summary>
    public const string ReliabilityFile = "reliability.csv";

    /// <summary>The name of the CSV file of temperatures and calibration before and after.</summary>
    public const string CalibrationFile = "calibration.csv";

    /// <summary>Gets the JSON settings of <c>results.json</c> (camel case, indented, NaN written as a string).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the three files, replacing earlier ones.</summary>
    /// <param name="result">The study's numbers.</param>
    /// <param name="predictionLines">The CSV header and rows of per-slice predictions.</param>
    /// <param name="directory">The output folder, created when missing.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public static void Write(StudyResult result, IReadOnlyList<string> predictionLines, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(predictionLines);
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ResultsFile), JsonSerializer.Serialize(result, JsonOptions), Utf8NoBom);
        File.WriteAllText(Path.Combine(directory, ReportFile), Markdown(result), Utf8NoBom);
        File.WriteAllLines(Path.Combine(directory, PredictionsFile), predictionLines, Utf8NoBom);
        File.WriteAllText(Path.Combine(directory, ClassificationFile), ClassificationCsv(result), Utf8NoBom);
        File.WriteAllText(Path.Combine(directory, CalibrationFile), CalibrationCsv(result), Utf8NoBom);
        File.WriteAllText(Path.Combine(directory, ReliabilityFile), ReliabilityCsv(result), Utf8NoBom);
        foreach (var configuration in result.Configurations)
        {
            foreach (var table in configuration.FailureDetection)
            {
                File.WriteAllText(Path.Combine(directory, FailureDetectionFile(configuration, table.Set)), table.Comparison.ToCsv(), Utf8NoBom);
            }
        }

        PatientLevelStudy.WriteFiles(directory, result, Utf8NoBom);
    }

    /// <summary>Gets the name of the CSV file of one configuration's failure-detection comparison on one set.</summary>
    /// <param name="configuration">The configuration.</param>
    /// <param name="set"><c>internal</c> or <c>external</c>.</param>
    /// <returns>The file name, e.g. <c>failure-detection-with-augmentation-external.csv</c>.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static string FailureDetectionFile(ConfigurationResult configuration, string set)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(set);
        return $"failure-detection-{StudyArtefacts.ConfigurationKey(configuration.Augmented)}-{set}.csv";
    }

    /// <summary>Renders the headline failure-detection table (external set, with training augmentation) as plain text.</summary>
    /// <param name="result">The study's numbers.</param>
    /// <returns>The table, or an empty string when the run has no such table.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is <see langword="null"/>.</exception>
    public static string HeadlineTable(StudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var configuration in result.Configurations)
        {
            foreach (var table in configuration.FailureDetection)
            {
                if (configuration.Augmented && table.Set == "external")
                {
                    return string.Create(CultureInfo.InvariantCulture,
                        $"Failure detection, external set, {configuration.Name} ({table.Cases} cases, {table.Failures} failures):\n") + table.Comparison.ToText()
                        + PatientLevelStudy.HeadlineText(configuration);
                }
            }
        }

        return string.Empty;
    }

    /// <summary>Renders the seed's table (accuracy, sensitivity, specificity; internal held-out folds and external set) as plain text.</summary>
    /// <param name="result">The study's numbers.</param>
    /// <returns>The table, one line per metric.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is <see langword="null"/>.</exception>
    public static string SummaryTable(StudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{"metric",-22}");
        foreach (var configuration in result.Configurations)
        {
            text.Append(CultureInfo.InvariantCulture, $" | {"internal " + Short(configuration),-26} | {"external " + Short(configuration),-26}");
        }

        text.AppendLine();
        foreach (var (label, pick) in Metrics())
        {
            text.Append(CultureInfo.InvariantCulture, $"{label,-22}");
            foreach (var configuration in result.Configurations)
            {
                var (inside, outside) = pick(configuration);
                text.Append(CultureInfo.InvariantCulture, $" | {Format(inside),-26} | {Format(outside),-26}");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private static string Markdown(StudyResult result)
    {
        var o = result.Options;
        var md = new StringBuilder();
        md.AppendLine("# BI-RADS tumour shape: synthetic study report");
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Seed {o.Seed}; {o.Patients} cross-validation, {o.ValidationPatients} validation, {o.TestPatients} internal test and {o.ExternalPatients} external patients; volumes of {o.VolumeSize}³ voxels; " +
            $"{o.RotationsPerPatient} random 3-D rotations × {o.SlicesPerRotation} axial planes per patient, plus the axial MIP; " +
            $"{o.Folds}-fold cross-validation by patient; {o.Epochs} epochs per fold model; device {o.Device}."));
        md.AppendLine();
        md.AppendLine("Synthetic data: the numbers show the method at work, not a clinical result.");
        md.AppendLine();
        md.AppendLine("## Data and auto-labelling");
        md.AppendLine();
        md.AppendLine("Slices are labelled by the Dice between the slice mask and the ellipse from a PCA of the mask: irregular < 0.8 ≤ ambiguous < 0.9 ≤ round. Ambiguous slices are set aside; the majority class is down-sampled within each cross-validation fold, and within the validation and internal test sets, where the imbalance exceeds 2:3. The validation and internal test patients come from the training scanner but are never seen by any fold model; every post-hoc fit uses the validation patients only, so the internal test figures are unbiased.");
        md.AppendLine();
        md.AppendLine("| | cross-validation | validation | internal test | external |");
        md.AppendLine("|---|---|---|---|---|");
        var sets = new[] { result.Internal, result.Validation, result.Test, result.External };
        DataRow(md, "patients (round / irregular)", sets, d => $"{d.Patients} ({d.RoundPatients} / {d.IrregularPatients})");
        DataRow(md, "slices with a tumour (of which MIPs)", sets, d => $"{d.Slices} ({d.Mips})");
        DataRow(md, "mean ellipse Dice, round / irregular tumours", sets, d => $"{d.MeanDiceRoundPatients:F3} / {d.MeanDiceIrregularPatients:F3}");
        DataRow(md, "labelled round / irregular", sets, d => $"{d.Labelled.Round} / {d.Labelled.Irregular}");
        DataRow(md, "ambiguous, set aside", sets, d => $"{d.Ambiguous}");
        DataRow(md, "used round / irregular", sets, d => $"{d.Used.Round} / {d.Used.Irregular}");
        md.AppendLine();
        md.AppendLine("Slices per fold (no patient is in two folds):");
        md.AppendLine();
        var header = new StringBuilder("| fold |");
        var rule = new StringBuilder("|---|");
        var round = new StringBuilder("| round |");
        var irregular = new StringBuilder("| irregular |");
        for (var f = 0; f < result.Internal.Folds.Count; f++)
        {
            header.Append(CultureInfo.InvariantCulture, $" {f + 1} |");
            rule.Append("---|");
            round.Append(CultureInfo.InvariantCulture, $" {result.Internal.Folds[f].Round} |");
            irregular.Append(CultureInfo.InvariantCulture, $" {result.Internal.Folds[f].Irregular} |");
        }

        md.AppendLine(header.ToString()).AppendLine(rule.ToString()).AppendLine(round.ToString()).AppendLine(irregular.ToString());
        md.AppendLine();
        md.AppendLine("## Classification, with and without training augmentation");
        md.AppendLine();
        md.AppendLine("Mean (SD) over the fold models: internal = each model on its held-out fold; external = each model on the whole external set (another scanner: weaker enhancement, more noise, coarser resolution, stronger bias field). Irregular is the positive class.");
        md.AppendLine();
        md.Append("| metric |");
        foreach (var configuration in result.Configurations)
        {
            md.Append(CultureInfo.InvariantCulture, $" internal, {configuration.Name} | external, {configuration.Name} |");
        }

        md.AppendLine();
        md.Append("|---|");
        foreach (var unused in result.Configurations)
        {
            md.Append("---|---|");
        }

        md.AppendLine();
        foreach (var (label, pick) in Metrics())
        {
            md.Append(CultureInfo.InvariantCulture, $"| {label} |");
            foreach (var configuration in result.Configurations)
            {
                var (inside, outside) = pick(configuration);
                md.Append(CultureInfo.InvariantCulture, $" {Format(inside)} | {Format(outside)} |");
            }

            md.AppendLine();
        }

        md.AppendLine();
        md.AppendLine("## Calibration: temperature scaling");
        md.AppendLine();
        md.AppendLine("Each fold model's temperature is fitted on the validation patients (Guo et al. 2017). ECE: 15 equal-width bins, top label; NLL: mean negative log-likelihood of the true class; pooled over the fold models' cases.");
        md.AppendLine();
        md.AppendLine("| configuration | temperatures (folds 1…5) | set | ECE before | ECE after | NLL before | NLL after |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var configuration in result.Configurations)
        {
            var temperatures = string.Join(", ", configuration.Temperatures.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)));
            foreach (var c in configuration.Calibration)
            {
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {configuration.Name} | {temperatures} | {c.Set} | {c.EceBefore:F3} | {c.EceAfter:F3} | {c.NllBefore:F3} | {c.NllAfter:F3} |"));
            }
        }

        md.AppendLine();
        md.AppendLine("Reliability diagrams (10 equal-width bins of top-label confidence; bars: accuracy per bin; the diagonal is perfect calibration), internal test and external sets, before and after temperature scaling:");
        md.AppendLine();
        foreach (var configuration in result.Configurations)
        {
            var plots = new List<string>();
            foreach (var c in configuration.Calibration)
            {
                plots.AddRange(c.Plots);
            }

            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{configuration.Name}:"));
            md.AppendLine();
            Images(md, plots, 220);
        }

        md.AppendLine("## Failure detection");
        md.AppendLine();
        md.AppendLine("A case is one fold model's prediction on one slice; a failure is a misclassified case. Every score is higher = more uncertain. " +
            "Methods: the softmax distance to the hard label (the seed's score) without and with temperature scaling; test-time augmentation (TTA) of each fold model; " +
            "the 5-fold sub-ensemble (one score per slice, shared by its five cases); Mahalanobis and kNN distances of the slice's features to the fold model's training features; " +
            $"and the z-score combination of every method except the uncalibrated baseline, standardised on the validation cases. AUROC with DeLong's 95% interval; p vs best: DeLong's paired test against the best AUROC. " +
            "Cases of one slice, and slices of one patient, are correlated, so these intervals are too narrow: the section on the patient as the unit gives the honest, patient-clustered ones for the external set.");
        md.AppendLine();
        foreach (var configuration in result.Configurations)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"TTA policy ({configuration.Name}), learned by greedy policy search (Lyzhov et al. 2020) on the validation cases of the five fold models from the identity and {PolicySearch.PoolSize} random sub-policies of {PolicySearch.OperationsPerSubPolicy} medical operations, in the order added (temperature {configuration.PolicyTemperature:F3}): {string.Join("; ", configuration.TtaPolicy)}."));
            md.AppendLine();
            foreach (var table in configuration.FailureDetection)
            {
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"### {(table.Set == "internal" ? "Internal test" : "External")} set, {configuration.Name} ({table.Cases} cases, {table.Failures} failures, failure rate {(double)table.Failures / table.Cases:F3})"));
                md.AppendLine();
                md.Append(table.Comparison.ToMarkdown());
                md.AppendLine();
                Images(md, table.Plots, 440);
                md.AppendLine($"CSV: `{FailureDetectionFile(configuration, table.Set)}`.");
                md.AppendLine();
            }
        }

        md.AppendLine("### Mean score of correct and failed cases");
        md.AppendLine();
        md.AppendLine("| configuration | method | set | cases | failures | mean score, correct | mean score, failed |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var configuration in result.Configurations)
        {
            foreach (var u in configuration.Uncertainty)
            {
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {configuration.Name} | {u.Method} | {u.Set} | {u.Count} | {u.Failures} | {u.MeanScoreCorrect:F4} | {u.MeanScoreFailed:F4} |"));
            }
        }

        md.AppendLine();
        PatientLevelStudy.AppendMarkdown(md, result);
        ConformalStudy.WriteSection(md, result.Configurations);
        md.AppendLine("## Uncertainty-ranked external slices");
        md.AppendLine();
        md.AppendLine("The external slices with the highest and the lowest z-score combination (averaged over the five fold models' cases), with the tumour mask drawn over the slice. Truth: 0 round, 1 irregular; failures: how many of the five fold models misclassify the slice.");
        md.AppendLine();
        foreach (var configuration in result.Configurations)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{configuration.Name}:"));
            md.AppendLine();
            md.AppendLine("| picture | rank | slice | patient | truth | mean p(irregular) | failures | combined score |");
            md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var e in configuration.Examples)
            {
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| <img src=\"{e.File}\" width=\"96\" alt=\"slice {e.Slice}\"> | {(e.MostUncertain ? "most" : "least")} uncertain #{e.Rank} | {e.Slice} | {e.Patient} | {e.Truth} | {e.MeanProbability:F3} | {e.Failures}/5 | {e.Score:F3} |"));
            }

            md.AppendLine();
        }

        md.AppendLine($"Every plot is also saved as SVG beside its PNG under `{StudyPlots.Folder}/`. Fitted artefacts (network weights, temperatures, Mahalanobis statistics, kNN banks, z-score combiners, TTA policies) are under `{StudyArtefacts.Folder}/`, saved with Uqlib's persistence; loading them gives identical scores.");
        md.AppendLine();
        md.AppendLine($"Every number is in `{ResultsFile}`; per-case probabilities, failures and scores are in `{PredictionsFile}`; the tables also in `{ClassificationFile}`, `{CalibrationFile}`, `{ReliabilityFile}` (reliability diagrams, 10 bins) and `failure-detection-*.csv`.");
        return md.ToString();
    }

    private static IEnumerable<(string Label, Func<ConfigurationResult, (MeanSd Internal, MeanSd External)> Pick)> Metrics()
    {
        yield return ("accuracy", c => (c.InternalAccuracy, c.ExternalAccuracy));
        yield return ("ROC AUC", c => (c.InternalRocAuc, c.ExternalRocAuc));
        yield return ("sensitivity", c => (c.InternalSensitivity, c.ExternalSensitivity));
        yield return ("specificity", c => (c.InternalSpecificity, c.ExternalSpecificity));
    }

    private static void Images(StringBuilder md, IReadOnlyList<string> files, int width)
    {
        if (files.Count == 0)
        {
            return;
        }

        foreach (var file in files)
        {
            md.Append(CultureInfo.InvariantCulture, $"<img src=\"{file}\" width=\"{width}\" alt=\"{Path.GetFileNameWithoutExtension(file)}\"> ");
        }

        md.AppendLine();
        md.AppendLine();
    }

    private static void DataRow(StringBuilder md, string label, DatasetSummary[] sets, Func<DatasetSummary, FormattableString> cell)
    {
        md.Append(CultureInfo.InvariantCulture, $"| {label} |");
        foreach (var set in sets)
        {
            md.Append(CultureInfo.InvariantCulture, $" {cell(set).ToString(CultureInfo.InvariantCulture)} |");
        }

        md.AppendLine();
    }

    private static string ClassificationCsv(StudyResult result)
    {
        var csv = new StringBuilder("configuration,set,metric,mean,sd\n");
        foreach (var configuration in result.Configurations)
        {
            foreach (var (label, pick) in Metrics())
            {
                var (inside, outside) = pick(configuration);
                csv.Append(CultureInfo.InvariantCulture, $"{configuration.Name},internal,{label},{inside.Mean:R},{inside.Sd:R}\n");
                csv.Append(CultureInfo.InvariantCulture, $"{configuration.Name},external,{label},{outside.Mean:R},{outside.Sd:R}\n");
            }
        }

        return csv.ToString();
    }

    private static string ReliabilityCsv(StudyResult result)
    {
        var csv = new StringBuilder("configuration,set,calibrated,lower,upper,count,confidence,accuracy\n");
        foreach (var configuration in result.Configurations)
        {
            foreach (var c in configuration.Calibration)
            {
                foreach (var (calibrated, bins) in new[] { (false, c.ReliabilityBefore), (true, c.ReliabilityAfter) })
                {
                    foreach (var b in bins)
                    {
                        csv.Append(CultureInfo.InvariantCulture,
                            $"{configuration.Name},{c.Set},{(calibrated ? 1 : 0)},{b.Lower:R},{b.Upper:R},{b.Count},{b.Confidence:R},{b.Accuracy:R}\n");
                    }
                }
            }
        }

        return csv.ToString();
    }

    private static string CalibrationCsv(StudyResult result)
    {
        var csv = new StringBuilder("configuration,set,temperatures,ece_before,ece_after,nll_before,nll_after\n");
        foreach (var configuration in result.Configurations)
        {
            var temperatures = string.Join(";", configuration.Temperatures.Select(t => t.ToString("R", CultureInfo.InvariantCulture)));
            foreach (var c in configuration.Calibration)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{configuration.Name},{c.Set},{temperatures},{c.EceBefore:R},{c.EceAfter:R},{c.NllBefore:R},{c.NllAfter:R}\n");
            }
        }

        return csv.ToString();
    }

    private static string Short(ConfigurationResult configuration) => configuration.Augmented ? "(aug)" : "(no aug)";

    private static string Format(MeanSd value) => string.Create(CultureInfo.InvariantCulture, $"{value.Mean:F3} ({value.Sd:F3})");
}
