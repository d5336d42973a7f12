using ConcertTicket.Categories;
using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ConcertTicket.Concerts;

/// <summary>The public concerts and their categories at one moment.</summary>
internal sealed record CatalogSnapshot(IReadOnlyList<ConcertView> Listed, IReadOnlyDictionary<int, CatalogEntry> ById);

/// <summary>
/// Serves the public concert reads from an in-process copy recomputed at most once per Categories:RefreshSeconds
/// (one query for every concert, whatever the number of requests); concurrent requests share one refresh. When
/// PostgreSQL cannot answer it keeps serving the last copy it has.
/// </summary>
internal sealed partial class ConcertCatalog(
    NpgsqlDataSource dataSource,
    PostgresDeadline deadline,
    IOptions<CategoriesOptions> options,
    TimeProvider time,
    ILogger<ConcertCatalog> logger) : IDisposable
{
    // Free seats are counted through the partial index of free seats, and only for concerts that sell.
    internal const string CatalogSql = """
        SELECT k.id, k.name, k.venue, k.starts_at, k.time_zone, k.sale_opens_at, k.sale_closes_at, k.state,
               (k.state IN ('on_sale', 'paused') AND (k.sale_closes_at IS NULL OR now() < k.sale_closes_at)) AS listed,
               c.id, c.name, c.price,
               CASE WHEN k.state IN ('on_sale', 'paused')
                    THEN (SELECT count(*) FROM seats s WHERE s.category_id = c.id AND s.order_id IS NULL)::int
                    ELSE 0 END
        FROM concerts k LEFT JOIN categories c ON c.concert_id = k.id
        WHERE k.state <> 'draft'
        ORDER BY k.starts_at, k.id, c.id
        """;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (CatalogSnapshot Snapshot, long At)? _current;

    public async Task<CatalogSnapshot> GetAsync(CancellationToken ct)
    {
        if (Fresh() is { } fresh) return fresh;
        await _gate.WaitAsync(ct);
        try
        {
            if (Fresh() is { } again) return again;
            try
            {
                var snapshot = await deadline.RunAsync(LoadAsync, ct);
                _current = (snapshot, time.GetTimestamp());
                return snapshot;
            }
            catch (Exception e) when (_current is { } last && e is NpgsqlException or TimeoutException or DependencyUnavailableException)
            {
                LogStale(logger, e.Message);
                return last.Snapshot;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Forgets the copy, so that the next read sees a change at once (tests, the admin API).</summary>
    public void Invalidate() => _current = null;

    private CatalogSnapshot? Fresh() =>
        _current is { } c && time.GetElapsedTime(c.At) < options.Value.RefreshPeriod ? c.Snapshot : null;

    private async Task<CatalogSnapshot> LoadAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(CatalogSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var listed = new List<ConcertView>();
        var byId = new Dictionary<int, CatalogEntry>();
        List<CategoryView>? categories = null;
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetInt32(0);
            if (!byId.ContainsKey(id))
            {
                var concert = new ConcertView(id, reader.GetString(1), reader.GetString(2),
                    reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    reader.GetString(7));
                categories = [];
                byId[id] = new CatalogEntry(concert, new CategoryList(categories));
                if (reader.GetBoolean(8)) listed.Add(concert);
            }
            if (!reader.IsDBNull(9))
                categories!.Add(new CategoryView(reader.GetInt32(9), reader.GetString(10), reader.GetInt64(11), reader.GetInt32(12)));
        }
        return new CatalogSnapshot(listed, byId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Concerts: PostgreSQL could not refresh the catalog, serving the last copy ({Reason})")]
    private static partial void LogStale(ILogger logger, string reason);
}
