using System.Security.Cryptography;
using ConcertTicket.Tickets;

namespace ConcertTicket.Tests.Tickets;

/// <summary>The QR image of any code a ticket can have reads back to that code (no database needed).</summary>
public sealed class TicketQrTests
{
    [Fact]
    public void Codes_of_a_tickets_length_all_read_back_from_their_QR_image()
    {
        // Codes are compact JWS: base64url parts joined by dots, about 380 characters. ECDSA signatures are random, so
        // every ticket's QR differs; a scanner must read them all, not most of them.
        var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var random = new Random(20261201);
        var unread = new List<string>();
        for (var i = 0; i < 150; i++)
        {
            var length = random.Next(340, 420);
            var chars = new char[length];
            for (var c = 0; c < length; c++) chars[c] = alphabet[random.Next(alphabet.Length)];
            chars[random.Next(20, 60)] = '.';
            chars[length - 87] = '.';
            var code = new string(chars);
            if (TicketSale.DecodeQr(TicketQr.Png(code)) != code) unread.Add(code);
        }
        Assert.True(unread.Count == 0, $"{unread.Count} of 150 codes did not read back, e.g. {unread.FirstOrDefault()}");
    }
}
