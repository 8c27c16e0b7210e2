using System;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>
/// Fits one temperature per candidate at once: for log-probabilities m of shape (K, N, C) and labels y, each β_k = 1/T_k minimises
/// f_k(β) = mean_i [logsumexp_c(β·m_kic) − β·m_kiy], the negative log-likelihood of softmax(β·m_k).
/// </summary>
/// <remarks>
/// The problem of <see cref="InverseTemperatureSearch"/>, whose safeguarded Newton rules drive every candidate; the derivatives of all K
/// candidates are evaluated in one batched pass per iteration (any device). Rows are shifted by
/// their maximum (d = m − max_c m ≤ 0), which turns the log-sum-exp into log Σ exp(β·d) with no overflow for β &gt; 0.
/// Internal and unchecked: callers validate shapes, finiteness and labels.
/// </remarks>
internal static class BatchedTemperature
{
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
    /// Fits β for each candidate of rows already shifted by <see cref="Shift"/>: one <see cref="InverseTemperatureSearch"/> per candidate,
    /// all evaluated at once by one batched <see cref="Evaluate"/> per iteration. Returns β (K) and f(β) (K), f at exactly the returned β,
    /// as float64 tensors on the device of <paramref name="shifted"/>, in the caller's dispose scope.
    /// </summary>
    public static (Tensor Beta, Tensor Nll) FitShifted(Tensor shifted, Tensor atLabel, Tensor initialBeta, double minBeta, double maxBeta)
    {
        var k = (int)shifted.shape[0];
        var searches = new InverseTemperatureSearch[k];
        var start = ToArray(initialBeta);
        for (var j = 0; j < k; j++)
        {
            searches[j] = new InverseTemperatureSearch(start[j], minBeta, maxBeta);
        }

        var beta = new double[k];
        var nll = new double[k];
        var remaining = k;
        while (remaining > 0)
        {
            using var step = torch.NewDisposeScope();
            for (var j = 0; j < k; j++)
            {
                beta[j] = searches[j].Beta;
            }

            var (f, g, h) = Evaluate(shifted, atLabel, torch.tensor(beta, ScalarType.Float64, shifted.device));
            var (fs, gs, hs) = (ToArray(f), ToArray(g), ToArray(h));
            for (var j = 0; j < k; j++)
            {
                ref var search = ref searches[j];
                if (!search.Done)
                {
                    search.Update(fs[j], gs[j], hs[j]);
                    remaining -= search.Done ? 1 : 0;
                }
            }
        }

        for (var j = 0; j < k; j++)
        {
            beta[j] = searches[j].Beta;
            nll[j] = searches[j].Nll;
        }

        return (torch.tensor(beta, ScalarType.Float64, shifted.device), torch.tensor(nll, ScalarType.Float64, shifted.device));
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

    private static double[] ToArray(Tensor values)
    {
        using var cpu = values.to(ScalarType.Float64).cpu().contiguous();
        return cpu.data<double>().ToArray();
    }

    private static void Copy(Tensor values, double[] target, long start)
    {
        using var cpu = values.cpu().contiguous();
        cpu.data<double>().CopyTo(target.AsSpan((int)start));
    }
}
