using System;

namespace Uqlib.Samples.BiradsShape;

/// <summary>An <see cref="IProgress{T}"/> that reports synchronously on the calling thread (unlike <see cref="Progress{T}"/>, which
/// posts to the thread pool and may reorder lines).</summary>
/// <typeparam name="T">The progress value.</typeparam>
public sealed class InlineProgress<T> : IProgress<T>
{
    private readonly Action<T> handler;

    /// <summary>Initializes a new instance of the <see cref="InlineProgress{T}"/> class.</summary>
    /// <param name="handler">Called with each report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is <see langword="null"/>.</exception>
    public InlineProgress(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        this.handler = handler;
    }

    /// <inheritdoc />
    public void Report(T value) => handler(value);
}
