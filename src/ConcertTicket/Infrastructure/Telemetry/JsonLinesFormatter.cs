using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// One JSON object per line: timestamp, level, category, event, message, trace_id and span_id at the top, then the
/// message template's fields in snake_case (order_id, outcome, duration_ms ...), the scopes, and the exception.
/// Anything email-shaped in a string is masked. The trace ids come from <see cref="Activity.Current"/>, which
/// ASP.NET Core sets for every request (from an incoming traceparent) even when tracing is off.
/// </summary>
internal sealed class JsonLinesFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "json-lines";

    private const string OriginalFormat = "{OriginalFormat}";
    private const int MaxCachedNames = 1024;
    private const int MaxKeptBufferBytes = 64 * 1024;

    // Not HTML: keep '<', '+', quotes and non-ASCII readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText Level = JsonEncodedText.Encode("level");
    private static readonly JsonEncodedText Category = JsonEncodedText.Encode("category");
    private static readonly JsonEncodedText Event = JsonEncodedText.Encode("event");
    private static readonly JsonEncodedText EventId = JsonEncodedText.Encode("event_id");
    private static readonly JsonEncodedText Message = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText TraceId = JsonEncodedText.Encode("trace_id");
    private static readonly JsonEncodedText SpanId = JsonEncodedText.Encode("span_id");
    private static readonly JsonEncodedText Scope = JsonEncodedText.Encode("scope");
    private static readonly JsonEncodedText Exception = JsonEncodedText.Encode("exception");

    private static readonly string[] Reserved =
        ["timestamp", "level", "category", "event", "event_id", "message", "trace_id", "span_id", "scope", "exception"];

    private static readonly JsonEncodedText[] Levels =
        [.. new[] { "trace", "debug", "information", "warning", "error", "critical" }.Select(l => JsonEncodedText.Encode(l))];

    // One buffer and writer per thread: the console logger formats on the logging thread, often many at once.
    [ThreadStatic]
    private static Scratch? t_scratch;

    private readonly ConcurrentDictionary<string, JsonEncodedText> _names = new(StringComparer.Ordinal);

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var scratch = t_scratch ??= new Scratch();
        try
        {
            var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
            if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
            var writer = scratch.Start();
            writer.WriteStartObject();
            writer.WriteString(Timestamp, DateTime.UtcNow);
            writer.WriteString(Level, logEntry.LogLevel is >= LogLevel.Trace and <= LogLevel.Critical ? Levels[(int)logEntry.LogLevel] : Levels[0]);
            writer.WriteString(Category, logEntry.Category);
            if (logEntry.EventId.Name is { } eventName) writer.WriteString(Event, eventName);
            else if (logEntry.EventId.Id != 0) writer.WriteNumber(EventId, logEntry.EventId.Id);
            WriteMasked(writer, Message, message);
            if (Activity.Current is { } activity && activity.TraceId != default)
            {
                // Hex without the strings ToHexString() would allocate.
                Span<byte> id = stackalloc byte[16];
                Span<char> hex = stackalloc char[32];
                activity.TraceId.CopyTo(id);
                Convert.TryToHexStringLower(id, hex, out _);
                writer.WriteString(TraceId, hex);
                activity.SpanId.CopyTo(id[..8]);
                Convert.TryToHexStringLower(id[..8], hex, out _);
                writer.WriteString(SpanId, hex[..16]);
            }
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                for (var i = 0; i < fields.Count; i++)
                {
                    var (key, value) = fields[i];
                    if (key != OriginalFormat) WriteValue(writer, NameOf(key), value);
                }
            }
            scopeProvider?.ForEachScope(static (scope, state) => state.Formatter.WriteScope(state.Scratch, scope), (Formatter: this, Scratch: scratch));
            if (scratch.InScope) writer.WriteEndObject();
            if (logEntry.Exception is { } exception) WriteMasked(writer, Exception, exception.ToString());
            writer.WriteEndObject();
            scratch.CopyTo(textWriter);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            // An argument whose ToString() throws, or text the JSON writer refuses: say so on one line rather
            // than throw into the code that logged.
            textWriter.Write($$"""{"timestamp":"{{DateTime.UtcNow:O}}","level":"error","category":"{{JsonEncodedText.Encode(logEntry.Category)}}","message":"A log entry could not be formatted: {{JsonEncodedText.Encode(e.GetType().Name)}}"}""");
            textWriter.Write('\n');
        }
        finally
        {
            if (scratch.Capacity > MaxKeptBufferBytes) t_scratch = null;
        }
    }

    private void WriteScope(Scratch scratch, object? scope)
    {
        if (scope is null) return;
        var writer = scratch.Writer;
        if (!scratch.InScope)
        {
            writer.WriteStartObject(Scope);
            scratch.InScope = true;
        }
        if (scope is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            for (var i = 0; i < fields.Count; i++)
            {
                var (key, value) = fields[i];
                if (key != OriginalFormat) WriteValue(writer, NameOf(key), value);
            }
        }
        else
        {
            WriteMasked(writer, Message, Convert.ToString(scope, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>'OrderId' becomes 'order_id'; a field named like a top-level one gets an 'arg_' prefix.</summary>
    private JsonEncodedText NameOf(string key)
    {
        if (_names.TryGetValue(key, out var name)) return name;
        var snake = JsonNamingPolicy.SnakeCaseLower.ConvertName(key);
        if (Reserved.Contains(snake)) snake = "arg_" + snake;
        name = JsonEncodedText.Encode(snake, WriterOptions.Encoder);
        // Templates are a fixed set; the bound only guards against names built at run time.
        if (_names.Count < MaxCachedNames) _names.TryAdd(key, name);
        return name;
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonEncodedText name, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNull(name); break;
            case string text: WriteMasked(writer, name, text); break;
            case bool b: writer.WriteBoolean(name, b); break;
            case int n: writer.WriteNumber(name, n); break;
            case long n: writer.WriteNumber(name, n); break;
            case double n when double.IsFinite(n): writer.WriteNumber(name, n); break;
            case float n when float.IsFinite(n): writer.WriteNumber(name, n); break;
            case decimal n: writer.WriteNumber(name, n); break;
            case short or byte or uint or ushort or sbyte: writer.WriteNumber(name, Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong n: writer.WriteNumber(name, n); break;
            case Guid g: writer.WriteString(name, g); break;
            case DateTime t: writer.WriteString(name, t); break;
            case DateTimeOffset t: writer.WriteString(name, t); break;
            case ISpanFormattable formattable:
                Span<char> buffer = stackalloc char[128];
                if (formattable.TryFormat(buffer, out var length, default, CultureInfo.InvariantCulture))
                    WriteMasked(writer, name, buffer[..length]);
                else
                    WriteMasked(writer, name, formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default: WriteMasked(writer, name, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    private static void WriteMasked(Utf8JsonWriter writer, JsonEncodedText name, ReadOnlySpan<char> text)
    {
        if (!text.Contains('@'))
        {
            writer.WriteString(name, text);
            return;
        }
        var length = SensitiveText.MaxMaskedLength(text);
        char[]? rented = null;
        var buffer = length <= 512 ? stackalloc char[512] : (rented = ArrayPool<char>.Shared.Rent(length));
        writer.WriteString(name, buffer[..SensitiveText.MaskEmails(text, buffer)]);
        if (rented is not null) ArrayPool<char>.Shared.Return(rented);
    }

    private sealed class Scratch
    {
        private readonly ArrayBufferWriter<byte> _bytes = new(1024);
        private char[] _chars = new char[1024];

        public Scratch() => Writer = new Utf8JsonWriter(_bytes, WriterOptions);

        public Utf8JsonWriter Writer { get; }

        public bool InScope { get; set; }

        public int Capacity => _bytes.Capacity;

        public Utf8JsonWriter Start()
        {
            _bytes.ResetWrittenCount();
            Writer.Reset(_bytes);
            InScope = false;
            return Writer;
        }

        /// <summary>The line as text, for the console logger's writer.</summary>
        public void CopyTo(TextWriter text)
        {
            Writer.Flush();
            var bytes = _bytes.WrittenSpan;
            if (_chars.Length < bytes.Length) _chars = new char[Math.Max(bytes.Length, _chars.Length * 2)];
            var count = Encoding.UTF8.GetChars(bytes, _chars);
            text.Write(_chars, 0, count);
            text.Write('\n');
        }
    }
}
