namespace Uqlib.Calibration;

/// <summary>An ECE with a bootstrap percentile confidence interval.</summary>
/// <param name="Ece">The ECE of the data as given.</param>
/// <param name="Lower">The interval's lower end: the (1 − level)/2 quantile of the bootstrap ECEs.</param>
/// <param name="Upper">The interval's upper end: the (1 + level)/2 quantile of the bootstrap ECEs.</param>
/// <param name="Level">The confidence level, e.g. 0.95.</param>
public sealed record EceInterval(double Ece, double Lower, double Upper, double Level);
