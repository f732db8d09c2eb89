using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Selftune.Abstractions;
using Selftune.Host.Cli;
using Selftune.Host.Dashboard;

namespace Selftune.Dashboard.Tests.Support;

/// <summary>The dashboard in process on a test server, composed as the real one (<see cref="DashboardServer.AddServices"/>,
/// <see cref="DashboardServer.Configure"/>) for a given user home. Its token is <see cref="Token"/>.</summary>
internal sealed class DashboardFactory : WebApplicationFactory<DashboardServer>
{
    private readonly App _app;

    /// <summary>Creates the factory for the selftune home under <paramref name="userHome"/> (<c>.selftune</c>).</summary>
    /// <param name="userHome">The user's home.</param>
    /// <param name="environment">More environment variables the dashboard sees (e.g. <c>SELFTUNE_TEAM_DATABASE</c>).</param>
    public DashboardFactory(string userHome, params (string Name, string Value)[] environment)
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal) { ["HOME"] = userHome, ["SELFTUNE_HOME"] = Path.Combine(userHome, ".selftune") };
        foreach (var (name, value) in environment)
        {
            variables[name] = value;
        }

        _app = new App(new PlatformContext(userHome, userHome, name => variables.GetValueOrDefault(name)), new Output(json: true, TextWriter.Null, TextWriter.Null));
    }

    /// <summary>The per-launch token.</summary>
    public DashboardOptions Options { get; } = DashboardOptions.Create();

    /// <summary>The per-launch token.</summary>
    public string Token => Options.Token;

    /// <inheritdoc />
    protected override IHostBuilder CreateHostBuilder() =>
        new HostBuilder().ConfigureWebHost(web => web
            .UseSetting("TEST_CONTENTROOT_SELFTUNE", AppContext.BaseDirectory)
            .ConfigureServices(services => DashboardServer.AddServices(services, _app, Options))
            .Configure(DashboardServer.Configure));

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _app.Dispose();
        }
    }
}
