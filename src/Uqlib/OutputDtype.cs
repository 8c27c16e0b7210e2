using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>
/// The output dtype policy (docs/concepts.md#output-dtypes): per-case scores <c>(N)</c> and every metric are float64, whatever the dtype of
/// the model's output, so <c>.item&lt;double&gt;()</c> works on every score; per-pixel/voxel maps keep the floating dtype of their input.
/// </summary>
internal static class OutputDtype
{
    /// <summary>Applies the policy to a freshly computed result that the caller owns: a rank-1 tensor (one score per case) becomes float64,
    /// disposing the original; any other tensor (a map) is returned unchanged.</summary>
    /// <param name="scores">Scores <c>(N)</c> or a map <c>(N, …)</c>; never the caller's input.</param>
    /// <returns>The scores in float64, or the map as it was.</returns>
    public static Tensor PerCase(Tensor scores)
    {
        if (scores.dim() != 1 || scores.dtype == ScalarType.Float64)
        {
            return scores;
        }

        using (scores)
        {
            return scores.to(ScalarType.Float64);
        }
    }
}
