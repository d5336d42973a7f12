using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Tickets;

/// <summary>The fan's ticket: its page, its QR code, and the public keys that verify it offline.</summary>
internal static partial class TicketEndpoints
{
    public static IHostApplicationBuilder AddTickets(this IHostApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddValidatedOptions<TicketOptions>(TicketOptions.Section, o => TicketKeys.Validate(o, development));
        builder.Services.AddSingleton(sp =>
        {
            var keys = TicketKeys.Create(sp.GetRequiredService<IOptions<TicketOptions>>().Value);
            if (keys.Ephemeral) LogEphemeralKey(sp.GetRequiredService<ILoggerFactory>().CreateLogger("ConcertTicket.Tickets"));
            return keys;
        });
        builder.Services.AddSingleton<TicketCode>();
        builder.Services.AddSingleton<TicketStore>();
        builder.Services.AddSingleton<TicketRevocation>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(TicketJsonContext.Default));
        builder.Services.AddTicketApiDocumentation();
        return builder;
    }

    public static IEndpointRouteBuilder MapTickets(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tickets").WithTags("Tickets");
        group.MapGet("/public-key", GetPublicKeys)
            .WithName("GetTicketPublicKeys")
            .WithSummary("The public keys that verify ticket codes (a JWK Set)")
            .WithDescription("A scanner that holds these keys verifies a ticket code offline: ES256 over the code's first two parts, the key named by the header's `kid`. The current key comes first; keys of earlier rotations stay while their tickets may be shown.");
        group.MapGet("/{code}", GetAsync)
            .WithName("GetTicket")
            .WithSummary("A ticket as the fan and the door see it")
            .WithDescription("The code is the ticket's signed JWS, from GET /orders/{id} or the e-mail. Its signature is checked before anything is read. A browser (Accept: text/html, as when the fan follows the e-mail's link) gets the ticket as a page with its QR code; every other client gets the JSON.")
            .Produces<TicketEnvelope>()
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_ticket")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_ticket")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        group.MapGet("/{code}/qr.png", GetPng)
            .WithName("GetTicketQrPng")
            .WithSummary("The ticket code as a QR image (PNG)")
            .Produces(StatusCodes.Status200OK, contentType: "image/png")
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_ticket");
        group.MapGet("/{code}/qr.svg", GetSvg)
            .WithName("GetTicketQrSvg")
            .WithSummary("The ticket code as a QR image (SVG)")
            .Produces(StatusCodes.Status200OK, contentType: "image/svg+xml")
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_ticket");
        return app;
    }

    /// <summary>GET /orders/{id}'s ticket: the paid order's code, signed now if nobody has read it yet.</summary>
    public static async Task<TicketLink?> LinkForOrderAsync(this TicketStore store, OrderRow order, CancellationToken ct)
    {
        if (order.Status != OrderStatus.Paid) return null;
        var ticket = await store.GetByOrderAsync(order.Id, ct);
        return ticket is null ? null : TicketLink.For(await store.EnsureCodeAsync(ticket, ct));
    }

    private static Ok<JwkSet> GetPublicKeys(HttpContext context, TicketKeys keys)
    {
        context.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(keys.JwkSet());
    }

    private static async Task<IResult> GetAsync(HttpContext context, string code, TicketCode codes, TicketStore store, CancellationToken ct)
    {
        if (codes.Verify(code) is not { } claims) return InvalidTicket();
        var ticket = await store.GetAsync(claims, ct);
        // A well-signed code that is not the one kept for its ticket was never handed out.
        if (ticket is null || (ticket.Code is not null && ticket.Code != code)) return UnknownTicket(claims.TicketId);
        var view = new TicketView(ticket.Id, ticket.OrderId, ticket.Concert, ticket.Category,
            new SeatView(ticket.Row, ticket.Column), MaskEmail(ticket.Email), ticket.Status, ticket.CheckedInAt, ticket.CheckedInGate);
        return TicketPage.IsWanted(context.Request) ? TicketPage.Render(context, code, view) : TypedResults.Ok(new TicketEnvelope(view));
    }

    private static Results<FileContentHttpResult, ProblemHttpResult> GetPng(string code, TicketCode codes) =>
        codes.Verify(code) is null ? InvalidTicket() : TypedResults.File(TicketQr.Png(code), "image/png");

    private static Results<FileContentHttpResult, ProblemHttpResult> GetSvg(string code, TicketCode codes) =>
        codes.Verify(code) is null
            ? InvalidTicket()
            : TypedResults.File(System.Text.Encoding.UTF8.GetBytes(TicketQr.Svg(code)), "image/svg+xml");

    internal static ProblemHttpResult InvalidTicket() => Problems.Of(400, "invalid_ticket",
        "The code is not a ticket signed by this sale's keys (GET /tickets/public-key).");

    internal static ProblemHttpResult UnknownTicket(Guid ticketId) => Problems.Of(404, "unknown_ticket",
        $"Ticket {ticketId} is well signed but not known here.");

    /// <summary>Enough of the holder's address for the door to ask, not enough to harvest: f***@example.com.</summary>
    internal static string MaskEmail(string email)
    {
        var at = email.LastIndexOf('@');
        return at <= 0 ? "***" : email[0] + "***" + email[at..];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tickets:SigningKey is not set: ticket codes are signed with a key made for this process and stop verifying when it restarts (Development only)")]
    private static partial void LogEphemeralKey(ILogger logger);
}
