using System.Text.Json.Serialization;

namespace LoadGenerator;

internal sealed record RunReport(
    string Label,
    string Mode,
    DateTimeOffset StartedAt,
    RunParameters Parameters,
    double ElapsedSeconds,
    string EndedBecause,
    RequestStats Overall,
    IReadOnlyList<RequestStats> Requests,
    ScenarioSummary Scenario,
    SellOutSummary SellOut,
    ClientUsage Client,
    double LastSecondWidth,
    IReadOnlyList<TimeSeries> PerSecond);

internal sealed record RunParameters(
    string BaseUrl,
    int Vus,
    double DurationSeconds,
    double TimeoutSeconds,
    double GracefulStopSeconds,
    int Emails,
    int Seed,
    bool StopWhenSoldOut,
    string? OnlyGetPath,
    string Io,
    IReadOnlyList<int> ExpectedStatuses,
    string CommandLine);

internal sealed record RequestStats(
    string Name,
    long Count,
    double Rps,
    long Errors,
    double ErrorPercent,
    IReadOnlyDictionary<string, long> ErrorCauses,
    IReadOnlyDictionary<string, long> StatusCodes,
    LatencyStats LatencyMs);

/// <summary>Milliseconds; percentiles interpolate between closest ranks, as k6 does.</summary>
internal sealed record LatencyStats(double Avg, double Min, double P50, double P75, double P90, double P95, double P99, double Max);

internal sealed record ScenarioSummary(
    long Iterations,
    long OrdersCreated,
    long AlreadyOrdered,
    long SoldOut,
    long OtherConflicts,
    long LeftUnpaid,
    long CallbacksSent,
    long CallbacksOk);

/// <summary>Seconds since the start; null when it did not happen.</summary>
internal sealed record SellOutSummary(
    int Confirmations,
    double? FirstAllZeroSeconds,
    double? SoldOutSeconds,
    double? ConfirmedSeconds,
    double? LastOrderCreatedSeconds);

/// <summary>
/// Columns indexed by second since the start; a request counts in the second it ended. The last second
/// is usually partial: <see cref="RunReport.LastSecondWidth"/> says how much of it the run lasted.
/// </summary>
internal sealed record TimeSeries(
    string Name,
    IReadOnlyList<int> Requests,
    IReadOnlyList<int> Errors,
    IReadOnlyList<double> P50Ms,
    IReadOnlyList<double> P90Ms,
    IReadOnlyList<double> P95Ms);

[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(RunReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
