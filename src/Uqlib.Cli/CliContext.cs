using System;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;

namespace Uqlib.Cli;

/// <summary>What a running command writes to: its result on stdout (text, or JSON with <c>--json</c>), progress on stderr.</summary>
internal sealed class CliContext
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public CliContext(TextWriter output, TextWriter error, bool json, bool quiet, CancellationToken cancellationToken)
    {
        Output = output;
        Error = error;
        Json = json;
        Quiet = quiet;
        CancellationToken = cancellationToken;
    }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    /// <summary>Gets whether the result goes to stdout as JSON (<c>--json</c>) instead of text.</summary>
    public bool Json { get; }

    /// <summary>Gets whether progress lines are suppressed (<c>--quiet</c>).</summary>
    public bool Quiet { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Writes one progress line to stderr (never to stdout, which carries the result).</summary>
    public void Progress(string message)
    {
        if (!Quiet)
        {
            Error.WriteLine("uqlib: " + message);
        }
    }

    /// <summary>A progress sink for the library's long passes: one stderr line per batch.</summary>
    public IProgress<EstimationProgress> PassProgress(string what) =>
        new LineProgress<EstimationProgress>(p => Progress(string.Create(CultureInfo.InvariantCulture, $"{what}: {p.Batches} batches, {p.Samples} cases")));

    /// <summary>Writes the command's result: <paramref name="json"/> with <c>--json</c>, otherwise <paramref name="text"/>.</summary>
    public void Result(JsonObject json, string text)
    {
        if (Json)
        {
            Output.WriteLine(json.ToJsonString(Indented));
        }
        else
        {
            Output.Write(text);
        }
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool, which would reorder and outlive the command).</summary>
    private sealed class LineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
