namespace Uqlib.Evaluation;

/// <summary>A detector's metrics averaged over the OOD sets of one kind (near or far), as OpenOOD's "near-OOD" and "far-OOD" columns.</summary>
/// <param name="Detector">The detector's name.</param>
/// <param name="Shift">The kind of set averaged over.</param>
/// <param name="Sets">The number of sets averaged, at least 1.</param>
/// <param name="Auroc">The mean AUROC.</param>
/// <param name="AuprIn">The mean AUPR-In.</param>
/// <param name="AuprOut">The mean AUPR-Out.</param>
/// <param name="FprAt95Tpr">The mean FPR@95%TPR.</param>
/// <exception cref="System.ArgumentNullException"><paramref name="Detector"/> is <see langword="null"/>.</exception>
public sealed record OodComparisonMean(string Detector, OodShift Shift, int Sets, double Auroc, double AuprIn, double AuprOut, double FprAt95Tpr)
{
    /// <summary>Gets the detector's name.</summary>
    public string Detector { get; init; } = Preconditions.NotNull(Detector, nameof(Detector));
}
