namespace ConcertTicket.Categories;

/// <summary>
/// A seat category as the API shows it; <c>Total</c> is the number of seats still free (the seed's name).
/// <c>ConcertId</c> only in GET /categories while several concerts exist (with one, the seed's exact shape).
/// </summary>
internal sealed record CategoryView(int Id, string Name, long Price, int Total,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    int? ConcertId = null);

internal sealed record CategoryList(IReadOnlyList<CategoryView> Data);
