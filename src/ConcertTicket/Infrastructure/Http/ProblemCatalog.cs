using System.Text.Json.Nodes;

namespace ConcertTicket.Infrastructure;

/// <summary>A stable problem <c>code</c> as the API documentation describes it.</summary>
/// <param name="Title">The title the service sends with it (an example where the title varies).</param>
/// <param name="When">When a client gets it, and what to do about it.</param>
internal sealed record ProblemCode(string Code, string Title, string When, string? Detail = null);

/// <summary>
/// Every problem code the API answers with, for the OpenAPI document. The handlers and
/// <see cref="Problems.AddProblemResponses"/> write the codes; the tests check that the documented examples match
/// real responses.
/// </summary>
internal static class ProblemCatalog
{
    public static readonly IReadOnlyList<ProblemCode> All =
    [
        new("validation_failed", "The request is not valid.",
            "A field or header is missing or malformed; `errors` maps each one to its messages.",
            "The order is not valid; see errors."),
        new("invalid_json", "The body is not valid JSON.",
            "The body is empty, is not JSON, or is not a JSON object.",
            "Expected a JSON object."),
        new("unsupported_media_type", "Unsupported Media Type",
            "The body is not sent as `application/json` (or another `+json` type)."),
        new("payload_too_large", "The body is too large.",
            "The body is larger than `Api:MaxRequestBodyBytes` (16 KiB unless configured).",
            "At most 16384 bytes are accepted."),
        new("unknown_category", "No such category.",
            "`category_id` names no category; GET /categories lists them.",
            "Category 99 does not exist."),
        new("already_ordered", "This email already has an order.",
            "One ticket per email: this email has a pending or paid order. GET /orders/{id} shows it.",
            "One ticket per email: an order for this email is pending or paid."),
        new("sold_out", "This category is sold out.",
            "No free seat is left in the category. Seats come back when unpaid holds expire, so it may change.",
            "Category 1 has no free seat left; seats come back when unpaid holds expire."),
        new("idempotency_key_reused", "This Idempotency-Key was used for a different order.",
            "The `Idempotency-Key` was first sent with another email or category. A retry must repeat the body; a new order needs a new key.",
            "Use a new key for a new order; a retry must send the same email and category."),
        new("payment_unavailable", "The payment gateway could not create a Virtual Account.",
            "The gateway refused the charge (502) or could not be reached (503). The order was cancelled and its seat released: retrying is safe.",
            "The order was cancelled and its seat released; try again shortly."),
        new("dependency_unavailable", "The service is temporarily unavailable.",
            "PostgreSQL or Redis cannot be reached. Retry after `Retry-After` seconds.",
            "PostgreSQL is not reachable right now; retry shortly."),
        new("unknown_order", "No such order.",
            "No order has this id.",
            "Order '0193a0c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d' does not exist."),
        new("invalid_signature", "The notification's signature is missing or wrong.",
            "`signature_key` is missing or is not SHA-512(order_id + status_code + gross_amount + server key).",
            "signature_key must be SHA-512(order_id + status_code + gross_amount + server key)."),
        new("amount_mismatch", "The amount does not match the order.",
            "`gross_amount` is not the order's total: the notification is not acted on.",
            "gross_amount 100000.00 is not the order's total 3800000."),
        new("categories_unavailable", "The categories are not available yet.",
            "Neither the cache nor PostgreSQL can answer. Retry after `Retry-After` seconds.",
            "Neither the cache nor the database can answer; retry shortly."),
        new("rate_limited", "Too many requests.",
            "Too many orders from this client IP (`Protection:OrdersPerIpPerMinute`) or for this email (`Protection:OrdersPerEmailPerMinute`). Retry after `Retry-After` seconds.",
            "Too many orders for this email; retry later."),
        new("overloaded", "The service is at capacity.",
            "More orders are being placed in this instance than `Protection:OrdersConcurrency` plus its queue `Protection:OrdersQueue` allow. Retry after `Retry-After` seconds.",
            "Too many orders are being placed right now; retry in a second."),
        new("invalid_ticket", "The ticket code is not valid.",
            "The code is not a ticket signed by this sale's keys (GET /tickets/public-key): mistyped, altered, or from elsewhere. Checked without the database.",
            "The code is not a ticket signed by this sale's keys (GET /tickets/public-key)."),
        new("unknown_ticket", "No such ticket.",
            "The code is well signed but names no ticket here (or not this ticket's current code).",
            "Ticket 0193a0c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d is well signed but not known here."),
        new("already_checked_in", "This ticket is already checked in.",
            "The ticket was admitted before; `detail` says when and at which gate. Do not admit again.",
            "Admitted at 2026-12-01T19:02:11.0000000+00:00 at gate north."),
        new("ticket_revoked", "This ticket was revoked.",
            "The order was refunded or charged back: the ticket admits nobody.",
            "The order was refunded or charged back; the ticket admits nobody."),
        new("invalid_gate_token", "The gate token is missing or wrong.",
            "`Authorization: Bearer <token>` is missing or is no gate's token (`CheckIn:Gates:<gate>`).",
            "Send Authorization: Bearer <token> with the token of your gate (CheckIn:Gates)."),
        new("admission_required", "An admission from the waiting room is required.",
            "The sale has a waiting room (`Queue:Enabled`) and the `Admission-Token` header is missing, forged or expired. Join with POST /queue and order once GET /queue/{id} says `admitted`.",
            "Send the Admission-Token header that GET /queue/{id} gives once admitted; it may have expired."),
        new("admission_mismatch", "This admission is for another email.",
            "The `Admission-Token` was issued to another email than the order's: order with the email that joined the waiting room.",
            "Order with the email that joined the waiting room."),
        new("queue_disabled", "This sale has no waiting room.",
            "`Queue:Enabled` is false: there is no queue to join, and POST /orders needs no admission.",
            "Order directly with POST /orders."),
        new("unknown_queue_entry", "No such place in the waiting room.",
            "No queue entry has this id.",
            "Queue entry '0193a0c4-7a1b-7c2d-8e3f-4a5b6c7d8e9f' does not exist."),
        new("sale_not_open", "The sale has not opened yet.",
            "The category's concert is not on sale yet (a draft, or before its `sale_opens_at`: GET /concerts/{id} shows its window), or the sale has a waiting room and `Queue:OpensAt` has not come yet (join with POST /queue: everyone who joins before the opening gets a random place at the opening).",
            "The sale for category 1 has not opened yet."),
        new("sale_closed", "The sale is closed.",
            "The category's concert is closed or past `sale_closes_at`; no more orders are taken.",
            "The sale for category 1 is closed."),
        new("sale_paused", "The sale is paused.",
            "The organiser paused the concert's sale; it may resume, so retry later.",
            "The sale for category 1 is paused; try again later."),
        new("unknown_concert", "No such concert.",
            "No concert has this id (public reads do not show drafts).",
            "Concert 99 does not exist."),
        new("unauthorized", "An admin API key is required.",
            "The admin API needs `Authorization: Bearer <key>` with a key from `Admin:ApiKeys`.",
            "Send Authorization: Bearer <key> with a configured admin key."),
        new("invalid_state_change", "The concert cannot change to this state.",
            "A closed concert stays closed, and no concert goes back to draft.",
            "Concert 2 is closed; it cannot become on_sale."),
        new("concert_not_draft", "Only a draft concert's prices and layout can change.",
            "Prices and seats are fixed once the concert left `draft`.",
            "Concert 2 is on_sale; prices and seats change only while it is a draft."),
        new("refund_not_required", "This order has no refund to record.",
            "Only a `refund_required` order whose refund was not recorded yet can be refunded.",
            "Order '0193a0c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d' is paid, not refund_required."),
        new("not_found", "Not Found",
            "No endpoint has this path."),
        new("method_not_allowed", "Method Not Allowed",
            "The path exists, but not with this method; `Allow` lists the methods it takes."),
        new("internal_error", "An error occurred while processing your request.",
            "A bug. Report the `trace_id`; the log and the trace carry the details."),
    ];

    private static readonly Dictionary<string, ProblemCode> ByCode = All.ToDictionary(c => c.Code);

    /// <summary>Codes every operation can get: they come from the pipeline, not from a handler.</summary>
    public static readonly IReadOnlyList<(int Status, string Code)> EveryOperation =
        [(StatusCodes.Status405MethodNotAllowed, "method_not_allowed"), (StatusCodes.Status500InternalServerError, "internal_error")];

    public static ProblemCode Get(string code) => ByCode.TryGetValue(code, out var problem)
        ? problem
        : throw new InvalidOperationException($"Problem code '{code}' is not in the ProblemCatalog: describe it there.");

    /// <summary>A problem body as the service writes it (same members, same order).</summary>
    public static JsonObject Example(int status, string code)
    {
        var problem = Get(code);
        var body = new JsonObject
        {
            ["type"] = Problems.TypePrefix + code,
            ["title"] = problem.Title,
            ["status"] = status,
        };
        if (problem.Detail is not null) body["detail"] = problem.Detail;
        if (code == "validation_failed")
        {
            body["errors"] = new JsonObject { ["email"] = new JsonArray("email must look like name@example.com.") };
        }
        body["code"] = code;
        body["trace_id"] = "4bf92f3577b34da6a3ce929d0e0e4736";
        return body;
    }
}

/// <summary>Endpoint metadata: the problem codes an endpoint answers with under one status.</summary>
internal sealed record ProblemCodesMetadata(int StatusCode, IReadOnlyList<string> Codes);

internal static class ProblemCodesEndpointExtensions
{
    /// <summary>Declares a problem response and the codes it carries; the OpenAPI document describes each code.</summary>
    public static RouteHandlerBuilder ProducesProblemCodes(this RouteHandlerBuilder builder, int statusCode, params string[] codes) =>
        builder.ProducesProblem(statusCode).WithMetadata(new ProblemCodesMetadata(statusCode, codes));
}
