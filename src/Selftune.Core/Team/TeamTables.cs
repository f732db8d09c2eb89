using NpgsqlTypes;

namespace Selftune.Core.Team;

/// <summary>One team table: its server columns (after <c>machine_id</c> and <c>user_name</c>), natural key and how its rows
/// are read from the local store (<c>Team/ServerMigrations/</c> holds the server side).</summary>
/// <param name="Name">The team table.</param>
/// <param name="Key">The local natural key (the server's primary key is machine_id plus these).</param>
/// <param name="Columns">Server columns in the order the local query returns them, with their types.</param>
/// <param name="BySession">Pushed whole with its sessions (the query takes <c>@ids</c>, a JSON array of session ids); otherwise
/// the query takes a watermark (<c>@w</c>, <c>@k</c>) and a batch size (<c>@n</c>) and returns two more columns, the row's
/// watermark value and key, in push order.</param>
/// <param name="Sql">The local query; <c>{text:column}</c> stands for a column withheld (NULL) when prompts are not shared.</param>
internal sealed record TeamTable(string Name, IReadOnlyList<string> Key, IReadOnlyList<(string Name, NpgsqlDbType Type)> Columns, bool BySession, string Sql)
{
    /// <summary>The local query, with the withheld columns as NULL unless <paramref name="sharePrompts"/>.</summary>
    public string LocalSql(bool sharePrompts) => System.Text.RegularExpressions.Regex.Replace(Sql, @"\{text:(\w+)\}", m => sharePrompts ? m.Groups[1].Value : "NULL");
}

/// <summary>The tables a push sends, in push order.</summary>
internal static class TeamTables
{
    private const string InBatch = "session_id IN (SELECT value FROM json_each(@ids))";

    /// <summary>Every pushed table.</summary>
    public static IReadOnlyList<TeamTable> All { get; } =
    [
        new("sessions", ["session_id"], Columns("session_id t, platform t, capture_mode t, parent_session_id t, started_at b, ended_at b, cwd t, git_branch t, agent_version t, models t, status t, updated_at b, lines_added b, lines_removed b"), true,
            $"SELECT session_id, platform, capture_mode, parent_session_id, started_at, ended_at, cwd, git_branch, agent_version, models, status, updated_at, lines_added, lines_removed FROM sessions WHERE {InBatch}"),
        new("prompts", ["prompt_id"], Columns("prompt_id t, session_id t, platform t, occurred_at b, text t, text_hash t, text_length b, kind t, actionable b, capture_mode t, confidence d"), true,
            $"SELECT prompt_id, session_id, platform, occurred_at, {{text:text}}, text_hash, length(text), kind, actionable, capture_mode, confidence FROM prompts WHERE {InBatch}"),
        new("skill_invocations", ["invocation_id"], Columns("invocation_id t, session_id t, platform t, occurred_at b, skill_name t, kind t, prompt_id t, capture_mode t, confidence d"), true,
            $"SELECT invocation_id, session_id, platform, occurred_at, skill_name, kind, prompt_id, capture_mode, confidence FROM skill_invocations WHERE {InBatch}"),
        new("tool_errors", ["session_id", "tool_use_id"], Columns("session_id t, tool_use_id t, platform t, occurred_at b, name t, prompt_id t, detail t, lines_added b, lines_removed b"), true,
            $"SELECT session_id, tool_use_id, platform, occurred_at, name, prompt_id, {{text:detail}}, lines_added, lines_removed FROM tool_calls WHERE is_error = 1 AND {InBatch}"),
        new("token_usage", ["platform", "message_id", "request_id"], Columns("platform t, message_id t, request_id t, session_id t, occurred_at b, model t, input_tokens b, output_tokens b, cache_write_tokens b, cache_write_1h_tokens b, cache_read_tokens b, cost_usd d"), true,
            $"SELECT platform, message_id, request_id, session_id, occurred_at, model, input_tokens, output_tokens, cache_write_tokens, cache_write_1h_tokens, cache_read_tokens, cost_usd FROM token_usage WHERE {InBatch}"),
        Watermarked("misses", ["miss_id"], "miss_id t, prompt_id t, skill_name t, method t, confidence d, score d, status t, found_at b, decided_at b",
            "miss_id, prompt_id, skill_name, method, confidence, score, status, found_at, decided_at", "misses", "max(found_at, coalesce(decided_at, 0))", "miss_id"),
        Watermarked("outcomes", ["session_id"], "session_id t, outcome t, confidence d, evidence t, method t, model t, lines_added b, lines_removed b, commits b, classified_at b",
            "session_id, outcome, confidence, {text:evidence}, method, model, lines_added, lines_removed, commits, classified_at", "session_outcomes", "classified_at", "session_id"),
        Watermarked("gradings", ["grading_id"], "grading_id t, session_id t, skill t, graded_at b, passed b, failed b, total b, pass_rate d, mean_score d, backend t, model t, result_json t",
            "grading_id, session_id, skill, graded_at, passed, failed, total, pass_rate, mean_score, backend, model, {text:result_json}", "grading_results", "rowid", "''"),
        Watermarked("evolution_audit", ["audit_id"], "audit_id b, skill_name t, proposal_id t, action t, occurred_at b, heuristic b, message t, evidence t",
            "id, skill_name, proposal_id, action, occurred_at, heuristic, message, {text:evidence}", "evolution_audit", "id", "''"),
        Watermarked("runs", ["run_id"], "run_id t, started_at b, ended_at b, status t, run_trigger t, dry_run b, review_required b, sample_data b, hostname t, candidates b, deployed b, rolled_back b, report_json t",
            "run_id, started_at, ended_at, status, run_trigger, dry_run, review_required, sample_data, hostname, candidates, deployed, rolled_back, {text:report_json}", "runs", "coalesce(ended_at, started_at)", "run_id"),
    ];

    private static TeamTable Watermarked(string name, string[] key, string columns, string select, string from, string mark, string markKey) =>
        new(name, key, Columns(columns), false,
            $"SELECT {select}, {mark} AS wm, {markKey} AS wk FROM {from} WHERE ({mark}, {markKey}) > (@w, @k) ORDER BY wm, wk LIMIT @n");

    private static List<(string, NpgsqlDbType)> Columns(string spec) =>
        [.. spec.Split(',', StringSplitOptions.TrimEntries).Select(c => c.Split(' ') is [var name, var type]
            ? (name, type switch { "b" => NpgsqlDbType.Bigint, "d" => NpgsqlDbType.Double, _ => NpgsqlDbType.Text })
            : throw new InvalidOperationException($"Bad column spec '{c}'."))];
}
