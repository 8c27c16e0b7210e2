using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Uqlib.Tests.TestSupport;

/// <summary>An <see cref="ILogger"/> that keeps every entry (level, event id, formatted message), for tests of what the library logs.</summary>
internal sealed class CapturingLogger : ILogger
{
    public List<(LogLevel Level, EventId Event, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Entries.Add((logLevel, eventId, formatter(state, exception)));
    }
}
