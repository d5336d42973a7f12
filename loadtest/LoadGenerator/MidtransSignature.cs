using System.Security.Cryptography;
using System.Text;

namespace LoadGenerator;

internal static class MidtransSignature
{
    /// <summary>Lowercase hex SHA-512 of <c>order_id + status_code + gross_amount + server_key</c>.</summary>
    public static string Compute(string orderId, string statusCode, string grossAmount, string serverKey)
    {
        var input = Encoding.UTF8.GetBytes(string.Concat(orderId, statusCode, grossAmount, serverKey));
        return Convert.ToHexStringLower(SHA512.HashData(input));
    }
}
