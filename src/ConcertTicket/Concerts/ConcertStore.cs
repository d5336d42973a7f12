using System.Text.Json;
using System.Text.Json.Nodes;
using ConcertTicket.Admin;
using Npgsql;
using NpgsqlTypes;

namespace ConcertTicket.Concerts;

internal enum ConcertChange { Changed, UnknownConcert, InvalidStateChange, NotDraft, UnknownCategory, InvalidWindow }

internal sealed record ConcertChangeResult(ConcertChange Outcome, AdminConcertView? Concert = null, string? Detail = null);

/// <summary>
/// The organiser's SQL: concerts created in one transaction (the seats written with binary COPY), changed under a
/// row lock, each change audited in the same transaction.
/// </summary>
internal sealed class ConcertStore(NpgsqlDataSource dataSource)
{
    private const string SelectConcertSql = """
        SELECT k.id, k.name, k.venue, k.starts_at, k.time_zone, k.sale_opens_at, k.sale_closes_at, k.state,
               c.id, c.name, c.price, (SELECT count(*) FROM seats s WHERE s.category_id = c.id)::int
        FROM concerts k LEFT JOIN categories c ON c.concert_id = k.id
        """;

    public async Task<AdminConcertView> CreateAsync(ConcertDefinition concert, string actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        int concertId;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO concerts (name, venue, starts_at, time_zone, sale_opens_at, sale_closes_at, state)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = concert.Name });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = concert.Venue });
            insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = concert.StartsAt.UtcDateTime });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = concert.TimeZone });
            insert.Parameters.Add(TimeParameter(concert.SaleOpensAt));
            insert.Parameters.Add(TimeParameter(concert.SaleClosesAt));
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = concert.State });
            concertId = (int)(await insert.ExecuteScalarAsync(ct))!;
        }

        var categoryIds = new int[concert.Categories.Count];
        for (var i = 0; i < concert.Categories.Count; i++)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO categories (concert_id, name, price) VALUES ($1, $2, $3) RETURNING id", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = concertId });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = concert.Categories[i].Name });
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = concert.Categories[i].Price });
            categoryIds[i] = (int)(await insert.ExecuteScalarAsync(ct))!;
        }

        for (var i = 0; i < concert.Categories.Count; i++)
        {
            await CopySeatsAsync(connection, concertId, categoryIds[i], concert.Categories[i].Seats, ct);
        }

        var detail = new JsonObject
        {
            ["name"] = concert.Name,
            ["state"] = concert.State,
            ["categories"] = concert.Categories.Count,
            ["seats"] = concert.SeatCount,
        };
        await Audit.RecordAsync(connection, transaction, actor, "concert.create", concertId, null, detail.ToJsonString(), ct);
        await transaction.CommitAsync(ct);
        return (await GetAsync(concertId, ct))!;
    }

    public async Task<AdminConcertView?> GetAsync(int id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await ReadAsync(connection, null, " WHERE k.id = $1 ORDER BY c.id", id, ct)).SingleOrDefault();
    }

    public async Task<List<AdminConcertView>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await ReadAsync(connection, null, " ORDER BY k.starts_at, k.id, c.id", null, ct);
    }

    /// <summary>Applies a PATCH under the concert's row lock; the claim reads the new state from its next statement on.</summary>
    public async Task<ConcertChangeResult> ChangeAsync(int id, ConcertPatch patch, string actor, string detailJson, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        string state;
        DateTimeOffset? opens, closes;
        await using (var select = new NpgsqlCommand(
            "SELECT state, sale_opens_at, sale_closes_at FROM concerts WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
            await using var reader = await select.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new ConcertChangeResult(ConcertChange.UnknownConcert);
            state = reader.GetString(0);
            opens = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
            closes = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2);
        }
        if (patch.State is { } target && !SaleWindow.CanChange(state, target))
            return new ConcertChangeResult(ConcertChange.InvalidStateChange, Detail: $"Concert {id} is {state}; it cannot become {target}.");
        if (patch.Categories is { Count: > 0 } && state != SaleWindow.Draft)
            return new ConcertChangeResult(ConcertChange.NotDraft, Detail: $"Concert {id} is {state}; prices and seats change only while it is a draft.");
        var newOpens = patch.ClearSaleOpensAt ? null : patch.SaleOpensAt ?? opens;
        var newCloses = patch.ClearSaleClosesAt ? null : patch.SaleClosesAt ?? closes;
        if (newOpens is { } o && newCloses is { } c && o >= c)
            return new ConcertChangeResult(ConcertChange.InvalidWindow, Detail: "sale_closes_at must be after sale_opens_at.");

        await using (var update = new NpgsqlCommand("""
            UPDATE concerts SET name = coalesce($2, name), venue = coalesce($3, venue), sale_opens_at = $4,
                   sale_closes_at = $5, state = coalesce($6, state)
            WHERE id = $1
            """, connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
            update.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = patch.Name, NpgsqlDbType = NpgsqlDbType.Text });
            update.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = patch.Venue, NpgsqlDbType = NpgsqlDbType.Text });
            update.Parameters.Add(TimeParameter(newOpens));
            update.Parameters.Add(TimeParameter(newCloses));
            update.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = patch.State, NpgsqlDbType = NpgsqlDbType.Text });
            await update.ExecuteNonQueryAsync(ct);
        }
        foreach (var change in patch.Categories ?? [])
        {
            // A draft never sold (the claim refuses it), so its seats are all free and can be laid out again.
            await using var update = new NpgsqlCommand("""
                WITH category AS (
                    UPDATE categories SET price = coalesce($3, price) WHERE id = $1 AND concert_id = $2 RETURNING id
                ),
                cleared AS (
                    DELETE FROM seats WHERE $4 AND category_id = (SELECT id FROM category) AND order_id IS NULL
                )
                SELECT count(*) FROM category
                """, connection, transaction);
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = change.Id });
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
            update.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = change.Price, NpgsqlDbType = NpgsqlDbType.Bigint });
            update.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = change.Seats is not null });
            if ((long)(await update.ExecuteScalarAsync(ct))! == 0)
                return new ConcertChangeResult(ConcertChange.UnknownCategory, Detail: $"Concert {id} has no category {change.Id}.");
            if (change.Seats is { } seats) await CopySeatsAsync(connection, id, change.Id, seats, ct);
        }
        var action = patch.State is { } s && s != state ? "concert.state." + s : "concert.update";
        await Audit.RecordAsync(connection, transaction, actor, action, id, null, detailJson, ct);
        var view = (await ReadAsync(connection, transaction, " WHERE k.id = $1 ORDER BY c.id", id, ct)).Single();
        await transaction.CommitAsync(ct);
        return new ConcertChangeResult(ConcertChange.Changed, view);
    }

    /// <summary>A category's seats in bulk (COPY): 75,000 in well under a second.</summary>
    private static async Task CopySeatsAsync(NpgsqlConnection connection, int concertId, int categoryId,
        IReadOnlyList<SeatPosition> seats, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY seats (concert_id, category_id, row_no, col_no) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var seat in seats)
        {
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(concertId, NpgsqlDbType.Integer, ct);
            await importer.WriteAsync(categoryId, NpgsqlDbType.Integer, ct);
            await importer.WriteAsync(seat.Row, NpgsqlDbType.Integer, ct);
            await importer.WriteAsync(seat.Column, NpgsqlDbType.Integer, ct);
        }
        await importer.CompleteAsync(ct);
    }

    /// <summary>open, pause, close: a PATCH of the state alone.</summary>
    public Task<ConcertChangeResult> SetStateAsync(int id, string state, string actor, CancellationToken ct) =>
        ChangeAsync(id, new ConcertPatch(null, null, null, false, null, false, state, null), actor,
            JsonSerializer.Serialize(new Dictionary<string, string> { ["state"] = state }), ct);

    private static async Task<List<AdminConcertView>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        string where, int? id, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(SelectConcertSql + where, connection, transaction);
        if (id is { } value) command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var concerts = new List<AdminConcertView>();
        List<AdminCategoryView>? categories = null;
        while (await reader.ReadAsync(ct))
        {
            var concertId = reader.GetInt32(0);
            if (concerts.Count == 0 || concerts[^1].Id != concertId)
            {
                categories = [];
                concerts.Add(new AdminConcertView(concertId, reader.GetString(1), reader.GetString(2),
                    reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    reader.GetString(7), categories));
            }
            if (!reader.IsDBNull(8))
                categories!.Add(new AdminCategoryView(reader.GetInt32(8), reader.GetString(9), reader.GetInt64(10), reader.GetInt32(11)));
        }
        return concerts;
    }

    private static NpgsqlParameter<DateTime?> TimeParameter(DateTimeOffset? time) =>
        new() { TypedValue = time?.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
