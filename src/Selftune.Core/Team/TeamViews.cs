using System.Globalization;
using Npgsql;

namespace Selftune.Core.Team;

/// <summary>A machine that pushed to the team database.</summary>
/// <param name="MachineId">Its home's machine id.</param>
/// <param name="UserName">The user who pushed.</param>
/// <param name="HostName">Its host name.</param>
/// <param name="SharePrompts">Whether it shares prompt text.</param>
/// <param name="LastPushAt">When it last pushed something.</param>
/// <param name="Sessions">Sessions it pushed.</param>
internal sealed record TeamMachine(string MachineId, string UserName, string HostName, bool SharePrompts, DateTimeOffset LastPushAt, long Sessions);

/// <summary>One skill on one machine.</summary>
/// <param name="MachineId">The machine.</param>
/// <param name="UserName">Its user.</param>
/// <param name="Triggers">Implicit and explicit invocations of the skill there.</param>
/// <param name="Misses">Misses found there (open and confirmed; rejected ones are not misses).</param>
/// <param name="Deploy">The latest deploy or rollback of the skill there: <c>deployed</c> or <c>rolled_back</c>; null: never evolved there.</param>
/// <param name="DeployProposal">The proposal that deploy or rollback concerned.</param>
/// <param name="DeployAt">When.</param>
internal sealed record TeamSkillMachine(string MachineId, string UserName, long Triggers, long Misses, string? Deploy, string? DeployProposal, DateTimeOffset? DeployAt);

/// <summary>One skill across the team.</summary>
/// <param name="Skill">The skill's name.</param>
/// <param name="Triggers">Invocations on all machines.</param>
/// <param name="Misses">Misses on all machines.</param>
/// <param name="TriggersLast7Days">Invocations in the last 7 days.</param>
/// <param name="TriggersPrevious7Days">Invocations in the 7 days before.</param>
/// <param name="Trend"><c>up</c>, <c>down</c> or <c>stable</c> (the last 7 days against the 7 before, ±10 %), <c>unknown</c> with neither.</param>
/// <param name="Machines">Per machine, most triggers first.</param>
internal sealed record TeamSkill(string Skill, long Triggers, long Misses, long TriggersLast7Days, long TriggersPrevious7Days, string Trend, IReadOnlyList<TeamSkillMachine> Machines);

/// <summary><c>selftune team status</c>.</summary>
/// <param name="Database">The team database (host:port/database).</param>
/// <param name="Machines">Every machine that pushed.</param>
/// <param name="Skills">Every skill triggered, missed or evolved on any machine, most triggers first.</param>
internal sealed record TeamStatusReport(string Database, IReadOnlyList<TeamMachine> Machines, IReadOnlyList<TeamSkill> Skills);

/// <summary>One group of <c>selftune team cost</c>.</summary>
/// <param name="Key">The group (machine id, user, project folder, model, skill or day yyyy-MM-dd UTC).</param>
/// <param name="Label">For a machine: user@host; otherwise the key.</param>
/// <param name="Sessions">Sessions with usage in the group.</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CacheWriteTokens">Cache write tokens (5-minute and 1-hour).</param>
/// <param name="CacheReadTokens">Cache read tokens.</param>
/// <param name="CostUsd">Cost in USD of the priced usage.</param>
/// <param name="UnpricedRequests">Requests of models not in the pricing table (not in <paramref name="CostUsd"/>).</param>
internal sealed record TeamCostRow(string Key, string Label, long Sessions, long InputTokens, long OutputTokens, long CacheWriteTokens, long CacheReadTokens, double CostUsd, long UnpricedRequests);

/// <summary>A miss found on some machine.</summary>
/// <param name="MachineId">The machine.</param>
/// <param name="UserName">Its user.</param>
/// <param name="HostName">Its host.</param>
/// <param name="MissId">The miss (as that machine's <c>selftune misses</c> lists it).</param>
/// <param name="Skill">The skill that should have fired.</param>
/// <param name="Method"><c>lexical</c> or <c>llm</c>.</param>
/// <param name="Confidence">0..1.</param>
/// <param name="Status"><c>open</c> or <c>confirmed</c>.</param>
/// <param name="OccurredAt">When the prompt was sent.</param>
/// <param name="Text">The prompt (redacted); null when that machine does not share prompt text.</param>
/// <param name="TextHash">The prompt's hash (same prompt, same hash, on every machine).</param>
/// <param name="TextLength">The prompt's length in characters.</param>
internal sealed record TeamMiss(string MachineId, string UserName, string HostName, string MissId, string Skill, string Method, double Confidence, string Status, DateTimeOffset? OccurredAt, string? Text, string? TextHash, long? TextLength);

/// <summary>The team views over the team database (also what a dashboard's team view calls).</summary>
internal static class TeamViews
{
    /// <summary>The groupings <see cref="CostAsync"/> accepts.</summary>
    public static readonly IReadOnlyList<string> CostGroupings = ["machine", "user", "project", "model", "skill", "day"];

    /// <summary>Machines and skills across the team.</summary>
    /// <param name="database">The team database.</param>
    /// <param name="now">The current time (trend windows).</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException">The database's errors (<see cref="TeamDatabase.Translate"/>).</exception>
    public static Task<TeamStatusReport> StatusAsync(TeamDatabase database, DateTimeOffset now, CancellationToken ct) => Guard(database, "reading the team status", async db =>
    {
        var machines = await Query(db, """
            SELECT m.machine_id, m.user_name, m.host_name, m.share_prompts, m.last_push_at, (SELECT count(*) FROM sessions s WHERE s.machine_id = m.machine_id)
            FROM machines m ORDER BY m.user_name, m.host_name, m.machine_id
            """, r => new TeamMachine(r.GetString(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.GetInt64(5)), ct).ConfigureAwait(false);
        var users = machines.ToDictionary(m => m.MachineId, m => m.UserName, StringComparer.Ordinal);
        var week = now.AddDays(-7).ToUnixTimeMilliseconds();
        var fortnight = now.AddDays(-14).ToUnixTimeMilliseconds();
        var triggers = await Query(db, """
            SELECT skill_name, machine_id, count(*), count(*) FILTER (WHERE occurred_at >= $1), count(*) FILTER (WHERE occurred_at >= $2 AND occurred_at < $1)
            FROM skill_invocations WHERE kind <> 'read' GROUP BY 1, 2
            """, r => (Skill: r.GetString(0), Machine: r.GetString(1), All: r.GetInt64(2), Last: r.GetInt64(3), Previous: r.GetInt64(4)), ct, week, fortnight).ConfigureAwait(false);
        var misses = await Query(db, "SELECT skill_name, machine_id, count(*) FROM misses WHERE status <> 'rejected' GROUP BY 1, 2",
            r => (Skill: r.GetString(0), Machine: r.GetString(1), Count: r.GetInt64(2)), ct).ConfigureAwait(false);
        var deploys = await Query(db, """
            SELECT DISTINCT ON (skill_name, machine_id) skill_name, machine_id, action, proposal_id, occurred_at
            FROM evolution_audit WHERE action IN ('deployed', 'rolled_back') ORDER BY skill_name, machine_id, occurred_at DESC, audit_id DESC
            """, r => (Skill: r.GetString(0), Machine: r.GetString(1), Action: r.GetString(2), Proposal: r.IsDBNull(3) ? null : r.GetString(3), At: r.GetInt64(4)), ct).ConfigureAwait(false);

        var skills = triggers.Select(t => t.Skill).Concat(misses.Select(m => m.Skill)).Concat(deploys.Select(d => d.Skill)).Distinct(StringComparer.Ordinal)
            .Select(skill =>
            {
                var perMachine = triggers.Where(t => t.Skill == skill).Select(t => t.Machine)
                    .Concat(misses.Where(m => m.Skill == skill).Select(m => m.Machine))
                    .Concat(deploys.Where(d => d.Skill == skill).Select(d => d.Machine))
                    .Distinct(StringComparer.Ordinal)
                    .Select(machine =>
                    {
                        var t = triggers.FirstOrDefault(x => x.Skill == skill && x.Machine == machine);
                        var d = deploys.FirstOrDefault(x => x.Skill == skill && x.Machine == machine);
                        return new TeamSkillMachine(machine, users.GetValueOrDefault(machine, ""), t.All, misses.FirstOrDefault(x => x.Skill == skill && x.Machine == machine).Count,
                            d.Action, d.Proposal, d.Action is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(d.At));
                    })
                    .OrderByDescending(m => m.Triggers).ThenBy(m => m.MachineId, StringComparer.Ordinal)
                    .ToList();
                var mine = triggers.Where(t => t.Skill == skill).ToList();
                long last = mine.Sum(t => t.Last), previous = mine.Sum(t => t.Previous);
                var trend = last + previous == 0 ? "unknown" : last > previous * 1.1 ? "up" : last < previous * 0.9 ? "down" : "stable";
                return new TeamSkill(skill, mine.Sum(t => t.All), perMachine.Sum(m => m.Misses), last, previous, trend, perMachine);
            })
            .OrderByDescending(s => s.Triggers).ThenBy(s => s.Skill, StringComparer.Ordinal)
            .ToList();
        return new TeamStatusReport(database.Display, machines, skills);
    }, ct);

    /// <summary>Token usage and cost across the team, grouped.</summary>
    /// <param name="database">The team database.</param>
    /// <param name="by">One of <see cref="CostGroupings"/>. By skill, a session's usage counts for every skill it invoked
    /// (so the groups can add up to more than the total); sessions that invoked none are under <c>(no skill)</c>.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="ArgumentException"><paramref name="by"/> is not a grouping.</exception>
    /// <exception cref="SelftuneException">The database's errors.</exception>
    public static Task<List<TeamCostRow>> CostAsync(TeamDatabase database, string by, CancellationToken ct)
    {
        var (key, join) = by switch
        {
            "machine" => ("u.machine_id", ""),
            "user" => ("u.user_name", ""),
            "project" => ("coalesce(s.cwd, '(unknown)')", "LEFT JOIN sessions s ON s.machine_id = u.machine_id AND s.session_id = u.session_id"),
            "model" => ("u.model", ""),
            "day" => ("to_char(to_timestamp(u.occurred_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')", ""),
            "skill" => ("coalesce(k.skill_name, '(no skill)')", "LEFT JOIN (SELECT DISTINCT machine_id, session_id, skill_name FROM skill_invocations WHERE kind <> 'read') k ON k.machine_id = u.machine_id AND k.session_id = u.session_id"),
            _ => throw new ArgumentException($"Unknown grouping '{by}'; one of {string.Join(", ", CostGroupings)}.", nameof(by)),
        };
        var label = by == "machine" ? "max(m.user_name || '@' || m.host_name)" : key;
        var machines = by == "machine" ? "LEFT JOIN machines m ON m.machine_id = u.machine_id" : "";
        var sql = $"""
            SELECT {key}, {label}, count(DISTINCT (u.machine_id, u.session_id)), sum(u.input_tokens), sum(u.output_tokens),
                   sum(u.cache_write_tokens + u.cache_write_1h_tokens), sum(u.cache_read_tokens), coalesce(sum(u.cost_usd), 0), count(*) FILTER (WHERE u.cost_usd IS NULL)
            FROM token_usage u {join} {machines}
            GROUP BY 1 ORDER BY 8 DESC, 1
            """;
        return Guard(database, "reading the team's cost", db => Query(db, sql, r => new TeamCostRow(
            r.GetString(0), r.IsDBNull(1) ? r.GetString(0) : r.GetString(1), r.GetInt64(2), Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(4), CultureInfo.InvariantCulture),
            Convert.ToInt64(r.GetValue(5), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(6), CultureInfo.InvariantCulture), r.GetDouble(7), r.GetInt64(8)), ct), ct);
    }

    /// <summary>The pooled misses of a skill from every machine (open and confirmed), most confident and newest first.</summary>
    /// <param name="database">The team database.</param>
    /// <param name="skill">The skill (exact, or the part after a plugin prefix such as <c>elixir:</c>).</param>
    /// <param name="limit">Most misses returned.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException">The database's errors.</exception>
    public static Task<List<TeamMiss>> MissesAsync(TeamDatabase database, string skill, int limit, CancellationToken ct) => Guard(database, "reading the team's misses", db => Query(db, """
        SELECT m.machine_id, m.user_name, coalesce(mm.host_name, ''), m.miss_id, m.skill_name, m.method, m.confidence, m.status, p.occurred_at, p.text, p.text_hash, p.text_length
        FROM misses m
        LEFT JOIN prompts p ON p.machine_id = m.machine_id AND p.prompt_id = m.prompt_id
        LEFT JOIN machines mm ON mm.machine_id = m.machine_id
        WHERE (lower(m.skill_name) = lower($1) OR right(lower(m.skill_name), length($1) + 1) = ':' || lower($1)) AND m.status <> 'rejected'
        ORDER BY m.confidence DESC, p.occurred_at DESC NULLS LAST, m.machine_id, m.miss_id
        LIMIT $2
        """, r => new TeamMiss(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetDouble(6), r.GetString(7),
            r.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)), r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetInt64(11)),
        ct, skill, (long)limit), ct);

    /// <summary>Runs <paramref name="work"/> on a connection, translating failures.</summary>
    internal static async Task<T> Guard<T>(TeamDatabase database, string doing, Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await database.ConnectAsync(ct).ConfigureAwait(false);
        try
        {
            return await work(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException)
        {
            throw database.Translate(ex, doing);
        }
    }

    /// <summary>Runs a query with positional parameters (<c>$1</c>...), mapping each row.</summary>
    internal static async Task<List<T>> Query<T>(NpgsqlConnection db, string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, db);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<T>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(map(reader));
        }

        return list;
    }
}
