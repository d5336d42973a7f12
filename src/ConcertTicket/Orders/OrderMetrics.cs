using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ConcertTicket.Orders;

/// <summary>
/// Orders by what happened to them: each counter counts one transition of the order state machine, labelled with
/// the category; attempts are counted by outcome, so a sold-out rush shows up without being an error.
/// </summary>
internal sealed class OrderMetrics
{
    public const string MeterName = "ConcertTicket.Orders";

    private readonly Counter<long> _placements;
    private readonly Counter<long> _created;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _cancelled;

    public OrderMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _placements = meter.CreateCounter<long>("concert_ticket.orders.placements", "{request}",
            "Order requests by outcome (created, replayed, sold_out, already_ordered, ...).");
        _created = meter.CreateCounter<long>("concert_ticket.orders.created", "{order}",
            "Orders that claimed a seat (pending).");
        _expired = meter.CreateCounter<long>("concert_ticket.orders.expired", "{order}",
            "Orders whose hold ended unpaid; their seats went back on sale.");
        _cancelled = meter.CreateCounter<long>("concert_ticket.orders.cancelled", "{order}",
            "Orders ended before payment, by reason (charge_failed, or gateway_ and the gateway's status).");
    }

    public void Placed(PlacementOutcome outcome) =>
        _placements.Add(1, new KeyValuePair<string, object?>("outcome", OutcomeName(outcome)));

    public void Created(int categoryId) => _created.Add(1, Category(categoryId));

    public void Expired(int categoryId) => _expired.Add(1, Category(categoryId));

    public void Cancelled(int categoryId, string reason) =>
        _cancelled.Add(1, new TagList { Category(categoryId), { "reason", reason } });

    /// <summary>snake_case, as in the problem codes: sold_out, already_ordered ...</summary>
    public static string OutcomeName(PlacementOutcome outcome) => outcome switch
    {
        PlacementOutcome.Created => "created",
        PlacementOutcome.Replayed => "replayed",
        PlacementOutcome.UnknownCategory => "unknown_category",
        PlacementOutcome.AlreadyOrdered => "already_ordered",
        PlacementOutcome.SoldOut => "sold_out",
        PlacementOutcome.IdempotencyKeyReused => "idempotency_key_reused",
        PlacementOutcome.PaymentUnavailable => "payment_unavailable",
        PlacementOutcome.SaleNotOpen => "sale_not_open",
        PlacementOutcome.SaleClosed => "sale_closed",
        PlacementOutcome.SalePaused => "sale_paused",
        _ => "other",
    };

    private static KeyValuePair<string, object?> Category(int categoryId) => new("category.id", categoryId);
}
