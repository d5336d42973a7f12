using System.Text.Json.Serialization;

namespace ConcertTicket.Queue;

/// <summary>A place in the waiting room as the API shows it.</summary>
internal sealed record QueueEntryView(
    Guid Id,
    string Status,
    long? Position,
    long? Ahead,
    int? EstimatedWaitSeconds,
    int PollAfterSeconds,
    string? AdmissionToken,
    DateTimeOffset? AdmittedUntil);

internal sealed record QueueEntryEnvelope(QueueEntryView Data);

/// <summary>The body of POST /queue.</summary>
internal sealed record JoinQueueRequest(string Email);

/// <summary>The waiting room's state, for the fan page.</summary>
internal sealed record QueueInfo(DateTimeOffset? OpensAt, bool Open, bool SoldOut);

internal sealed record QueueInfoEnvelope(QueueInfo Data);

internal static class QueueStatus
{
    public const string Waiting = "waiting";
    public const string Admitted = "admitted";
    public const string SoldOut = "sold_out";
    public const string Expired = "expired";

    public static readonly string[] All = [Waiting, Admitted, SoldOut, Expired];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(QueueEntryEnvelope))]
[JsonSerializable(typeof(QueueInfoEnvelope))]
internal sealed partial class QueueJsonContext : JsonSerializerContext;
