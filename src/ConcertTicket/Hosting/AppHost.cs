using ConcertTicket.Admin;
using ConcertTicket.Categories;
using ConcertTicket.Concerts;
using ConcertTicket.Expiry;
using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using ConcertTicket.Payments;

namespace ConcertTicket.Hosting;

/// <summary>Builds the web app and the worker host; the commands and the tests use the same builders.</summary>
internal static class AppHost
{
    public const string DefaultUrl = "http://localhost:8080";

    /// <param name="configure">Lets tests swap the server for a TestServer or add configuration.</param>
    public static WebApplication CreateWebApp(string[] args, bool withWorkers, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
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
        app.MapCategories();
        app.MapOrders();
        app.MapConcerts();
        app.MapAdmin();
        app.MapPaymentCallbacks();
        app.MapHealth();
        app.MapMetrics();
        app.MapApiDocumentation();
        app.MapBenchmarkEndpoints(app.Configuration);
        return app;
    }

    public static IHost CreateWorkerHost(string[] args, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddServices(builder, web: false, withWorkers: true);
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
            o => OptionsValidation.Range("Api:MaxRequestBodyBytes", o.MaxRequestBodyBytes, 256, 1024 * 1024));
        builder.AddObservability(web);
        builder.AddPostgres();
        builder.AddRedis();
        builder.AddCategories(withRefresher: withWorkers);
        builder.AddOrders();
        builder.AddConcerts();
        if (web) builder.AddAdmin();
        builder.AddPayments(withVoidWorker: withWorkers);
        builder.AddPaymentGatewayMetrics();
        if (withWorkers) builder.AddExpiry();
    }
}
