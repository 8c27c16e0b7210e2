using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
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

    /// <summary>The name of the per-slice CSV file.</summary>
    public const string PredictionsFile = "predictions.csv";

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
            $"Seed {o.Seed}; {o.Patients} internal and {o.ExternalPatients} external patients; volumes of {o.VolumeSize}³ voxels; " +
            $"{o.RotationsPerPatient} random 3-D rotations × {o.SlicesPerRotation} axial planes per patient, plus the axial MIP; " +
            $"{o.Folds}-fold cross-validation by patient; {o.Epochs} epochs per fold model; device {o.Device}."));
        md.AppendLine();
        md.AppendLine("Synthetic data: the numbers show the method at work, not a clinical result.");
        md.AppendLine();
        md.AppendLine("## Data and auto-labelling");
        md.AppendLine();
        md.AppendLine("Slices are labelled by the Dice between the slice mask and the ellipse from a PCA of the mask: irregular < 0.8 ≤ ambiguous < 0.9 ≤ round. Ambiguous slices are set aside; in the internal set the majority class is down-sampled within each fold where the imbalance exceeds 2:3.");
        md.AppendLine();
        md.AppendLine("| | internal | external |");
        md.AppendLine("|---|---|---|");
        Row(md, "patients (round / irregular)", $"{result.Internal.Patients} ({result.Internal.RoundPatients} / {result.Internal.IrregularPatients})", $"{result.External.Patients} ({result.External.RoundPatients} / {result.External.IrregularPatients})");
        Row(md, "slices with a tumour (of which MIPs)", $"{result.Internal.Slices} ({result.Internal.Mips})", $"{result.External.Slices} ({result.External.Mips})");
        Row(md, "mean ellipse Dice, round / irregular tumours", $"{result.Internal.MeanDiceRoundPatients:F3} / {result.Internal.MeanDiceIrregularPatients:F3}", $"{result.External.MeanDiceRoundPatients:F3} / {result.External.MeanDiceIrregularPatients:F3}");
        Row(md, "labelled round / irregular", $"{result.Internal.Labelled.Round} / {result.Internal.Labelled.Irregular}", $"{result.External.Labelled.Round} / {result.External.Labelled.Irregular}");
        Row(md, "ambiguous, set aside", $"{result.Internal.Ambiguous}", $"{result.External.Ambiguous}");
        Row(md, "used round / irregular", $"{result.Internal.Used.Round} / {result.Internal.Used.Irregular}", $"{result.External.Used.Round} / {result.External.Used.Irregular}");
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
        md.AppendLine("## Post-hoc uncertainty");
        md.AppendLine();
        md.AppendLine("Failures are misclassified slices. A useful score is higher on failures than on correct predictions. Internal: out-of-fold predictions; external: every fold model on every external slice.");
        md.AppendLine();
        md.AppendLine("| configuration | method | set | predictions | failures | mean score, correct | mean score, failed |");
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
        md.AppendLine($"Every number is in `{ResultsFile}`; per-slice probabilities and scores are in `{PredictionsFile}`.");
        return md.ToString();
    }

    private static IEnumerable<(string Label, Func<ConfigurationResult, (MeanSd Internal, MeanSd External)> Pick)> Metrics()
    {
        yield return ("accuracy", c => (c.InternalAccuracy, c.ExternalAccuracy));
        yield return ("sensitivity", c => (c.InternalSensitivity, c.ExternalSensitivity));
        yield return ("specificity", c => (c.InternalSpecificity, c.ExternalSpecificity));
    }

    private static void Row(StringBuilder md, string label, FormattableString inside, FormattableString outside)
    {
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {inside.ToString(CultureInfo.InvariantCulture)} | {outside.ToString(CultureInfo.InvariantCulture)} |"));
    }

    private static string Short(ConfigurationResult configuration) => configuration.Augmented ? "(aug)" : "(no aug)";

    private static string Format(MeanSd value) => string.Create(CultureInfo.InvariantCulture, $"{value.Mean:F3} ({value.Sd:F3})");
}
