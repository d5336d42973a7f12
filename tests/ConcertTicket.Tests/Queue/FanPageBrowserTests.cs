using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ConcertTicket.Hosting;
using ConcertTicket.Infrastructure;
using ConcertTicket.Queue;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace ConcertTicket.Tests.Queue;

/// <summary>
/// The fan page in Debian's Chromium (headless, phone-sized), against the real service on a real port: open the
/// page, join the queue, get admitted, order, pay (a signed notification), see paid. Each step's screenshot goes
/// to docs/images/ with CONCERT_TICKET_SCREENSHOTS=docs, where docs/waiting-room.md shows them.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed class FanPageBrowserTests(LiveServers stack)
{
    private const string Chromium = "/usr/bin/chromium";
    private const string ChromeDriver = "/usr/bin/chromedriver";

    [Fact]
    public async Task A_fan_joins_the_queue_is_admitted_orders_pays_and_sees_paid_in_a_real_browser()
    {
        Assert.True(File.Exists(Chromium) && File.Exists(ChromeDriver),
            "chromium and chromium-driver are not installed: scripts/test.sh installs them (apt-get install chromium chromium-driver).");
        // A database and Redis of its own, so the page shows the seeded sale only.
        var connection = await stack.CreateDatabaseAsync("ct_page_" + Guid.NewGuid().ToString("N")[..12]);
        await using (var db = NpgsqlDataSource.Create(Postgres.WithDefaults(connection)))
        {
            await new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
            await new Seeder(db).SeedAsync(CancellationToken.None);
        }
        using var redis = OwnRedis.Start();
        var port = FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var app = AppHost.CreateWebApp(stack.Args(QueueFans.Args(QueueFans.NewName(), extra:
        [
            $"--ConnectionStrings:Postgres={connection}",
            $"--ConnectionStrings:Redis={redis.Configuration}",
            $"--urls={baseUrl}",
            "--Payment:Fake:LatencyMs=0",
        ])), withWorkers: false);
        await app.StartAsync();
        try
        {
            using var driver = StartBrowser();
            var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(30));
            var email = Sale.Email("page");

            driver.Navigate().GoToUrl(baseUrl + "/");
            wait.Until(d => d.FindElements(By.Id("category-1")).Count == 1 && d.FindElement(By.Id("join-form")).Displayed);
            Assert.Contains("VIP", driver.FindElement(By.Id("categories")).Text);
            Assert.Contains("Rp", driver.FindElement(By.Id("categories")).Text);
            Screenshot(driver, "1-categories");

            driver.FindElement(By.Id("join-email")).SendKeys(email);
            driver.FindElement(By.Id("join-button")).Click();
            wait.Until(d => d.FindElement(By.Id("queue-headline")).Text.Contains("next in line", StringComparison.Ordinal));
            Screenshot(driver, "2-waiting");

            var admitted = await app.Services.GetRequiredService<QueueStore>()
                .AdmitAsync(1, DateTimeOffset.UtcNow.AddMinutes(10), DateTimeOffset.MinValue);
            Assert.Single(admitted);
            wait.Until(d => d.FindElement(By.Id("order-section")).Displayed);
            Assert.Equal("It is your turn!", driver.FindElement(By.Id("queue-headline")).Text);
            driver.FindElement(By.CssSelector("label:has(#category-1)")).Click();
            Screenshot(driver, "3-admitted");

            driver.FindElement(By.Id("order-button")).Click();
            wait.Until(d => d.FindElement(By.Id("pay-va")).Text.All(char.IsAsciiDigit) && d.FindElement(By.Id("pay-va")).Text.Length >= 10);
            Assert.Contains("3.800.000", driver.FindElement(By.Id("pay-amount")).Text);
            Assert.Contains("Pay within", driver.FindElement(By.Id("pay-countdown")).Text);
            Screenshot(driver, "4-pay");

            var orderId = Guid.Parse((string)((IJavaScriptExecutor)driver)
                .ExecuteScript("return JSON.parse(localStorage.getItem('concert-ticket')).order")!);
            using var http = new HttpClient();
            var order = JsonDocument.Parse(await http.GetStringAsync($"{baseUrl}/orders/{orderId}")).RootElement.GetProperty("data");
            var paid = await http.PostAsJsonAsync($"{baseUrl}/payments/callback",
                Callbacks.Notification(orderId, "settlement", order.GetProperty("total").GetInt64()));
            Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
            wait.Until(d => d.FindElement(By.Id("pay-done")).Displayed);
            Assert.Equal("Paid", driver.FindElement(By.Id("pay-status")).Text);
            Screenshot(driver, "5-paid");

            // The page's own policy lets its script run (it did), and the API's stays closed.
            var page = await http.GetAsync(baseUrl + "/");
            Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
            var api = await http.GetAsync(baseUrl + "/categories");
            Assert.Equal("default-src 'none'; frame-ancestors 'none'", api.Headers.GetValues("Content-Security-Policy").Single());
            var logs = driver.Manage().Logs.GetLog(LogType.Browser);
            Assert.DoesNotContain(logs, l => l.Message.Contains("Content Security Policy", StringComparison.Ordinal));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static ChromeDriver StartBrowser()
    {
        // The driver's path is given, so Selenium Manager never runs and nothing is downloaded.
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=390,844",
            "--lang=en-US");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static void Screenshot(IWebDriver driver, string step) =>
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Repository.ScreenshotPath($"fan-page-{step}.png"));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
