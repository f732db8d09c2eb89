using Selftune.AdapterKit;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary><c>selftune team …</c> as real processes, without a team server: the dry run counts every row as new, and a
/// missing or unreachable team database is a clear error that leaves the local store as it was. (Pushes against a real
/// PostgreSQL: Selftune.Core.Tests/Team.)</summary>
public sealed class TeamCommandTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    public TeamCommandTests() =>
        IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("claude-code"), Path.Combine(_cli.UserHome, ".claude", "projects"));

    [Fact]
    public void A_dry_run_without_a_team_database_counts_the_rows_that_would_go_and_makes_the_machine_id_once()
    {
        Assert.Equal(0, _cli.Run("sync", "--json").ExitCode);

        var dry = _cli.Run("team", "push", "--dry-run", "--json");

        Assert.True(dry.ExitCode == 0, dry.ToString());
        var push = dry.Json.GetProperty("push");
        Assert.True(push.GetProperty("dry_run").GetBoolean());
        var tables = push.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("table").GetString()!, t => t.GetProperty("sent").GetInt32());
        Assert.Equal(37, tables["sessions"]);
        Assert.True(tables["prompts"] > 0 && tables["token_usage"] > 0);
        var id = File.ReadAllText(Path.Combine(_cli.SelftuneHome, "machine-id")).Trim();
        Assert.Equal(id, push.GetProperty("machine_id").GetString());
        Assert.Equal(id, _cli.Run("team", "push", "--dry-run", "--json").Json.GetProperty("push").GetProperty("machine_id").GetString());
    }

    [Fact]
    public void No_team_database_and_an_unreachable_one_are_clear_errors_and_the_local_store_is_untouched()
    {
        Assert.Equal(0, _cli.Run("sync", "--json").ExitCode);
        var before = Totals();

        var none = _cli.Run("team", "status", "--json");
        Assert.Equal(1, none.ExitCode);
        Assert.Equal("NOT_FOUND", none.Error.GetProperty("code").GetString());
        Assert.StartsWith("selftune config set team.database", none.Error.GetProperty("next_command").GetString(), StringComparison.Ordinal);

        _cli.Environment["SELFTUNE_TEAM_DATABASE"] = "Host=127.0.0.1;Port=1;Username=me;Database=team;Timeout=5";
        var down = _cli.Run("team", "push", "--json");
        Assert.Equal(1, down.ExitCode);
        Assert.Equal("TEAM_UNREACHABLE", down.Error.GetProperty("code").GetString());
        Assert.Contains("127.0.0.1:1/team", down.Error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, Totals());
    }

    private string Totals()
    {
        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"), readOnly: true);
        return string.Join(",", store.Query("SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM prompts), (SELECT count(*) FROM token_usage), (SELECT max(updated_at) FROM sessions)", r => $"{r.GetInt64(0)} {r.GetInt64(1)} {r.GetInt64(2)} {r.GetInt64(3)}"));
    }

    public void Dispose() => _cli.Dispose();
}
