using System.Net;
using System.Net.Sockets;
using ConcertTicket.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>Api:ManagementUrls: /metrics and the health checks on their own port, the API on the public one.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class ManagementPortTests(LiveServers stack)
{
    [Fact]
    public async Task With_a_management_url_operators_endpoints_are_only_on_it_and_the_api_only_on_the_public_port()
    {
        var (publicPort, managementPort) = (FreePort(), FreePort());
        await using var app = AppHost.CreateWebApp(stack.Args($"--urls=http://127.0.0.1:{publicPort}",
            $"--Api:ManagementUrls=http://127.0.0.1:{managementPort}"), withWorkers: false);
        await app.StartAsync();
        using var client = new HttpClient();

        foreach (var path in new[] { "/metrics", "/health", "/health/ready" })
        {
            var onPublic = await client.GetAsync(new Uri($"http://127.0.0.1:{publicPort}{path}"));
            Assert.Equal(HttpStatusCode.NotFound, onPublic.StatusCode);
            Assert.Equal("not_found", await TestApp.ProblemCodeAsync(onPublic));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{managementPort}{path}"))).StatusCode);
        }
        // The Host header is the client's to choose: it does not open the operators' endpoints on the public port.
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{publicPort}/metrics"));
        spoofed.Headers.Host = $"127.0.0.1:{managementPort}";
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(spoofed)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{publicPort}/categories"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri($"http://127.0.0.1:{managementPort}/categories"))).StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public async Task Without_a_management_url_every_endpoint_is_on_the_public_port()
    {
        await using var app = await TestApp.StartAsync(stack);

        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/categories")).StatusCode);
    }

    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://127.0.0.1")]
    [InlineData("not a url")]
    public void A_management_url_without_an_explicit_port_is_a_configuration_error(string url)
    {
        // The serve commands turn this into the one-line configuration error and exit code 3.
        var e = Assert.Throws<OptionsValidationException>(() => AppHost.CreateWebApp(stack.Args($"--Api:ManagementUrls={url}"), withWorkers: false));
        Assert.Contains("Api:ManagementUrls", e.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
