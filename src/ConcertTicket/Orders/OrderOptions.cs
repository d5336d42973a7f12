namespace ConcertTicket.Orders;

internal sealed class OrderOptions
{
    public const string Section = "Order";

    /// <summary>How long an unpaid order holds its seat.</summary>
    public int HoldSeconds { get; set; } = 900;

    public TimeSpan Hold => TimeSpan.FromSeconds(HoldSeconds);
}
