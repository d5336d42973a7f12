using System.Text.Json;
using System.Text.Json.Nodes;
using ConcertTicket.Concerts;
using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Admin;

/// <summary>The organiser's API under /admin: concerts, their sale, orders and refunds; bearer keys; every change audited.</summary>
internal static class AdminEndpoints
{
    /// <summary>A concert with an explicit list of seats is large: 75,000 seats are about 2.5 MB of JSON.</summary>
    private static readonly IOptions<ApiOptions> ConcertBodyLimit = Options.Create(new ApiOptions { MaxRequestBodyBytes = 32 * 1024 * 1024 });

    private static readonly string[] OrderStatuses =
        [OrderStatus.Pending, OrderStatus.Paid, OrderStatus.Expired, OrderStatus.Cancelled, OrderStatus.RefundRequired, OrderStatus.Refunded];

    public static IHostApplicationBuilder AddAdmin(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<AdminOptions>(AdminOptions.Section, o => o.Validate());
        builder.Services.AddSingleton<AdminAuth>();
        builder.Services.AddSingleton<AdminStore>();
        builder.Services.AddSingleton<WaitingRoomFigures>();
        builder.Services.AddSingleton<AdminDashboard>();
        return builder;
    }

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        AdminPage.Map(app);
        var group = app.MapGroup("/admin").WithTags("Admin").AddEndpointFilter(AdminAuth.RequireKeyAsync);
        group.MapPost("/concerts", CreateAsync)
            .WithName("CreateConcert")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .WithSummary("Create a concert with its categories and seats")
            .WithDescription("`state` defaults to `draft`. Each category gives `rows` and `columns`, or `seats` (a list of `{row, column}`) for an irregular venue. The seats are written with COPY in the same transaction.")
            .Accepts<JsonElement>("application/json")
            .Produces<AdminConcertEnvelope>(StatusCodes.Status201Created)
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "validation_failed", "invalid_json")
            .ProducesProblemCodes(StatusCodes.Status413PayloadTooLarge, "payload_too_large")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type");
        group.MapGet("/concerts", ListAsync)
            .WithName("ListAdminConcerts")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .WithSummary("Every concert, drafts included, with its categories");
        group.MapGet("/concerts/{id:int}", GetAsync)
            .WithName("GetAdminConcert")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .WithSummary("A concert with its categories and their seat counts")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_concert");
        group.MapPatch("/concerts/{id:int}", PatchAsync)
            .WithName("UpdateConcert")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .WithSummary("Change a concert's name, venue, sale window or state (on_sale, paused, closed); prices only while a draft")
            .WithDescription("Send only the fields to change; `null` clears a window bound. `categories: [{id, price, rows, columns}]` (or `seats: [{row, column}]` instead of rows and columns) changes a category's price, its seats (the new layout replaces the old), or both, while the concert is a draft. A closed concert stays closed.")
            .Accepts<JsonElement>("application/json")
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "validation_failed", "invalid_json")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_concert")
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "invalid_state_change", "concert_not_draft")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type");
        group.MapGet("/concerts/{id:int}/sale", SaleAsync)
            .WithName("GetConcertSale")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .WithSummary("The sale's figures: per category free, held, paid, checked in and revenue; the waiting room's line and pace; orders and payments per minute over the last hour; refunds to make")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_concert");
        group.MapGet("/orders", OrdersAsync)
            .WithName("ListAdminOrders")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .WithSummary("Orders, newest first, filtered by concert, status and email, a page at a time")
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "validation_failed");
        group.MapPost("/orders/{id}/refund", RefundAsync)
            .WithName("RecordRefund")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .WithSummary("Record that a refund_required order's money was returned, with the transfer's reference; the order becomes refunded")
            .Accepts<JsonElement>("application/json")
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "validation_failed", "invalid_json")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_order")
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "refund_not_required")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type");
        group.MapGet("/dashboard", DashboardAsync)
            .WithName("GetDashboard")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .WithSummary("The live dashboard's data for every concert not in draft (the last 15 minutes), renewed at most once a second")
            .Produces<JsonElement>(StatusCodes.Status200OK, "application/json");
        return app;
    }

    private static async Task<Results<Created<AdminConcertEnvelope>, ProblemHttpResult>> CreateAsync(
        HttpRequest request, ConcertStore store, ConcertCatalog catalog, CancellationToken ct)
    {
        var (document, problem) = await JsonBody.ReadAsync(request, ConcertBodyLimit, ct);
        if (problem is not null) return problem;
        ConcertDefinition? concert;
        using (document)
        {
            if (!ConcertReader.TryReadCreate(document!.RootElement, out concert, out var errors))
                return Problems.Validation("The concert is not valid; see errors.", errors);
        }
        var created = await store.CreateAsync(concert!, AdminAuth.Actor(request.HttpContext), ct);
        catalog.Invalidate();
        return TypedResults.Created($"/admin/concerts/{created.Id}", new AdminConcertEnvelope(created));
    }

    private static async Task<Ok<AdminConcertList>> ListAsync(ConcertStore store, CancellationToken ct) =>
        TypedResults.Ok(new AdminConcertList(await store.ListAsync(ct)));

    private static async Task<Results<Ok<AdminConcertEnvelope>, ProblemHttpResult>> GetAsync(int id, ConcertStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } concert
            ? TypedResults.Ok(new AdminConcertEnvelope(concert))
            : ConcertEndpoints.UnknownConcert(id);

    private static async Task<Results<Ok<AdminConcertEnvelope>, ProblemHttpResult>> PatchAsync(
        int id, HttpRequest request, ConcertStore store, ConcertCatalog catalog, IOptions<ApiOptions> apiOptions, CancellationToken ct)
    {
        var (document, problem) = await JsonBody.ReadAsync(request, apiOptions, ct);
        if (problem is not null) return problem;
        ConcertPatch? patch;
        string detail;
        using (document)
        {
            if (!ConcertReader.TryReadPatch(document!.RootElement, out patch, out var errors))
                return Problems.Validation("The change is not valid; see errors.", errors);
            detail = document.RootElement.GetRawText();
        }
        var result = await store.ChangeAsync(id, patch!, AdminAuth.Actor(request.HttpContext), detail, ct);
        catalog.Invalidate();
        return result.Outcome switch
        {
            ConcertChange.Changed => TypedResults.Ok(new AdminConcertEnvelope(result.Concert!)),
            ConcertChange.UnknownConcert => ConcertEndpoints.UnknownConcert(id),
            ConcertChange.InvalidStateChange => Problems.Of(409, "invalid_state_change", result.Detail),
            ConcertChange.NotDraft => Problems.Of(409, "concert_not_draft", result.Detail),
            ConcertChange.UnknownCategory => Problems.Validation(result.Detail!,
                new Dictionary<string, string[]> { ["categories"] = [result.Detail!] }),
            ConcertChange.InvalidWindow => Problems.Validation(result.Detail!,
                new Dictionary<string, string[]> { ["sale_closes_at"] = ["must be after sale_opens_at"] }),
            _ => throw new InvalidOperationException($"Unhandled outcome {result.Outcome}"),
        };
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> SaleAsync(
        int id, AdminStore store, WaitingRoomFigures waitingRoom, IOptions<OrderOptions> orderOptions, CancellationToken ct)
    {
        var document = JsonNode.Parse(await store.SaleJsonAsync(id, 60, orderOptions.Value.Hold, ct))!;
        var concerts = document["concerts"]!.AsArray();
        if (concerts.Count == 0) return ConcertEndpoints.UnknownConcert(id);
        var data = concerts[0]!.DeepClone();
        data["queue"] = await waitingRoom.ReadAsync();
        var body = new JsonObject { ["data"] = data, ["generated_at"] = document["generated_at"]!.DeepClone() };
        return TypedResults.Content(body.ToJsonString(), "application/json");
    }

    private static async Task<Results<Ok<AdminOrderPage>, ProblemHttpResult>> OrdersAsync(
        AdminStore store, [FromQuery(Name = "concert_id")] int? concertId, string? status, string? email, int? page,
        [FromQuery(Name = "page_size")] int? pageSize, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not null && !OrderStatuses.Contains(status)) errors["status"] = [$"must be one of {string.Join(", ", OrderStatuses)}"];
        string? normalized = null;
        if (email is not null && !EmailAddress.TryNormalize(email, out normalized, out var error)) errors["email"] = [error];
        if (page is < 1) errors["page"] = ["must be 1 or more"];
        if (pageSize is < 1 or > 200) errors["page_size"] = ["must be from 1 to 200"];
        if (errors.Count > 0) return Problems.Validation("The filter is not valid; see errors.", errors);
        return TypedResults.Ok(await store.ListOrdersAsync(new OrderFilter(concertId, status, normalized, page ?? 1, pageSize ?? 50), ct));
    }

    private static async Task<Results<Ok<AdminOrderEnvelope>, ProblemHttpResult>> RefundAsync(
        string id, HttpRequest request, AdminStore store, IOptions<ApiOptions> apiOptions, CancellationToken ct)
    {
        var (document, problem) = await JsonBody.ReadAsync(request, apiOptions, ct);
        if (problem is not null) return problem;
        string? reference;
        using (document)
        {
            var root = document!.RootElement;
            reference = root.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()!.Trim() : null;
            var unknown = root.EnumerateObject().Where(p => p.Name != "reference").Select(p => p.Name).ToList();
            var errors = new Dictionary<string, string[]>();
            if (reference is null || reference.Length is 0 or > 200) errors["reference"] = ["is required: the transfer's reference, 1 to 200 characters"];
            foreach (var name in unknown.Take(10)) errors[name] = ["is not a known field"];
            if (errors.Count > 0) return Problems.Validation("The refund is not valid; see errors.", errors);
        }
        if (!Guid.TryParse(id, out var orderId)) return UnknownOrder(id);
        return await store.RecordRefundAsync(orderId, reference!, AdminAuth.Actor(request.HttpContext), ct) switch
        {
            RefundOutcome.Recorded => TypedResults.Ok(new AdminOrderEnvelope((await store.GetOrderAsync(orderId, ct))!)),
            RefundOutcome.UnknownOrder => UnknownOrder(id),
            _ => Problems.Of(409, "refund_not_required",
                $"Order '{id}' is not refund_required, or its refund was already recorded."),
        };
    }

    private static async Task<FileContentHttpResult> DashboardAsync(AdminDashboard dashboard, HttpContext context, CancellationToken ct)
    {
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Bytes(await dashboard.GetAsync(ct), "application/json");
    }

    private static ProblemHttpResult UnknownOrder(string id) =>
        Problems.Of(404, "unknown_order", $"Order '{id}' does not exist.");
}
