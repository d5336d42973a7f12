using System.Globalization;
using System.Text;
using System.Text.Json;
using ConcertTicket.Payments;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Reconciliation;

/// <summary>One order of the day, as we have it and as Midtrans has it; Kind is null when the two agree.</summary>
internal sealed record ReconcileLine(
    Guid OrderId, string Ours, string? OurRefund, long Total, string Theirs, string? TheirAmount,
    string? Kind = null, string? Meaning = null, string? Action = null);

/// <summary>The daily proof: every order of a day that money could have touched, compared with Midtrans's view.</summary>
internal sealed record ReconcileReport(DateOnly Day, int Orders, IReadOnlyList<ReconcileLine> Disagreements)
{
    public bool AllAgree => Disagreements.Count == 0;

    public int Agreed => Orders - Disagreements.Count;

    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"Reconciliation of {Day:yyyy-MM-dd} (UTC) with Midtrans: {Orders} orders, {Agreed} agree, {Disagreements.Count} disagree.\n");
        foreach (var d in Disagreements)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  {d.OrderId}  here: {d.Ours}{(d.OurRefund is null ? "" : " (" + d.OurRefund + ")")}, total {d.Total}  Midtrans: {d.Theirs}{(d.TheirAmount is null ? "" : " " + d.TheirAmount)}\n");
            text.Append(CultureInfo.InvariantCulture, $"    {d.Kind}: {d.Meaning}\n    action: {d.Action}\n");
        }
        return text.ToString();
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("date", Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            json.WriteNumber("orders", Orders);
            json.WriteNumber("agreed", Agreed);
            json.WriteNumber("disagreed", Disagreements.Count);
            json.WriteBoolean("all_agree", AllAgree);
            json.WriteStartArray("disagreements");
            foreach (var d in Disagreements)
            {
                json.WriteStartObject();
                json.WriteString("order_id", d.OrderId);
                json.WriteString("kind", d.Kind);
                json.WriteString("ours", d.Ours);
                json.WriteString("our_refund", d.OurRefund);
                json.WriteNumber("total", d.Total);
                json.WriteString("midtrans", d.Theirs);
                json.WriteString("midtrans_gross_amount", d.TheirAmount);
                json.WriteString("meaning", d.Meaning);
                json.WriteString("action", d.Action);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}

/// <summary>
/// Compares our paid, refund_required, expired and cancelled orders of a day with Midtrans's status of each
/// (Payment:Reconcile:ReportConcurrency questions at a time). Paid at Midtrans but not here is fixed at once, through
/// the late-settlement path; paid here but not at Midtrans is flagged for a person and never undone.
/// </summary>
internal sealed partial class DailyReconciliation(
    ReconcileStore store,
    PaymentStatusCheck check,
    IPaymentGateway gateway,
    ReconcileMetrics metrics,
    IOptions<ReconcileOptions> options,
    ILogger<DailyReconciliation> logger)
{
    public const string Path = "report";

    public async Task<ReconcileReport> RunAsync(DateOnly day, CancellationToken ct)
    {
        var orders = await store.ReadDayAsync(day, ct);
        var lines = new ReconcileLine?[orders.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, orders.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.ReportConcurrency, CancellationToken = ct },
            async (i, token) =>
            {
                var order = orders[i];
                var status = await check.AskAsync(order.OrderId, Path, CancellationToken.None, token);
                var line = Compare(order, status);
                if (line.Kind is not null) line = await FixAsync(line, status, token);
                lines[i] = line;
            });
        var disagreements = lines.Where(l => l!.Kind is not null).Select(l => l!).ToList();
        foreach (var d in disagreements)
        {
            metrics.Disagreement(d.Kind!);
            LogDisagreement(logger, day, d.OrderId, d.Kind!, d.Ours, d.Theirs);
        }
        LogDone(logger, day, orders.Count, disagreements.Count);
        return new ReconcileReport(day, orders.Count, disagreements);
    }

    /// <summary>Our order against Midtrans's answer: agreement, or what the disagreement means and what to do.</summary>
    internal static ReconcileLine Compare(BookedOrder order, GatewayStatus status)
    {
        var theirs = status.State switch
        {
            PaymentState.Unknown => "not found (404)",
            PaymentState.Unanswered => "no answer",
            _ => status.Transaction!.TransactionStatus!.ToLowerInvariant(),
        };
        var line = new ReconcileLine(order.OrderId, order.Status, order.RefundStatus, order.Total, theirs, status.Transaction?.GrossAmount);
        var moneyHere = order.Status is OrderStatus.Paid or OrderStatus.RefundRequired;
        var amountDiffers = status.State is PaymentState.Paid or PaymentState.Reversed
            && (!decimal.TryParse(status.Transaction!.GrossAmount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
                || amount != order.Total);
        return (moneyHere, status.State) switch
        {
            (_, PaymentState.Unanswered) => line with
            {
                Kind = "unanswered", Meaning = "Midtrans did not answer: nothing is known about this order.",
                Action = "run the reconciliation again",
            },
            _ when amountDiffers => line with
            {
                Kind = "amount_mismatch", Meaning = "Midtrans holds a different amount than the order's total.",
                Action = "a person checks the payment at Midtrans; nothing was changed",
            },
            (true, PaymentState.Paid) => line,
            (true, PaymentState.Reversed) when order.RefundStatus == theirs => line,
            (true, PaymentState.Reversed) => line with
            {
                Kind = "reversed_at_midtrans", Meaning = $"Midtrans reports {theirs}; it is not recorded here.",
                Action = "recorded now, as its notification would have been",
            },
            (true, _) => line with
            {
                Kind = "paid_here_only", Meaning = "Paid here, but Midtrans has no settlement for it.",
                Action = "flagged for a person to check; never undone automatically",
            },
            (false, PaymentState.Paid) => line with
            {
                Kind = "paid_at_midtrans_only", Meaning = "Paid at Midtrans, but not here (its notification was lost).",
                Action = "fixed now, as a late settlement",
            },
            (false, PaymentState.Reversed) => line with
            {
                Kind = "reversed_at_midtrans", Meaning = $"Paid and then {theirs} at Midtrans, never paid here.",
                Action = "a person checks that the money reached the fan; nothing was changed",
            },
            (false, PaymentState.Pending) => line with
            {
                Kind = "payable_at_midtrans", Meaning = "Ended here, but its Virtual Account can still be paid at Midtrans.",
                Action = "Midtrans was told to expire it",
            },
            _ => line,
        };
    }

    private async Task<ReconcileLine> FixAsync(ReconcileLine line, GatewayStatus status, CancellationToken ct)
    {
        switch (line.Kind)
        {
            case "paid_at_midtrans_only":
            case "reversed_at_midtrans" when line.Ours is OrderStatus.Paid or OrderStatus.RefundRequired:
                var applied = await check.ApplyAsync(status, Path, ct);
                return line with { Action = $"{line.Action}: now {applied?.OrderStatus ?? "unchanged"}" };
            case "payable_at_midtrans":
                var expired = await gateway.ExpireAsync(line.OrderId, ct);
                return expired == VoidResult.Done ? line : line with { Action = "telling Midtrans to expire it failed: run again" };
            default:
                return line;
        }
    }

    [LoggerMessage(EventName = "ReconcileDisagreement", Level = LogLevel.Warning, Message = "Reconciliation of {Day}: order {OrderId} disagrees ({Kind}): here {Ours}, at Midtrans {Theirs}")]
    private static partial void LogDisagreement(ILogger logger, DateOnly day, Guid orderId, string kind, string ours, string theirs);

    [LoggerMessage(EventName = "ReconcileDone", Level = LogLevel.Information, Message = "Reconciliation of {Day}: {Orders} orders, {Disagreements} disagreements")]
    private static partial void LogDone(ILogger logger, DateOnly day, int orders, int disagreements);
}
