using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>
/// A bounded per-image loss of a thresholded map, non-decreasing in the threshold t (the predicted mask is every pixel with value ≥ t), as
/// conformal risk control needs (Angelopoulos, Bates, Fisch, Lei &amp; Schuster 2022).
/// </summary>
/// <remarks>
/// The loss is given exactly as a step function of t (<see cref="LossSteps"/>), so that the calibrated threshold is found over every
/// jump, not on a grid. <see cref="FalseNegativeRate"/> is the first such loss; <see cref="LesionMissRate"/> (the share of true lesions missed) is another.
/// </remarks>
public interface IMonotoneLoss
{
    /// <summary>Gets a short name for tables and files (e.g. <c>"FNR"</c>).</summary>
    string Name { get; }

    /// <summary>Gets the bound B of the loss: every value lies in [0, B].</summary>
    double Bound { get; }

    /// <summary>The loss of one image as a step function of the threshold.</summary>
    /// <param name="map">One image's map <c>(H, W)</c> or <c>(D, H, W)</c> (e.g. foreground probabilities). Not disposed.</param>
    /// <param name="mask">The image's true mask, boolean, of the map's shape. Not disposed.</param>
    /// <returns>The loss as a function of the threshold; its values lie in [0, <see cref="Bound"/>].</returns>
    LossSteps Steps(Tensor map, Tensor mask);
}
