using System.Runtime.InteropServices;

namespace LoadGenerator;

internal enum RequestKind : byte
{
    Categories,
    Order,
    Callback,
    Get,
}

internal enum Failure : byte
{
    None,
    Status,
    Timeout,
    ConnectFailed,
    ConnectionClosed,
    Protocol,
    BadBody,
    Other,
}

/// <summary>One finished request. Each VU keeps its own list; they are merged once the run is over.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct Sample(int EndMs, int LatencyUs, short Status, RequestKind Kind, Failure Failure);

internal static class RequestKindNames
{
    public static string Name(this RequestKind kind) => kind switch
    {
        RequestKind.Categories => "categories",
        RequestKind.Order => "order",
        RequestKind.Callback => "callback",
        _ => "get",
    };

    public static string Describe(this Failure failure, short status) => failure switch
    {
        Failure.Status => $"HTTP {status}",
        Failure.Timeout => "timeout",
        Failure.ConnectFailed => "connect failed",
        Failure.ConnectionClosed => "connection closed",
        Failure.Protocol => "protocol error",
        Failure.BadBody => $"unreadable body (HTTP {status})",
        Failure.Other => "other exception",
        _ => "none",
    };
}
