using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Payments;

/// <summary>
/// Midtrans Core API: a bank-transfer Virtual Account per order (POST /v2/charge) whose expiry equals the hold, and
/// POST /v2/{id}/expire for a cancelled order (GatewayVoidWorker), GET /v2/{id}/status to ask what became of a
/// payment (Reconciliation/). Midtrans reports some errors in an HTTP 200 body
/// (status_code "406", "429", "500"...): those are failures too.
/// </summary>
internal sealed partial class MidtransGateway(HttpClient http, ILogger<MidtransGateway> logger) : IPaymentGateway
{
    // Midtrans reads order_time in Jakarta time; the offset is written out so no server time zone matters.
    private static readonly TimeSpan Jakarta = TimeSpan.FromHours(7);

    public static void Configure(HttpClient http, PaymentOptions options)
    {
        http.BaseAddress = new Uri(options.Midtrans.BaseUrl.TrimEnd('/') + "/");
        http.Timeout = TimeSpan.FromSeconds(options.Midtrans.TimeoutSeconds);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(options.ServerKey + ":")));
    }

    public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken ct)
    {
        var orderId = request.OrderId.ToString();
        var body = new MidtransChargeRequest(
            "bank_transfer",
            new MidtransTransactionDetails(orderId, request.Amount),
            new MidtransBankTransfer(request.Bank),
            new MidtransCustomExpiry(
                request.OrderTime.ToOffset(Jakarta).ToString("yyyy-MM-dd HH:mm:ss '+0700'", CultureInfo.InvariantCulture),
                (long)request.Expiry.TotalSeconds, "second"));
        using var message = new HttpRequestMessage(HttpMethod.Post, "v2/charge")
        {
            // Serialised up front so the request carries a Content-Length, as Midtrans's own SDKs send it
            // (JsonContent streams with chunked transfer encoding).
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, AppJsonContext.Default.MidtransChargeRequest))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } },
            },
        };
        // A retried charge for the same order gets Midtrans's first answer instead of a 406 duplicate.
        message.Headers.Add("Idempotency-Key", orderId);

        var (transaction, _, failure) = await SendAsync(message, ct);
        if (failure is not null) return failure;
        if (!IsSuccess(transaction!.StatusCode))
        {
            return ChargeResult.Failed(ChargeFailure.Rejected,
                $"Midtrans answered status_code {transaction.StatusCode}: {transaction.StatusMessage}");
        }
        var va = transaction.VaNumbers is [var first, ..] ? first.VaNumber : transaction.PermataVaNumber;
        return string.IsNullOrEmpty(va)
            ? ChargeResult.Failed(ChargeFailure.Rejected, "Midtrans answered without a VA number")
            : ChargeResult.Success(va, transaction.TransactionId);
    }

    public async Task<VoidResult> ExpireAsync(Guid orderId, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"v2/{orderId}/expire");
        var (transaction, httpStatus, _) = await SendAsync(message, ct);
        // 407: expired now; 404: Midtrans never created it; 412: it can no longer change (settled or ended already).
        var code = transaction?.StatusCode ?? httpStatus.ToString(CultureInfo.InvariantCulture);
        return code is "200" or "407" or "404" or "412" ? VoidResult.Done : VoidResult.Retry;
    }

    public async Task<GatewayStatus> GetStatusAsync(Guid orderId, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"v2/{orderId}/status");
        var (transaction, httpStatus, failure) = await SendAsync(message, ct);
        // Midtrans answers an order it never saw with status_code 404, in the body and (usually) in the HTTP status.
        if (httpStatus == 404 || transaction?.StatusCode == "404") return new GatewayStatus(PaymentState.Unknown, transaction);
        if (failure is not null) return GatewayStatus.Unanswered(failure.Reason!);
        if (int.TryParse(transaction!.StatusCode, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code >= 400)
            return GatewayStatus.Unanswered($"Midtrans answered status_code {transaction.StatusCode}: {transaction.StatusMessage}");
        if (string.IsNullOrEmpty(transaction.TransactionStatus))
            return GatewayStatus.Unanswered("Midtrans answered without a transaction_status");
        return new GatewayStatus(GatewayStatus.Classify(transaction.TransactionStatus, transaction.FraudStatus), transaction);
    }

    private static bool IsSuccess(string? statusCode) =>
        int.TryParse(statusCode, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 200 and < 300;

    private async Task<(MidtransTransaction? Transaction, int HttpStatus, ChargeResult? Failure)> SendAsync(HttpRequestMessage message, CancellationToken ct)
    {
        try
        {
            using var response = await http.SendAsync(message, ct);
            MidtransTransaction? transaction = null;
            try
            {
                transaction = await response.Content.ReadFromJsonAsync(AppJsonContext.Default.MidtransTransaction, ct);
            }
            catch (JsonException)
            {
                // An error page from a proxy: the HTTP status below says enough.
            }
            if (!response.IsSuccessStatusCode)
            {
                LogRejected(logger, message.RequestUri?.ToString() ?? "", (int)response.StatusCode, transaction?.StatusMessage);
                var kind = (int)response.StatusCode >= 500 ? ChargeFailure.Unreachable : ChargeFailure.Rejected;
                return (transaction, (int)response.StatusCode,
                    ChargeResult.Failed(kind, $"Midtrans answered HTTP {(int)response.StatusCode}: {transaction?.StatusMessage}"));
            }
            return transaction is null
                ? (null, (int)response.StatusCode, ChargeResult.Failed(ChargeFailure.Rejected, "Midtrans answered an empty or non-JSON body"))
                : (transaction, (int)response.StatusCode, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogUnreachable(logger, message.RequestUri?.ToString() ?? "", e.Message);
            return (null, 0, ChargeResult.Failed(ChargeFailure.Unreachable,
                e is TaskCanceledException ? "Midtrans did not answer in time" : "Midtrans could not be reached: " + e.Message));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Midtrans {Path} answered HTTP {Status}: {StatusMessage}")]
    private static partial void LogRejected(ILogger logger, string path, int status, string? statusMessage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Midtrans {Path} failed: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string path, string reason);
}
