namespace ConcertTicket.Tickets;

/// <summary>Tickets: the key that signs ticket codes and the public keys of earlier ones.</summary>
internal sealed class TicketOptions
{
    public const string Section = "Tickets";

    /// <summary>A PKCS#8 PEM of a P-256 private key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).</summary>
    public string? SigningKey { get; set; }

    /// <summary>Public PEMs of keys that signed tickets before a rotation: their tickets still verify.</summary>
    public List<string> PreviousPublicKeys { get; set; } = [];
}
