using ConcertTicket.Payments;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Reconciliation;

/// <summary>
/// Asks Midtrans about one order with a short timeout, and counts and logs the questions it does not answer. A
/// Paid answer is applied like a notification (<see cref="PaymentNotifications"/>: the same amount check, the same
/// late-settlement path), so asking and being told can never disagree about what a payment does.
/// </summary>
internal sealed partial class PaymentStatusCheck(
    IPaymentGateway gateway,
    PaymentNotifications notifications,
    ReconcileMetrics metrics,
    IOptions<ReconcileOptions> options,
    ILogger<PaymentStatusCheck> logger)
{
    /// <param name="path">Who asks (expiry, sweep, report), for the metric and the log line.</param>
    /// <param name="budget">Cancelled when the caller's batch is out of time: the question is then not asked.</param>
    public async Task<GatewayStatus> AskAsync(Guid orderId, string path, CancellationToken budget, CancellationToken ct)
    {
        GatewayStatus status;
        if (budget.IsCancellationRequested)
        {
            status = GatewayStatus.Unanswered("the batch's time for status questions ran out");
        }
        else
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(budget, ct);
            timeout.CancelAfter(options.Value.StatusTimeout);
            try
            {
                status = await gateway.GetStatusAsync(orderId, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                status = GatewayStatus.Unanswered($"no answer within {options.Value.StatusTimeoutMs} ms");
            }
        }
        if (status.State == PaymentState.Unanswered)
        {
            metrics.Unanswered(path);
            LogUnanswered(logger, orderId, path, status.Reason);
        }
        return status;
    }

    /// <summary>Applies Midtrans's answer as if it were its notification; a 404 or no answer changes nothing.</summary>
    public async Task<NotificationResult?> ApplyAsync(GatewayStatus status, string path, CancellationToken ct)
    {
        if (status.Transaction is not { TransactionStatus: not null } transaction
            || status.State is PaymentState.Unknown or PaymentState.Unanswered) return null;
        var result = await notifications.ApplyAsync(transaction, ct);
        if (status.State == PaymentState.Paid && result.Changed)
        {
            metrics.FoundPaid(path);
            LogFoundPaid(logger, transaction.OrderId, path, result.OrderStatus);
        }
        return result;
    }

    // Information, not Warning: an outage would write one per order; the callers log one warning per batch.
    [LoggerMessage(EventName = "ReconcileUnanswered", Level = LogLevel.Information, Message = "Midtrans did not answer the status of order {OrderId} ({Path}): {Reason}")]
    private static partial void LogUnanswered(ILogger logger, Guid orderId, string path, string? reason);

    [LoggerMessage(EventName = "ReconcileFoundPaid", Level = LogLevel.Warning, Message = "Midtrans reports order {OrderId} paid although no notification said so ({Path}): now {OrderStatus}")]
    private static partial void LogFoundPaid(ILogger logger, string? orderId, string path, string? orderStatus);
}
