using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Queue;

/// <summary>What an admission token says: which queue entry, for which email, until when.</summary>
internal sealed record Admission(Guid EntryId, string Email, DateTimeOffset Until);

/// <summary>
/// Signs and verifies admission tokens: <c>base64url(entry id | expiry | email) "." base64url(HMAC-SHA256)</c>.
/// Verifying needs only the shared secret, so POST /orders checks a token without a Redis or database round trip.
/// </summary>
internal sealed class AdmissionTokenSigner
{
    private const int Header = 16 + 8;
    private readonly byte[] _key;

    public AdmissionTokenSigner(IOptions<QueueOptions> options) : this(options.Value.SigningSecret)
    {
    }

    public AdmissionTokenSigner(string secret) => _key = Encoding.UTF8.GetBytes(secret);

    public string Sign(Admission admission)
    {
        var email = Encoding.UTF8.GetBytes(admission.Email);
        var payload = new byte[Header + email.Length];
        admission.EntryId.TryWriteBytes(payload.AsSpan(0, 16));
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(16, 8), admission.Until.ToUnixTimeMilliseconds());
        email.CopyTo(payload, Header);
        return Base64Url(payload) + "." + Base64Url(HMACSHA256.HashData(_key, payload));
    }

    /// <returns>The admission, or null when the token is malformed, forged or expired at <paramref name="now"/>.</returns>
    public Admission? Verify(string? token, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 2048) return null;
        var dot = token.IndexOf('.');
        if (dot <= 0) return null;
        byte[] payload, mac;
        try
        {
            payload = System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            mac = System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            return null;
        }
        if (payload.Length <= Header || !CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(_key, payload))) return null;
        var until = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(16, 8)));
        if (until <= now) return null;
        return new Admission(new Guid(payload.AsSpan(0, 16)), Encoding.UTF8.GetString(payload.AsSpan(Header)), until);
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
