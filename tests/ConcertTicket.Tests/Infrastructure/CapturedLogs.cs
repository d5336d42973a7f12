using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>
/// Every entry an app logs, kept two ways: as the line the console would write (the same formatter; the console
/// itself writes to the process's stdout, which tests cannot share), and as raw text (message, every state value,
/// scope and exception, before any formatting), for checks that nothing secret reaches a log at all.
/// </summary>
internal sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly JsonLinesFormatter _formatter = new();
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _texts = new();
    private IExternalScopeProvider? _scopes;

    /// <summary>Each entry as the console writes it: one JSON object per line.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public IEnumerable<JsonElement> Entries => Lines.Select(l => JsonDocument.Parse(l).RootElement.Clone());

    /// <summary>Each entry unformatted: level, category, message, state values, scopes and exception.</summary>
    public IReadOnlyList<string> Texts => [.. _texts];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            using var writer = new StringWriter();
            owner._formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), owner._scopes, writer);
            foreach (var line in writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)) owner._lines.Enqueue(line);

            var text = new StringBuilder($"{logLevel} {category} ");
            try
            {
                text.Append(formatter(state, exception)).Append(' ').Append(Values(state));
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                // An argument whose ToString throws: the formatter above already wrote its error line instead.
                text.Append("(the entry could not be formatted: ").Append(e.GetType().Name).Append(')');
            }
            owner._scopes?.ForEachScope((scope, b) => b.Append(" scope: ").Append(scope).Append(' ').Append(Values(scope)), text);
            owner._texts.Enqueue(text.Append(' ').Append(exception).ToString());
        }

        private static string Values(object? state) =>
            state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
    }
}
