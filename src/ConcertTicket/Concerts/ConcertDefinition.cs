using System.Globalization;
using System.Text.Json;

namespace ConcertTicket.Concerts;

internal sealed record SeatPosition(int Row, int Column);

/// <summary>A category to create: a grid of rows × columns, or an explicit list of seats (an irregular venue).</summary>
internal sealed record CategoryDefinition(string Name, long Price, IReadOnlyList<SeatPosition> Seats);

/// <summary>A concert to create (POST /admin/concerts, concert create --file).</summary>
internal sealed record ConcertDefinition(
    string Name,
    string Venue,
    DateTimeOffset StartsAt,
    string TimeZone,
    DateTimeOffset? SaleOpensAt,
    DateTimeOffset? SaleClosesAt,
    string State,
    IReadOnlyList<CategoryDefinition> Categories)
{
    public int SeatCount => Categories.Sum(c => c.Seats.Count);
}

/// <summary>The changes PATCH /admin/concerts/{id} asks for; null members stay as they are.</summary>
internal sealed record ConcertPatch(
    string? Name,
    string? Venue,
    DateTimeOffset? SaleOpensAt,
    bool ClearSaleOpensAt,
    DateTimeOffset? SaleClosesAt,
    bool ClearSaleClosesAt,
    string? State,
    IReadOnlyList<CategoryChange>? Categories);

/// <summary>A draft concert's category to change: its price, its seats (a new grid or list replaces the old), or both.</summary>
internal sealed record CategoryChange(int Id, long? Price, IReadOnlyList<SeatPosition>? Seats);

/// <summary>
/// Reads concert bodies field by field, so that each mistake gets its own message naming the field
/// (<c>categories[1].price</c>), as POST /orders does.
/// </summary>
internal static class ConcertReader
{
    public const int MaxSeatsPerCategory = 200_000;
    public const int MaxSeatsPerConcert = 500_000;
    public const int MaxCategories = 100;
    private const int MaxErrors = 20;

    private static readonly string[] CreateFields =
        ["name", "venue", "starts_at", "time_zone", "sale_opens_at", "sale_closes_at", "state", "categories"];

    private static readonly string[] PatchFields = ["name", "venue", "sale_opens_at", "sale_closes_at", "state", "categories"];

    public static bool TryReadCreate(JsonElement body, out ConcertDefinition? definition, out Dictionary<string, string[]> errors)
    {
        errors = [];
        definition = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors[""] = ["must be a JSON object"];
            return false;
        }
        UnknownFields(body, CreateFields, "", errors);
        var name = RequiredText(body, "name", 200, errors);
        var venue = OptionalText(body, "venue", 200, errors) ?? "";
        var startsAt = Time(body, "starts_at", required: true, errors, out _);
        var timeZone = OptionalText(body, "time_zone", 64, errors) ?? "UTC";
        if (!errors.ContainsKey("time_zone") && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
            errors["time_zone"] = ["is not a known IANA time zone such as Asia/Jakarta"];
        var opens = Time(body, "sale_opens_at", required: false, errors, out _);
        var closes = Time(body, "sale_closes_at", required: false, errors, out _);
        if (opens is { } o && closes is { } c && o >= c) errors["sale_closes_at"] = ["must be after sale_opens_at"];
        var state = OptionalText(body, "state", 20, errors) ?? SaleWindow.Draft;
        if (!errors.ContainsKey("state") && !SaleWindow.States.Contains(state))
            errors["state"] = ["must be draft, on_sale, paused or closed"];

        var categories = new List<CategoryDefinition>();
        if (!body.TryGetProperty("categories", out var list) || list.ValueKind == JsonValueKind.Null)
            errors["categories"] = ["is required"];
        else if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > MaxCategories)
            errors["categories"] = [$"must be an array of 1 to {MaxCategories} categories"];
        else
        {
            var index = 0;
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var item in list.EnumerateArray())
            {
                if (errors.Count >= MaxErrors) break;
                var category = ReadCategory(item, $"categories[{index}]", errors);
                if (category is not null)
                {
                    if (!names.Add(category.Name)) errors[$"categories[{index}].name"] = ["is used by another category"];
                    categories.Add(category);
                }
                index++;
            }
            if (categories.Sum(x => (long)x.Seats.Count) > MaxSeatsPerConcert)
                errors["categories"] = [$"hold more than {MaxSeatsPerConcert} seats in all"];
        }
        if (errors.Count > 0) return false;
        definition = new ConcertDefinition(name!, venue, startsAt!.Value, timeZone, opens, closes, state, categories);
        return true;
    }

    public static bool TryReadPatch(JsonElement body, out ConcertPatch? patch, out Dictionary<string, string[]> errors)
    {
        errors = [];
        patch = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors[""] = ["must be a JSON object"];
            return false;
        }
        UnknownFields(body, PatchFields, "", errors);
        if (!body.EnumerateObject().Any()) errors[""] = ["names no field to change"];
        var name = body.TryGetProperty("name", out _) ? RequiredText(body, "name", 200, errors) : null;
        var venue = OptionalText(body, "venue", 200, errors);
        var opens = Time(body, "sale_opens_at", required: false, errors, out var clearOpens);
        var closes = Time(body, "sale_closes_at", required: false, errors, out var clearCloses);
        var state = OptionalText(body, "state", 20, errors);
        if (state is not null && !errors.ContainsKey("state") && state is not (SaleWindow.OnSale or SaleWindow.Paused or SaleWindow.Closed))
            errors["state"] = ["must be on_sale, paused or closed"];
        List<CategoryChange>? changes = null;
        if (body.TryGetProperty("categories", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > MaxCategories)
                errors["categories"] = ["must be an array of {\"id\", and \"price\" and/or \"rows\" and \"columns\" or \"seats\"}"];
            else
            {
                changes = [];
                var index = 0;
                foreach (var item in list.EnumerateArray())
                {
                    var path = $"categories[{index++}]";
                    if (item.ValueKind != JsonValueKind.Object) { errors[path] = ["must be an object"]; continue; }
                    UnknownFields(item, ["id", "price", "rows", "columns", "seats"], path + ".", errors);
                    var before = errors.Count;
                    var id = Integer(item, "id", path, 1, int.MaxValue, errors);
                    var price = item.TryGetProperty("price", out _) ? Price(item, path, errors) : null;
                    var laidOut = item.TryGetProperty("rows", out _) || item.TryGetProperty("columns", out _) || item.TryGetProperty("seats", out _);
                    var seats = laidOut ? ReadSeats(item, path, errors) : null;
                    if (!laidOut && !item.TryGetProperty("price", out _)) errors[path] = ["names nothing to change: give price, or rows and columns, or seats"];
                    if (errors.Count == before) changes.Add(new CategoryChange((int)id!.Value, price, seats));
                }
            }
        }
        if (errors.Count > 0) return false;
        patch = new ConcertPatch(name, venue, opens, clearOpens, closes, clearCloses, state, changes);
        return true;
    }

    private static CategoryDefinition? ReadCategory(JsonElement item, string path, Dictionary<string, string[]> errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors[path] = ["must be an object"];
            return null;
        }
        UnknownFields(item, ["name", "price", "rows", "columns", "seats"], path + ".", errors);
        var before = errors.Count;
        string? name = null;
        if (!item.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(n.GetString()) || n.GetString()!.Length > 100)
            errors[path + ".name"] = ["is required: a string of 1 to 100 characters"];
        else
            name = n.GetString()!.Trim();
        var price = Price(item, path, errors);
        var seats = ReadSeats(item, path, errors);
        return errors.Count > before ? null : new CategoryDefinition(name!, price!.Value, seats!);
    }

    /// <summary>A category's seats: a grid of rows × columns, or an explicit list; null (and errors) when invalid.</summary>
    private static List<SeatPosition>? ReadSeats(JsonElement item, string path, Dictionary<string, string[]> errors)
    {
        var before = errors.Count;
        var seats = new List<SeatPosition>();
        var hasGrid = item.TryGetProperty("rows", out _) || item.TryGetProperty("columns", out _);
        var hasList = item.TryGetProperty("seats", out var list) && list.ValueKind != JsonValueKind.Null;
        if (hasGrid == hasList)
        {
            errors[path] = ["needs either rows and columns, or seats"];
        }
        else if (hasGrid)
        {
            var rows = Integer(item, "rows", path, 1, 10_000, errors);
            var columns = Integer(item, "columns", path, 1, 10_000, errors);
            if (rows is { } r && columns is { } c)
            {
                if (r * c > MaxSeatsPerCategory) errors[path] = [$"has more than {MaxSeatsPerCategory} seats"];
                else
                    for (var row = 1; row <= r; row++)
                        for (var column = 1; column <= c; column++) seats.Add(new SeatPosition(row, column));
            }
        }
        else if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > MaxSeatsPerCategory)
        {
            errors[path + ".seats"] = [$"must be an array of 1 to {MaxSeatsPerCategory} seats"];
        }
        else
        {
            var taken = new HashSet<SeatPosition>();
            var index = 0;
            foreach (var seat in list.EnumerateArray())
            {
                var seatPath = $"{path}.seats[{index++}]";
                if (seat.ValueKind != JsonValueKind.Object) { errors[seatPath] = ["must be {\"row\",\"column\"}"]; break; }
                var row = Integer(seat, "row", seatPath, 1, 100_000, errors);
                var column = Integer(seat, "column", seatPath, 1, 100_000, errors);
                if (row is null || column is null) break;
                var position = new SeatPosition((int)row, (int)column);
                if (!taken.Add(position)) { errors[seatPath] = ["is listed twice"]; break; }
                seats.Add(position);
            }
        }
        return errors.Count > before ? null : seats;
    }

    private static long? Price(JsonElement item, string path, Dictionary<string, string[]> errors)
    {
        if (!item.TryGetProperty("price", out var p) || p.ValueKind != JsonValueKind.Number || !p.TryGetInt64(out var price) || price <= 0)
        {
            errors[path + ".price"] = ["is required: a positive whole number of rupiah"];
            return null;
        }
        return price;
    }

    private static long? Integer(JsonElement item, string field, string path, long min, long max, Dictionary<string, string[]> errors)
    {
        if (!item.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var value) || value < min || value > max)
        {
            errors[$"{path}.{field}"] = [$"is required: an integer from {min} to {max}"];
            return null;
        }
        return value;
    }

    private static string? RequiredText(JsonElement body, string field, int max, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) { errors[field] = ["is required"]; return null; }
        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()) || v.GetString()!.Length > max)
        {
            errors[field] = [$"must be a string of 1 to {max} characters"];
            return null;
        }
        return v.GetString()!.Trim();
    }

    private static string? OptionalText(JsonElement body, string field, int max, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length > max)
        {
            errors[field] = [$"must be a string of at most {max} characters"];
            return null;
        }
        return v.GetString()!.Trim();
    }

    /// <summary>An RFC 3339 time with its offset; <paramref name="cleared"/> when the field is an explicit null.</summary>
    private static DateTimeOffset? Time(JsonElement body, string field, bool required, Dictionary<string, string[]> errors, out bool cleared)
    {
        cleared = false;
        if (!body.TryGetProperty(field, out var v))
        {
            if (required) errors[field] = ["is required"];
            return null;
        }
        if (v.ValueKind == JsonValueKind.Null)
        {
            if (required) errors[field] = ["is required"];
            cleared = true;
            return null;
        }
        if (v.ValueKind != JsonValueKind.String
            || !DateTimeOffset.TryParseExact(v.GetString(), ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            || !(v.GetString()!.EndsWith('Z') || v.GetString()!.Contains('+', StringComparison.Ordinal) || v.GetString()!.LastIndexOf('-') > 9))
        {
            errors[field] = ["must be an RFC 3339 time with an offset, such as 2027-03-01T19:00:00+07:00"];
            return null;
        }
        return time;
    }

    private static void UnknownFields(JsonElement body, string[] known, string prefix, Dictionary<string, string[]> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (errors.Count >= MaxErrors) break;
            if (!known.Contains(property.Name)) errors[prefix + property.Name] = ["is not a known field"];
            else if (!seen.Add(property.Name)) errors[prefix + property.Name] = ["appears more than once"];
        }
    }
}
