using System.Globalization;
using Uqlib.Evaluation;

namespace Uqlib.Plotting;

/// <summary>How numbers appear in legends and titles: invariant culture, three decimals.</summary>
internal static class Formats
{
    public static string Number(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    public static string WithCi(double value, ConfidenceInterval? ci) =>
        ci is null ? Number(value) : $"{Number(value)} [{Number(ci.Lower)}, {Number(ci.Upper)}]";
}
