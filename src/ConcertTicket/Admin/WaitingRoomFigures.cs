using System.Globalization;
using System.Text.Json.Nodes;
using ConcertTicket.Queue;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ConcertTicket.Admin;

/// <summary>
/// The waiting room's figures beside the sale's: fans in line, fans admitted so far and the admitter's current pace
/// (Queue/), or null when the sale runs without a waiting room. Redis being down does not take the sale's figures
/// with it: the queue then reads as unavailable.
/// </summary>
internal sealed class WaitingRoomFigures(QueueStore queue, IOptions<QueueOptions> options)
{
    public async Task<JsonObject?> ReadAsync()
    {
        var o = options.Value;
        if (!o.Enabled) return null;
        var figures = new JsonObject
        {
            ["opens_at"] = o.OpensAt?.ToString("O", CultureInfo.InvariantCulture),
        };
        try
        {
            var read = await queue.FiguresAsync();
            figures["available"] = true;
            figures["waiting"] = read.Waiting;
            figures["admitted"] = read.Admitted;
            figures["admit_per_second"] = Math.Round(read.AdmitPerSecond, 1);
            figures["sold_out"] = read.SoldOut;
        }
        catch (RedisException)
        {
            figures["available"] = false;
        }
        return figures;
    }
}
