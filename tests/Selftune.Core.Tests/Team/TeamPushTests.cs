using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Selftune.Abstractions;
using Selftune.Core.Store;
using Selftune.Core.Team;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests.Team;

/// <summary>The team push and views against a real throwaway PostgreSQL (<see cref="PostgresCluster"/>).</summary>
public sealed class TeamPushTests : IClassFixture<PostgresCluster>
{
    private static readonly MachineIdentity Alice = new("a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "alice", "laptop-a");
    private static readonly MachineIdentity Bob = new("b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2", "bob", "laptop-b");
    private static readonly string[] Tables = ["sessions", "prompts", "skill_invocations", "tool_errors", "token_usage", "misses", "outcomes", "gradings", "evolution_audit", "runs"];
    private readonly PostgresCluster _pg;
    private readonly TeamPush _push = new(new FakeTimeProvider(TestStore.T0));

    public TeamPushTests(PostgresCluster pg) => _pg = pg;

    [Fact]
    public async Task Two_homes_pushing_the_same_and_different_sessions_twice_give_per_machine_totals_equal_to_each_home()
    {
        using var a = Home("shared", "only-a");
        using var b = Home("shared", "only-b1", "only-b2");
        await using var db = await TeamDatabase.OpenAsync(await _pg.NewDatabaseAsync(), default);

        var first = new[] { await Push(a, db, Alice), await Push(b, db, Bob) };
        var again = new[] { await Push(a, db, Alice), await Push(b, db, Bob) };

        Assert.All(first, r => Assert.True(r.Tables.Single(t => t.Table == "sessions").Changed > 0));
        Assert.All(again.SelectMany(r => r.Tables), t => Assert.Equal(0, t.Changed));
        Assert.All(again.SelectMany(r => r.Tables), t => Assert.Equal(0, t.Sent));
        foreach (var (home, me) in new[] { (a, Alice), (b, Bob) })
        {
            Assert.Equal(LocalTotals(home.Store), await ServerTotals(db, me.MachineId));
        }

        var cost = await TeamViews.CostAsync(db, "machine", default);
        Assert.Equal(LocalCost(a.Store) + LocalCost(b.Store), cost.Sum(c => c.CostUsd), 9);
        Assert.Equal("alice@laptop-a", cost.Single(c => c.Key == Alice.MachineId).Label);
        var status = await TeamViews.StatusAsync(db, TestStore.T0.AddDays(1), default);
        var deck = status.Skills.Single(s => s.Skill == "slides");
        Assert.Equal(2 + 3, deck.Triggers);
        Assert.Equal(2, deck.Machines.Count);
        Assert.Equal("deployed", deck.Machines.Single(m => m.MachineId == Alice.MachineId).Deploy);
        var misses = await TeamViews.MissesAsync(db, "slides", 50, default);
        Assert.Equal(2 + 3, misses.Count);
        Assert.Contains(misses, m => m.UserName == "bob" && m.Text == "make a deck about only-b2");
    }

    [Fact]
    public async Task Push_is_incremental_and_mirrors_a_session_the_local_store_changed()
    {
        using var a = Home("s1", "s2", "s3");
        await using var db = await TeamDatabase.OpenAsync(await _pg.NewDatabaseAsync(), default);
        await Push(a, db, Alice);

        // A prompt added to s2 without its session record (found by its rowid, not by the session's updated_at).
        a.Writer.Prompt(new PromptRecord("s2:late", "s2", TestStore.T0.AddHours(2), "one more slide please", PromptKind.User, TestStore.Transcript));
        var second = await Push(a, db, Alice);

        Assert.Equal(1, second.Tables.Single(t => t.Table == "sessions").Sent);
        Assert.Equal(1, second.Tables.Single(t => t.Table == "prompts").Changed);
        Assert.Equal(LocalTotals(a.Store), await ServerTotals(db, Alice.MachineId));
    }

    [Fact]
    public async Task A_connection_killed_mid_push_loses_nothing_and_the_next_push_completes_it()
    {
        using var a = Home("k1", "k2", "k3", "k4", "k5");
        await using var clean = await TeamDatabase.OpenAsync(await _pg.NewDatabaseAsync(), default);
        await Push(a, clean, Alice);
        await using var db = await TeamDatabase.OpenAsync(await _pg.NewDatabaseAsync(), default);
        var killer = new TeamPush(new FakeTimeProvider(TestStore.T0))
        {
            SessionsPerBatch = 2,
            AfterBatch = (batch, pid) => batch == 1 ? _pg.TerminateAsync(pid) : Task.CompletedTask,
        };
        var before = LocalTotals(a.Store);

        var error = await Assert.ThrowsAsync<SelftuneException>(() => killer.PushAsync(a.Store, db, Alice, sharePrompts: true, dryRun: false, default));

        Assert.Equal(ErrorCodes.TeamConnectionLost, error.Code);
        Assert.Equal("selftune team push", error.NextCommand);
        Assert.Equal(before, LocalTotals(a.Store));
        var partial = await ServerTotals(db, Alice.MachineId);
        Assert.Equal(2, partial["sessions"]);
        Assert.Equal(2 * 2, partial["prompts"]);
        await Push(a, db, Alice, batch: 2);
        Assert.Equal(await ServerTotals(clean, Alice.MachineId), await ServerTotals(db, Alice.MachineId));
        Assert.Equal(before, await ServerTotals(db, Alice.MachineId));
    }

    [Fact]
    public async Task Withheld_prompts_keep_hash_and_length_and_a_dry_run_writes_nothing()
    {
        using var a = Home("p1");
        var connection = await _pg.NewDatabaseAsync();
        await using var db = await TeamDatabase.OpenAsync(connection, default);

        var dry = await _push.PushAsync(a.Store, db, Alice, sharePrompts: false, dryRun: true, default);
        Assert.Equal(2, dry.Tables.Single(t => t.Table == "prompts").Sent);
        Assert.Null(dry.Tables.Single(t => t.Table == "prompts").Changed);
        Assert.DoesNotContain(await ServerTotals(db, Alice.MachineId), t => t.Value > 0);

        await _push.PushAsync(a.Store, db, Alice, sharePrompts: false, dryRun: false, default);
        var rows = await Rows(connection, "SELECT text, text_length, text_hash FROM prompts ORDER BY prompt_id", r => (Text: r.IsDBNull(0) ? null : r.GetString(0), Length: r.GetInt64(1), Hash: r.GetString(2)));
        Assert.All(rows, r => Assert.Null(r.Text));
        Assert.Equal("make a deck about p1".Length, rows[0].Length);
        Assert.Equal(a.Store.Query("SELECT text_hash FROM prompts ORDER BY prompt_id", r => r.GetString(0)), rows.Select(r => r.Hash));

        // Sharing turned on: every row is sent again, with its text.
        await _push.PushAsync(a.Store, db, Alice, sharePrompts: true, dryRun: false, default);
        Assert.All(await Rows(connection, "SELECT text FROM prompts", r => r.IsDBNull(0) ? null : r.GetString(0)), Assert.NotNull);
    }

    [Fact]
    public async Task Wrong_password_unreachable_server_and_newer_schema_are_clear_errors()
    {
        var connection = await _pg.NewDatabaseAsync();
        var database = new NpgsqlConnectionStringBuilder(connection).Database!;

        var auth = await Assert.ThrowsAsync<SelftuneException>(() => TeamDatabase.OpenAsync(_pg.OverTcp(database, "wrong"), default));
        Assert.Equal(ErrorCodes.TeamAuth, auth.Code);
        Assert.Contains("password", auth.Message, StringComparison.Ordinal);
        await using (await TeamDatabase.OpenAsync(_pg.OverTcp(database, PostgresCluster.Password), default))
        {
        }

        var down = await Assert.ThrowsAsync<SelftuneException>(() => TeamDatabase.OpenAsync($"Host=127.0.0.1;Port={PostgresCluster.FreePort()};Username=x;Timeout=5", default));
        Assert.Equal(ErrorCodes.TeamUnreachable, down.Code);
        Assert.Contains("Cannot reach the team database 127.0.0.1:", down.Message, StringComparison.Ordinal);

        await Rows(connection, $"INSERT INTO selftune_schema (version, name) VALUES ({TeamDatabase.LatestVersion + 1}, 'future') RETURNING version", r => r.GetInt32(0));
        var future = await Assert.ThrowsAsync<SelftuneException>(() => TeamDatabase.OpenAsync(connection, default));
        Assert.Equal(ErrorCodes.TeamSchemaTooNew, future.Code);
        Assert.Contains("Update selftune", future.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pooled_evidence_adds_the_other_machines_prompts_and_misses_without_writing_the_local_store()
    {
        using var a = Home("mine");
        using var b = Home("theirs1", "theirs2");
        await using var db = await TeamDatabase.OpenAsync(await _pg.NewDatabaseAsync(), default);
        await Push(a, db, Alice);
        await Push(b, db, Bob);
        var before = LocalTotals(a.Store);

        using (var pooled = await TeamEvidence.PoolAsync(a.Store, db, Alice, default))
        {
            Assert.Equal(1, pooled.Machines);
            Assert.Equal(4, pooled.Prompts);
            Assert.Equal(before["prompts"] + 4, (long)pooled.Store.Scalar("SELECT count(*) FROM prompts")!);
            Assert.Equal(before["misses"] + 2, (long)pooled.Store.Scalar("SELECT count(*) FROM misses")!);
            Assert.Equal(
                b.Store.Query("SELECT session_id, lines_added, lines_removed FROM sessions ORDER BY 1", r => (r.GetString(0), r.GetInt64(1), r.GetInt64(2))),
                pooled.Store.Query("SELECT session_id, lines_added, lines_removed FROM sessions WHERE session_id LIKE 'theirs%' ORDER BY 1", r => (r.GetString(0), r.GetInt64(1), r.GetInt64(2))));
        }

        Assert.Equal(before, LocalTotals(a.Store));
    }

    [Fact]
    public async Task A_server_set_up_before_lines_were_pushed_gets_them_on_each_machines_next_push()
    {
        using var a = Home("old1", "old2");
        var connection = await _pg.NewDatabaseAsync();
        await using (var db = await TeamDatabase.OpenAsync(connection, default))
        {
            await Push(a, db, Alice);
        }

        // The server as schema version 1 left it: no lines, and this machine's watermarks past every session.
        foreach (var table in new[] { "sessions", "tool_errors" })
        {
            await Rows(connection, $"ALTER TABLE {table} DROP COLUMN lines_added, DROP COLUMN lines_removed", r => 0);
        }

        await Rows(connection, "DELETE FROM selftune_schema WHERE version > 1 RETURNING version", r => r.GetInt32(0));
        await using var upgraded = await TeamDatabase.OpenAsync(connection, default);
        Assert.Equal(0, (await ServerTotals(upgraded, Alice.MachineId))["session_lines"]);

        var again = await Push(a, upgraded, Alice);

        Assert.Equal(2, again.Tables.Single(t => t.Table == "sessions").Changed);
        Assert.Equal(0, again.Tables.Single(t => t.Table == "prompts").Changed);
        Assert.Equal(LocalTotals(a.Store), await ServerTotals(upgraded, Alice.MachineId));
    }

    private Task<TeamPushReport> Push(TestStore home, TeamDatabase db, MachineIdentity me, int batch = 2000) =>
        new TeamPush(new FakeTimeProvider(TestStore.T0)) { SessionsPerBatch = batch }.PushAsync(home.Store, db, me, sharePrompts: true, dryRun: false, default);

    /// <summary>A home with one session per id (with the lines its log states): two prompts, a slides invocation, a tool
    /// error of an edit (with its lines), priced usage, a miss of
    /// slides for the second prompt, a grading, and (per home) a deploy audit row and a run.</summary>
    private static TestStore Home(params string[] sessions)
    {
        var home = new TestStore();
        var minute = 0;
        foreach (var s in sessions)
        {
            var ids = home.Session(s, minute += 10, $"make a deck about {s}", $"and a chart for {s}");
            home.Invocation($"{s}:i", s, minute, "slides", ids[0]);
            home.Write(w =>
            {
                w.ToolCall(new ToolCallRecord($"{s}:t", s, TestStore.T0.AddMinutes(minute), "Edit", TestStore.Transcript, IsError: true, ids[0], "exit 1") { LinesAdded = 2, LinesRemoved = 1 });
                w.Usage(new TokenUsageRecord($"{s}:m", "r", s, TestStore.T0.AddMinutes(minute), "claude-sonnet-4-5", 1000, 200, 50, 4000, TestStore.Transcript));
            });
            home.Store.Execute("UPDATE sessions SET lines_added = @a, lines_removed = 4 WHERE session_id = @s", ("@a", 10 + minute), ("@s", s));
            home.Store.Execute("INSERT INTO misses (miss_id, prompt_id, skill_name, method, confidence, score, status, found_at) VALUES (@id, @p, 'slides', 'llm', 0.9, 3.5, 'open', @t)",
                ("@id", $"m-{s}"), ("@p", ids[0]), ("@t", TestStore.T0.AddMinutes(minute).ToUnixTimeMilliseconds()));
            home.Store.Execute("INSERT INTO session_outcomes (session_id, outcome, confidence, evidence, method, classified_at) VALUES (@s, 'success', 0.8, '[]', 'rules', 7)", ("@s", s));
            home.Store.Execute("INSERT INTO grading_results (grading_id, session_id, skill, graded_at, passed, failed, total, pass_rate, mean_score, result_json) VALUES (@id, @s, 'slides', 1, 1, 0, 1, 1.0, 1.0, '{}')",
                ("@id", $"g-{s}"), ("@s", s));
        }

        home.Store.Execute("INSERT INTO evolution_audit (skill_name, proposal_id, action, occurred_at, heuristic, message) VALUES ('slides', 'evo-1', 'deployed', 5, 0, 'deployed')");
        home.Store.Execute("INSERT INTO runs (run_id, started_at, ended_at, status, run_trigger, dry_run, review_required, sample_data, pid, hostname) VALUES ('run-1', 1, 2, 'completed', 'manual', 0, 0, 0, 1, 'h')");
        return home;
    }

    private static Dictionary<string, long> LocalTotals(SelftuneStore store) => new()
    {
        ["sessions"] = (long)store.Scalar("SELECT count(*) FROM sessions")!,
        ["prompts"] = (long)store.Scalar("SELECT count(*) FROM prompts")!,
        ["skill_invocations"] = (long)store.Scalar("SELECT count(*) FROM skill_invocations")!,
        ["tool_errors"] = (long)store.Scalar("SELECT count(*) FROM tool_calls WHERE is_error = 1")!,
        ["token_usage"] = (long)store.Scalar("SELECT count(*) FROM token_usage")!,
        ["misses"] = (long)store.Scalar("SELECT count(*) FROM misses")!,
        ["outcomes"] = (long)store.Scalar("SELECT count(*) FROM session_outcomes")!,
        ["gradings"] = (long)store.Scalar("SELECT count(*) FROM grading_results")!,
        ["evolution_audit"] = (long)store.Scalar("SELECT count(*) FROM evolution_audit")!,
        ["runs"] = (long)store.Scalar("SELECT count(*) FROM runs")!,
        ["tokens"] = (long)store.Scalar("SELECT sum(input_tokens + output_tokens + cache_write_tokens + cache_read_tokens) FROM token_usage")!,
        ["session_lines"] = (long)store.Scalar("SELECT sum(lines_added * 1000 + lines_removed) FROM sessions")!,
        ["tool_error_lines"] = (long)store.Scalar("SELECT sum(lines_added * 1000 + lines_removed) FROM tool_calls WHERE is_error = 1")!,
    };

    private static double LocalCost(SelftuneStore store) => (double)store.Scalar("SELECT sum(cost_usd) FROM token_usage")!;

    private static async Task<Dictionary<string, long>> ServerTotals(TeamDatabase db, string machine)
    {
        await using var connection = await db.ConnectAsync(default);
        var totals = new Dictionary<string, long>();
        foreach (var table in Tables)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE machine_id = $1", connection) { Parameters = { new() { Value = machine } } };
            totals[table] = (long)(await command.ExecuteScalarAsync())!;
        }

        await using var tokens = new NpgsqlCommand("SELECT coalesce(sum(input_tokens + output_tokens + cache_write_tokens + cache_read_tokens), 0)::bigint FROM token_usage WHERE machine_id = $1", connection) { Parameters = { new() { Value = machine } } };
        totals["tokens"] = (long)(await tokens.ExecuteScalarAsync())!;
        foreach (var (name, table) in new[] { ("session_lines", "sessions"), ("tool_error_lines", "tool_errors") })
        {
            await using var lines = new NpgsqlCommand($"SELECT coalesce(sum(lines_added * 1000 + lines_removed), 0)::bigint FROM {table} WHERE machine_id = $1", connection) { Parameters = { new() { Value = machine } } };
            totals[name] = (long)(await lines.ExecuteScalarAsync())!;
        }

        return totals;
    }

    private static async Task<List<T>> Rows<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> map)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return await TeamViews.Query(connection, sql, map, default);
    }
}
