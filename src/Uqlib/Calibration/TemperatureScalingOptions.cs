using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Calibration;

/// <summary>Options of <see cref="TemperatureScaling.Fit(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TemperatureScalingOptions, System.IProgress{EstimationProgress}, System.Threading.CancellationToken)"/>.</summary>
public sealed record TemperatureScalingOptions
{
    /// <summary>Gets the smallest temperature the fit may return; the fit returns it when the validation NLL keeps falling as T → 0, as when every validation prediction is right.</summary>
    /// <value>The default value is 0.01.</value>
    public double MinTemperature { get; init; } = 0.01;

    /// <summary>Gets the largest temperature the fit may return; the fit returns it when the NLL keeps falling as T → ∞, as when the logits are no better than chance.</summary>
    /// <value>The default value is 100.</value>
    public double MaxTemperature { get; init; } = 100.0;

    /// <summary>Checks the options, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">A temperature bound is not finite and positive, or the minimum is not below the maximum.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!double.IsFinite(MinTemperature) || MinTemperature <= 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MinTemperature must be finite and greater than 0; found {MinTemperature}."));
        }

        if (!double.IsFinite(MaxTemperature) || MaxTemperature <= 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxTemperature must be finite and greater than 0; found {MaxTemperature}."));
        }

        if (problems.Count == 0 && MinTemperature >= MaxTemperature)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MinTemperature ({MinTemperature}) must be less than MaxTemperature ({MaxTemperature})."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), "options");
        }
    }
}
