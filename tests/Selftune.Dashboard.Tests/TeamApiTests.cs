using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Npgsql;
using Selftune.Host.Dashboard;
using Selftune.Core.Tests.Team;
using Selftune.Dashboard.Tests.Support;

namespace Selftune.Dashboard.Tests;

/// <summary>The team view's API: without a team database and with one that cannot be reached (an answer that says what
/// to set, or the database's error in the CLI's error contract, and the rest of the dashboard unaffected), and against a
/// real throwaway PostgreSQL (<see cref="PostgresCluster"/>, the Core team tests' helper) that two homes pushed to with
/// the real <c>selftune team push</c>; a run started from the page pushes like every run when <c>team.push</c> is on.</summary>
public sealed class TeamApiTests(PostgresCluster pg) : IClassFixture<PostgresCluster>, IDisposable
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

    [Fact]
    public async Task TheTeamAnswerAndPageShowThePooledFiguresOfTwoMachinesThatPushedToARealPostgreSql()
    {
        var database = await pg.NewDatabaseAsync();
        using var first = new CorpusHome();
        using var second = new CorpusHome();
        second.AddLaterProject();
        Assert.Equal(0, second.Cli.Run("sync").ExitCode);
        foreach (var home in new[] { first, second })
        {
            home.Cli.Environment["SELFTUNE_TEAM_DATABASE"] = database;
            var push = home.Cli.Run("team", "push", "--json");
            Assert.True(push.ExitCode == 0, push.ToString());
        }

        using var factory = new DashboardFactory(first.Cli.UserHome, ("SELFTUNE_TEAM_DATABASE", database));
        using var client = factory.CreateClient();
        using var answer = await client.GetAsync(new Uri("/api/team?by=machine", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var team = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.True(team.GetProperty("configured").GetBoolean());
        var machines = team.GetProperty("status").GetProperty("machines").EnumerateArray().ToDictionary(m => m.GetProperty("machine_id").GetString()!, m => m.GetProperty("sessions").GetInt64());
        var cost = team.GetProperty("cost").EnumerateArray().ToDictionary(c => c.GetProperty("key").GetString()!, c => c.GetProperty("input_tokens").GetInt64());
        Assert.Equal(2, machines.Count);
        Assert.Equal(2, cost.Count);
        foreach (var home in new[] { first, second })
        {
            var id = File.ReadAllText(Path.Combine(home.Cli.SelftuneHome, "machine-id")).Trim();
            var (sessions, input) = Local(home);
            Assert.Equal(sessions, machines[id]);
            Assert.Equal(input, cost[id]);
        }

        Assert.True(machines.Values.Distinct().Count() == 2, "the second home has one project more: its figures differ");
        var skill = team.GetProperty("status").GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("skill").GetString() == CorpusHome.Skill);
        Assert.Equal(2, skill.GetProperty("machines").GetArrayLength());
        Assert.Equal(skill.GetProperty("machines").EnumerateArray().Sum(m => m.GetProperty("triggers").GetInt64()), skill.GetProperty("triggers").GetInt64());
        Assert.Contains("<a href=\"/team\" data-nav=\"team\">Team</a>", await client.GetStringAsync(new Uri("/team", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARunStartedFromThePagePushesToTheTeamDatabaseWhenTeamPushIsOn()
    {
        var database = await pg.NewDatabaseAsync();
        using var home = new CorpusHome();
        using var factory = new DashboardFactory(home.Cli.UserHome, ("SELFTUNE_TEAM_DATABASE", database), ("SELFTUNE_TEAM_PUSH", "true"));
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/actions/run") { Content = new StringContent("{\"dry_run\":false}", Encoding.UTF8, "application/json") };
        request.Headers.Add(DashboardServer.TokenHeader, factory.Token);
        request.Headers.Add("Origin", "http://localhost");

        using var started = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var push = await TeamPushOfTheRun(home);
        Assert.False(push.TryGetProperty("error", out _), push.ToString());
        Assert.True(push.GetProperty("changed").GetInt32() > 0, push.ToString());
        var (sessions, _) = Local(home);
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM runs WHERE status = 'completed')", connection);
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(sessions, reader.GetInt64(0));
        Assert.Equal(1, reader.GetInt64(1));
    }

    /// <summary>The <c>team_push</c> of the home's one run, once its report records it (the run goes on in the background
    /// after the action is accepted; bounded wait).</summary>
    private static async Task<JsonElement> TeamPushOfTheRun(CorpusHome home)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(home.Cli.SelftuneHome, "selftune.db")};Mode=ReadOnly;Pooling=False"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT report_json FROM runs WHERE status <> 'running'";
                if (command.ExecuteScalar() is string json && JsonDocument.Parse(json).RootElement.TryGetProperty("team_push", out var push))
                {
                    return push.Clone();
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the run did not record a team push within 3 minutes");
            await Task.Delay(200);
        }
    }

    /// <summary>A home's own figures, read from its store: sessions (sub-agents included) and input tokens.</summary>
    private static (long Sessions, long InputTokens) Local(CorpusHome home)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(home.Cli.SelftuneHome, "selftune.db")};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT count(*) FROM sessions), (SELECT coalesce(sum(input_tokens), 0) FROM token_usage)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
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
