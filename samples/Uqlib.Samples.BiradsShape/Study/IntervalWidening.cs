namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>One method's AUROC interval on the external set, naive (every case independent) and clustered by patient.</summary>
/// <param name="Method">The method.</param>
/// <param name="NaiveWidth">The width of DeLong's 95% interval.</param>
/// <param name="ClusteredWidth">The width of Obuchowski's patient-clustered 95% interval.</param>
/// <param name="Ratio">ClusteredWidth / NaiveWidth: how much wider the honest interval is.</param>
public sealed record IntervalWidening(string Method, double NaiveWidth, double ClusteredWidth, double Ratio);
