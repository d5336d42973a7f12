using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ConcertTicket.Hosting;
using ConcertTicket.Tests.Concerts;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace ConcertTicket.Tests.Admin;

/// <summary>
/// The live dashboard in a real browser: Debian's Chromium, headless, driven through its chromedriver (given by
/// path, so Selenium Manager downloads nothing), against the service listening on a real port.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed class DashboardBrowserTests(LiveServers stack)
{
    [Fact]
    public async Task The_dashboard_shows_the_databases_numbers_as_orders_are_placed_and_paid()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = AppHost.CreateWebApp(stack.Args(
            "--urls=http://127.0.0.1:0", $"--ConnectionStrings:Postgres={sale.ConnectionString}",
            $"--Admin:ApiKeys:main={OwnSale.AdminKey}", "--Admin:DashboardRefreshMilliseconds=500"), withWorkers: false);
        await app.StartAsync();
        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };

        var created = await http.SendAsync(OwnSale.Admin(HttpMethod.Post, "/admin/concerts", new
        {
            name = "Browser Show", venue = "Hall", starts_at = "2027-03-01T19:00:00+07:00", time_zone = "Asia/Jakarta", state = "on_sale",
            categories = new[] { new { name = "FLOOR", price = 500_000, rows = 2, columns = 5 } },
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var data = (await TestApp.JsonAsync(created)).GetProperty("data");
        var concertId = data.GetProperty("id").GetInt32();
        var categoryId = data.GetProperty("categories")[0].GetProperty("id").GetInt32();

        using var driver = StartBrowser();
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(30));
        driver.Navigate().GoToUrl(baseUrl + "/admin/");
        driver.FindElement(By.Id("key")).SendKeys(OwnSale.AdminKey);
        driver.FindElement(By.Id("connect")).Click();
        wait.Until(d => d.FindElements(By.CssSelector("#concert option")).Count >= 2);
        driver.FindElement(By.CssSelector($"#concert option[value='{concertId}']")).Click();
        string Cell(string field) => driver.FindElement(By.CssSelector($"tr[data-category-id='{categoryId}'] td[data-field='{field}']")).Text;
        wait.Until(_ => TryCell(Cell, "free") == "10");

        var orders = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var order = await http.PostAsJsonAsync("/orders", new { email = Sale.Email(), category_id = categoryId });
            Assert.Equal(HttpStatusCode.Created, order.StatusCode);
            orders.Add(Guid.Parse((await TestApp.JsonAsync(order)).GetProperty("data").GetProperty("id").GetString()!));
        }
        var paid = await http.PostAsJsonAsync("/payments/callback", Callbacks.Notification(orders[0], "settlement", 500_000));
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);

        var free = await Sale.FreeSeatsAsync(sale.DataSource, categoryId);
        var held = await Sale.ScalarAsync<long>(sale.DataSource, "SELECT count(*) FROM orders WHERE category_id = $1 AND status = 'pending'", categoryId);
        var sold = await Sale.ScalarAsync<long>(sale.DataSource, "SELECT count(*) FROM orders WHERE category_id = $1 AND status = 'paid'", categoryId);
        Assert.Equal((7L, 2L, 1L), (free, held, sold));
        wait.Until(_ => TryCell(Cell, "free") == free.ToString(System.Globalization.CultureInfo.InvariantCulture)
            && TryCell(Cell, "held") == held.ToString(System.Globalization.CultureInfo.InvariantCulture)
            && TryCell(Cell, "paid") == sold.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("500,000", Cell("revenue"));
        Assert.Equal("500,000", driver.FindElement(By.Id("total-revenue")).Text);
        Assert.Equal("live", driver.FindElement(By.Id("status")).Text);

        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Repository.ScreenshotPath("admin-dashboard.png"));
        await app.StopAsync();
    }

    [Fact]
    public async Task With_the_waiting_room_on_the_dashboard_shows_its_line_and_admissions()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = AppHost.CreateWebApp(stack.Args([
            "--urls=http://127.0.0.1:0", $"--ConnectionStrings:Postgres={sale.ConnectionString}",
            $"--Admin:ApiKeys:main={OwnSale.AdminKey}", "--Admin:DashboardRefreshMilliseconds=500",
            .. Queue.QueueFans.Args(Queue.QueueFans.NewName())]), withWorkers: false);
        await app.StartAsync();
        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        var created = await http.SendAsync(OwnSale.Admin(HttpMethod.Post, "/admin/concerts", new
        {
            name = "Queued Show", venue = "Hall", starts_at = "2027-03-01T19:00:00+07:00", time_zone = "Asia/Jakarta", state = "on_sale",
            categories = new[] { new { name = "FLOOR", price = 500_000, rows = 2, columns = 5 } },
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Created, (await Queue.QueueFans.JoinAsync(http, Sale.Email())).Status);
        Assert.Single(await app.Services.GetRequiredService<ConcertTicket.Queue.QueueStore>()
            .AdmitAsync(1, DateTimeOffset.UtcNow.AddMinutes(10), DateTimeOffset.MinValue));

        using var driver = StartBrowser();
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(30));
        driver.Navigate().GoToUrl(baseUrl + "/admin/");
        driver.FindElement(By.Id("key")).SendKeys(OwnSale.AdminKey);
        driver.FindElement(By.Id("connect")).Click();
        wait.Until(d => d.FindElement(By.Id("waiting-room")).Displayed && d.FindElement(By.Id("queue-waiting")).Text == "2");

        Assert.Equal("1", driver.FindElement(By.Id("queue-admitted")).Text);
        Assert.Equal("admitting", driver.FindElement(By.Id("queue-state")).Text);
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Repository.ScreenshotPath("admin-dashboard-queue.png"));
        await app.StopAsync();
    }

    private static string? TryCell(Func<string, string> cell, string field)
    {
        try
        {
            return cell(field);
        }
        catch (Exception e) when (e is NoSuchElementException or StaleElementReferenceException)
        {
            return null;
        }
    }

    private static ChromeDriver StartBrowser()
    {
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1100,1000");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }
}
