using System.Diagnostics.Metrics;

namespace ConcertTicket.CheckIn;

/// <summary>Scans at the gates, by gate and result: a rush of already_checked_in at one gate is a copied ticket.</summary>
internal sealed class CheckInMetrics
{
    public const string MeterName = "ConcertTicket.CheckIn";

    private readonly Counter<long> _scans;

    public CheckInMetrics(IMeterFactory meters)
    {
        _scans = meters.Create(MeterName).CreateCounter<long>("concert_ticket.checkin.scans", "{scan}",
            "Ticket scans at the gates, by gate and result (admitted, already_checked_in, ticket_revoked, invalid_ticket, unknown_ticket).");
    }

    public void Scanned(string gate, string result) =>
        _scans.Add(1, new KeyValuePair<string, object?>("gate", gate), new KeyValuePair<string, object?>("result", Normalize(result)));

    private static string Normalize(string result) => result switch
    {
        "Admitted" => "admitted",
        "AlreadyCheckedIn" => "already_checked_in",
        "Revoked" => "ticket_revoked",
        "Unknown" => "unknown_ticket",
        _ => result,
    };
}
