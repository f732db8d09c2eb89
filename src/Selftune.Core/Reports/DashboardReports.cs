using Selftune.Core.Store;

namespace Selftune.Core.Reports;

/// <summary>The dashboard's grouping of skills by health, derived from <see cref="SkillStatus"/> only (so a skill's group
/// never disagrees with its <c>status</c> health).</summary>
internal enum HealthGroup
{
    /// <summary><see cref="SkillHealth.Critical"/>.</summary>
    AttentionNeeded,
    /// <summary><see cref="SkillHealth.Warning"/>.</summary>
    AtRisk,
    /// <summary>Healthy or with too little data, and its newest window's trigger rate is up.</summary>
    Improving,
    /// <summary>Healthy or with too little data, trend not up.</summary>
    Stable,
    /// <summary><see cref="SkillHealth.Unused"/>.</summary>
    Unused,
}

/// <summary>Totals of the whole store.</summary>
/// <param name="Sessions">Sessions stored (sub-agents included).</param>
/// <param name="Prompts">Prompts stored.</param>
/// <param name="ActionablePrompts">Prompts a person typed.</param>
/// <param name="Tokens">Tokens and cost (USD) of every response.</param>
internal sealed record StoreTotals(long Sessions, long Prompts, long ActionablePrompts, TokenTotals Tokens);

/// <summary>One prompt of a session with what answered it.</summary>
/// <param name="PromptId">Its id.</param>
/// <param name="OccurredAt">When.</param>
/// <param name="Text">The (redacted) text, at most 500 characters.</param>
/// <param name="Kind">Its kind (<c>user</c>, <c>command</c>, …).</param>
/// <param name="Actionable">True when a person typed it.</param>
/// <param name="Skills">Skills used for it (implicit, explicit or read).</param>
/// <param name="ToolCalls">Tool calls made for it.</param>
/// <param name="ToolErrors">Of those, failed.</param>
internal sealed record SessionTurn(string PromptId, DateTimeOffset OccurredAt, string Text, string Kind, bool Actionable, IReadOnlyList<SessionSkill> Skills, int ToolCalls, int ToolErrors);

/// <summary>A tool used in a session.</summary>
/// <param name="Name">Tool name.</param>
/// <param name="Calls">Calls (sub-agents included).</param>
/// <param name="Errors">Failed calls.</param>
internal sealed record ToolUse(string Name, int Calls, int Errors);

/// <summary>An error logged in a session.</summary>
/// <param name="OccurredAt">When.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Message">The (redacted) message.</param>
internal sealed record SessionErrorEntry(DateTimeOffset OccurredAt, string Kind, string Message);

/// <summary>Tokens of one model.</summary>
/// <param name="Model">Model id.</param>
/// <param name="Tokens">Tokens and cost.</param>
internal sealed record ModelTokens(string Model, TokenTotals Tokens);

/// <summary>One session in full, for the dashboard's session page.</summary>
/// <param name="Session">The session as <c>selftune sessions</c> lists it.</param>
/// <param name="Turns">Its prompts (each a turn), oldest first.</param>
/// <param name="Tools">Tools used, most used first.</param>
/// <param name="Errors">Session errors, oldest first.</param>
/// <param name="Subagents">Sub-agent session ids.</param>
/// <param name="ByModel">Tokens and cost per model (sub-agents included).</param>
internal sealed record SessionDetail(SessionSummary Session, IReadOnlyList<SessionTurn> Turns, IReadOnlyList<ToolUse> Tools, IReadOnlyList<SessionErrorEntry> Errors, IReadOnlyList<string> Subagents, IReadOnlyList<ModelTokens> ByModel);

/// <summary>Queries of the dashboard that no command had: store totals and one session in full. Read only.</summary>
internal static class DashboardReports
{
    /// <summary>The group of a skill on the overview.</summary>
    public static HealthGroup Group(SkillStatus skill) => skill.Health switch
    {
        SkillHealth.Critical => HealthGroup.AttentionNeeded,
        SkillHealth.Warning => HealthGroup.AtRisk,
        SkillHealth.Unused => HealthGroup.Unused,
        _ when skill.Trend == "up" => HealthGroup.Improving,
        _ => HealthGroup.Stable,
    };

    /// <summary>Totals of the store: the counts the status report already read, and the tokens.</summary>
    /// <param name="store">The store.</param>
    /// <param name="system">The status report's <see cref="StatusReport.System"/> of the same store.</param>
    public static StoreTotals Totals(SelftuneStore store, SystemHealth system)
    {
        var tokens = store.Query($"SELECT {TokenColumns} FROM token_usage", ReadTokens)[0];
        return new StoreTotals(system.Sessions, system.Prompts, system.ActionablePrompts, tokens);
    }

    /// <summary>One top-level or sub-agent session in full; null when there is none of that id.</summary>
    /// <param name="store">The store.</param>
    /// <param name="sessionId">The session id.</param>
    public static SessionDetail? Session(SelftuneStore store, string sessionId)
    {
        var summary = SessionReports.List(store, new SessionFilter(Limit: int.MaxValue, SessionId: sessionId)).FirstOrDefault();
        if (summary is null)
        {
            return null;
        }

        var id = ("$s", (object?)sessionId);
        const string Family = "(session_id = $s OR session_id IN (SELECT session_id FROM sessions WHERE parent_session_id = $s))";
        var skills = store.Query(
            "SELECT prompt_id, skill_name, kind, count(*) FROM skill_invocations WHERE session_id = $s AND prompt_id IS NOT NULL GROUP BY prompt_id, skill_name, kind",
            r => (Prompt: r.GetString(0), Skill: new SessionSkill(r.GetString(1), r.GetString(2), r.GetInt32(3))), id).ToLookup(x => x.Prompt, x => x.Skill, StringComparer.Ordinal);
        var tools = store.Query(
            "SELECT prompt_id, count(*), sum(is_error) FROM tool_calls WHERE session_id = $s AND prompt_id IS NOT NULL GROUP BY prompt_id",
            r => (r.GetString(0), r.GetInt32(1), r.GetInt32(2)), id).ToDictionary(x => x.Item1, x => (x.Item2, x.Item3), StringComparer.Ordinal);
        var turns = store.Query(
            "SELECT prompt_id, occurred_at, text, kind, actionable FROM prompts WHERE session_id = $s ORDER BY occurred_at, prompt_id",
            r =>
            {
                var promptId = r.GetString(0);
                var text = r.GetString(2);
                var (calls, errors) = tools.GetValueOrDefault(promptId);
                return new SessionTurn(promptId, DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), text.Length > 500 ? text[..497] + "..." : text, r.GetString(3), r.GetInt64(4) == 1, skills[promptId].ToList(), calls, errors);
            },
            id);
        return new SessionDetail(
            summary,
            turns,
            store.Query($"SELECT name, count(*) AS n, sum(is_error) FROM tool_calls WHERE {Family} GROUP BY name ORDER BY n DESC, name", r => new ToolUse(r.GetString(0), r.GetInt32(1), r.GetInt32(2)), id),
            store.Query("SELECT occurred_at, kind, message FROM session_errors WHERE session_id = $s ORDER BY occurred_at", r => new SessionErrorEntry(DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)), r.GetString(1), r.GetString(2)), id),
            store.Query("SELECT session_id FROM sessions WHERE parent_session_id = $s ORDER BY started_at, session_id", r => r.GetString(0), id),
            store.Query($"SELECT model, {TokenColumns} FROM token_usage WHERE {Family} GROUP BY model ORDER BY sum(coalesce(cost_usd, 0)) DESC, model", r => new ModelTokens(r.GetString(0), ReadTokens(r, 1)), id));
    }

    private const string TokenColumns =
        "coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(cache_write_tokens), 0), coalesce(sum(cache_read_tokens), 0), " +
        "coalesce(sum(coalesce(cost_usd, 0)), 0.0), coalesce(sum(cost_usd IS NULL AND input_tokens + output_tokens + cache_write_tokens + cache_read_tokens > 0), 0)";

    private static TokenTotals ReadTokens(StoreRow r) => ReadTokens(r, 0);

    private static TokenTotals ReadTokens(StoreRow r, int at) =>
        new(r.GetInt64(at), r.GetInt64(at + 1), r.GetInt64(at + 2), r.GetInt64(at + 3), (decimal)r.GetDouble(at + 4), r.GetInt32(at + 5));
}
