namespace Uqlib.Evaluation;

/// <summary>One method's row of a <see cref="MethodComparison"/>.</summary>
/// <param name="Method">The method name.</param>
/// <param name="Auroc">The AUROC.</param>
/// <param name="AurocCi">The interval of the AUROC: DeLong's, or Obuchowski's clustered one when cluster ids were given; <see langword="null"/> where it is undefined (see <see cref="FailureDetectionResult.AurocCi"/>).</param>
/// <param name="Aupr">The average precision.</param>
/// <param name="FprAt95Tpr">The false-positive rate at 95% true-positive rate.</param>
/// <param name="Aurc">The area under the risk–coverage curve.</param>
/// <param name="EAurc">The excess AURC.</param>
/// <param name="Augrc">The area under the generalized risk–coverage curve (Traub et al. 2024; lower is better), as <see cref="FailureDetectionResult.Augrc"/>.</param>
/// <param name="PValueVersusBest">The two-sided p-value of the paired test (DeLong's, or Obuchowski's clustered one) against the method with the highest AUROC, Holm-adjusted when asked; <see langword="null"/> for that method itself, and where the test is undefined (see <see cref="DeLong.PairedTest(System.ReadOnlySpan{double}, System.ReadOnlySpan{double}, System.ReadOnlySpan{bool}, double)"/>).</param>
/// <exception cref="System.ArgumentNullException"><paramref name="Method"/> is <see langword="null"/>.</exception>
public sealed record MethodComparisonRow(
    string Method,
    double Auroc,
    ConfidenceInterval? AurocCi,
    double Aupr,
    double FprAt95Tpr,
    double Aurc,
    double EAurc,
    double Augrc,
    double? PValueVersusBest)
{
    /// <summary>Gets the method name.</summary>
    public string Method { get; init; } = Method ?? throw new System.ArgumentNullException(nameof(Method));
}
