using System.Diagnostics;
using ConcertTicket.Infrastructure;
using ConcertTicket.Payments;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Orders;

internal enum PlacementOutcome { Created, Replayed, UnknownCategory, AlreadyOrdered, SoldOut, IdempotencyKeyReused, PaymentUnavailable, SaleNotOpen, SaleClosed, SalePaused }

internal sealed record Placement(PlacementOutcome Outcome, OrderRow? Order = null, ChargeResult? Charge = null);

/// <summary>
/// Places an order: claim a seat (one statement, one commit), then ask the gateway for a Virtual Account outside
/// any transaction, then record it, or cancel the order and free the seat at once if the gateway fails.
/// A crash between the steps leaves a pending order that expires like any other.
/// </summary>
internal sealed partial class OrderPlacement(
    OrderStore store,
    IPaymentGateway gateway,
    IOptions<OrderOptions> orderOptions,
    IOptions<PaymentOptions> paymentOptions,
    OrderMetrics metrics,
    ILogger<OrderPlacement> logger)
{
    public async Task<Placement> PlaceAsync(string email, int categoryId, string? idempotencyKey, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = Telemetry.Orders.StartActivity("orders.create");
        activity?.SetTag("order.category_id", categoryId);
        var placement = await PlaceCoreAsync(email, categoryId, idempotencyKey, ct);
        activity?.SetTag("order.outcome", placement.Outcome.ToString());
        if (placement.Order is { } order) activity?.SetTag("order.id", order.Id);
        metrics.Placed(placement.Outcome);
        LogOutcome(placement, email, categoryId, Stopwatch.GetElapsedTime(started));
        return placement;
    }

    private async Task<Placement> PlaceCoreAsync(string email, int categoryId, string? idempotencyKey, CancellationToken ct)
    {
        if (idempotencyKey is not null && await store.GetByIdempotencyKeyAsync(idempotencyKey, ct) is { } previous)
        {
            return await ReplayAsync(previous, email, categoryId, ct);
        }

        var orderId = Guid.CreateVersion7();
        ClaimResult claim;
        using (var activity = Telemetry.Orders.StartActivity("seat.claim"))
        {
            claim = await store.ClaimAsync(orderId, email, categoryId, orderOptions.Value.Hold, idempotencyKey,
                paymentOptions.Value.Midtrans.Bank, ct);
            activity?.SetTag("seat.claim.outcome", claim.Outcome.ToString());
            if (claim.Outcome == ClaimOutcome.Claimed) activity?.SetTag("order.id", orderId);
        }
        if (claim.Outcome is ClaimOutcome.AlreadyOrdered or ClaimOutcome.DuplicateIdempotencyKey && idempotencyKey is not null
            && await store.GetByIdempotencyKeyAsync(idempotencyKey, ct) is { } twin)
        {
            // A twin request with the same key committed first (its order is why this claim failed): answer with it.
            return await ReplayAsync(twin, email, categoryId, ct);
        }
        switch (claim.Outcome)
        {
            case ClaimOutcome.UnknownCategory: return new Placement(PlacementOutcome.UnknownCategory);
            case ClaimOutcome.AlreadyOrdered or ClaimOutcome.DuplicateIdempotencyKey: return new Placement(PlacementOutcome.AlreadyOrdered);
            case ClaimOutcome.SoldOut: return new Placement(PlacementOutcome.SoldOut);
            case ClaimOutcome.SaleNotOpen: return new Placement(PlacementOutcome.SaleNotOpen);
            case ClaimOutcome.SaleClosed: return new Placement(PlacementOutcome.SaleClosed);
            case ClaimOutcome.SalePaused: return new Placement(PlacementOutcome.SalePaused);
        }
        metrics.Created(categoryId);
        return await ChargeAsync(claim.Order!, PlacementOutcome.Created);
    }

    /// <summary>A rejection (409, 404, 422) is an expected answer, not news: Debug; the email only masked.</summary>
    private void LogOutcome(Placement placement, string email, int categoryId, TimeSpan elapsed)
    {
        var outcome = OrderMetrics.OutcomeName(placement.Outcome);
        if (placement.Outcome is PlacementOutcome.Created or PlacementOutcome.Replayed or PlacementOutcome.PaymentUnavailable)
            LogPlaced(logger, placement.Order?.Id, new MaskedEmail(email), categoryId, outcome, elapsed.TotalMilliseconds);
        else
            LogRejected(logger, new MaskedEmail(email), categoryId, outcome, elapsed.TotalMilliseconds);
    }

    /// <summary>A retried POST: the same order, with its VA asked for again if the first attempt never got one.</summary>
    private async Task<Placement> ReplayAsync(OrderRow previous, string email, int categoryId, CancellationToken ct)
    {
        if (previous.Email != email || previous.CategoryId != categoryId)
            return new Placement(PlacementOutcome.IdempotencyKeyReused, previous);
        if (previous.Status == OrderStatus.Pending && previous.VaNumber is null)
            return await ChargeAsync(previous, PlacementOutcome.Replayed);
        return new Placement(PlacementOutcome.Replayed, previous);
    }

    private async Task<Placement> ChargeAsync(OrderRow order, PlacementOutcome success)
    {
        // The charge and what follows run to the end even if the client goes away: a half-placed order would
        // hold a seat for the whole hold window. The gateway's own timeout bounds the wait.
        var request = new ChargeRequest(order.Id, order.Total, order.Bank ?? paymentOptions.Value.Midtrans.Bank,
            order.CreatedAt, order.ExpiresAt - order.CreatedAt);
        ChargeResult charge;
        using (var activity = Telemetry.Payments.StartActivity("gateway.charge", ActivityKind.Client))
        {
            activity?.SetTag("order.id", order.Id);
            charge = await gateway.ChargeAsync(request, CancellationToken.None);
            activity?.SetTag("gateway.outcome", charge.Failure?.ToString() ?? "success");
            if (!charge.Succeeded) activity?.SetStatus(ActivityStatusCode.Error, charge.Reason);
        }
        if (!charge.Succeeded)
        {
            if (await store.CancelAsync(order.Id, "payment gateway: " + charge.Reason, CancellationToken.None))
                metrics.Cancelled(order.CategoryId, "charge_failed");
            LogChargeFailed(logger, order.Id, charge.Reason);
            return new Placement(PlacementOutcome.PaymentUnavailable, order, charge);
        }
        bool recorded;
        using (Telemetry.Orders.StartActivity("virtual_account.record"))
        {
            recorded = await store.RecordVirtualAccountAsync(new VirtualAccountRecord(order.Id, charge.VaNumber!, charge.TransactionId));
        }
        if (!recorded)
        {
            // The hold ended while the gateway was answering: show the order as it is now.
            return new Placement(success, await store.GetAsync(order.Id, CancellationToken.None) ?? order);
        }
        return new Placement(success, order with { VaNumber = charge.VaNumber });
    }

    [LoggerMessage(EventName = "OrderPlaced", Level = LogLevel.Information, Message = "Order {OrderId} for {Email} in category {CategoryId}: {Outcome} in {DurationMs:0.0} ms")]
    private static partial void LogPlaced(ILogger logger, Guid? orderId, MaskedEmail email, int categoryId, string outcome, double durationMs);

    [LoggerMessage(EventName = "OrderRejected", Level = LogLevel.Debug, Message = "Order for {Email} in category {CategoryId} not placed: {Outcome} in {DurationMs:0.0} ms")]
    private static partial void LogRejected(ILogger logger, MaskedEmail email, int categoryId, string outcome, double durationMs);

    [LoggerMessage(EventName = "ChargeFailed", Level = LogLevel.Warning, Message = "Order {OrderId} cancelled: the payment gateway failed ({Reason})")]
    private static partial void LogChargeFailed(ILogger logger, Guid orderId, string? reason);
}
