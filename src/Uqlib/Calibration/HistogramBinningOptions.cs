using System;
using System.Globalization;

namespace Uqlib.Calibration;

/// <summary>Options of <see cref="HistogramBinning.Fit(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, HistogramBinningOptions, System.IProgress{EstimationProgress}, System.Threading.CancellationToken)"/>.</summary>
public sealed record HistogramBinningOptions
{
    /// <summary>Gets the number of equal-width bins on [0, 1] per class, from 1 to 100,000.</summary>
    /// <value>The default value is 15.</value>
    public int Bins { get; init; } = 15;

    /// <summary>Checks the options, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException"><see cref="Bins"/> is outside [1, 100,000].</exception>
    public void Validate()
    {
        if (Bins < 1 || Bins > Preconditions.MaxBins)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Bins must be in [1, {Preconditions.MaxBins}]; found {Bins}."), "options");
        }
    }
}
