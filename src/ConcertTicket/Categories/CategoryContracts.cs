namespace ConcertTicket.Categories;

/// <summary>A seat category as the API shows it; <c>Total</c> is the number of seats still free (the seed's name).</summary>
internal sealed record CategoryView(int Id, string Name, long Price, int Total);

internal sealed record CategoryList(IReadOnlyList<CategoryView> Data);
