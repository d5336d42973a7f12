namespace LoadGenerator;

/// <summary>
/// Decides when the sale is over: a streak of "nothing left" observations (categories all at 0, orders
/// refused as sold_out) that no "seats left" observation (a category above 0, a created order) breaks.
/// A single all-zero answer is not enough: the category list may come from a cache, and unpaid holds
/// that expire give seats back.
/// </summary>
internal sealed class SellOutWatch(int confirmations, Action onConfirmed)
{
    private long _streak;
    private long _streakStartMs = -1;
    private long _firstAllZeroMs = -1;
    private long _confirmedAtMs = -1;
    private long _soldOutAtMs = -1;

    public int Confirmations => confirmations;

    /// <summary>First time any categories answer had every total at 0.</summary>
    public long FirstAllZeroMs => Interlocked.Read(ref _firstAllZeroMs);

    /// <summary>Start of the streak that confirmed the sell-out, or -1.</summary>
    public long SoldOutAtMs => Interlocked.Read(ref _soldOutAtMs);

    public long ConfirmedAtMs => Interlocked.Read(ref _confirmedAtMs);

    public void SawSeatsLeft()
    {
        // Read first: while seats are left (most of a run) no VU writes this shared line.
        if (Volatile.Read(ref _streak) != 0)
        {
            Interlocked.Exchange(ref _streak, 0);
            Interlocked.Exchange(ref _streakStartMs, -1);
        }
    }

    public void SawSoldOut(long nowMs, bool fromCategories)
    {
        if (fromCategories)
        {
            Interlocked.CompareExchange(ref _firstAllZeroMs, nowMs, -1);
        }

        Interlocked.CompareExchange(ref _streakStartMs, nowMs, -1);
        if (Interlocked.Increment(ref _streak) >= confirmations
            && Interlocked.CompareExchange(ref _confirmedAtMs, nowMs, -1) == -1)
        {
            var start = Interlocked.Read(ref _streakStartMs);
            Interlocked.Exchange(ref _soldOutAtMs, start >= 0 ? start : nowMs);
            onConfirmed();
        }
    }
}
