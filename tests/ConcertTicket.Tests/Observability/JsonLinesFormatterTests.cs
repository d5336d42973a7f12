using System.Diagnostics;
using System.Text.Json;
using ConcertTicket.Infrastructure;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace ConcertTicket.Tests.Observability;

public sealed partial class JsonLinesFormatterTests
{
    [Fact]
    public void Each_entry_is_one_json_line_with_timestamp_level_category_event_and_the_current_trace()
    {
        using var activity = new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start();
        var (logger, logs) = Logger();

        var orderId = Guid.Parse("0191f0a4-7e43-7a3c-9c3e-5b7d0f3c2a11");
        LogOrderPlaced(logger, orderId, 3, "created", 12.5);

        var line = Assert.Single(logs.Lines);
        Assert.DoesNotContain('\n', line);
        var entry = JsonDocument.Parse(line).RootElement;
        Assert.True(DateTimeOffset.TryParse(entry.GetProperty("timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal("information", entry.GetProperty("level").GetString());
        Assert.Equal("Orders", entry.GetProperty("category").GetString());
        Assert.Equal("OrderPlaced", entry.GetProperty("event").GetString());
        Assert.Equal("Order 0191f0a4-7e43-7a3c-9c3e-5b7d0f3c2a11 in category 3: created in 12.5 ms", entry.GetProperty("message").GetString());
        Assert.Equal(activity.TraceId.ToHexString(), entry.GetProperty("trace_id").GetString());
        Assert.Equal(activity.SpanId.ToHexString(), entry.GetProperty("span_id").GetString());
        // The template's fields, in snake_case and with their JSON types.
        Assert.Equal("0191f0a4-7e43-7a3c-9c3e-5b7d0f3c2a11", entry.GetProperty("order_id").GetString());
        Assert.Equal(3, entry.GetProperty("category_id").GetInt32());
        Assert.Equal("created", entry.GetProperty("outcome").GetString());
        Assert.Equal(12.5, entry.GetProperty("duration_ms").GetDouble());
    }

    [Fact]
    public void Without_a_current_activity_there_are_no_trace_fields()
    {
        Assert.Null(Activity.Current);
        var (logger, logs) = Logger();

        logger.LogWarning("Something odd");

        var entry = JsonDocument.Parse(Assert.Single(logs.Lines)).RootElement;
        Assert.Equal("warning", entry.GetProperty("level").GetString());
        Assert.False(entry.TryGetProperty("trace_id", out _));
    }

    [Fact]
    public void Emails_are_masked_in_the_message_the_fields_the_scopes_and_the_exception()
    {
        var (logger, logs) = Logger();

        using (logger.BeginScope("for {Customer}", "scope.person@example.org"))
        {
            logger.LogError(new InvalidOperationException("duplicate key (email)=(Jane.Doe@example.com)"),
                "Could not place the order of {Email} (cc {Other})", "Jane.Doe@example.com", "x@sub.example.co.id");
        }

        var line = Assert.Single(logs.Lines);
        Assert.DoesNotContain("Jane.Doe", line, StringComparison.Ordinal);
        Assert.DoesNotContain("scope.person", line, StringComparison.Ordinal);
        Assert.DoesNotContain("x@sub", line, StringComparison.Ordinal);
        var entry = JsonDocument.Parse(line).RootElement;
        Assert.Equal("Could not place the order of J***@example.com (cc x***@sub.example.co.id)", entry.GetProperty("message").GetString());
        Assert.Equal("J***@example.com", entry.GetProperty("email").GetString());
        Assert.Equal("s***@example.org", entry.GetProperty("scope").GetProperty("customer").GetString());
        Assert.StartsWith("System.InvalidOperationException: duplicate key (email)=(J***@example.com)", entry.GetProperty("exception").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no at sign here", "no at sign here")]
    [InlineData("a@example.com", "a***@example.com")]
    [InlineData("a***@example.com", "a***@example.com")]
    [InlineData("<Bob.Smith+tag@mail.example.com>, c@d.io", "<B***@mail.example.com>, c***@d.io")]
    [InlineData("name=o'neil@example.com;", "n***@example.com;")]
    [InlineData("user@localhost and @handle and trailing@", "user@localhost and @handle and trailing@")]
    [InlineData("first@a.bc.", "f***@a.bc.")]
    public void Sensitive_text_masks_the_local_part_of_anything_email_shaped(string text, string expected)
    {
        Assert.Equal(expected, SensitiveText.MaskEmails(text));
    }

    [Fact]
    public void A_lone_surrogate_still_yields_one_valid_line()
    {
        var (logger, logs) = Logger();

        LogBroken(logger, "a\ud800b");

        var entry = JsonDocument.Parse(Assert.Single(logs.Lines)).RootElement;
        Assert.Equal("information", entry.GetProperty("level").GetString());
        Assert.StartsWith("Broken a", entry.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_argument_that_cannot_be_formatted_yields_an_error_line_instead_of_an_exception()
    {
        var (logger, logs) = Logger();
        var unprintable = new Unprintable();

        LogBroken(logger, unprintable);

        var entry = JsonDocument.Parse(Assert.Single(logs.Lines)).RootElement;
        Assert.Equal("error", entry.GetProperty("level").GetString());
        Assert.Equal("Orders", entry.GetProperty("category").GetString());
        Assert.Equal("A log entry could not be formatted: InvalidOperationException", entry.GetProperty("message").GetString());
    }

    private sealed class Unprintable
    {
        public override string ToString() => throw new InvalidOperationException("no");
    }

    private static (ILogger Logger, CapturedLogs Logs) Logger()
    {
        var logs = new CapturedLogs();
        var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        return (factory.CreateLogger("Orders"), logs);
    }

    [LoggerMessage(EventName = "OrderPlaced", Level = LogLevel.Information, Message = "Order {OrderId} in category {CategoryId}: {Outcome} in {DurationMs} ms")]
    private static partial void LogOrderPlaced(ILogger logger, Guid orderId, int categoryId, string outcome, double durationMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Broken {Text}")]
    private static partial void LogBroken(ILogger logger, object text);
}
