using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Selftune.Dashboard.Tests.Support;

namespace Selftune.Dashboard.Tests;

/// <summary>The team view's API without a team database and with one that cannot be reached: an answer that says what
/// to set, or the database's error in the CLI's error contract, and the rest of the dashboard unaffected. (The views'
/// figures against a real PostgreSQL are the team tests' in Selftune.Core.Tests; this project does not reference them.)</summary>
public sealed class TeamApiTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("selftune-dash-team-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task WithoutATeamDatabaseTheTeamAnswerSaysWhatToSetAndThePageHasNoTeamLink()
    {
        using var factory = new DashboardFactory(_home);
        using var client = factory.CreateClient();

        using var answer = await client.GetAsync(new Uri("/api/team", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var team = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.False(team.GetProperty("configured").GetBoolean());
        Assert.StartsWith("selftune config set team.database ", team.GetProperty("next_command").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/team\"", await client.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableTeamDatabaseIsAnErrorWithItsFixAndTheRestOfTheDashboardAnswers()
    {
        using var factory = new DashboardFactory(_home, ("SELFTUNE_TEAM_DATABASE", $"Host=127.0.0.1;Port={ClosedPort()};Database=selftune;Username=nobody;Timeout=5"));
        using var client = factory.CreateClient();

        using var answer = await client.GetAsync(new Uri("/api/team?by=user", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        var error = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Contains("127.0.0.1", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error.GetProperty("next_command").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(new Uri("/api/team?by=planet", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/health", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/overview", UriKind.Relative))).StatusCode);
        var page = await client.GetStringAsync(new Uri("/team", UriKind.Relative));
        Assert.Contains("<a href=\"/team\" data-nav=\"team\">Team</a>", page, StringComparison.Ordinal);
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
