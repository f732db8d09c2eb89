using Selftune.Core.Store;

namespace Selftune.Core.Team;

/// <summary>
/// The team's pooled evidence for <c>eval generate --team</c> and <c>evolve --team</c>: a scratch copy of the local store
/// (<c>VACUUM INTO</c> a temporary file; the local store is never written) with the other machines' sessions (with the
/// lines their logs state), prompts
/// (those whose text they share), skill invocations and misses added, so the eval-set generator reads every machine's
/// triggers, misses and near misses as if they were local. A session pushed by two machines is taken once (same ids).
/// </summary>
internal sealed class TeamEvidence : IDisposable
{
    private TeamEvidence(SelftuneStore store, int machines, int prompts)
    {
        Store = store;
        Machines = machines;
        Prompts = prompts;
    }

    /// <summary>The pooled scratch store (read it; what is written to it is thrown away).</summary>
    public SelftuneStore Store { get; }

    /// <summary>Other machines whose rows were added.</summary>
    public int Machines { get; }

    /// <summary>Their prompts added (with text).</summary>
    public int Prompts { get; }

    /// <summary>Builds the pooled store.</summary>
    /// <param name="local">This machine's store.</param>
    /// <param name="database">The team database.</param>
    /// <param name="me">This machine (its own pushed rows are already in <paramref name="local"/>).</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException">The team database's errors; the local store's.</exception>
    public static async Task<TeamEvidence> PoolAsync(SelftuneStore local, TeamDatabase database, MachineIdentity me, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(me);
        var path = Path.Combine(Path.GetTempPath(), $"selftune-team-{Guid.NewGuid():N}.db");
        local.Execute("VACUUM INTO @path", ("@path", path));
        var scratch = SelftuneStore.Open(path);
        try
        {
            var (machines, prompts) = await TeamViews.Guard(database, "reading the team's evidence", async db =>
            {
                using var tx = scratch.BeginTransaction();
                var m = (int)(await TeamViews.Query(db, "SELECT count(DISTINCT machine_id) FROM machines WHERE machine_id <> $1", r => r.GetInt64(0), ct, me.MachineId).ConfigureAwait(false))[0];
                await Copy(db, scratch, "SELECT session_id, platform, capture_mode, parent_session_id, started_at, ended_at, cwd, git_branch, agent_version, models, status, updated_at, lines_added, lines_removed FROM sessions WHERE machine_id <> $1",
                    "INSERT OR IGNORE INTO sessions (session_id, platform, capture_mode, parent_session_id, started_at, ended_at, cwd, git_branch, agent_version, models, status, updated_at, lines_added, lines_removed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", me, ct).ConfigureAwait(false);
                var p = await Copy(db, scratch, "SELECT prompt_id, session_id, platform, occurred_at, text, text_hash, kind, actionable, capture_mode, confidence FROM prompts WHERE machine_id <> $1 AND text IS NOT NULL",
                    "INSERT OR IGNORE INTO prompts (prompt_id, session_id, platform, occurred_at, text, text_hash, kind, actionable, capture_mode, confidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", me, ct).ConfigureAwait(false);
                await Copy(db, scratch, "SELECT invocation_id, session_id, platform, occurred_at, skill_name, kind, prompt_id, capture_mode, confidence FROM skill_invocations WHERE machine_id <> $1",
                    "INSERT OR IGNORE INTO skill_invocations (invocation_id, session_id, platform, occurred_at, skill_name, kind, prompt_id, capture_mode, confidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", me, ct).ConfigureAwait(false);
                await Copy(db, scratch, "SELECT miss_id, prompt_id, skill_name, method, confidence, score, status, found_at, decided_at FROM misses WHERE machine_id <> $1",
                    "INSERT OR IGNORE INTO misses (miss_id, prompt_id, skill_name, method, confidence, score, status, found_at, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", me, ct).ConfigureAwait(false);
                tx.Commit();
                return (m, p);
            }, ct).ConfigureAwait(false);
            return new TeamEvidence(scratch, machines, prompts);
        }
        catch
        {
            scratch.Dispose();
            Delete(path);
            throw;
        }
    }

    /// <summary>Copies the server query's rows into the scratch store with <paramref name="insert"/>; returns the rows read.</summary>
    private static async Task<int> Copy(Npgsql.NpgsqlConnection db, SelftuneStore scratch, string query, string insert, MachineIdentity me, CancellationToken ct)
    {
        await using var command = new Npgsql.NpgsqlCommand(query, db) { Parameters = { new() { Value = me.MachineId } } };
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        using var statement = scratch.Prepare(insert);
        var n = 0;
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                _ = reader.IsDBNull(i) ? statement.BindNull(i + 1) : reader.GetValue(i) switch
                {
                    string s => statement.Bind(i + 1, s),
                    long l => statement.Bind(i + 1, l),
                    double d => statement.Bind(i + 1, (double?)d),
                    var v => statement.Bind(i + 1, Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)),
                };
            }

            statement.Execute();
            n++;
        }

        return n;
    }

    private static void Delete(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var path = Store.Path;
        Store.Dispose();
        Delete(path);
    }
}
