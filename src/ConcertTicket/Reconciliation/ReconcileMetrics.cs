using System.Diagnostics.Metrics;

namespace ConcertTicket.Reconciliation;

/// <summary>What asking Midtrans found, and when it did not answer.</summary>
internal sealed class ReconcileMetrics
{
    public const string MeterName = "ConcertTicket.Reconciliation";

    private readonly Counter<long> _unanswered;
    private readonly Counter<long> _foundPaid;
    private readonly Counter<long> _disagreements;

    public ReconcileMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _unanswered = meter.CreateCounter<long>("concert_ticket.reconcile.unanswered", "{order}",
            "Status questions Midtrans did not answer in time, by path (expiry, sweep, report, verify); at expiry the order was expired anyway.");
        _foundPaid = meter.CreateCounter<long>("concert_ticket.reconcile.found_paid", "{order}",
            "Orders Midtrans reported paid although no notification had paid them, by path (expiry, sweep, report).");
        _disagreements = meter.CreateCounter<long>("concert_ticket.reconcile.disagreements", "{order}",
            "Orders whose state here and at Midtrans disagreed in the daily proof, by kind.");
    }

    public void Unanswered(string path) => _unanswered.Add(1, new KeyValuePair<string, object?>("path", path));

    public void FoundPaid(string path) => _foundPaid.Add(1, new KeyValuePair<string, object?>("path", path));

    public void Disagreement(string kind) => _disagreements.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
