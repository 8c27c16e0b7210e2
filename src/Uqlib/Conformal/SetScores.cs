using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>The non-conformity score of every class of every case, in float64, batched (see <see cref="SetScore"/> for the formulas).</summary>
internal static class SetScores
{
    /// <summary>
    /// Scores <c>(N, C)</c> in class order for probabilities <c>(N, C)</c>; <paramref name="uniforms"/> <c>(N)</c> float64 enter the APS and
    /// RAPS scores when randomised (LAC and top-k are randomised by lexicographic tie-breaking instead, outside the score).
    /// </summary>
    public static Tensor All(Tensor probabilities, ConformalSetOptions options, Tensor? uniforms)
    {
        using var scope = torch.NewDisposeScope();
        var p = probabilities.to(ScalarType.Float64);
        if (options.Score == SetScore.Lac)
        {
            return p.neg().add_(1.0).MoveToOuterDisposeScope();
        }

        // Classes by decreasing probability, ties by class index (a stable sort), as numpy.argsort(-p, kind="stable").
        var (sorted, order) = p.sort(1, descending: true, stable: true);
        var rank = torch.arange(1, p.shape[1] + 1, ScalarType.Float64, p.device).unsqueeze(0);
        Tensor inSortedOrder;
        if (options.Score == SetScore.TopK)
        {
            inSortedOrder = rank.expand(p.shape[0], -1);
        }
        else
        {
            var total = sorted.cumsum(1);
            inSortedOrder = options.Randomized && uniforms is not null
                ? total.sub_(sorted).add_(sorted.mul(uniforms.unsqueeze(1)))
                : total;
            if (options.Score == SetScore.Raps)
            {
                inSortedOrder = inSortedOrder.add_(rank.sub(options.KReg).clamp_min_(0).mul_(options.Lambda));
            }
        }

        return torch.zeros_like(p).scatter_(1, order, inSortedOrder).MoveToOuterDisposeScope();
    }
}
