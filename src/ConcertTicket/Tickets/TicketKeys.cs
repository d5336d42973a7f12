using System.Security.Cryptography;
using System.Text;

namespace ConcertTicket.Tickets;

/// <summary>A JSON Web Key (RFC 7517) of an EC P-256 public key.</summary>
internal sealed record Jwk(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);

/// <summary>A JWK Set: the keys tickets may be signed with, the current one first.</summary>
internal sealed record JwkSet(IReadOnlyList<Jwk> Keys);

/// <summary>One P-256 public key as a JWK (RFC 7517), with its RFC 7638 thumbprint as the kid.</summary>
internal sealed record TicketPublicKey(string Kid, ECDsa Key, string X, string Y);

/// <summary>
/// The signing key and every key a ticket may have been signed with, by kid. Built once at start from
/// <see cref="TicketOptions"/>; a key that is not a P-256 key fails the start with the configuration key's name.
/// </summary>
internal sealed class TicketKeys : IDisposable
{
    private const string P256Oid = "1.2.840.10045.3.1.7";

    private readonly Dictionary<string, TicketPublicKey> _byKid = new(StringComparer.Ordinal);

    public TicketKeys(ECDsa signing, IEnumerable<ECDsa> previous, bool ephemeral = false)
    {
        Signing = signing;
        Ephemeral = ephemeral;
        Current = Describe(signing);
        _byKid[Current.Kid] = Current;
        foreach (var key in previous)
        {
            var described = Describe(key);
            _byKid.TryAdd(described.Kid, described);
        }
    }

    public ECDsa Signing { get; }

    public TicketPublicKey Current { get; }

    /// <summary>True when no key was configured (Development): codes do not verify after a restart.</summary>
    public bool Ephemeral { get; }

    /// <summary>The current key first, then the previous ones.</summary>
    public IEnumerable<TicketPublicKey> All => _byKid.Values;

    public TicketPublicKey? Find(string kid) => _byKid.GetValueOrDefault(kid);

    /// <summary>Checks the options as the start-up validation does; null when they are usable.</summary>
    public static IEnumerable<string> Validate(TicketOptions options, bool development)
    {
        if (string.IsNullOrWhiteSpace(options.SigningKey))
        {
            if (!development)
                yield return "Tickets:SigningKey is required outside Development: a PKCS#8 PEM of a P-256 private key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).";
        }
        else if (TryLoad(options.SigningKey, privateKey: true, out var error) is { } key) key.Dispose();
        else yield return $"Tickets:SigningKey {error}";
        for (var i = 0; i < options.PreviousPublicKeys.Count; i++)
        {
            if (TryLoad(options.PreviousPublicKeys[i], privateKey: false, out var error) is { } key) key.Dispose();
            else yield return $"Tickets:PreviousPublicKeys:{i} {error}";
        }
    }

    public static TicketKeys Create(TicketOptions options)
    {
        var previous = options.PreviousPublicKeys.Select(p => TryLoad(p, privateKey: false, out _)!).ToList();
        return string.IsNullOrWhiteSpace(options.SigningKey)
            ? new TicketKeys(ECDsa.Create(ECCurve.NamedCurves.nistP256), previous, ephemeral: true)
            : new TicketKeys(TryLoad(options.SigningKey, privateKey: true, out _)!, previous);
    }

    private static ECDsa? TryLoad(string pem, bool privateKey, out string error)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.ExportParameters(false).Curve.Oid?.Value != P256Oid)
            {
                error = "is not a P-256 (prime256v1) key.";
                key.Dispose();
                return null;
            }
            if (privateKey)
            {
                // A public PEM imports too; signing would fail at the first ticket.
                key.ExportParameters(true);
            }
            error = "";
            return key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            error = privateKey ? "is not a PEM of a P-256 private key." : "is not a PEM of a P-256 public key.";
            key.Dispose();
            return null;
        }
    }

    private static TicketPublicKey Describe(ECDsa key)
    {
        var p = key.ExportParameters(false);
        var x = Base64Url(p.Q.X!);
        var y = Base64Url(p.Q.Y!);
        // RFC 7638: the required members in lexicographic order, no whitespace.
        var canonical = $$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""";
        var kid = Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
        return new TicketPublicKey(kid, key, x, y);
    }

    /// <summary>The JWK Set of <see cref="All"/>: what an offline scanner needs.</summary>
    public JwkSet JwkSet() => new([.. All.Select(k => new Jwk("EC", "P-256", k.X, k.Y, k.Kid, "sig", "ES256"))]);

    internal static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public void Dispose()
    {
        foreach (var k in _byKid.Values) k.Key.Dispose();
    }
}
