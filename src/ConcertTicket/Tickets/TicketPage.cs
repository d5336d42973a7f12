using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.Net.Http.Headers;

namespace ConcertTicket.Tickets;

/// <summary>
/// GET /tickets/{code} as a browser asks for it (the e-mail's link): the ticket as a page, with its QR code to show
/// at the gate. API clients (Accept: application/json, */*, or none) keep getting the JSON.
/// </summary>
internal static class TicketPage
{
    // Only this origin's stylesheet and the QR image; no script.
    private const string Policy = "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static bool IsWanted(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase) && a.Quality is not 0);

    public static IResult Render(HttpContext context, string code, TicketView ticket)
    {
        var e = HtmlEncoder.Default;
        var status = ticket.Status switch
        {
            TicketStatus.CheckedIn => $"Checked in at gate {e.Encode(ticket.CheckedInGate ?? "")}, "
                + e.Encode(ticket.CheckedInAt?.ToString("u", CultureInfo.InvariantCulture) ?? ""),
            TicketStatus.Revoked => "Revoked: this ticket was refunded and admits nobody",
            _ => "Valid: show this code at the gate",
        };
        var qr = "/tickets/" + Uri.EscapeDataString(code) + "/qr.svg";
        var html = $"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Your ticket: {e.Encode(ticket.Concert)}</title>
              <link rel="stylesheet" href="/app.css">
            </head>
            <body>
              <header><h1>{e.Encode(ticket.Concert)}</h1><p class="sub">Your ticket</p></header>
              <main>
                <section class="card" data-ticket-status="{e.Encode(ticket.Status)}">
                  <p class="big">{status}</p>
                  <img src="{e.Encode(qr)}" alt="The ticket's QR code" width="320" height="320">
                  <dl>
                    <dt>Category</dt><dd>{e.Encode(ticket.Category)}</dd>
                    <dt>Seat</dt><dd>row {ticket.Seat.Row}, seat {ticket.Seat.Column}</dd>
                    <dt>Holder</dt><dd>{e.Encode(ticket.Holder)}</dd>
                    <dt>Ticket</dt><dd class="mono">{ticket.TicketId}</dd>
                  </dl>
                </section>
              </main>
              <footer>One entry per ticket: the first scan at a gate admits, every later one is refused.</footer>
            </body>
            </html>
            """;
        context.Response.Headers.ContentSecurityPolicy = Policy;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Append(HeaderNames.Vary, HeaderNames.Accept);
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }
}
