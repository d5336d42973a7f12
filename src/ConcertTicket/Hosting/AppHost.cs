using ConcertTicket.Admin;
using ConcertTicket.Categories;
using ConcertTicket.CheckIn;
using ConcertTicket.Concerts;
using ConcertTicket.Expiry;
using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using ConcertTicket.Payments;
using ConcertTicket.Queue;
using ConcertTicket.Reconciliation;
using ConcertTicket.TicketEmail;
using ConcertTicket.Tickets;

namespace ConcertTicket.Hosting;

/// <summary>Builds the web app and the worker host; the commands and the tests use the same builders.</summary>
internal static class AppHost
{
    public const string DefaultUrl = "http://localhost:8080";

    /// <param name="configure">Lets tests swap the server for a TestServer or add configuration.</param>
    public static WebApplication CreateWebApp(string[] args, bool withWorkers, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        ManagementPort.Listen(builder, DefaultUrl);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        AddServices(builder, web: true, withWorkers);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default);
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
        });
        builder.AddProblemResponses();
        builder.AddHealth();
        builder.AddProtection();
        builder.AddApiDocumentation();
        builder.AddAdminApiDocumentation();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseProtection();
        app.UseManagementPort(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiOptions>>().Value);
        app.UseFanPage();
        app.MapCategories();
        app.MapOrders();
        app.MapConcerts();
        app.MapAdmin();
        app.MapPaymentCallbacks();
        app.MapTickets();
        app.MapCheckIn();
        app.MapQueue();
        app.MapHealth();
        app.MapMetrics();
        app.MapApiDocumentation();
        app.MapBenchmarkEndpoints(app.Configuration);
        return app;
    }

    /// <param name="withWorkers">False for a command that uses the services once (reconcile) and runs no worker.</param>
    public static IHost CreateWorkerHost(string[] args, Action<HostApplicationBuilder>? configure = null, bool withWorkers = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddServices(builder, web: false, withWorkers);
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>For migrate and seed: PostgreSQL and plain console output, nothing else.</summary>
    public static IHost CreateToolHost(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.AddPostgres();
        builder.Services.AddSingleton<Migrator>();
        builder.Services.AddSingleton<Seeder>();
        builder.Services.AddSingleton<ConcertStore>();
        return builder.Build();
    }

    private static void AddServices(IHostApplicationBuilder builder, bool web, bool withWorkers)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddValidatedOptions<ApiOptions>(ApiOptions.Section,
            o => OptionsValidation.Range("Api:MaxRequestBodyBytes", o.MaxRequestBodyBytes, 256, 1024 * 1024)
                .Concat(ManagementPort.Validate(o)));
        builder.AddObservability(web);
        builder.AddPostgres();
        builder.AddRedis();
        builder.AddCategories(withRefresher: withWorkers);
        builder.AddOrders();
        builder.AddConcerts();
        if (web) builder.AddAdmin();
        builder.AddPayments(withVoidWorker: withWorkers);
        builder.AddExpiry(withWorker: withWorkers);
        builder.AddTickets();
        builder.AddCheckIn();
        builder.AddTicketEmail(withWorker: withWorkers);
        builder.AddReconciliation(withWorkers);
        builder.AddQueue(web, withWorkers);
    }
}
