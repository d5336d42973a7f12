using System.Globalization;
using System.Text.Json;
using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using ConcertTicket.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ConcertTicket.CheckIn;

/// <summary>Check-in at the gates: one scan online, or the scans an offline scanner kept, uploaded later.</summary>
internal static class CheckInEndpoints
{
    public const int MaxBatch = 1000;

    /// <summary>1000 scans of about 500 bytes each, with room to spare.</summary>
    private static readonly IOptions<ApiOptions> BatchBody = Options.Create(new ApiOptions { MaxRequestBodyBytes = 1024 * 1024 });

    public static IHostApplicationBuilder AddCheckIn(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<CheckInOptions>(CheckInOptions.Section, o => o.Validate());
        builder.Services.AddSingleton<GateTokens>();
        builder.Services.AddSingleton<CheckInStore>();
        builder.Services.AddSingleton<CheckInMetrics>();
        return builder;
    }

    public static IEndpointRouteBuilder MapCheckIn(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/checkin").WithTags("Check-in");
        group.MapPost("/", CheckInAsync)
            .WithName("CheckIn")
            .WithSummary("Admit a ticket at a gate (once)")
            .WithDescription("For gate staff: `Authorization: Bearer <token>` of a gate (CheckIn:Gates:<gate>). The first scan of a valid ticket admits it; the database takes one admission per ticket, however many gates scan it at once.")
            .Accepts<CheckInRequest>("application/json")
            .Produces<CheckInEnvelope>()
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_ticket", "invalid_json", "validation_failed")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "invalid_gate_token")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_ticket")
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "already_checked_in")
            .ProducesProblemCodes(StatusCodes.Status410Gone, "ticket_revoked")
            .ProducesProblemCodes(StatusCodes.Status413PayloadTooLarge, "payload_too_large")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        group.MapPost("/batch", CheckInBatchAsync)
            .WithName("CheckInBatch")
            .WithSummary("Upload the scans an offline scanner made")
            .WithDescription($"Up to {MaxBatch} scans, each with its own result in `results` (by `index`). Per ticket the earliest scan wins: it becomes the recorded admission even when an online check-in (or an earlier upload) recorded a later one; every other scan of that ticket is `already_checked_in`. Uploading the same scans again gives the same results.")
            .Accepts<CheckInBatchRequest>("application/json")
            .Produces<CheckInBatchEnvelope>()
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_json", "validation_failed")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "invalid_gate_token")
            .ProducesProblemCodes(StatusCodes.Status413PayloadTooLarge, "payload_too_large")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        return app;
    }

    private static async Task<Results<Ok<CheckInEnvelope>, ProblemHttpResult>> CheckInAsync(
        HttpRequest request, GateTokens gates, TicketCode codes, CheckInStore store, CheckInMetrics metrics,
        IOptions<ApiOptions> apiOptions, CancellationToken ct)
    {
        if (gates.Authenticate(request) is not { } gate) return Unauthorized(request);
        var (document, problem) = await JsonBody.ReadAsync(request, apiOptions, ct);
        if (problem is not null) return problem;
        string? code;
        using (document)
        {
            var body = document!.RootElement;
            if (!body.TryGetProperty("code", out var element) || element.ValueKind != JsonValueKind.String)
            {
                return Problems.Validation("code is required.", new Dictionary<string, string[]> { ["code"] = ["is required and must be a string"] });
            }
            code = element.GetString();
        }
        // The span names the ticket and the gate, never the code (it admits whoever shows it).
        using var activity = Telemetry.Tickets.StartActivity("checkin.admit");
        activity?.SetTag("checkin.gate", gate);
        if (codes.Verify(code) is not { } claims)
        {
            metrics.Scanned(gate, "invalid_ticket");
            activity?.SetTag("checkin.outcome", "invalid_ticket");
            return TicketEndpoints.InvalidTicket();
        }

        activity?.SetTag("ticket.id", claims.TicketId);
        var (outcome, state) = await store.AdmitAsync(claims, code!, gate, ct);
        metrics.Scanned(gate, outcome.ToString());
        activity?.SetTag("checkin.outcome", outcome.ToString());
        return outcome switch
        {
            CheckInOutcome.Admitted => TypedResults.Ok(new CheckInEnvelope(new CheckInResult("admitted", claims.TicketId,
                claims.Category, new SeatView(claims.Row, claims.Column), gate, state!.CheckedInAt!.Value))),
            CheckInOutcome.AlreadyCheckedIn => Problems.Of(409, "already_checked_in",
                $"Admitted at {state!.CheckedInAt!.Value.ToString("O", CultureInfo.InvariantCulture)} at gate {state.Gate}."),
            CheckInOutcome.Revoked => Problems.Of(410, "ticket_revoked",
                "The order was refunded or charged back; the ticket admits nobody."),
            _ => TicketEndpoints.UnknownTicket(claims.TicketId),
        };
    }

    private static async Task<Results<Ok<CheckInBatchEnvelope>, ProblemHttpResult>> CheckInBatchAsync(
        HttpRequest request, GateTokens gates, TicketCode codes, CheckInStore store, CheckInMetrics metrics, CancellationToken ct)
    {
        if (gates.Authenticate(request) is not { } uploader) return Unauthorized(request);
        var (document, problem) = await JsonBody.ReadAsync(request, BatchBody, ct);
        if (problem is not null) return problem;
        List<CheckInScan> scans;
        using (document)
        {
            if (!TryReadScans(document!.RootElement, gates, out scans, out var errors))
                return Problems.Validation("The scans are not valid; see errors.", errors);
        }

        var results = new CheckInScanResult?[scans.Count];
        var verified = new List<(int Index, TicketClaims Claims, string Code, string Gate, DateTimeOffset At)>(scans.Count);
        for (var i = 0; i < scans.Count; i++)
        {
            var scan = scans[i];
            if (codes.Verify(scan.Code) is { } claims)
            {
                // PostgreSQL keeps microseconds: the recorded time then compares equal to the scan's.
                var at = new DateTimeOffset(scan.ScannedAt.UtcTicks - scan.ScannedAt.UtcTicks % 10, TimeSpan.Zero);
                verified.Add((i, claims, scan.Code, scan.Gate ?? uploader, at));
            }
            else
            {
                results[i] = new CheckInScanResult(i, "invalid_ticket", null, null, null);
            }
        }
        if (verified.Count > 0)
        {
            var states = await store.AdmitBatchAsync([.. verified.Select(v => (v.Claims, v.Code, v.Gate, v.At))], ct);
            foreach (var v in verified)
            {
                var state = states.GetValueOrDefault(v.Claims.TicketId);
                var result = CheckInStore.Explain(state, v.Code) switch
                {
                    CheckInOutcome.AlreadyCheckedIn when state!.CheckedInAt == v.At && state.Gate == v.Gate => "admitted",
                    CheckInOutcome.AlreadyCheckedIn => "already_checked_in",
                    CheckInOutcome.Revoked => "ticket_revoked",
                    _ => "unknown_ticket",
                };
                results[v.Index] = result is "admitted" or "already_checked_in"
                    ? new CheckInScanResult(v.Index, result, v.Claims.TicketId, state!.Gate, state.CheckedInAt)
                    : new CheckInScanResult(v.Index, result, v.Claims.TicketId, null, null);
            }
        }
        foreach (var r in results) metrics.Scanned(uploader, r!.Result);
        return TypedResults.Ok(new CheckInBatchEnvelope(new CheckInBatchResults([.. results.Select(r => r!)])));
    }

    internal static bool TryReadScans(JsonElement body, GateTokens gates, out List<CheckInScan> scans, out Dictionary<string, string[]> errors)
    {
        scans = [];
        errors = [];
        if (!body.TryGetProperty("scans", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            errors["scans"] = ["is required and must be an array"];
            return false;
        }
        if (array.GetArrayLength() is 0 or > MaxBatch)
        {
            errors["scans"] = [$"must hold 1 to {MaxBatch} scans"];
            return false;
        }
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var at = $"scans[{index++}]";
            if (errors.Count >= 10) break;
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors[at] = ["must be an object"];
                continue;
            }
            string? code = null, gate = null;
            DateTimeOffset scannedAt = default;
            if (!item.TryGetProperty("code", out var c) || c.ValueKind != JsonValueKind.String) errors[at + ".code"] = ["is required and must be a string"];
            else code = c.GetString();
            if (item.TryGetProperty("gate", out var g) && g.ValueKind != JsonValueKind.Null)
            {
                if (g.ValueKind != JsonValueKind.String || !gates.IsGate(g.GetString()!)) errors[at + ".gate"] = ["must name a configured gate"];
                else gate = g.GetString();
            }
            if (!item.TryGetProperty("scanned_at", out var s) || s.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(s.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out scannedAt)
                || !s.GetString()!.Contains('T', StringComparison.Ordinal))
            {
                errors[at + ".scanned_at"] = ["is required: an RFC 3339 time with an offset"];
            }
            if (code is not null) scans.Add(new CheckInScan(code, gate, scannedAt));
        }
        return errors.Count == 0;
    }

    private static ProblemHttpResult Unauthorized(HttpRequest request)
    {
        request.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Of(401, "invalid_gate_token",
            "Send Authorization: Bearer <token> with the token of your gate (CheckIn:Gates).");
    }
}
