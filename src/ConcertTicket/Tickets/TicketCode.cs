using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ConcertTicket.Tickets;

/// <summary>What a ticket code says, signed: enough for a scanner to admit the holder without the server.</summary>
internal sealed record TicketClaims(Guid TicketId, Guid OrderId, string Concert, string Category, int Row, int Column, DateTimeOffset IssuedAt);

/// <summary>
/// A ticket's code: a compact JWS (RFC 7515) signed with ES256, whose header names the key (kid, the key's JWK
/// thumbprint) and whose payload holds <see cref="TicketClaims"/> as tid, oid, concert, category, row, column, iat.
/// Verification needs only the public keys, never the database.
/// </summary>
internal sealed class TicketCode(TicketKeys keys)
{
    /// <summary>Longer codes are refused before any parsing (a real one is about 400 characters).</summary>
    public const int MaxLength = 2048;

    public string Sign(TicketClaims claims)
    {
        var header = Json(w =>
        {
            w.WriteString("alg", "ES256");
            w.WriteString("kid", keys.Current.Kid);
            w.WriteString("typ", "ticket+jws");
        });
        var payload = Json(w =>
        {
            w.WriteString("tid", claims.TicketId);
            w.WriteString("oid", claims.OrderId);
            w.WriteString("concert", claims.Concert);
            w.WriteString("category", claims.Category);
            w.WriteNumber("row", claims.Row);
            w.WriteNumber("column", claims.Column);
            w.WriteNumber("iat", claims.IssuedAt.ToUnixTimeSeconds());
        });
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payload);
        // .NET writes ECDSA signatures as r || s (IEEE P1363), which is the JWS form.
        var signature = keys.Signing.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <returns>The claims of a code signed by one of <see cref="TicketKeys.All"/>; null for anything else.</returns>
    public TicketClaims? Verify(string? code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > MaxLength) return null;
        var first = code.IndexOf('.');
        var second = first < 0 ? -1 : code.IndexOf('.', first + 1);
        if (first <= 0 || second <= first + 1 || second == code.Length - 1 || code.IndexOf('.', second + 1) >= 0) return null;
        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(code.AsSpan(0, first)));
            if (header.RootElement.ValueKind != JsonValueKind.Object
                || !header.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "ES256"
                || !header.RootElement.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String
                || keys.Find(kid.GetString()!) is not { } key)
            {
                return null;
            }
            var signature = Base64Url.DecodeFromChars(code.AsSpan(second + 1));
            if (signature.Length != 64
                || !key.Key.VerifyData(Encoding.ASCII.GetBytes(code, 0, second), signature, HashAlgorithmName.SHA256))
            {
                return null;
            }
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(code.AsSpan(first + 1, second - first - 1)));
            var p = payload.RootElement;
            return new TicketClaims(p.GetProperty("tid").GetGuid(), p.GetProperty("oid").GetGuid(),
                p.GetProperty("concert").GetString()!, p.GetProperty("category").GetString()!,
                p.GetProperty("row").GetInt32(), p.GetProperty("column").GetInt32(),
                DateTimeOffset.FromUnixTimeSeconds(p.GetProperty("iat").GetInt64()));
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            // Not base64url, not JSON, or a payload of the wrong shape: a signed one never is (we signed it).
            return null;
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: "ticket+jws" stays readable; the payload is never embedded in HTML.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
