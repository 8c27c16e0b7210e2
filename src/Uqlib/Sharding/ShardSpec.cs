using System;
using System.Globalization;

namespace Uqlib.Sharding;

/// <summary>
/// Which cases (or kNN bank rows) one shard of a pass does: either shard <c>i</c> of <c>n</c> equal contiguous blocks (<c>"i/n"</c>, as a
/// Slurm array task id or a Kubernetes completion index gives it), or an explicit half-open index range (<c>"start..end"</c>). Immutable.
/// </summary>
/// <remarks>
/// <para>Shard <c>i</c> of <c>n</c> over <c>N</c> cases does the cases <c>⌊iN/n⌋</c> to <c>⌊(i+1)N/n⌋ − 1</c>: the blocks are contiguous,
/// disjoint, cover every case, and differ in size by at most one, so the shards' outputs concatenated in shard order are in the original
/// case order. Indices are zero-based: <c>"0/4"</c> to <c>"3/4"</c>.</para>
/// <para>The text forms are what <see cref="ToString"/> writes and <see cref="Parse"/> reads, so the <c>uqlib</c> tool passes them through
/// unchanged.</para>
/// </remarks>
public readonly struct ShardSpec : IEquatable<ShardSpec>
{
    private readonly long first;
    private readonly long second;
    private readonly bool isRange;

    private ShardSpec(long first, long second, bool isRange)
    {
        this.first = first;
        this.second = second;
        this.isRange = isRange;
    }

    /// <summary>Gets the whole pass as one shard, <c>"0/1"</c>; also the value of <c>default(ShardSpec)</c>.</summary>
    public static ShardSpec Whole => new(0, 0, false);

    /// <summary>Gets a value indicating whether the shard is an explicit index range rather than shard <c>i</c> of <c>n</c>.</summary>
    public bool IsRange => isRange;

    /// <summary>Gets the zero-based shard index <c>i</c>, or 0 for a range.</summary>
    public int Index => isRange ? 0 : (int)first;

    /// <summary>Gets the number of shards <c>n</c>, or 1 for a range.</summary>
    public int Count => isRange ? 1 : (int)second + 1;

    /// <summary>Creates shard <paramref name="index"/> of <paramref name="count"/> equal contiguous blocks.</summary>
    /// <param name="index">The zero-based shard index, from 0 to <paramref name="count"/> − 1.</param>
    /// <param name="count">The number of shards, from 1 to 1,000,000.</param>
    /// <returns>The shard.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is outside [1, 1,000,000], or <paramref name="index"/> outside [0, <paramref name="count"/> − 1].</exception>
    public static ShardSpec Of(int index, int count)
    {
        Preconditions.InRange(count, nameof(count), 1, MaxShards);
        Preconditions.InRange(index, nameof(index), 0, count - 1);
        return new ShardSpec(index, count - 1, false);
    }

    /// <summary>Creates a shard that does the cases from <paramref name="start"/> up to, not including, <paramref name="end"/>.</summary>
    /// <param name="start">The first case, at least 0.</param>
    /// <param name="end">One past the last case, greater than <paramref name="start"/>.</param>
    /// <returns>The shard.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> is negative, or <paramref name="end"/> is not greater than <paramref name="start"/>.</exception>
    public static ShardSpec Range(long start, long end)
    {
        if (start < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, string.Create(CultureInfo.InvariantCulture, $"start must be at least 0; found {start}."));
        }

        if (end <= start)
        {
            throw new ArgumentOutOfRangeException(nameof(end), end, string.Create(CultureInfo.InvariantCulture, $"end must be greater than start ({start}); found {end}."));
        }

        return new ShardSpec(start, end, true);
    }

    /// <summary>Reads a shard from its text form: <c>"i/n"</c> (zero-based index, e.g. <c>"2/4"</c>) or <c>"start..end"</c> (half-open, e.g. <c>"0..250000"</c>).</summary>
    /// <param name="text">The text; surrounding white space is ignored.</param>
    /// <returns>The shard.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text is neither form, or its numbers are out of range; the message says which and what was found.</exception>
    public static ShardSpec Parse(string text)
    {
        Preconditions.NotNull(text, nameof(text));
        return TryParse(text, out var spec, out var problem) ? spec : throw new FormatException(problem);
    }

    /// <summary>Reads a shard from its text form without throwing (see <see cref="Parse"/>).</summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <param name="spec">The shard, or <see cref="Whole"/> when the text is not valid.</param>
    /// <returns>Whether the text is a valid shard.</returns>
    public static bool TryParse(string? text, out ShardSpec spec)
    {
        return TryParse(text, out spec, out _);
    }

    /// <summary>Gets the half-open range of cases this shard does in a pass over <paramref name="total"/> cases.</summary>
    /// <param name="total">The number of cases (or bank rows) of the whole pass, at least <see cref="Count"/> for <c>i/n</c> (every shard gets at least one case) and at least the range's end for a range.</param>
    /// <returns>The first case and one past the last.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="total"/> is smaller than the number of shards, or than the range's end.</exception>
    public (long Start, long End) CasesOf(long total)
    {
        if (isRange)
        {
            if (total < second)
            {
                throw new ArgumentOutOfRangeException(nameof(total), total,
                    string.Create(CultureInfo.InvariantCulture, $"total must be at least the end of the shard's range {this}; found {total} cases."));
            }

            return (first, second);
        }

        var n = Count;
        if (total < n)
        {
            throw new ArgumentOutOfRangeException(nameof(total), total,
                string.Create(CultureInfo.InvariantCulture, $"total must be at least the number of shards ({n}) so that every shard has a case; found {total}."));
        }

        return (BlockStart(first, n, total), BlockStart(first + 1, n, total));
    }

    /// <summary>Returns the text form, <c>"i/n"</c> or <c>"start..end"</c>, which <see cref="Parse"/> reads back.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        return isRange
            ? string.Create(CultureInfo.InvariantCulture, $"{first}..{second}")
            : string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
    }

    /// <inheritdoc />
    public bool Equals(ShardSpec other) => first == other.first && second == other.second && isRange == other.isRange;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ShardSpec other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(first, second, isRange);

    /// <summary>Whether two shards are the same.</summary>
    /// <param name="left">The first shard.</param>
    /// <param name="right">The second shard.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(ShardSpec left, ShardSpec right) => left.Equals(right);

    /// <summary>Whether two shards differ.</summary>
    /// <param name="left">The first shard.</param>
    /// <param name="right">The second shard.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(ShardSpec left, ShardSpec right) => !left.Equals(right);

    private const int MaxShards = 1_000_000;

    /// <summary>⌊iN/n⌋ without overflow for N up to 2⁶³ / 10⁶.</summary>
    private static long BlockStart(long index, long count, long total)
    {
        return (long)((Int128)index * total / count);
    }

    private static bool TryParse(string? text, out ShardSpec spec, out string problem)
    {
        spec = Whole;
        if (text is null)
        {
            problem = "A shard must be \"i/n\" or \"start..end\"; found null.";
            return false;
        }

        var trimmed = text.AsSpan().Trim();
        var slash = trimmed.IndexOf('/');
        var dots = trimmed.IndexOf("..", StringComparison.Ordinal);
        const NumberStyles Style = NumberStyles.None;
        if (slash > 0 && dots < 0
            && int.TryParse(trimmed[..slash], Style, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(trimmed[(slash + 1)..], Style, CultureInfo.InvariantCulture, out var count))
        {
            if (count < 1 || count > MaxShards || index >= count)
            {
                problem = string.Create(CultureInfo.InvariantCulture,
                    $"A shard \"i/n\" needs 1 ≤ n ≤ {MaxShards} and a zero-based index 0 ≤ i < n; found \"{text}\".");
                return false;
            }

            spec = new ShardSpec(index, count - 1, false);
            problem = string.Empty;
            return true;
        }

        if (dots > 0 && slash < 0
            && long.TryParse(trimmed[..dots], Style, CultureInfo.InvariantCulture, out var start)
            && long.TryParse(trimmed[(dots + 2)..], Style, CultureInfo.InvariantCulture, out var end))
        {
            if (end <= start)
            {
                problem = $"A shard \"start..end\" needs end > start (the range is half-open); found \"{text}\".";
                return false;
            }

            spec = new ShardSpec(start, end, true);
            problem = string.Empty;
            return true;
        }

        problem = $"A shard must be \"i/n\" (zero-based index i of n shards, e.g. \"0/4\") or \"start..end\" (a half-open case range, e.g. \"0..250000\"); found \"{text}\".";
        return false;
    }
}
