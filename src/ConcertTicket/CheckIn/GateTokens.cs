using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ConcertTicket.CheckIn;

/// <summary>
/// Finds the gate a bearer token belongs to. Tokens are compared as SHA-256 hashes in constant time, against every
/// gate without stopping at a match, so the time taken says nothing about a token or which gate it is close to.
/// </summary>
internal sealed class GateTokens(IOptions<CheckInOptions> options)
{
    private readonly (string Gate, byte[] Hash)[] _gates =
        [.. options.Value.Gates.Select(g => (g.Key, SHA256.HashData(Encoding.UTF8.GetBytes(g.Value))))];

    public bool IsGate(string name) => _gates.Any(g => g.Gate == name);

    /// <returns>The gate of the request's Authorization: Bearer token; null when missing or unknown.</returns>
    public string? Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim()));
        string? found = null;
        foreach (var (gate, hash) in _gates)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash)) found = gate;
        }
        return found;
    }
}
