using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Queue;

/// <summary>The waiting room: POST /queue, GET /queue/{id}, GET /queue, and the admission check on POST /orders.</summary>
internal static class QueueEndpoints
{
    public const string AdmissionTokenHeader = "Admission-Token";

    public static IHostApplicationBuilder AddQueue(this IHostApplicationBuilder builder, bool web, bool withWorkers)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddValidatedOptions<QueueOptions>(QueueOptions.Section, o => o.Validate(development));
        builder.Services.AddSingleton<QueueStore>();
        builder.Services.AddSingleton<QueueMetrics>();
        builder.Services.AddSingleton<AdmissionTokenSigner>();
        builder.Services.AddSingleton<StockQueries>();
        builder.Services.AddSingleton<OrderLatency>();
        builder.Services.AddSingleton<Admitter>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(QueueJsonContext.Default));
        builder.Services.ConfigureQueueOpenApi();
        var enabled = builder.Configuration.GetValue<bool>($"{QueueOptions.Section}:Enabled");
        if (!enabled) return builder;
        if (web)
        {
            builder.Services.AddHostedService<OrderLatencyPublisher>();
            builder.Services.AddSingleton<IStartupFilter, OrderArrival.StartupFilter>();
        }
        if (withWorkers) builder.Services.AddHostedService(s => s.GetRequiredService<Admitter>());
        return builder;
    }

    public static IEndpointRouteBuilder MapQueue(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/queue").WithTags("Queue");
        group.MapPost("/", JoinAsync)
            .RequireOrderLimits()
            .WithName("JoinQueue")
            .WithSummary("Take a place in the waiting room for an email")
            .WithDescription("One place per email: joining again answers 200 with the same entry, never a better place. Before Queue:OpensAt places are shuffled at the opening; after it they follow arrival order.")
            .Accepts<JoinQueueRequest>("application/json")
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "validation_failed", "invalid_json")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "queue_disabled")
            .ProducesProblemCodes(StatusCodes.Status413PayloadTooLarge, "payload_too_large")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type")
            .ProducesProblemCodes(StatusCodes.Status429TooManyRequests, "rate_limited")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable", "overloaded");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetQueueEntry")
            .WithSummary("A place in the waiting room: position, status, and the admission token once admitted")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_queue_entry", "queue_disabled")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        group.MapGet("/", InfoAsync)
            .WithName("GetQueue")
            .WithSummary("Whether the sale has a waiting room, when it opens, and whether it is sold out")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "queue_disabled")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        return app;
    }

    private static ProblemHttpResult Disabled() => Problems.Of(404, "queue_disabled",
        "Order directly with POST /orders.");

    private static async Task<Results<Created<QueueEntryEnvelope>, Ok<QueueEntryEnvelope>, ProblemHttpResult>> JoinAsync(
        HttpRequest request, QueueStore store, QueueMetrics metrics, AdmissionTokenSigner signer,
        IOptions<QueueOptions> options, IOptions<ApiOptions> apiOptions, TimeProvider time, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled) return Disabled();
        var (document, problem) = await JsonBody.ReadAsync(request, apiOptions, ct);
        if (problem is not null) return problem;
        string email;
        using (document)
        {
            if (!TryReadJoin(document!.RootElement, out email, out var errors))
                return Problems.Validation("The request to join is not valid; see errors.", errors);
        }
        var (id, created) = await store.JoinAsync(email, o.Opening);
        metrics.Joined(created);
        var state = await store.GetAsync(id) ?? throw new InvalidOperationException($"Queue entry {id} vanished after joining.");
        var view = View(state, signer, o, time.GetUtcNow(), request.HttpContext.Response);
        return created
            ? TypedResults.Created($"/queue/{id}", new QueueEntryEnvelope(view))
            : TypedResults.Ok(new QueueEntryEnvelope(view));
    }

    private static async Task<Results<Ok<QueueEntryEnvelope>, ProblemHttpResult>> GetAsync(
        string id, HttpResponse response, QueueStore store, AdmissionTokenSigner signer, IOptions<QueueOptions> options,
        TimeProvider time, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled) return Disabled();
        var state = Guid.TryParse(id, out var entryId) ? await store.GetAsync(entryId).WaitAsync(ct) : null;
        return state is null
            ? Problems.Of(404, "unknown_queue_entry", $"Queue entry '{id}' does not exist.")
            : TypedResults.Ok(new QueueEntryEnvelope(View(state, signer, o, time.GetUtcNow(), response)));
    }

    private static async Task<Results<Ok<QueueInfoEnvelope>, ProblemHttpResult>> InfoAsync(
        QueueStore store, IOptions<QueueOptions> options, TimeProvider time, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled) return Disabled();
        var soldOut = await store.IsSoldOutAsync().WaitAsync(ct);
        return TypedResults.Ok(new QueueInfoEnvelope(new QueueInfo(o.OpensAt, time.GetUtcNow() >= o.Opening, soldOut)));
    }

    /// <summary>The entry's status now, and how long the client should wait before asking again.</summary>
    internal static QueueEntryView View(QueueEntryState state, AdmissionTokenSigner signer, QueueOptions o, DateTimeOffset now,
        HttpResponse? response)
    {
        if (state.AdmittedUntil is { } until)
        {
            var valid = until > now;
            return new QueueEntryView(state.Id, valid || state.Used ? QueueStatus.Admitted : QueueStatus.Expired, null, null, 0,
                o.MaxPollSeconds, valid ? signer.Sign(new Admission(state.Id, state.Email, until)) : null, until);
        }
        if (state.SoldOut)
        {
            return new QueueEntryView(state.Id, QueueStatus.SoldOut, null, null, null, o.MaxPollSeconds, null, null);
        }
        var ahead = Math.Max(0, state.Rank);
        var rate = state.Rate > 0 ? state.Rate : o.AdmitPerSecond;
        var untilOpening = now < o.Opening ? (o.Opening - now).TotalSeconds : 0;
        var wait = untilOpening + ahead / rate;
        // A tenth of the expected wait: a fan far back asks rarely, one near the front every second, so the polling
        // load stays near (fans / average wait * 10) whatever the crowd.
        var poll = (int)Math.Clamp(Math.Ceiling(wait / 10), 1, o.MaxPollSeconds);
        if (response is not null) response.Headers.RetryAfter = poll.ToString(CultureInfo.InvariantCulture);
        return new QueueEntryView(state.Id, QueueStatus.Waiting, ahead + 1, ahead, (int)Math.Ceiling(wait), poll, null, null);
    }

    internal static bool TryReadJoin(JsonElement body, out string email, out Dictionary<string, string[]> errors)
    {
        errors = [];
        email = "";
        if (!body.TryGetProperty("email", out var element) || element.ValueKind == JsonValueKind.Null)
            errors["email"] = ["is required"];
        else if (element.ValueKind != JsonValueKind.String)
            errors["email"] = ["must be a string"];
        else if (!EmailAddress.TryNormalize(element.GetString(), out var normalized, out var error))
            errors["email"] = [error];
        else
            email = normalized;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (errors.Count >= 10) break;
            if (property.Name != "email") errors[property.Name] = ["is not a known field"];
            else if (!seen.Add(property.Name)) errors[property.Name] = ["appears more than once"];
        }
        return errors.Count == 0;
    }

    /// <summary>
    /// Puts POST /orders behind the waiting room when Queue:Enabled: before the opening 409 sale_not_open, without a
    /// valid Admission-Token 401 admission_required. The token is checked with the shared secret alone. When the
    /// queue is off only the documentation is added and nothing runs on the order path.
    /// </summary>
    public static RouteHandlerBuilder RequireAdmission(this RouteHandlerBuilder endpoint)
    {
        endpoint.ProducesProblemCodes(StatusCodes.Status401Unauthorized, "admission_required")
            .ProducesProblemCodes(StatusCodes.Status403Forbidden, "admission_mismatch");
        // The order endpoint declares its own 409 codes (before or after this call): add sale_not_open to them, last,
        // instead of replacing them.
        endpoint.Finally(b =>
        {
            var conflicts = b.Metadata.OfType<ProblemCodesMetadata>().Where(m => m.StatusCode == 409).ToList();
            foreach (var m in conflicts) b.Metadata.Remove(m);
            b.Metadata.Add(new ProblemCodesMetadata(409, [.. conflicts.SelectMany(m => m.Codes), "sale_not_open"]));
        });
        endpoint.AddEndpointFilterFactory((factory, next) =>
        {
            var services = factory.ApplicationServices;
            var options = services.GetRequiredService<IOptions<QueueOptions>>().Value;
            if (!options.Enabled) return next;
            var signer = services.GetRequiredService<AdmissionTokenSigner>();
            var time = services.GetRequiredService<TimeProvider>();
            var latency = services.GetRequiredService<OrderLatency>();
            var store = services.GetRequiredService<QueueStore>();
            return async context =>
            {
                var http = context.HttpContext;
                var now = time.GetUtcNow();
                if (now < options.Opening)
                {
                    return Problems.Of(409, "sale_not_open",
                        $"The sale opens at {options.Opening:O}; join the waiting room with POST /queue.");
                }
                var admission = signer.Verify(http.Request.Headers[AdmissionTokenHeader], now);
                if (admission is null)
                {
                    return Problems.Of(401, "admission_required",
                        $"Send the {AdmissionTokenHeader} header that GET /queue/{{id}} gives once admitted; it may have expired.");
                }
                http.Features.Set(admission);
                // From the request's arrival when stamped: the limiter's queue counts, as clients feel it.
                var started = http.Features.Get<OrderArrival>()?.Timestamp ?? Stopwatch.GetTimestamp();
                var result = await next(context);
                latency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (result is INestedHttpResult { Result: IStatusCodeHttpResult { StatusCode: 201 } }) store.MarkUsed(admission.EntryId);
                return result;
            };
        });
        return endpoint;
    }

    /// <returns>403 admission_mismatch when the request's admission is for another email; null otherwise.</returns>
    public static ProblemHttpResult? RefuseOtherEmail(HttpContext context, string email) =>
        context.Features.Get<Admission>() is { } admission && !string.Equals(admission.Email, email, StringComparison.Ordinal)
            ? Problems.Of(403, "admission_mismatch",
                "Order with the email that joined the waiting room.")
            : null;
}
