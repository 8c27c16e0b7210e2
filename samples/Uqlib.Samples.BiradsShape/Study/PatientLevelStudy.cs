using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Uqlib.Samples.BiradsShape.Data;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>
/// The external set with the patient as the unit: patient-clustered intervals and tests (Obuchowski's clustered AUROC; the five fold
/// models' cases of one patient's slices are one cluster), a patient-level table (max-slice score against "any slice misclassified")
/// and patient-level calibration; and how much wider the honest intervals are than the naive ones.
/// </summary>
internal static class PatientLevelStudy
{
    /// <summary>The name of the CSV file of one configuration's patient-clustered comparison on the external set.</summary>
    internal static string ClusteredFile(ConfigurationResult configuration) =>
        $"failure-detection-{StudyArtefacts.ConfigurationKey(configuration.Augmented)}-external-patient-clustered.csv";

    /// <summary>The name of the CSV file of one configuration's patient table.</summary>
    internal static string PatientFile(ConfigurationResult configuration) =>
        $"patients-{StudyArtefacts.ConfigurationKey(configuration.Augmented)}-external.csv";

    /// <summary>Analyses the external cases by patient.</summary>
    /// <param name="cases">The external cases, every method scored.</param>
    /// <param name="external">The external slices (their patients and the patients' shapes).</param>
    /// <param name="naive">The naive (case-level DeLong) comparison on the same cases.</param>
    /// <returns>The analysis.</returns>
    internal static PatientAnalysis Analyse(CaseTable cases, LabelledSlices external, FailureDetectionTable naive)
    {
        var patientOfCase = new long[cases.Count];
        for (var i = 0; i < patientOfCase.Length; i++)
        {
            patientOfCase[i] = external.Slices.Patients[cases.Slices[i]];
        }

        var clusters = ClusterIds.From(patientOfCase);
        var failures = cases.Failures.ToArray();
        var anyFailed = ClusterAggregation.Failures(failures, clusters, FailureAggregation.Any);
        var allFailed = ClusterAggregation.Failures(failures.Select(f => !f).ToArray(), clusters, FailureAggregation.Any);
        int withFailure = anyFailed.Count(f => f), withSuccess = allFailed.Count(s => s);

        string? undefined = null;
        MethodComparison? comparison = null;
        var widening = new List<IntervalWidening>();
        if (withFailure < 2 || withSuccess < 2)
        {
            undefined = string.Create(CultureInfo.InvariantCulture,
                $"only {withFailure} of {clusters.Count} patients hold a misclassified case and {withSuccess} a correct one; a patient-clustered interval needs two of each");
        }
        else
        {
            var scores = cases.ScoreTensors(cases.Methods);
            try
            {
                using var failureTensor = cases.FailureTensor();
                comparison = RocEvaluator.Compare(scores, failureTensor, clusters);
            }
            finally
            {
                foreach (var tensor in scores.Values)
                {
                    tensor.Dispose();
                }
            }

            foreach (var row in comparison.Rows)
            {
                var plain = naive.Rows.First(r => r.Method == row.Method).AurocCi;
                if (plain is null || row.AurocCi is null)
                {
                    continue; // an interval is undefined (perfect separation): there is no width to compare
                }

                double naiveWidth = plain.Upper - plain.Lower, clusteredWidth = row.AurocCi.Upper - row.AurocCi.Lower;
                widening.Add(new IntervalWidening(row.Method, naiveWidth, clusteredWidth, clusteredWidth / naiveWidth));
            }
        }

        var patientIds = new int[clusters.Count];
        var failedPerPatient = new int[clusters.Count];
        for (var i = 0; i < patientOfCase.Length; i++)
        {
            patientIds[clusters.Indices[i]] = (int)patientOfCase[i];
            failedPerPatient[clusters.Indices[i]] += failures[i] ? 1 : 0;
        }

        var meanProbability = ClusterAggregation.MeanProbabilities(cases.CalibratedProbabilities.ToArray(), clusters);
        var irregular = patientIds.Select(p => external.PatientShapes[p] == TumourShape.Irregular).ToArray();
        var maxScores = cases.Methods.ToDictionary(m => m, m => ClusterAggregation.Scores(cases.Scores(m).ToArray(), clusters, ScoreAggregation.Max), StringComparer.Ordinal);
        var rows = new List<PatientRow>();
        for (var c = 0; c < clusters.Count; c++)
        {
            rows.Add(new PatientRow(
                patientIds[c], irregular[c], clusters.Sizes[c], failedPerPatient[c], anyFailed[c], meanProbability[c],
                cases.Methods.ToDictionary(m => m, m => maxScores[m][c], StringComparer.Ordinal)));
        }

        var patientLevel = new List<PatientLevelMethod>();
        var patientLevelUndefined = new List<string>();
        foreach (var rule in new[] { FailureAggregation.Any, FailureAggregation.Majority })
        {
            var patientFailures = ClusterAggregation.Failures(failures, clusters, rule);
            var failed = patientFailures.Count(f => f);
            if (failed == 0 || failed == clusters.Count)
            {
                patientLevelUndefined.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{rule.Name}: {(failed == 0 ? "no" : "every")} patient failed, so the patient-level AUROC is undefined"));
                continue;
            }

            foreach (var method in cases.Methods)
            {
                var result = RocEvaluator.Evaluate(maxScores[method], patientFailures);
                patientLevel.Add(new PatientLevelMethod(rule.Name, method, result.Auroc, result.AurocCi));
            }
        }

        var outcomes = irregular.Select(i => i ? 1 : 0).ToArray();
        var calibration = new PatientCalibration(
            clusters.Count, outcomes.Sum(), CalibrationMetrics.Ece(meanProbability, outcomes, 10), CalibrationMetrics.BrierScore(meanProbability, outcomes));
        var ratios = widening.Select(w => w.Ratio).OrderBy(r => r).ToArray();
        double? median = ratios.Length == 0 ? null : ratios.Length % 2 == 1 ? ratios[ratios.Length / 2] : (ratios[(ratios.Length / 2) - 1] + ratios[ratios.Length / 2]) / 2;
        return new PatientAnalysis(
            clusters.Count, comparison?.Clusters, undefined, comparison?.Rows ?? Array.Empty<MethodComparisonRow>(), comparison, widening, median, rows, patientLevel,
            patientLevelUndefined, calibration);
    }

    /// <summary>The lines the console and the README's headline show under the naive table: the clustered table and the widening.</summary>
    internal static string HeadlineText(ConfigurationResult configuration)
    {
        var analysis = configuration.ExternalPatients;
        if (analysis.Comparison is null)
        {
            return $"Patient-clustered intervals undefined: {analysis.Undefined}.\n";
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"\nThe same, patient-clustered (Obuchowski 1997; {analysis.Patients} patients), the honest intervals:\n") + analysis.Comparison.ToText() + Widening(analysis) + "\n";
    }

    /// <summary>Appends the report section of every configuration.</summary>
    internal static void AppendMarkdown(StringBuilder md, StudyResult result)
    {
        md.AppendLine("## The patient as the unit (external set)");
        md.AppendLine();
        md.AppendLine("The cases above are not independent: the five fold models' predictions of one slice, and the slices of one patient, share the patient. " +
            "Treating them as independent makes DeLong's intervals too narrow. Below, the same comparison with the patient as the cluster: Obuchowski's (1997) " +
            "clustered AUROC interval and paired test (`RocEvaluator.Compare(scores, failures, clusters)`), then one row per patient (each method's highest case score, " +
            "against \"any slice misclassified by any fold model\") and calibration at the patient level (mean calibrated probability of irregular against the patient's tumour shape).");
        md.AppendLine();
        foreach (var configuration in result.Configurations)
        {
            var analysis = configuration.ExternalPatients;
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"### External set by patient, {configuration.Name} ({analysis.Patients} patients)"));
            md.AppendLine();
            if (analysis.Comparison is null)
            {
                md.AppendLine($"Patient-clustered intervals are undefined: {analysis.Undefined}.");
            }
            else
            {
                md.Append(analysis.Comparison.ToMarkdown());
                md.AppendLine();
                md.AppendLine(Widening(analysis));
                md.AppendLine();
                md.AppendLine("| method | DeLong 95% CI width | patient-clustered 95% CI width | ratio |");
                md.AppendLine("|---|---:|---:|---:|");
                foreach (var w in analysis.Widening)
                {
                    md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {w.Method} | {w.NaiveWidth:F3} | {w.ClusteredWidth:F3} | {w.Ratio:F2} |"));
                }

                md.AppendLine();
                md.AppendLine($"CSV: `{ClusteredFile(configuration)}`.");
            }

            md.AppendLine();
            md.AppendLine("Patient level (one case per patient: each method's max-slice score against the patient failing, where \"any\" means any of its cases was misclassified and \"majority\" more than half; DeLong's interval, the patients being independent):");
            md.AppendLine();
            foreach (var why in analysis.PatientLevelUndefined)
            {
                md.AppendLine($"- {why}.");
            }

            if (analysis.PatientLevel.Count > 0)
            {
                md.AppendLine();
                md.AppendLine("| patient fails if | method | patient-level AUROC | 95% CI |");
                md.AppendLine("|---|---|---:|---:|");
                foreach (var m in analysis.PatientLevel)
                {
                    md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {m.Rule} | {m.Method} | {m.Auroc:F3} | {(m.AurocCi is { } ci ? $"[{ci.Lower:F3}, {ci.Upper:F3}]" : "undefined")} |"));
                }
            }

            md.AppendLine();
            var calibration = analysis.PatientCalibration;
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"Patient-level calibration ({calibration.Patients} patients, {calibration.Irregular} irregular): ECE {calibration.Ece:F3} (10 bins), Brier {calibration.Brier:F3}."));
            md.AppendLine();
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| patient | irregular | cases | failures | any misclassified | mean p(irregular) | max {BiradsStudy.CombinationName} | max {BiradsStudy.BaselineName} |"));
            md.AppendLine("|---:|---|---:|---:|---|---:|---:|---:|");
            foreach (var p in analysis.PatientRows)
            {
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {p.Patient} | {(p.Irregular ? "yes" : "no")} | {p.Cases} | {p.Failures} | {(p.AnyFailed ? "yes" : "no")} | {p.MeanProbability:F3} | {Max(p, BiradsStudy.CombinationName)} | {Max(p, BiradsStudy.BaselineName)} |"));
            }

            md.AppendLine();
            md.AppendLine($"CSV: `{PatientFile(configuration)}`.");
            md.AppendLine();
        }
    }

    /// <summary>Writes the clustered comparison and the patient table of every configuration as CSV.</summary>
    internal static void WriteFiles(string directory, StudyResult result, Encoding encoding)
    {
        foreach (var configuration in result.Configurations)
        {
            var analysis = configuration.ExternalPatients;
            if (analysis.Comparison is not null)
            {
                File.WriteAllText(Path.Combine(directory, ClusteredFile(configuration)), analysis.Comparison.ToCsv(), encoding);
            }

            var methods = analysis.PatientRows.Count == 0 ? new List<string>() : analysis.PatientRows[0].MaxScores.Keys.ToList();
            var csv = new StringBuilder("patient,irregular,cases,failures,any_misclassified,mean_p_irregular");
            foreach (var method in methods)
            {
                csv.Append(",\"max ").Append(method.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }

            csv.Append('\n');
            foreach (var p in analysis.PatientRows)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{p.Patient},{(p.Irregular ? 1 : 0)},{p.Cases},{p.Failures},{(p.AnyFailed ? 1 : 0)},{p.MeanProbability.ToString("R", CultureInfo.InvariantCulture)}");
                foreach (var method in methods)
                {
                    csv.Append(',').Append(p.MaxScores[method].ToString("R", CultureInfo.InvariantCulture));
                }

                csv.Append('\n');
            }

            File.WriteAllText(Path.Combine(directory, PatientFile(configuration)), csv.ToString(), encoding);
        }
    }

    private static string Widening(PatientAnalysis analysis)
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"Patient-clustered AUROC intervals are {analysis.MedianWidthRatio:F2}x as wide as DeLong's case-level ones (median over methods; {string.Join(", ", analysis.Widening.Select(w => w.Ratio.ToString("F2", CultureInfo.InvariantCulture)))}).");
    }

    private static string Max(PatientRow row, string method)
    {
        return row.MaxScores.TryGetValue(method, out var value) ? value.ToString("F3", CultureInfo.InvariantCulture) : "-";
    }
}
