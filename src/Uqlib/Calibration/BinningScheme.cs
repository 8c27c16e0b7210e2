namespace Uqlib.Calibration;

/// <summary>How confidences are grouped into bins for calibration metrics and reliability diagrams.</summary>
public enum BinningScheme
{
    /// <summary>Bins of equal width on [0, 1]: bin b holds confidences in (b/B, (b + 1)/B], the first bin also holding 0 (Guo et al. 2017).</summary>
    EqualWidth,

    /// <summary>Bins holding equal numbers of samples: the samples sorted by confidence (ties in input order) and split as evenly as possible, the first N mod B bins one larger (Nixon et al. 2019).</summary>
    EqualMass,
}
