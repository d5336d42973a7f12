using System.Security.Cryptography;
using System.Text;

namespace FaultSuite;

internal static class MidtransSignature
{
    /// <summary>Lowercase hex SHA-512 of <c>order_id + status_code + gross_amount + server_key</c>.</summary>
    public static string Compute(string orderId, string statusCode, string grossAmount, string serverKey) =>
        Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(string.Concat(orderId, statusCode, grossAmount, serverKey))));
}
