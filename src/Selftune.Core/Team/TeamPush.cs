using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Selftune.Core.Store;

namespace Selftune.Core.Team;

/// <summary>What one table contributed to a push.</summary>
/// <param name="Table">The team table.</param>
/// <param name="Sent">Rows read from the local store and sent (a dry run: rows that would be sent).</param>
/// <param name="Changed">Rows the server inserted or updated (0 on a re-push of unchanged rows; null on a dry run).</param>
internal sealed record TeamTableCount(string Table, int Sent, int? Changed);

/// <summary>The result of <c>selftune team push</c>.</summary>
/// <param name="Database">The team database, without the password (host:port/database); null on a dry run with no database set.</param>
/// <param name="MachineId">This home's machine id.</param>
/// <param name="UserName">The user the rows carry.</param>
/// <param name="DryRun">Nothing was written.</param>
/// <param name="SharePrompts">Prompt text was sent (false: hashes and lengths only).</param>
/// <param name="Tables">Per team table, in push order.</param>
/// <param name="Batches">Transactions committed (each a batch of whole sessions, or of one other table's rows).</param>
/// <param name="ElapsedMs">Wall-clock time of the push, in milliseconds.</param>
internal sealed record TeamPushReport(string? Database, string MachineId, string UserName, bool DryRun, bool SharePrompts, IReadOnlyList<TeamTableCount> Tables, int Batches, long ElapsedMs);

/// <summary>
/// Pushes this machine's records from the local store (the source of truth, never written here) to the team database.
/// <list type="bullet">
/// <item>Incremental: the server keeps, per machine and table, a watermark written in the same transaction as the batch it
/// covers (<c>push_watermarks</c>), so only rows past it are read and an interrupted push resumes where it stopped.
/// Sessions are found by <c>sessions.updated_at</c> (bumped by every ingest of the session) and by new
/// <c>prompts</c>/<c>skill_invocations</c> rowids (records written without their session).</item>
/// <item>Whole sessions: a batch holds whole sessions with all their prompts, skill invocations, tool errors and token usage,
/// and replaces the server's rows of those sessions (rows the local store dropped, e.g. hook rows a transcript
/// superseded, are dropped on the server too), in one transaction: no half-pushed session.</item>
/// <item>Idempotent: rows go by binary COPY into a temporary table, then <c>INSERT ... ON CONFLICT (machine_id, key) DO UPDATE
/// ... WHERE IS DISTINCT FROM</c>: a re-push of unchanged rows changes no row.</item>
/// <item>Misses, outcomes, gradings, evolution audit and runs follow their own watermarks (found/decided time, classification
/// time, rowid, id, end time).</item>
/// </list>
/// </summary>
internal sealed class TeamPush
{
    private const string SessionWatermark = "sessions";
    private const string PromptRowidWatermark = "prompts.rowid";
    private const string InvocationRowidWatermark = "skill_invocations.rowid";
    private readonly TimeProvider _time;

    /// <summary>Creates the pusher.</summary>
    /// <param name="time">The clock (push times).</param>
    public TeamPush(TimeProvider time) => _time = time;

    /// <summary>Whole sessions per batch (one transaction each).</summary>
    public int SessionsPerBatch { get; init; } = 2000;

    /// <summary>Rows of a table other than the session tables per batch.</summary>
    public int RowsPerBatch { get; init; } = 10_000;

    /// <summary>Test seam: called after each committed batch with its number (from 1) and the server process id of the
    /// push's connection (so a test can terminate it between batches).</summary>
    internal Func<int, int, Task>? AfterBatch { get; init; }

    /// <summary>Pushes (or, with <paramref name="database"/> null or <paramref name="dryRun"/>, counts) what changed since the last push.</summary>
    /// <param name="store">The local store (read only).</param>
    /// <param name="database">The team database; null on a dry run without one (everything counts as new).</param>
    /// <param name="me">The machine and user the rows carry.</param>
    /// <param name="sharePrompts">Send prompt text (and other text that may quote prompts); false: hashes and lengths only.</param>
    /// <param name="dryRun">Count, write nothing.</param>
    /// <param name="ct">Cancellation (between statements; the batch in flight rolls back).</param>
    /// <exception cref="SelftuneException">The team database's errors (<see cref="TeamDatabase.Translate"/>).</exception>
    public async Task<TeamPushReport> PushAsync(SelftuneStore store, TeamDatabase? database, MachineIdentity me, bool sharePrompts, bool dryRun, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(me);
        var clock = Stopwatch.StartNew();
        var counts = TeamTables.All.ToDictionary(t => t.Name, _ => (Sent: 0, Changed: 0));
        var batches = 0;
        NpgsqlConnection? connection = null;
        try
        {
            var marks = new Dictionary<string, (long Value, string Key)>(StringComparer.Ordinal);
            if (database is not null)
            {
                connection = await database.ConnectAsync(ct).ConfigureAwait(false);
                marks = await ReadWatermarks(connection, me, sharePrompts, dryRun, ct).ConfigureAwait(false);
            }

            var write = dryRun ? null : connection;
            async Task Commit(Func<NpgsqlConnection, Task> body)
            {
                if (write is null)
                {
                    return;
                }

                await using (var tx = await write.BeginTransactionAsync(ct).ConfigureAwait(false))
                {
                    await body(write).ConfigureAwait(false);
                    await Run(write, "UPDATE machines SET last_push_at = $1 WHERE machine_id = $2", ct, _time.GetUtcNow().ToUnixTimeMilliseconds(), me.MachineId).ConfigureAwait(false);
                    await tx.CommitAsync(ct).ConfigureAwait(false);
                }

                batches++;
                if (AfterBatch is not null)
                {
                    await AfterBatch(batches, write.ProcessID).ConfigureAwait(false);
                }
            }

            // Sessions, whole, with their children.
            var sessionMark = marks.GetValueOrDefault(SessionWatermark, (0, ""));
            var promptRowid = marks.GetValueOrDefault(PromptRowidWatermark, (0, "")).Value;
            var invocationRowid = marks.GetValueOrDefault(InvocationRowidWatermark, (0, "")).Value;
            var promptMax = (long?)store.Scalar("SELECT max(rowid) FROM prompts") ?? 0;
            var invocationMax = (long?)store.Scalar("SELECT max(rowid) FROM skill_invocations") ?? 0;
            var changed = store.Query(
                """
                SELECT c.session_id, coalesce(s.updated_at, 0) FROM (
                  SELECT session_id FROM sessions WHERE (updated_at, session_id) > (@u, @k)
                  UNION SELECT session_id FROM prompts WHERE rowid > @pr AND rowid <= @prmax
                  UNION SELECT session_id FROM skill_invocations WHERE rowid > @ir AND rowid <= @irmax) c
                LEFT JOIN sessions s ON s.session_id = c.session_id
                ORDER BY 2, 1
                """,
                r => (Id: r.GetString(0), UpdatedAt: r.GetInt64(1)),
                ("@u", sessionMark.Value), ("@k", sessionMark.Key), ("@pr", promptRowid), ("@prmax", promptMax), ("@ir", invocationRowid), ("@irmax", invocationMax));
            var sessionTables = TeamTables.All.Where(t => t.BySession).ToList();
            for (var start = 0; start < changed.Count; start += SessionsPerBatch)
            {
                ct.ThrowIfCancellationRequested();
                var batch = changed.Skip(start).Take(SessionsPerBatch).ToList();
                var sessionIds = batch.Select(s => s.Id).ToArray();
                var ids = JsonSerializer.Serialize(sessionIds);
                var rows = sessionTables.Select(t => (Table: t, Rows: Read(store, t.LocalSql(sharePrompts), t.Columns.Count, ("@ids", ids)))).ToList();
                foreach (var (table, tableRows) in rows)
                {
                    var c = counts[table.Name];
                    counts[table.Name] = (c.Sent + tableRows.Count, c.Changed);
                }

                var last = batch[^1];
                var isLast = start + SessionsPerBatch >= changed.Count;
                await Commit(async db =>
                {
                    foreach (var (table, tableRows) in rows)
                    {
                        var n = await Upsert(db, table, me, tableRows, ct).ConfigureAwait(false);
                        if (table.Name != "sessions")
                        {
                            n += await Run(db, $"DELETE FROM {table.Name} t WHERE t.machine_id = $1 AND t.session_id = ANY($2) AND NOT EXISTS (SELECT 1 FROM tmp_{table.Name} x WHERE {string.Join(" AND ", table.Key.Select(k => $"x.{k} = t.{k}"))})", ct, me.MachineId, sessionIds).ConfigureAwait(false);
                        }

                        var c = counts[table.Name];
                        counts[table.Name] = (c.Sent, c.Changed + n);
                    }

                    if (last.UpdatedAt > sessionMark.Value || (last.UpdatedAt == sessionMark.Value && string.CompareOrdinal(last.Id, sessionMark.Key) > 0))
                    {
                        sessionMark = (last.UpdatedAt, last.Id);
                        await SetWatermark(db, me, SessionWatermark, sessionMark, ct).ConfigureAwait(false);
                    }

                    if (isLast)
                    {
                        await SetWatermark(db, me, PromptRowidWatermark, (promptMax, ""), ct).ConfigureAwait(false);
                        await SetWatermark(db, me, InvocationRowidWatermark, (invocationMax, ""), ct).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
            }

            // The other tables, each by its own watermark.
            foreach (var table in TeamTables.All.Where(t => !t.BySession))
            {
                var mark = marks.GetValueOrDefault(table.Name, (0, ""));
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    var rows = Read(store, table.LocalSql(sharePrompts), table.Columns.Count + 2, ("@w", mark.Value), ("@k", mark.Key), ("@n", (long)RowsPerBatch));
                    if (rows.Count == 0)
                    {
                        break;
                    }

                    var c = counts[table.Name];
                    counts[table.Name] = (c.Sent + rows.Count, c.Changed);
                    var end = rows[^1];
                    mark = (Convert.ToInt64(end[^2], System.Globalization.CultureInfo.InvariantCulture), (string)end[^1]!);
                    var next = mark;
                    await Commit(async db =>
                    {
                        var n = await Upsert(db, table, me, rows, ct).ConfigureAwait(false);
                        var cc = counts[table.Name];
                        counts[table.Name] = (cc.Sent, cc.Changed + n);
                        await SetWatermark(db, me, table.Name, next, ct).ConfigureAwait(false);
                    }).ConfigureAwait(false);
                    if (rows.Count < RowsPerBatch)
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception ex) when (database is not null && ex is NpgsqlException or IOException or TimeoutException)
        {
            throw database.Translate(ex, "pushing");
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        var tables = TeamTables.All.Select(t => new TeamTableCount(t.Name, counts[t.Name].Sent, dryRun ? null : counts[t.Name].Changed)).ToList();
        return new TeamPushReport(database?.Display, me.MachineId, me.UserName, dryRun, sharePrompts, tables, batches, clock.ElapsedMilliseconds);
    }

    /// <summary>Registers the machine (or updates its name, host and sharing) and reads its watermarks. A machine that changed
    /// <c>team.share_prompts</c> since its last push starts over (watermarks dropped), so every row is re-sent with or
    /// without its text.</summary>
    private async Task<Dictionary<string, (long Value, string Key)>> ReadWatermarks(NpgsqlConnection connection, MachineIdentity me, bool sharePrompts, bool dryRun, CancellationToken ct)
    {
        bool restart;
        await using (var read = new NpgsqlCommand("SELECT share_prompts FROM machines WHERE machine_id = $1", connection) { Parameters = { new() { Value = me.MachineId } } })
        {
            restart = await read.ExecuteScalarAsync(ct).ConfigureAwait(false) is bool shared && shared != sharePrompts;
        }

        if (!dryRun)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await Run(connection,
                """
                INSERT INTO machines (machine_id, user_name, host_name, share_prompts, first_push_at, last_push_at) VALUES ($1, $2, $3, $4, $5, $5)
                ON CONFLICT (machine_id) DO UPDATE SET user_name = EXCLUDED.user_name, host_name = EXCLUDED.host_name, share_prompts = EXCLUDED.share_prompts
                WHERE (machines.user_name, machines.host_name, machines.share_prompts) IS DISTINCT FROM (EXCLUDED.user_name, EXCLUDED.host_name, EXCLUDED.share_prompts)
                """, ct, me.MachineId, me.UserName, me.HostName, sharePrompts, now).ConfigureAwait(false);
            if (restart)
            {
                await Run(connection, "DELETE FROM push_watermarks WHERE machine_id = $1", ct, me.MachineId).ConfigureAwait(false);
            }

            await tx.CommitAsync(ct).ConfigureAwait(false);
        }

        var marks = new Dictionary<string, (long, string)>(StringComparer.Ordinal);
        if (restart)
        {
            return marks;
        }

        await using var command = new NpgsqlCommand("SELECT table_name, watermark, watermark_key FROM push_watermarks WHERE machine_id = $1", connection) { Parameters = { new() { Value = me.MachineId } } };
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            marks[reader.GetString(0)] = (reader.GetInt64(1), reader.GetString(2));
        }

        return marks;
    }

    private static List<object?[]> Read(SelftuneStore store, string sql, int width, params (string Name, object? Value)[] parameters) =>
        store.Query(sql, r =>
        {
            var row = new object?[width];
            for (var i = 0; i < width; i++)
            {
                row[i] = r.GetValue(i);
            }

            return row;
        }, parameters);

    /// <summary>COPYs <paramref name="rows"/> into the table's temporary twin and upserts them; returns the rows inserted or changed.</summary>
    private static async Task<int> Upsert(NpgsqlConnection db, TeamTable table, MachineIdentity me, List<object?[]> rows, CancellationToken ct)
    {
        // Made on first use by this connection (an unchanged push makes none); emptied at every commit.
        await Run(db, $"CREATE TEMP TABLE IF NOT EXISTS tmp_{table.Name} (LIKE {table.Name}) ON COMMIT DELETE ROWS", ct).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return 0;
        }

        var names = string.Join(", ", table.Columns.Select(c => c.Name));
        await using (var copy = await db.BeginBinaryImportAsync($"COPY tmp_{table.Name} (machine_id, user_name, {names}) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false))
        {
            copy.Timeout = TimeSpan.FromSeconds(db.CommandTimeout);
            foreach (var row in rows)
            {
                await copy.StartRowAsync(ct).ConfigureAwait(false);
                copy.Write(me.MachineId, NpgsqlDbType.Text);
                copy.Write(me.UserName, NpgsqlDbType.Text);
                for (var i = 0; i < table.Columns.Count; i++)
                {
                    var (_, type) = table.Columns[i];
                    switch (row[i])
                    {
                        case null:
                            copy.WriteNull();
                            break;
                        case var v when type == NpgsqlDbType.Bigint:
                            copy.Write(Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture), type);
                            break;
                        case var v when type == NpgsqlDbType.Double:
                            copy.Write(Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture), type);
                            break;
                        case var v:
                            copy.Write(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!, type);
                            break;
                    }
                }
            }

            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }

        var all = new[] { "user_name" }.Concat(table.Columns.Select(c => c.Name)).Where(c => !table.Key.Contains(c)).ToList();
        var sql = $"""
            INSERT INTO {table.Name} (machine_id, user_name, {names}) SELECT machine_id, user_name, {names} FROM tmp_{table.Name}
            ON CONFLICT (machine_id, {string.Join(", ", table.Key)}) DO UPDATE SET {string.Join(", ", all.Select(c => $"{c} = EXCLUDED.{c}"))}
            WHERE ({string.Join(", ", all.Select(c => $"{table.Name}.{c}"))}) IS DISTINCT FROM ({string.Join(", ", all.Select(c => $"EXCLUDED.{c}"))})
            """;
        return await Run(db, sql, ct).ConfigureAwait(false);
    }

    private static Task<int> SetWatermark(NpgsqlConnection db, MachineIdentity me, string table, (long Value, string Key) mark, CancellationToken ct) =>
        Run(db, "INSERT INTO push_watermarks (machine_id, table_name, watermark, watermark_key) VALUES ($1, $2, $3, $4) ON CONFLICT (machine_id, table_name) DO UPDATE SET watermark = EXCLUDED.watermark, watermark_key = EXCLUDED.watermark_key",
            ct, me.MachineId, table, mark.Value, mark.Key);

    private static async Task<int> Run(NpgsqlConnection db, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, db);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
