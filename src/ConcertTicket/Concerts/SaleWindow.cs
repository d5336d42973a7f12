using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ConcertTicket.Concerts;

/// <summary>A concert's states and the answers POST /orders gives outside its sale (decided by the claim itself).</summary>
internal static class SaleWindow
{
    public const string Draft = "draft";
    public const string OnSale = "on_sale";
    public const string Paused = "paused";
    public const string Closed = "closed";

    public static readonly string[] States = [Draft, OnSale, Paused, Closed];

    /// <summary>Whether a concert may go from one state to another: never back to draft, never out of closed.</summary>
    public static bool CanChange(string from, string to) =>
        from == to || (to != Draft && from != Closed);

    public static ProblemHttpResult Problem(PlacementOutcome outcome, int categoryId) => outcome switch
    {
        PlacementOutcome.SaleNotOpen => Problems.Of(409, "sale_not_open",
            $"The sale for category {categoryId} has not opened yet."),
        PlacementOutcome.SaleClosed => Problems.Of(409, "sale_closed",
            $"The sale for category {categoryId} is closed."),
        PlacementOutcome.SalePaused => Problems.Of(409, "sale_paused",
            $"The sale for category {categoryId} is paused; try again later."),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };
}
