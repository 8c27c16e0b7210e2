using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Per-slice predictions and uncertainty scores, accumulated as CSV rows for <c>predictions.csv</c>.</summary>
internal sealed class PredictionTable
{
    private readonly List<string> rows = new();

    /// <summary>Gets the CSV header and rows.</summary>
    internal IReadOnlyList<string> Lines => rows;

    /// <summary>Appends one row per case of one fold model; the first call also writes the header from the table's methods.</summary>
    internal void Add(string configuration, string set, int fold, IReadOnlyList<int> patients, CaseTable cases, int caseFold)
    {
        if (rows.Count == 0)
        {
            var header = new StringBuilder("configuration,set,fold,slice,patient,truth,p_irregular,p_irregular_calibrated,failure");
            foreach (var method in cases.Methods)
            {
                header.Append(',').Append(method);
            }

            rows.Add(header.ToString());
        }

        for (var i = 0; i < cases.Count; i++)
        {
            if (cases.Folds[i] != caseFold)
            {
                continue;
            }

            var slice = cases.Slices[i];
            var line = new StringBuilder();
            line.Append(CultureInfo.InvariantCulture,
                $"{configuration},{set},{fold},{slice},{patients[slice]},{cases.Truth[i]},{cases.Probabilities[i]:R},{cases.CalibratedProbabilities[i]:R},{(cases.Failures[i] ? 1 : 0)}");
            foreach (var method in cases.Methods)
            {
                line.Append(CultureInfo.InvariantCulture, $",{cases.Scores(method)[i]:R}");
            }

            rows.Add(line.ToString());
        }
    }
}
