using System.Security.Cryptography;
using System.Text;
using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Admin;

/// <summary>
/// Bearer keys for the admin API. The presented key is hashed and compared with every configured key's hash in
/// constant time (no early exit, equal lengths), so neither the timing nor the length of a guess tells anything.
/// Keys are never logged: the filter records only the key's name, which the audit stores as the actor.
/// </summary>
internal sealed class AdminAuth
{
    private const string ActorItem = "concert-ticket.admin.actor";

    private readonly (string Name, byte[] Hash)[] _keys;

    public AdminAuth(IOptions<AdminOptions> options) =>
        _keys = [.. options.Value.ApiKeys
            .Where(k => !string.IsNullOrEmpty(k.Value))
            .Select(k => (k.Key, SHA256.HashData(Encoding.UTF8.GetBytes(k.Value))))];

    /// <returns>The key's name, or null when the header names no configured key.</returns>
    public string? Authenticate(string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        string? found = null;
        foreach (var (name, hash) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash)) found ??= name;
        }
        return found;
    }

    /// <summary>The endpoint filter of the /admin group: 401 unless the request carries a configured key.</summary>
    public static async ValueTask<object?> RequireKeyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var actor = http.RequestServices.GetRequiredService<AdminAuth>().Authenticate(http.Request.Headers.Authorization);
        if (actor is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"concert-ticket-admin\"";
            return Problems.Of(401, "unauthorized",
                "Send Authorization: Bearer <key> with a configured admin key.");
        }
        http.Items[ActorItem] = actor;
        return await next(context);
    }

    /// <summary>The authenticated key's name, for the audit.</summary>
    public static string Actor(HttpContext context) => (string)context.Items[ActorItem]!;
}
