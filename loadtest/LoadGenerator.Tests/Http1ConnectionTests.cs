using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadGenerator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LoadGenerator.Tests;

/// <summary>
/// loadgen's HTTP/1.1 client against tiny scripted TCP servers on 127.0.0.1: no PostgreSQL or Redis needed. The
/// tests of I/O behaviour run on both engines (--io epoll and sockets).
/// </summary>
public sealed class Http1ConnectionTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    private EpollLoop? _loop;

    public void Dispose() => _loop?.Dispose();

    private Http1Connection Connect(string io, IReadOnlyList<IPEndPoint> endPoints) =>
        new(endPoints, io == "epoll" ? _loop ??= new EpollLoop("test io") : SocketConnector.Instance);

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Content_length_body_is_read_whole_and_the_connection_kept_alive(string io)
    {
        await using var server = ScriptedServer.Start(async peer =>
        {
            while (await peer.ReadRequestAsync() is not null)
            {
                await peer.WriteAsync("HTTP/1.1 200 OK\r\ncontent-length: 11\r\nContent-Type: application/json\r\n\r\n{\"a\":[1,2]}");
            }
        });
        using var connection = Connect(io, [server.EndPoint]);
        var request = Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/categories"));

        for (var i = 0; i < 3; i++)
        {
            var response = await connection.SendAsync(request, CancellationToken.None).AsTask().WaitAsync(Limit);
            Assert.Equal(new Http1Response(200, Failure.None, 11), response);
            Assert.Equal("{\"a\":[1,2]}", Encoding.ASCII.GetString(connection.Body));
        }

        Assert.Equal(1, server.Accepted);
        Assert.Equal($"GET /categories HTTP/1.1\r\nHost: 127.0.0.1:{server.EndPoint.Port}\r\n\r\n", server.Requests.First());
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Post_sends_content_type_length_and_body_in_one_request(string io)
    {
        await using var server = ScriptedServer.Start(async peer =>
        {
            while (await peer.ReadRequestAsync() is not null)
            {
                await peer.WriteAsync("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}");
            }
        });
        using var connection = Connect(io, [server.EndPoint]);
        var buffer = new byte[8];
        var length = Http1Request.WritePost(ref buffer,
            Http1Request.PostHead(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/orders")), "{\"x\":1}"u8);

        var response = await connection.SendAsync(buffer.AsMemory(0, length), CancellationToken.None).AsTask().WaitAsync(Limit);

        Assert.Equal(new Http1Response(201, Failure.None, 2), response);
        Assert.Equal(
            $"POST /orders HTTP/1.1\r\nHost: 127.0.0.1:{server.EndPoint.Port}\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{{\"x\":1}}",
            server.Requests.Single());
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Chunked_body_split_across_writes_with_an_extension_and_a_trailer_is_read_whole(string io)
    {
        string[] pieces =
        [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=\"value\"\r\nhel",
            "lo\r\n",
            "6\r\n world\r",
            "\n1A \r\n" + new string('z', 26),
            "\r\n0\r\nX-Trailer: yes\r\n",
            "\r\n",
        ];
        await using var server = ScriptedServer.Start(async peer =>
        {
            while (await peer.ReadRequestAsync() is not null)
            {
                foreach (var piece in pieces)
                {
                    await peer.WriteAsync(piece);
                    await Task.Delay(20);
                }
            }
        });
        using var connection = Connect(io, [server.EndPoint]);
        var request = Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/c"));

        for (var i = 0; i < 2; i++)
        {
            var response = await connection.SendAsync(request, CancellationToken.None).AsTask().WaitAsync(Limit);
            Assert.Equal(new Http1Response(200, Failure.None, 37), response);
            Assert.Equal("hello world" + new string('z', 26), Encoding.ASCII.GetString(connection.Body));
        }

        Assert.Equal(1, server.Accepted);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Kestrel_json_of_unknown_length_is_read_from_its_chunked_body(string io)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        var items = Enumerable.Range(0, 2000).Select(i => new { id = i, name = $"category {i}" }).ToArray();
        app.MapGet("/items", () => TypedResults.Json(items));
        await app.StartAsync();
        var uri = new Uri(app.Urls.First() + "/items");
        using var connection = Connect(io, [new IPEndPoint(IPAddress.Loopback, uri.Port)]);

        for (var i = 0; i < 2; i++)
        {
            var response = await connection.SendAsync(Http1Request.Get(uri), CancellationToken.None).AsTask().WaitAsync(Limit);
            Assert.Equal(Failure.None, response.Failure);
            Assert.Equal(200, response.Status);
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(items), Encoding.UTF8.GetString(connection.Body));
        }

        await app.StopAsync();
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Connection_close_response_is_read_and_the_next_request_reconnects(string io)
    {
        await using var server = ScriptedServer.Start(async peer =>
        {
            await peer.ReadRequestAsync();
            await peer.WriteAsync("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
        });
        using var connection = Connect(io, [server.EndPoint]);
        var request = Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/"));

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(new Http1Response(200, Failure.None, 2), await connection.SendAsync(request, CancellationToken.None).AsTask().WaitAsync(Limit));
        }

        Assert.Equal(2, server.Accepted);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Body_without_length_or_chunks_ends_when_the_server_closes(string io)
    {
        await using var server = ScriptedServer.Start(async peer =>
        {
            await peer.ReadRequestAsync();
            await peer.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil");
            await Task.Delay(20);
            await peer.WriteAsync(" close");
        });
        using var connection = Connect(io, [server.EndPoint]);
        var request = Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/"));

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(new Http1Response(200, Failure.None, 11), await connection.SendAsync(request, CancellationToken.None).AsTask().WaitAsync(Limit));
            Assert.Equal("until close", Encoding.ASCII.GetString(connection.Body));
        }

        Assert.Equal(2, server.Accepted);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Keep_alive_connection_the_server_closed_while_idle_is_retried_once_on_a_new_one(string io)
    {
        var closed = new SemaphoreSlim(0);
        await using var server = ScriptedServer.Start(async peer =>
        {
            // Answers as if it kept the connection, then drops it idle (an idle timeout).
            await peer.ReadRequestAsync();
            await peer.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            peer.Close();
            closed.Release();
        });
        using var connection = Connect(io, [server.EndPoint]);
        var request = Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/"));

        Assert.Equal(Failure.None, (await connection.SendAsync(request, CancellationToken.None).AsTask().WaitAsync(Limit)).Failure);
        Assert.True(await closed.WaitAsync(Limit));
        await Task.Delay(50);
        var second = await connection.SendAsync(request, CancellationToken.None).AsTask().WaitAsync(Limit);

        Assert.Equal(new Http1Response(200, Failure.None, 2), second);
        Assert.Equal(2, server.Accepted);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Fresh_connection_closed_without_an_answer_is_not_retried(string io)
    {
        await using var server = ScriptedServer.Start(async peer => await peer.ReadRequestAsync());
        using var connection = Connect(io, [server.EndPoint]);

        var response = await connection.SendAsync(Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/")), CancellationToken.None)
            .AsTask().WaitAsync(Limit);

        Assert.Equal(Failure.ConnectionClosed, response.Failure);
        Assert.Equal(1, server.Accepted);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Connection_closed_inside_the_body_is_not_retried(string io)
    {
        await using var server = ScriptedServer.Start(async peer =>
        {
            await peer.ReadRequestAsync();
            await peer.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            await peer.ReadRequestAsync();
            await peer.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        });
        using var connection = Connect(io, [server.EndPoint]);
        var request = Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/"));

        Assert.Equal(Failure.None, (await connection.SendAsync(request, CancellationToken.None).AsTask().WaitAsync(Limit)).Failure);
        Assert.Equal(Failure.ConnectionClosed, (await connection.SendAsync(request, CancellationToken.None).AsTask().WaitAsync(Limit)).Failure);
        Assert.Equal(1, server.Accepted);
    }

    [Theory]
    [InlineData("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("ICY 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    public async Task Malformed_response_is_a_protocol_failure(string answer)
    {
        await using var server = ScriptedServer.Start(async peer =>
        {
            await peer.ReadRequestAsync();
            await peer.WriteAsync(answer);
            await peer.ReadRequestAsync();
        });
        using var connection = Connect("epoll", [server.EndPoint]);

        var response = await connection.SendAsync(Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/")), CancellationToken.None)
            .AsTask().WaitAsync(Limit);

        Assert.Equal(Failure.Protocol, response.Failure);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Nothing_listening_is_a_connect_failure(string io)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        listener.Stop();
        using var connection = Connect(io, [endPoint]);

        var response = await connection.SendAsync(Http1Request.Get(new Uri($"http://127.0.0.1:{endPoint.Port}/")), CancellationToken.None)
            .AsTask().WaitAsync(Limit);

        Assert.Equal(Failure.ConnectFailed, response.Failure);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Server_that_never_answers_makes_every_request_a_timeout_on_a_new_connection(string io)
    {
        await using var server = ScriptedServer.Start(async peer =>
        {
            await peer.ReadRequestAsync();
            await peer.ReadRequestAsync();
        });
        var options = new LoadOptions
        {
            BaseUrl = new Uri($"http://127.0.0.1:{server.EndPoint.Port}"),
            Vus = 1,
            Duration = TimeSpan.FromMilliseconds(1500),
            Timeout = TimeSpan.FromMilliseconds(200),
            OnlyGetPath = "/never",
            Io = io == "epoll" ? IoEngine.Epoll : IoEngine.Sockets,
        };
        using var run = new LoadRun(options, seed: 1);

        var result = await run.RunAsync(TextWriter.Null).WaitAsync(Limit);

        var samples = result.Vus.Single().Samples;
        // About 8 on a quiet machine; fewer when a busy one delays the timers.
        Assert.InRange(samples.Count, 2, 8);
        Assert.All(samples, s => Assert.Equal(Failure.Timeout, s.Failure));
        Assert.All(samples, s => Assert.InRange(s.LatencyUs, 190_000, 2_000_000));
        Assert.Equal(samples.Count, server.Accepted);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Body_larger_than_the_buffers_sent_in_pieces_is_read_whole(string io)
    {
        var body = string.Concat(Enumerable.Range(0, 20_000).Select(i => (char)('a' + (i % 26))));
        await using var server = ScriptedServer.Start(async peer =>
        {
            while (await peer.ReadRequestAsync() is not null)
            {
                await peer.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body[..3000]}");
                await Task.Delay(20);
                await peer.WriteAsync(body[3000..]);
            }
        });
        using var connection = Connect(io, [server.EndPoint]);
        var request = Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/big"));

        for (var i = 0; i < 2; i++)
        {
            var response = await connection.SendAsync(request, CancellationToken.None).AsTask().WaitAsync(Limit);
            Assert.Equal(new Http1Response(200, Failure.None, body.Length), response);
            Assert.Equal(body, Encoding.ASCII.GetString(connection.Body));
        }

        Assert.Equal(1, server.Accepted);
    }

    /// <summary>Many connections at once on one engine: every answer reaches the connection that asked for it.</summary>
    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Concurrent_connections_each_get_their_own_answers(string io)
    {
        await using var server = ScriptedServer.Start(async peer =>
        {
            while (await peer.ReadRequestAsync() is { } request)
            {
                var path = request.Split(' ')[1];
                await peer.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: {path.Length}\r\n\r\n{path}");
            }
        });
        var connections = Enumerable.Range(0, 64).Select(_ => Connect(io, [server.EndPoint])).ToArray();
        try
        {
            var answers = await Task.WhenAll(connections.Select((connection, c) => Task.Run(async () =>
            {
                var bodies = new List<string>();
                for (var i = 0; i < 20; i++)
                {
                    var response = await connection.SendAsync(
                        Http1Request.Get(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/c{c}/r{i}")), CancellationToken.None);
                    Assert.Equal(Failure.None, response.Failure);
                    bodies.Add(Encoding.ASCII.GetString(connection.Body));
                }

                return bodies;
            }))).WaitAsync(Limit);

            for (var c = 0; c < connections.Length; c++)
            {
                Assert.Equal(Enumerable.Range(0, 20).Select(i => $"/c{c}/r{i}"), answers[c]);
            }

            Assert.Equal(connections.Length, server.Accepted);
        }
        finally
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 5\r\n\r\n", 200, 5, false, false)]
    [InlineData("HTTP/1.1 409 Conflict\r\ntransfer-encoding: gzip, Chunked\r\n\r\n", 409, -1, true, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 200, -1, false, true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive, Close\r\n\r\n", 200, 3, false, true)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", 200, 3, false, true)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: Keep-Alive\r\n\r\n", 200, 3, false, false)]
    [InlineData("HTTP/1.1 500 \r\nContent-Length:0\r\n\r\n", 500, 0, false, false)]
    public void Head_fields_are_read_case_insensitively(string head, short status, int contentLength, bool chunked, bool close)
    {
        var parsed = Http1Connection.ParseHead(Encoding.ASCII.GetBytes(head));

        Assert.Equal(new Http1Connection.Head(status, contentLength, chunked, close), parsed);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1a", 26)]
    [InlineData("FF;ext=1", 255)]
    [InlineData("10 ; a=\"b\"", 16)]
    public void Chunk_size_is_hex_with_optional_extensions(string line, long size) =>
        Assert.Equal(size, Http1Connection.ParseChunkSize(Encoding.ASCII.GetBytes(line)));

    /// <summary>Accepts connections on 127.0.0.1 and runs the script on each, then closes it.</summary>
    private sealed class ScriptedServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Func<Peer, Task> _script;
        private readonly ConcurrentBag<Task> _connections = [];
        private Task _accepting = Task.CompletedTask;
        private int _accepted;

        private ScriptedServer(Func<Peer, Task> script) => _script = script;

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public int Accepted => Volatile.Read(ref _accepted);

        /// <summary>The requests received, in order, as text.</summary>
        public ConcurrentQueue<string> Requests { get; } = new();

        public static ScriptedServer Start(Func<Peer, Task> script)
        {
            var server = new ScriptedServer(script);
            server._listener.Start();
            server._accepting = server.AcceptAsync();
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _accepting;
            await Task.WhenAll(_connections).WaitAsync(Limit);
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                socket.NoDelay = true;
                Interlocked.Increment(ref _accepted);
                _connections.Add(Task.Run(async () =>
                {
                    using (socket)
                    {
                        await _script(new Peer(socket, Requests));
                    }
                }));
            }
        }
    }

    /// <summary>The server's side of one connection, for the scripts.</summary>
    private sealed class Peer(Socket socket, ConcurrentQueue<string> requests)
    {
        public async Task<string?> ReadRequestAsync()
        {
            var received = new List<byte>();
            var buffer = new byte[1024];
            while (true)
            {
                var text = Encoding.ASCII.GetString(received.ToArray());
                var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (headEnd >= 0)
                {
                    var lengthAt = text.IndexOf("Content-Length: ", StringComparison.Ordinal);
                    var bodyLength = lengthAt >= 0 && lengthAt < headEnd
                        ? int.Parse(text.AsSpan(lengthAt + 16, text.IndexOf('\r', lengthAt) - lengthAt - 16), provider: null)
                        : 0;
                    if (received.Count >= headEnd + 4 + bodyLength)
                    {
                        requests.Enqueue(text);
                        return text;
                    }
                }

                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer, SocketFlags.None);
                }
                catch (SocketException)
                {
                    return null;
                }

                if (read == 0)
                {
                    return null;
                }

                received.AddRange(buffer.AsSpan(0, read));
            }
        }

        public async Task WriteAsync(string text) => await socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);

        public void Close() => socket.Close();
    }
}
