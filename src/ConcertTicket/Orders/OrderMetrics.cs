using System.Diagnostics;
using System.Diagnostics.Metrics;
using ConcertTicket.Payments;

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
    private readonly Counter<long> _paid;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _cancelled;
    private readonly Counter<long> _refundRequired;

    public OrderMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _placements = meter.CreateCounter<long>("concert_ticket.orders.placements", "{request}",
            "Order requests by outcome (created, replayed, sold_out, already_ordered, ...).");
        _created = meter.CreateCounter<long>("concert_ticket.orders.created", "{order}",
            "Orders that claimed a seat (pending).");
        _paid = meter.CreateCounter<long>("concert_ticket.orders.paid", "{order}",
            "Orders paid; late=true when the money came after the hold ended and a seat was still free.");
        _expired = meter.CreateCounter<long>("concert_ticket.orders.expired", "{order}",
            "Orders whose hold ended unpaid; their seats went back on sale.");
        _cancelled = meter.CreateCounter<long>("concert_ticket.orders.cancelled", "{order}",
            "Orders ended before payment, by reason (gateway_failure, or the gateway's status).");
        _refundRequired = meter.CreateCounter<long>("concert_ticket.orders.refund_required", "{order}",
            "Orders paid after their hold ended with no seat left to give: the fan must be refunded.");
    }

    public void Placed(PlacementOutcome outcome) =>
        _placements.Add(1, new KeyValuePair<string, object?>("outcome", OutcomeName(outcome)));

    public void Created(int categoryId) => _created.Add(1, Category(categoryId));

    public void Paid(int categoryId, bool late) =>
        _paid.Add(1, new TagList { Category(categoryId), { "late", late } });

    public void Expired(int categoryId) => _expired.Add(1, Category(categoryId));

    public void Cancelled(int categoryId, string reason) =>
        _cancelled.Add(1, new TagList { Category(categoryId), { "reason", reason } });

    public void RefundRequired(int categoryId) => _refundRequired.Add(1, Category(categoryId));

    /// <summary>A payment notification's effect: paid (on time or late), or refund required.</summary>
    public void Settled(int categoryId, SettlementOutcome outcome)
    {
        switch (outcome)
        {
            case SettlementOutcome.Paid: Paid(categoryId, late: false); break;
            case SettlementOutcome.PaidLate: Paid(categoryId, late: true); break;
            case SettlementOutcome.RefundRequired: RefundRequired(categoryId); break;
        }
    }

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
