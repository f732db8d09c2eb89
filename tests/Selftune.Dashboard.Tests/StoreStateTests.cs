using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Selftune.Dashboard.Tests.Support;

namespace Selftune.Dashboard.Tests;

/// <summary>What the dashboard says about a store that is not there yet, too new or damaged.</summary>
public sealed class StoreStateTests
{
    [Fact]
    public async Task AHomeWithoutAStoreShowsTheFirstStepsNotAnError()
    {
        using var home = new CorpusHome(sync: false);
        using var factory = new DashboardFactory(home.Cli.UserHome);
        using var client = factory.CreateClient();

        var overview = JsonDocument.Parse(await client.GetStringAsync("/api/overview")).RootElement;

        Assert.True(overview.GetProperty("empty").GetBoolean());
        Assert.Equal(["selftune init", "selftune sync"], overview.GetProperty("first_steps").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(0, JsonDocument.Parse(await client.GetStringAsync("/api/sessions")).RootElement.GetProperty("sessions").GetArrayLength());
        Assert.Equal(0, JsonDocument.Parse(await client.GetStringAsync("/api/runs")).RootElement.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public async Task AStoreFromANewerSelftuneIsExplainedInDoctorsWords()
    {
        using var home = new CorpusHome();
        var db = Path.Combine(home.Cli.SelftuneHome, "selftune.db");
        using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 9999";
            command.ExecuteNonQuery();
        }

        using var factory = new DashboardFactory(home.Cli.UserHome);
        using var client = factory.CreateClient();

        var response = await client.GetAsync("/api/overview");
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("STORE_TOO_NEW", error.GetProperty("code").GetString());
        var health = JsonDocument.Parse(await client.GetStringAsync("/api/health")).RootElement;
        var store = health.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "store");
        Assert.Equal("fail", store.GetProperty("status").GetString());
        Assert.Equal(error.GetProperty("message").GetString(), store.GetProperty("message").GetString());
    }
}
