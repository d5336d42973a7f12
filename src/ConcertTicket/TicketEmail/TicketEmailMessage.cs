using System.Net;
using ConcertTicket.Tickets;
using MimeKit;
using MimeKit.Utils;

namespace ConcertTicket.TicketEmail;

/// <summary>The ticket e-mail: the concert, category and seat, the QR code inline (CID) and a link to the ticket page.</summary>
internal static class TicketEmailMessage
{
    public const string TicketIdHeader = "X-Ticket-Id";

    public static MimeMessage Create(TicketRow ticket, string code, EmailOptions options)
    {
        var link = options.PublicBaseUrl.TrimEnd('/') + TicketLink.For(code).Url;
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.From));
        message.To.Add(MailboxAddress.Parse(ticket.Email));
        message.Subject = $"Your ticket: {ticket.Concert}, {ticket.Category}, row {ticket.Row} seat {ticket.Column}";
        // The same Message-ID on every attempt: a mail client shows a rare duplicate (see docs) as one message.
        message.MessageId = $"ticket-{ticket.Id:N}@concert-ticket";
        message.Headers.Add(TicketIdHeader, ticket.Id.ToString());

        var body = new BodyBuilder();
        var qr = body.LinkedResources.Add("ticket-qr.png", TicketQr.Png(code, pixelsPerModule: 5), new ContentType("image", "png"));
        qr.ContentId = MimeUtils.GenerateMessageId();
        body.TextBody = $"""
            Your ticket for {ticket.Concert}

            Category: {ticket.Category}
            Seat: row {ticket.Row}, seat {ticket.Column}
            Order: {ticket.OrderId}

            Show the QR code at the gate, on paper or on your phone. Your ticket: {link}

            Ticket code: {code}
            """;
        var e = (string s) => WebUtility.HtmlEncode(s);
        body.HtmlBody = $"""
            <!doctype html>
            <html><body style="font-family: sans-serif">
            <h1>{e(ticket.Concert)}</h1>
            <p><strong>{e(ticket.Category)}</strong>, row {ticket.Row}, seat {ticket.Column}</p>
            <p><img src="cid:{qr.ContentId}" alt="Your ticket's QR code" width="300"></p>
            <p>Show this QR code at the gate. <a href="{e(link)}">Your ticket</a></p>
            <p style="color: #666; font-size: small">Order {ticket.OrderId}</p>
            </body></html>
            """;
        message.Body = body.ToMessageBody();
        return message;
    }
}
