using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>Builds a kNN bank from normalised feature batches, keeping either every row or a uniform sample of a fixed size.</summary>
/// <remarks>
/// Sub-sampling is streaming: every row gets a pseudo-random key that is a function of the seed and the row's arrival index
/// (SplitMix64 mixing), and the rows with the largest keys are kept (a uniform sample without replacement). Memory is bounded by the bank size plus
/// one batch, and the result does not depend on how the rows were split into batches. Kept rows stay in arrival order.
/// </remarks>
internal sealed class KnnBankBuilder : IDisposable
{
    private readonly int? capacity;
    private readonly ulong seed;
    private readonly List<Tensor> parts = new();
    private Tensor? kept;       // (≤ capacity, F), of the rows' dtype
    private Tensor? keys;       // (≤ capacity) float64, CPU
    private Tensor? positions;  // (≤ capacity) int64, CPU: arrival index of each kept row
    private long seen;

    public KnnBankBuilder(KnnOptions options)
    {
        capacity = options.BankSize;
        seed = Mix(unchecked((ulong)options.Seed));
    }

    public long Count => seen;

    /// <summary>Adds a batch of normalised rows (float64 for kNN, float32 for NNGuide; one dtype per builder), taking ownership of the tensor (no copy is made: a bank built from one batch is that batch).</summary>
    public void Add(Tensor normalised)
    {
        var n = normalised.shape[0];
        normalised.DetachFromDisposeScope();
        if (capacity is not { } size)
        {
            parts.Add(normalised);
            seen += n;
            return;
        }

        using var owned = normalised;

        var draws = new double[n];
        for (var i = 0; i < draws.Length; i++)
        {
            draws[i] = (Mix(seed ^ Mix(unchecked((ulong)(seen + i)))) >> 11) * (1.0 / (1UL << 53));
        }

        using var scope = torch.NewDisposeScope();
        var batchKeys = torch.tensor(draws, dtype: ScalarType.Float64);
        var batchPositions = torch.arange(seen, seen + n, dtype: ScalarType.Int64);
        seen += n;
        var allRows = kept is null ? normalised : torch.cat(new[] { kept, normalised.to(kept.device) }, 0);
        var allKeys = keys is null ? batchKeys : torch.cat(new[] { keys, batchKeys }, 0);
        var allPositions = positions is null ? batchPositions : torch.cat(new[] { positions, batchPositions }, 0);
        if (allKeys.shape[0] > size)
        {
            var top = allKeys.topk(size, 0, largest: true, sorted: false).indexes;
            var order = allPositions.index_select(0, top).argsort();
            top = top.index_select(0, order);
            allRows = allRows.index_select(0, top.to(allRows.device));
            allKeys = allKeys.index_select(0, top);
            allPositions = allPositions.index_select(0, top);
        }

        Replace(ref kept, allRows.clone().DetachFromDisposeScope());
        Replace(ref keys, allKeys.clone().DetachFromDisposeScope());
        Replace(ref positions, allPositions.clone().DetachFromDisposeScope());
    }

    /// <summary>Hands over the bank, (M, F) of the rows' dtype, outside every dispose scope (the builder keeps nothing of it: call once); empty builders give <see langword="null"/>.</summary>
    public Tensor? ToBank()
    {
        Tensor? bank;
        if (capacity is null)
        {
            bank = parts.Count == 0 ? null : parts.Count == 1 ? parts[0] : torch.cat(parts, 0).DetachFromDisposeScope();
            if (parts.Count > 1)
            {
                foreach (var part in parts)
                {
                    part.Dispose();
                }
            }

            parts.Clear();
            return bank;
        }

        bank = kept;
        kept = null;
        return bank;
    }

    public void Dispose()
    {
        foreach (var part in parts)
        {
            part.Dispose();
        }

        kept?.Dispose();
        keys?.Dispose();
        positions?.Dispose();
    }

    /// <summary>The SplitMix64 finaliser (Steele, Lea &amp; Flood 2014): a bijective mix of 64 bits.</summary>
    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    private static void Replace(ref Tensor? field, Tensor value)
    {
        field?.Dispose();
        field = value;
    }
}
