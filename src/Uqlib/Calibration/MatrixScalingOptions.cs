using System;
using System.Globalization;

namespace Uqlib.Calibration;

/// <summary>Options of <see cref="MatrixScaling.Fit(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, MatrixScalingOptions, System.IProgress{EstimationProgress}, System.Threading.CancellationToken)"/>.</summary>
public sealed record MatrixScalingOptions
{
    /// <summary>Gets λ, the weight of the off-diagonal L2 penalty λ/(C(C − 1))·Σ_{i≠j} W_ij² added to the NLL (Kull et al. 2019's ODIR, without the bias term); 0 for none.</summary>
    /// <value>The default value is 0.</value>
    public double OffDiagonalRegularization { get; init; }

    /// <summary>Checks the options, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException"><see cref="OffDiagonalRegularization"/> is negative or not finite.</exception>
    public void Validate()
    {
        if (!double.IsFinite(OffDiagonalRegularization) || OffDiagonalRegularization < 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"OffDiagonalRegularization must be finite and at least 0; found {OffDiagonalRegularization}."), "options");
        }
    }
}
