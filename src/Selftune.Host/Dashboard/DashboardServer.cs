using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Selftune.Core;
using Selftune.Core.Reports;
using Selftune.Host.Cli;

namespace Selftune.Host.Dashboard;

/// <summary>What one dashboard server was started with.</summary>
/// <param name="Token">The per-launch token every state-changing request must carry (<c>X-Selftune-Token</c>); the
/// served page holds it.</param>
internal sealed record DashboardOptions(string Token)
{
    /// <summary>A new random token (128 bits, hex).</summary>
    public static DashboardOptions Create() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
}

/// <summary>
/// The dashboard's web server: ASP.NET Core minimal APIs on the Generic Host, Kestrel bound to 127.0.0.1 only. The same
/// <see cref="AddServices"/> and <see cref="Configure"/> compose the real server and the tests' <c>WebApplicationFactory</c>.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    /// <summary>The header that carries the per-launch token.</summary>
    public const string TokenHeader = "X-Selftune-Token";

    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>This build's version.</summary>
    public static string Version { get; } =
        typeof(DashboardServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The URL the server answers on (<c>http://127.0.0.1:PORT/</c>).</summary>
    public string Url { get; }

    /// <summary>Stops when the host stops (SIGTERM).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>Starts the server on 127.0.0.1 and computes the answers the first page loads ask for (<see cref="DashboardData.Warm"/>) before it returns, so the address it gives answers at once.</summary>
    /// <param name="a">The application (home, configuration, plugins).</param>
    /// <param name="port">The port; 0 for a free one.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <exception cref="SelftuneException">The port is taken.</exception>
    public static async Task<DashboardServer> StartAsync(App a, int port, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(a);
        MigrateStore(a);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "selftune", ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        AddServices(builder.Services, a, DashboardOptions.Create());
        var app = builder.Build();
        Configure(app);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"Port {port} on 127.0.0.1 cannot be used: {ex.Message}", "selftune dashboard --port 0");
        }

        // The address is announced once the first page loads will find their answers ready.
        try
        {
            app.Services.GetRequiredService<DashboardData>().Warm();
        }
#pragma warning disable CA1031 // A store that cannot be read is explained by the pages themselves.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        var address = app.Urls.First();
        return new DashboardServer(app, address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
    }

    /// <summary>Registers the dashboard's services.</summary>
    /// <param name="services">The collection.</param>
    /// <param name="a">The application.</param>
    /// <param name="options">The per-launch options.</param>
    public static void AddServices(IServiceCollection services, App a, DashboardOptions options)
    {
        services.AddSingleton(a);
        services.AddSingleton(options);
        services.AddSingleton<DashboardEvents>();
        services.AddSingleton(sp => new StoreWatcher(a.Home.DatabasePath, sp.GetRequiredService<DashboardEvents>()));
        services.AddSingleton(sp =>
        {
            var watcher = sp.GetRequiredService<StoreWatcher>();
            var data = new DashboardData(a);
            watcher.Refresh = data.Refresh;
            return data;
        });
        services.AddHostedService(sp =>
        {
            sp.GetRequiredService<DashboardData>(); // hooks the warm-up before the first change
            return sp.GetRequiredService<StoreWatcher>();
        });
        services.AddSingleton<DashboardActions>();
        services.AddSingleton<DashboardAssets>();
        services.AddRouting();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.PropertyNameCaseInsensitive = true;
        });
    }

    /// <summary>The request pipeline: the security rules, then the routes.</summary>
    public static void Configure(IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(Guard);
        app.UseRouting();
        app.UseEndpoints(DashboardApi.Map);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The security rules, before anything else runs: a <c>Host</c> that is not the loopback name or address is refused
    /// (a DNS-rebinding page would send its own host name); every request that is not GET or HEAD needs the per-launch
    /// token and an <c>Origin</c> equal to the page's own (same origin). No CORS header is ever sent, so another site's
    /// script cannot read an answer. Every answer says not to be framed, sniffed or cached by referrers.
    /// </summary>
    private static Task Guard(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'";
        if (!IsLoopback(request.Host))
        {
            return Refuse(context, StatusCodes.Status421MisdirectedRequest, "FORBIDDEN_HOST", $"The dashboard answers only to 127.0.0.1 or localhost, not to Host '{request.Host}' (a page on another site trying to reach it through DNS rebinding).");
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            var options = context.RequestServices.GetRequiredService<DashboardOptions>();
            var token = request.Headers[TokenHeader].ToString();
            if (token.Length != options.Token.Length || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token), Encoding.ASCII.GetBytes(options.Token)))
            {
                return Refuse(context, StatusCodes.Status403Forbidden, "FORBIDDEN_TOKEN", $"A state-changing request needs the dashboard's per-launch token in {TokenHeader} (the page served by this dashboard holds it).");
            }

            var origin = request.Headers.Origin.ToString();
            if (!string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
            {
                return Refuse(context, StatusCodes.Status403Forbidden, "FORBIDDEN_ORIGIN", $"A state-changing request must come from the dashboard's own page (Origin {request.Scheme}://{request.Host}), not from '{origin}'.");
            }
        }

        return next();
    }

    /// <summary>True for <c>localhost</c>, <c>127.0.0.1</c> and <c>[::1]</c> (any port).</summary>
    internal static bool IsLoopback(HostString host) =>
        host.HasValue && (host.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.Host is "127.0.0.1" or "[::1]");

    private static Task Refuse(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { error = new { code, message } }, Json.Options));
    }

    /// <summary>Brings the store to this build's schema once (the pages open it read only); a store that cannot be opened
    /// is left for the pages to explain.</summary>
    private static void MigrateStore(App a)
    {
        if (!File.Exists(a.Home.DatabasePath))
        {
            return;
        }

        try
        {
            using var store = a.OpenStore();
        }
        catch (SelftuneException)
        {
            // shown by every page, in doctor's words
        }
    }
}
