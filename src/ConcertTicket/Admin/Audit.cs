using Npgsql;

namespace ConcertTicket.Admin;

/// <summary>Who changed what, when: one admin_audit row per change, written in the change's own transaction.</summary>
internal static class Audit
{
    public const string InsertSql = """
        INSERT INTO admin_audit (actor, action, concert_id, order_id, detail) VALUES ($1, $2, $3, $4, $5::jsonb)
        """;

    public static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string actor,
        string action, int? concertId, Guid? orderId, string detailJson, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = actor });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = action });
        command.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = concertId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<Guid?> { TypedValue = orderId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = detailJson });
        await command.ExecuteNonQueryAsync(ct);
    }
}
