using System.Text.Json;

namespace LoadGenerator;

/// <summary>
/// Reads the few fields the scenario needs straight from the UTF-8 body: no DOM, no allocation
/// beyond the created order's id, since the generator shares the machine's cores with the service.
/// </summary>
internal static class ResponseReader
{
    /// <summary><c>{"data":[{"id":1,...,"total":15000}, ...]}</c> into parallel lists (cleared first).</summary>
    public static bool TryReadCategories(ReadOnlySpan<byte> body, List<int> ids, List<long> free)
    {
        ids.Clear();
        free.Clear();
        try
        {
            var reader = new Utf8JsonReader(body);
            int? id = null;
            long? total = null;
            while (reader.Read())
            {
                // Depth 2 is an object inside the "data" array; its fields sit at depth 3.
                if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth == 2)
                {
                    id = null;
                    total = null;
                }
                else if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 3)
                {
                    if (reader.ValueTextEquals("id"u8))
                    {
                        reader.Read();
                        id = reader.GetInt32();
                    }
                    else if (reader.ValueTextEquals("total"u8))
                    {
                        reader.Read();
                        total = reader.GetInt64();
                    }
                }
                else if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 2)
                {
                    if (id is null || total is null)
                    {
                        return false;
                    }

                    ids.Add(id.Value);
                    free.Add(total.Value);
                }
            }

            return ids.Count > 0;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    /// <summary>The created order's <c>data.id</c> and <c>data.total</c>.</summary>
    public static bool TryReadOrder(ReadOnlySpan<byte> body, out string orderId, out long total)
    {
        orderId = "";
        total = -1;
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 2)
                {
                    continue;
                }

                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    orderId = reader.GetString() ?? "";
                }
                else if (reader.ValueTextEquals("total"u8))
                {
                    reader.Read();
                    total = reader.GetInt64();
                }
            }

            return orderId.Length > 0 && total >= 0;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    /// <summary>The problem's <c>code</c> (top level, where ASP.NET Core writes extensions).</summary>
    public static ConflictCode ReadConflictCode(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1
                    && reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    if (reader.ValueTextEquals("already_ordered"u8))
                    {
                        return ConflictCode.AlreadyOrdered;
                    }

                    return reader.ValueTextEquals("sold_out"u8) ? ConflictCode.SoldOut : ConflictCode.Other;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return ConflictCode.Other;
        }

        return ConflictCode.Other;
    }
}

internal enum ConflictCode
{
    Other,
    AlreadyOrdered,
    SoldOut,
}
