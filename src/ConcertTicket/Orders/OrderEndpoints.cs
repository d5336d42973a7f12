using System.Text.Json;
using ConcertTicket.Infrastructure;
using ConcertTicket.Payments;
using ConcertTicket.Queue;
using ConcertTicket.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Orders;

internal static class OrderEndpoints
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 64;

    public static IHostApplicationBuilder AddOrders(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<OrderOptions>(OrderOptions.Section,
            o => OptionsValidation.Range("Order:HoldSeconds", o.HoldSeconds, 5, 7 * 24 * 3600));
        builder.Services.AddSingleton<OrderStore>();
        // Protection:OrdersPerEmailPerMinute stays in the Protection section with the other abuse limits.
        var perEmail = builder.Configuration.GetSection(ProtectionOptions.Section).Get<ProtectionOptions>()?.OrdersPerEmailPerMinute
            ?? new ProtectionOptions().OrdersPerEmailPerMinute;
        builder.Services.AddSingleton(new EmailRateLimiter(perEmail));
        builder.Services.AddSingleton<OrderPlacement>();
        builder.Services.AddSingleton<IOrderCancellation, OrderCancellation>();
        builder.Services.AddSingleton<OrderMetrics>();
        return builder;
    }

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/orders").WithTags("Orders");
        group.MapPost("/", CreateAsync)
            .RequireOrderLimits()
            .RequireAdmission()
            .WithName("CreateOrder")
            .WithOpenApiText(OrdersOpenApi.CreateOrder, OrdersOpenApi.Schemas)
            .WithSummary("Claim a seat of a category for an email and get a Virtual Account to pay it")
            .WithDescription("One ticket per email. The seat is held for Order:HoldSeconds (15 minutes) while its Virtual Account is unpaid; then it goes back on sale. Send an Idempotency-Key to retry safely.")
            .Accepts<CreateOrderRequest>("application/json")
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "validation_failed", "invalid_json")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_category")
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "already_ordered", "sold_out", "sale_not_open", "sale_closed", "sale_paused")
            .ProducesProblemCodes(StatusCodes.Status413PayloadTooLarge, "payload_too_large")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type")
            .ProducesProblemCodes(StatusCodes.Status422UnprocessableEntity, "idempotency_key_reused")
            .ProducesProblemCodes(StatusCodes.Status429TooManyRequests, "rate_limited")
            .ProducesProblemCodes(StatusCodes.Status502BadGateway, "payment_unavailable")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "payment_unavailable", "dependency_unavailable", "overloaded");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetOrder")
            .WithOpenApiText(OrdersOpenApi.GetOrder)
            .WithSummary("An order's status, seat, Virtual Account and deadline")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_order")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        return app;
    }

    private static async Task<Results<Created<OrderEnvelope>, ProblemHttpResult>> CreateAsync(
        HttpRequest request,
        OrderPlacement placement,
        EmailRateLimiter emailLimiter,
        IOptions<ApiOptions> apiOptions,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        CancellationToken ct)
    {
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength
            || idempotencyKey.Any(c => c is < '!' or > '~')))
        {
            return Problems.Validation($"{IdempotencyKeyHeader} must be 1 to {MaxIdempotencyKeyLength} printable ASCII characters.",
                new Dictionary<string, string[]> { [IdempotencyKeyHeader] = ["is not a valid key"] });
        }
        var (document, problem) = await JsonBody.ReadAsync(request, apiOptions, ct);
        if (problem is not null) return problem;
        string email;
        int categoryId;
        using (document)
        {
            if (!TryReadCreateOrder(document!.RootElement, out email, out categoryId, out var errors))
            {
                return Problems.Validation("The order is not valid; see errors.", errors);
            }
        }

        if (QueueEndpoints.RefuseOtherEmail(request.HttpContext, email) is { } mismatch) return mismatch;
        if (emailLimiter.TryAcquire(email) is { } wait)
        {
            request.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Of(429, "rate_limited", "Too many orders for this email; retry later.");
        }

        var placed = await placement.PlaceAsync(email, categoryId, idempotencyKey, ct);
        return placed.Outcome switch
        {
            PlacementOutcome.Created or PlacementOutcome.Replayed =>
                TypedResults.Created($"/orders/{placed.Order!.Id}", new OrderEnvelope(placed.Order.ToView())),
            PlacementOutcome.UnknownCategory => Problems.Of(404, "unknown_category",
                $"Category {categoryId} does not exist."),
            PlacementOutcome.AlreadyOrdered => Problems.Of(409, "already_ordered",
                "One ticket per email: an order for this email is pending or paid."),
            PlacementOutcome.SoldOut => Problems.Of(409, "sold_out",
                $"Category {categoryId} has no free seat left; seats come back when unpaid holds expire."),
            PlacementOutcome.SaleNotOpen or PlacementOutcome.SaleClosed or PlacementOutcome.SalePaused =>
                Concerts.SaleWindow.Problem(placed.Outcome, categoryId),
            PlacementOutcome.IdempotencyKeyReused => Problems.Of(422, "idempotency_key_reused",
                "Use a new key for a new order; a retry must send the same email and category."),
            PlacementOutcome.PaymentUnavailable => PaymentProblem(placed.Charge!),
            _ => throw new InvalidOperationException($"Unhandled outcome {placed.Outcome}"),
        };
    }

    private static ProblemHttpResult PaymentProblem(ChargeResult charge)
    {
        var status = charge.Failure == ChargeFailure.Unreachable ? 503 : 502;
        return Problems.Of(status, "payment_unavailable",
            "The order was cancelled and its seat released; try again shortly.");
    }

    private static async Task<Results<Ok<OrderEnvelope>, ProblemHttpResult>> GetAsync(string id, OrderStore store,
        TicketStore tickets, CancellationToken ct)
    {
        var order = Guid.TryParse(id, out var orderId) ? await store.GetAsync(orderId, ct) : null;
        return order is null
            ? Problems.Of(404, "unknown_order", $"Order '{id}' does not exist.")
            : TypedResults.Ok(new OrderEnvelope(order.ToView() with { Ticket = await tickets.LinkForOrderAsync(order, ct) }));
    }

    /// <summary>Field by field, so that each mistake gets its own message.</summary>
    internal static bool TryReadCreateOrder(JsonElement body, out string email, out int categoryId,
        out Dictionary<string, string[]> errors)
    {
        errors = [];
        email = "";
        categoryId = 0;
        if (!body.TryGetProperty("email", out var emailElement) || emailElement.ValueKind == JsonValueKind.Null)
            errors["email"] = ["is required"];
        else if (emailElement.ValueKind != JsonValueKind.String)
            errors["email"] = ["must be a string"];
        else if (!EmailAddress.TryNormalize(emailElement.GetString(), out var normalized, out var error))
            errors["email"] = [error];
        else
            email = normalized;

        if (!body.TryGetProperty("category_id", out var categoryElement) || categoryElement.ValueKind == JsonValueKind.Null)
            errors["category_id"] = ["is required"];
        else if (categoryElement.ValueKind != JsonValueKind.Number || !categoryElement.TryGetInt32(out categoryId))
            errors["category_id"] = ["must be an integer"];
        else if (categoryId <= 0)
            errors["category_id"] = ["must be a positive integer"];

        // A misspelt field ("categoryId") must not pass silently, nor a repeated one whose first value would win.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (errors.Count >= 10) break;
            if (property.Name is not ("email" or "category_id")) errors[property.Name] = ["is not a known field"];
            else if (!seen.Add(property.Name)) errors[property.Name] = ["appears more than once"];
        }
        return errors.Count == 0;
    }
}

/// <summary>The body of POST /orders.</summary>
internal sealed record CreateOrderRequest(string Email, int CategoryId);
