using ConcertTicket.Categories;

namespace ConcertTicket.Concerts;

/// <summary>A concert as the public API shows it (drafts are never shown).</summary>
internal sealed record ConcertView(
    int Id,
    string Name,
    string Venue,
    DateTimeOffset StartsAt,
    string TimeZone,
    DateTimeOffset? SaleOpensAt,
    DateTimeOffset? SaleClosesAt,
    string State);

internal sealed record ConcertList(IReadOnlyList<ConcertView> Data);

internal sealed record ConcertEnvelope(ConcertView Data);

/// <summary>A category with its number of seats, as the organiser set it up.</summary>
internal sealed record AdminCategoryView(int Id, string Name, long Price, int Seats);

/// <summary>A concert as the admin API shows it: any state, with its categories' layouts.</summary>
internal sealed record AdminConcertView(
    int Id,
    string Name,
    string Venue,
    DateTimeOffset StartsAt,
    string TimeZone,
    DateTimeOffset? SaleOpensAt,
    DateTimeOffset? SaleClosesAt,
    string State,
    IReadOnlyList<AdminCategoryView> Categories);

internal sealed record AdminConcertEnvelope(AdminConcertView Data);

internal sealed record AdminConcertList(IReadOnlyList<AdminConcertView> Data);

/// <summary>One concert's public data and its categories answer, as the catalog caches them.</summary>
internal sealed record CatalogEntry(ConcertView Concert, CategoryList Categories);
