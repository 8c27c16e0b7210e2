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

    /// <summary>Appends one row per slice; the first call also writes the header from the method names.</summary>
    internal void Add(
        string configuration, string set, int fold, IReadOnlyList<int> patients, IReadOnlyList<int> truth, IReadOnlyList<double> probabilities,
        IReadOnlyList<(string Method, double[] Scores)> scores)
    {
        if (rows.Count == 0)
        {
            var header = new StringBuilder("configuration,set,fold,slice,patient,truth,p_irregular");
            foreach (var (method, _) in scores)
            {
                header.Append(',').Append(method);
            }

            rows.Add(header.ToString());
        }

        for (var i = 0; i < truth.Count; i++)
        {
            var line = new StringBuilder();
            line.Append(CultureInfo.InvariantCulture, $"{configuration},{set},{fold},{i},{patients[i]},{truth[i]},{probabilities[i]:R}");
            foreach (var (_, values) in scores)
            {
                line.Append(CultureInfo.InvariantCulture, $",{values[i]:R}");
            }

            rows.Add(line.ToString());
        }
    }
}
