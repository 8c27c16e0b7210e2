using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>
/// Fits one temperature per candidate at once: for log-probabilities m of shape (K, N, C) and labels y, each β_k = 1/T_k minimises
/// f_k(β) = mean_i [logsumexp_c(β·m_kic) − β·m_kiy], the negative log-likelihood of softmax(β·m_k).
/// </summary>
/// <remarks>
/// f is convex in β: f′(β) = mean_i (E_p[m_ki] − m_kiy) and f″(β) = mean_i Var_p[m_ki] ≥ 0 under p = softmax(β·m_ki). A Newton
/// iteration on f′ = 0, safeguarded by a bracket [lo, hi] that every evaluated point narrows (a step leaving it is replaced by
/// bisection), converges in a few iterations (the NLL exact to rounding, β to about 10⁻¹⁰ relative), for all K candidates in one batched pass. Rows are shifted by
/// their maximum (d = m − max_c m ≤ 0), which turns the log-sum-exp into log Σ exp(β·d) with no overflow for β &gt; 0.
/// Internal and unchecked: callers validate shapes, finiteness and labels.
/// </remarks>
internal static class BatchedTemperature
{
    /// <summary>The largest number of safeguarded Newton iterations; convergence takes far fewer.</summary>
    public const int MaxIterations = 200;

    /// <summary>Relative change of β (or bracket width) below which an iteration has converged.</summary>
    public const double RelativeTolerance = 1e-14;

    /// <summary>
    /// Relative Newton step below which the step is taken and the iteration ends: by quadratic convergence the new β is then exact to
    /// about the square of this times the curvature ratio (10⁻¹⁰ relative or better), and f there is f + g·Δ/2 up to O(Δ³).
    /// </summary>
    public const double NewtonAcceptance = 1e-5;

    /// <summary>
    /// Fits β for every candidate of a float64 (K, N, C) log-probability tensor, chunked over K so that no temporary holds more than
    /// about <paramref name="chunkElements"/> elements.
    /// </summary>
    /// <returns>β (K) and the minimal negative log-likelihood f(β) (K), as managed arrays.</returns>
    public static (double[] Beta, double[] Nll) Fit(Tensor logProbabilities, Tensor labels, double minBeta, double maxBeta, long chunkElements)
    {
        var k = logProbabilities.shape[0];
        var perChunk = ChunkSize(logProbabilities.shape[1] * logProbabilities.shape[2], chunkElements);
        var beta = new double[k];
        var nll = new double[k];
        using var outer = torch.NewDisposeScope();
        var labelIndex = labels.to(ScalarType.Int64).view(1, -1, 1);
        for (long start = 0; start < k; start += perChunk)
        {
            using var scope = torch.NewDisposeScope();
            var count = Math.Min(perChunk, k - start);
            var chunk = logProbabilities.narrow(0, start, count).to(ScalarType.Float64);
            var (shifted, atLabel) = Shift(chunk, labelIndex);
            var initial = torch.ones(count, dtype: ScalarType.Float64, device: chunk.device).clamp_(minBeta, maxBeta);
            var (b, f) = FitShifted(shifted, atLabel, initial, minBeta, maxBeta);
            Copy(b, beta, start);
            Copy(f, nll, start);
        }

        return (beta, nll);
    }

    /// <summary>The number of candidates per chunk: as many as fit <paramref name="chunkElements"/> elements, at least one.</summary>
    public static long ChunkSize(long elementsPerCandidate, long chunkElements)
    {
        return Math.Max(1, chunkElements / Math.Max(1, elementsPerCandidate));
    }

    /// <summary>Shifts each row of a (K, N, C) tensor by its maximum: d = m − max_c m, and d at the label, (K, N).</summary>
    /// <param name="logProbabilities">Float64 (K, N, C).</param>
    /// <param name="labelIndex">Int64 labels viewed as (1, N, 1).</param>
    public static (Tensor Shifted, Tensor AtLabel) Shift(Tensor logProbabilities, Tensor labelIndex)
    {
        var shifted = logProbabilities.sub(logProbabilities.amax(new long[] { -1 }, keepdim: true));
        var index = labelIndex.expand(shifted.shape[0], -1, 1);
        var atLabel = shifted.gather(2, index).squeeze(2);
        return (shifted, atLabel);
    }

    /// <summary>
    /// The batched safeguarded Newton iteration on rows already shifted by <see cref="Shift"/>. Returns β (K) and f(β) (K), f evaluated
    /// at exactly the returned β. Tensors are created in the caller's dispose scope.
    /// </summary>
    public static (Tensor Beta, Tensor Nll) FitShifted(Tensor shifted, Tensor atLabel, Tensor initialBeta, double minBeta, double maxBeta)
    {
        var k = shifted.shape[0];
        var options = (dtype: ScalarType.Float64, device: shifted.device);
        var beta = initialBeta.to(ScalarType.Float64).clamp(minBeta, maxBeta);
        var lo = torch.full(k, minBeta, options.dtype, options.device);
        var hi = torch.full(k, maxBeta, options.dtype, options.device);
        var done = torch.zeros(k, ScalarType.Bool, options.device);
        var nll = torch.zeros(k, options.dtype, options.device);
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            using var step = torch.NewDisposeScope();
            var (f, g, h) = Evaluate(shifted, atLabel, beta);

            // Every evaluated point narrows the bracket around the root of the increasing f′.
            var below = g.lt(0);
            var above = g.gt(0);
            lo = torch.where(below, torch.maximum(lo, beta), lo).MoveToOuterDisposeScope();
            hi = torch.where(above, torch.minimum(hi, beta), hi).MoveToOuterDisposeScope();

            var newton = beta.sub(g.div(h));
            var inside = newton.gt(lo).logical_and_(newton.lt(hi)).logical_and_(newton.isfinite());
            var scale = beta.abs().clamp_min(minBeta);
            var accept = inside.logical_and(newton.sub(beta).abs_().le(scale.mul(NewtonAcceptance))).logical_and_(done.logical_not());
            var next = torch.where(inside, newton, lo.add(hi).mul_(0.5));

            // A step past a bound nobody has evaluated yet goes to the bound itself, where the optimum may lie.
            var toMax = below.logical_and(newton.ge(maxBeta)).logical_and_(hi.ge(maxBeta));
            var toMin = above.logical_and(newton.le(minBeta)).logical_and_(lo.le(minBeta));
            next = torch.where(toMax, torch.full_like(next, maxBeta), torch.where(toMin, torch.full_like(next, minBeta), next));

            var converged = g.eq(0)
                .logical_or_(next.sub(beta).abs_().le(scale.mul(RelativeTolerance)))
                .logical_or_(hi.sub(lo).le(hi.mul(RelativeTolerance)))
                .logical_or_(beta.ge(maxBeta).logical_and_(g.le(0)))
                .logical_or_(beta.le(minBeta).logical_and_(g.ge(0)));

            // Elements already done keep their β and f; newly converged ones keep the β they were evaluated at.
            var finished = done.logical_or(converged).logical_or_(accept);
            var accepted = f.add(g.mul(newton.sub(beta)).mul_(0.5));
            nll = torch.where(done, nll, torch.where(accept, accepted, f)).MoveToOuterDisposeScope();
            beta = torch.where(accept, newton, torch.where(finished, beta, next)).MoveToOuterDisposeScope();
            done = finished.MoveToOuterDisposeScope();
            if (done.all().item<bool>())
            {
                break;
            }
        }

        return (beta, nll);
    }

    /// <summary>f(β), f′(β) and f″(β) for each candidate, from one exponential over the shifted rows.</summary>
    public static (Tensor F, Tensor G, Tensor H) Evaluate(Tensor shifted, Tensor atLabel, Tensor beta)
    {
        var b = beta.view(-1, 1);
        var e = shifted.mul(beta.view(-1, 1, 1)).exp_();
        var s0 = e.sum(-1);
        var weighted = e.mul_(shifted);
        var s1 = weighted.sum(-1);
        var s2 = weighted.mul_(shifted).sum(-1);
        var mean = s1.div_(s0);
        var f = s0.log().sub_(atLabel.mul(b)).mean(new long[] { 1 });
        var g = mean.sub(atLabel).mean(new long[] { 1 });
        var h = s2.div_(s0).sub_(mean.mul(mean)).clamp_min_(0).mean(new long[] { 1 });
        return (f, g, h);
    }

    private static void Copy(Tensor values, double[] target, long start)
    {
        using var cpu = values.cpu().contiguous();
        cpu.data<double>().CopyTo(target.AsSpan((int)start));
    }
}
