namespace ConcertTicket.Categories;

internal sealed class CategoriesOptions
{
    public const string Section = "Categories";

    /// <summary>How often the cached list of categories is recomputed from PostgreSQL.</summary>
    public int RefreshSeconds { get; set; } = 3;

    public TimeSpan RefreshPeriod => TimeSpan.FromSeconds(RefreshSeconds);
}
