using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConcertTicket.Tests.Infrastructure;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using ZXing;
using ZXing.Common;

namespace ConcertTicket.Tests.Tickets;

/// <summary>Paid orders and their tickets through the real API, and an offline scanner's checks.</summary>
internal static class TicketSale
{
    public const long Price = 1_000_000;

    public static async Task<Guid> OrderAsync(TestApp app, int category, string email)
    {
        var response = await app.PostOrderAsync(email, category);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("id").GetGuid();
    }

    /// <summary>Orders, pays with a settlement notification, and returns the order and its ticket code.</summary>
    public static async Task<(Guid OrderId, string Email, string Code)> PaidAsync(TestApp app, int category, string? email = null)
    {
        email ??= Sale.Email();
        var orderId = await OrderAsync(app, category, email);
        var paid = await Callbacks.PostAsync(app, orderId, "settlement", Price);
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        return (orderId, email, await CodeAsync(app, orderId));
    }

    public static async Task<string> CodeAsync(TestApp app, Guid orderId)
    {
        var order = (await TestApp.JsonAsync(await app.Client.GetAsync($"/orders/{orderId}"))).GetProperty("data");
        var ticket = order.GetProperty("ticket");
        Assert.Equal(JsonValueKind.Object, ticket.ValueKind);
        var code = ticket.GetProperty("code").GetString()!;
        Assert.Equal("/tickets/" + code, ticket.GetProperty("url").GetString());
        return code;
    }

    /// <summary>What an offline scanner does: find the header's kid in the JWK Set and check ES256. No service code.</summary>
    public static bool VerifiesWith(JsonElement jwkSet, string code)
    {
        var parts = code.Split('.');
        if (parts.Length != 3) return false;
        using var header = JsonDocument.Parse(Base64UrlDecode(parts[0]));
        var kid = header.RootElement.GetProperty("kid").GetString();
        foreach (var jwk in jwkSet.GetProperty("keys").EnumerateArray())
        {
            if (jwk.GetProperty("kid").GetString() != kid) continue;
            using var key = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = Base64UrlDecode(jwk.GetProperty("x").GetString()!), Y = Base64UrlDecode(jwk.GetProperty("y").GetString()!) },
            });
            return key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64UrlDecode(parts[2]), HashAlgorithmName.SHA256);
        }
        return false;
    }

    public static JsonElement Payload(string code) => JsonDocument.Parse(Base64UrlDecode(code.Split('.')[1])).RootElement.Clone();

    public static byte[] Base64UrlDecode(string s) => System.Buffers.Text.Base64Url.DecodeFromChars(s);

    /// <summary>Reads a QR code out of a PNG, as a phone camera would from the screen.</summary>
    public static string? DecodeQr(byte[] png)
    {
        using var image = Image.Load<Rgba32>(png);
        var gray = new byte[image.Width * image.Height];
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var p = image[x, y];
                gray[y * image.Width + x] = (byte)((p.R * 299 + p.G * 587 + p.B * 114) / 1000);
            }
        }
        var source = new RGBLuminanceSource(gray, image.Width, image.Height, RGBLuminanceSource.BitmapFormat.Gray8);
        var reader = new BarcodeReaderGeneric { Options = new DecodingOptions { PureBarcode = true, PossibleFormats = [BarcodeFormat.QR_CODE] } };
        return reader.Decode(source)?.Text;
    }
}
