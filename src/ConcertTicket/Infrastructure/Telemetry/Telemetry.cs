using System.Diagnostics;

namespace ConcertTicket.Infrastructure;

/// <summary>The service's trace sources, one per feature.</summary>
internal static class Telemetry
{
    public const string ServiceName = "concert-ticket";

    public static readonly ActivitySource Orders = new("ConcertTicket.Orders");
    public static readonly ActivitySource Payments = new("ConcertTicket.Payments");
    public static readonly ActivitySource Expiry = new("ConcertTicket.Expiry");
    public static readonly ActivitySource Categories = new("ConcertTicket.Categories");
    /// <summary>Tickets after payment: their e-mails and the check-ins at the gates.</summary>
    public static readonly ActivitySource Tickets = new("ConcertTicket.Tickets");
    public static readonly ActivitySource Queue = new("ConcertTicket.Queue");

    public static readonly string[] SourceNames = [Orders.Name, Payments.Name, Expiry.Name, Categories.Name, Tickets.Name, Queue.Name];
}
