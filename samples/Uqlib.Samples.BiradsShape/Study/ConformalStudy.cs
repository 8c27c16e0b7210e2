using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using TorchSharp;
using Uqlib.Conformal;
using Uqlib.Samples.BiradsShape.Labelling;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>
/// Conformal sets for the round/irregular question: each fold model's temperature-scaled probabilities are calibrated on the
/// validation patients (one randomly drawn slice per patient, so that the guarantee holds for new patients) and give, at α = 0.1,
/// the sets {round}, {irregular} or {both} ("both" = refer) of the internal test and external slices.
/// </summary>
internal sealed class ConformalStudy
{
    /// <summary>The miscoverage level: sets hold the true shape for 90% of new patients' slices (with fewer than 9 validation patients,
    /// the smallest level they allow, 1/(n + 1) rounded up to a thousandth).</summary>
    public const double Alpha = 0.1;

    private readonly Dictionary<string, List<ConformalSetSummary>> folds = new(StringComparer.Ordinal);

    /// <summary>Calibrates on the validation set (index 0) and evaluates the sets of the others for one fold model.</summary>
    /// <param name="names">The sets' names, the validation set first.</param>
    /// <param name="sets">The labelled slices of each set.</param>
    /// <param name="irregular">The fold model's calibrated probability of irregular for each slice of each set.</param>
    /// <param name="seed">The seed of the per-patient draw.</param>
    public void AddFold(IReadOnlyList<string> names, IReadOnlyList<LabelledSlices> sets, IReadOnlyList<double[]> irregular, int seed)
    {
        using var scope = NewDisposeScope();
        var options = new ConformalSetOptions { ClusterCalibration = ClusterCalibration.RandomCase, Seed = seed };
        var classifier = ConformalClassifier.Fit(
            TwoColumns(irregular[0]), Labels(sets[0].Labels), options, clusters: Patients(sets[0].Slices.Patients));
        var alpha = Math.Max(Alpha, Math.Ceiling(1000.0 / (classifier.CalibrationCount + 1)) / 1000);
        for (var s = 1; s < sets.Count; s++)
        {
            using var predicted = classifier.Predict(TwoColumns(irregular[s]), alpha);
            var labels = Labels(sets[s].Labels);
            var patients = Patients(sets[s].Slices.Patients);
            var sizes = predicted.Sizes;
            var irregularIn = predicted.Sets[.., ShapeLabeller.IrregularClass];
            var cases = (double)sizes.shape[0];
            var both = sizes.eq(2).sum().ToDouble() / cases;
            var onlyIrregular = sizes.eq(1).logical_and(irregularIn).sum().ToDouble() / cases;
            var perPatient = predicted.ClusterCoverage(labels, patients);
            if (!folds.TryGetValue(names[s], out var list))
            {
                folds[names[s]] = list = new List<ConformalSetSummary>();
            }

            list.Add(new ConformalSetSummary(
                names[s], 1, (int)cases, alpha, classifier.CalibrationCount, predicted.Coverage(labels), 1 - both - onlyIrregular, onlyIrregular, both,
                perPatient.MeanCoverage, perPatient.AllCoveredShare));
        }
    }

    /// <summary>The mean over fold models of each set's summary.</summary>
    /// <returns>One summary per evaluated set.</returns>
    public IReadOnlyList<ConformalSetSummary> Summaries()
    {
        var result = new List<ConformalSetSummary>();
        foreach (var (set, list) in folds)
        {
            double Mean(Func<ConformalSetSummary, double> value)
            {
                var sum = 0.0;
                foreach (var item in list)
                {
                    sum += value(item);
                }

                return sum / list.Count;
            }

            result.Add(new ConformalSetSummary(
                set, list.Count, list[0].Cases, list[0].Alpha, list[0].CalibrationPatients, Mean(x => x.Coverage), Mean(x => x.RoundShare), Mean(x => x.IrregularShare),
                Mean(x => x.BothShare), Mean(x => x.PatientCoverage), Mean(x => x.AllSlicesCoveredShare)));
        }

        return result;
    }

    /// <summary>Writes the report's section on conformal sets.</summary>
    /// <param name="md">The report.</param>
    /// <param name="configurations">The configurations, each with its summaries.</param>
    public static void WriteSection(StringBuilder md, IReadOnlyList<ConfigurationResult> configurations)
    {
        md.AppendLine("## Conformal sets (round, irregular, both = refer)");
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Split conformal LAC sets at α = {Alpha} (or the smallest level the validation patients allow, 1/(n + 1), when they are fewer than 9) (Uqlib.Conformal) on each fold model's temperature-scaled probabilities, calibrated on the validation patients with one randomly drawn slice per patient, so that the 90% promise is one for new patients, not new slices. A set is {{round}}, {{irregular}} or {{both}}; \"both\" means the model cannot tell at this level: refer the slice. Coverage: share of slices whose true shape is in the set; per-patient: each patient's covered share, averaged; all slices: share of patients with every slice covered. Means over the fold models."));
        md.AppendLine();
        md.AppendLine("| configuration | set | slices | calibration patients | α | coverage | per-patient coverage | all slices covered | {round} | {irregular} | {both} = refer |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var configuration in configurations)
        {
            foreach (var c in configuration.Conformal ?? Array.Empty<ConformalSetSummary>())
            {
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {configuration.Name} | {c.Set} | {c.Cases} | {c.CalibrationPatients} | {c.Alpha:0.###} | {c.Coverage:P1} | {c.PatientCoverage:P1} | {c.AllSlicesCoveredShare:P1} | {c.RoundShare:P1} | {c.IrregularShare:P1} | {c.BothShare:P1} |"));
            }
        }

        md.AppendLine();
    }

    private static Tensor TwoColumns(double[] irregular)
    {
        var p = torch.tensor(irregular, ScalarType.Float64);
        return torch.stack(new[] { p.neg().add(1.0), p }, 1);
    }

    private static Tensor Labels(int[] labels)
    {
        var values = new long[labels.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = labels[i];
        }

        return torch.tensor(values);
    }

    private static Tensor Patients(IReadOnlyList<int> patients)
    {
        var values = new long[patients.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = patients[i];
        }

        return torch.tensor(values);
    }
}
