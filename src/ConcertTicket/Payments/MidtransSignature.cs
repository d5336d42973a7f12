using System.Security.Cryptography;
using System.Text;

namespace ConcertTicket.Payments;

/// <summary>
/// Midtrans's notification signature: lowercase hex SHA-512 of order_id + status_code + gross_amount + server key,
/// with gross_amount exactly as it arrived ("3800000.00").
/// </summary>
internal static class MidtransSignature
{
    public static string Compute(string orderId, string statusCode, string grossAmount, string serverKey) =>
        Convert.ToHexStringLower(Hash(orderId, statusCode, grossAmount, serverKey));

    /// <summary>Constant-time check of a received signature.</summary>
    public static bool IsValid(string orderId, string statusCode, string grossAmount, string serverKey, string? signature)
    {
        if (signature is null || signature.Length != SHA512.HashSizeInBytes * 2) return false;
        Span<byte> received = stackalloc byte[SHA512.HashSizeInBytes];
        if (Convert.FromHexString(signature, received, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != received.Length)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(received, Hash(orderId, statusCode, grossAmount, serverKey));
    }

    private static byte[] Hash(string orderId, string statusCode, string grossAmount, string serverKey) =>
        SHA512.HashData(Encoding.UTF8.GetBytes(string.Concat(orderId, statusCode, grossAmount, serverKey)));
}
