using Selftune.Core.Analysis;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Reports;

/// <summary>Tokens and cost of a session.</summary>
/// <param name="Input">Uncached input tokens.</param>
/// <param name="Output">Output tokens.</param>
/// <param name="CacheWrite">Prompt-cache write tokens.</param>
/// <param name="CacheRead">Prompt-cache read tokens.</param>
/// <param name="CostUsd">Cost in USD of the priced responses.</param>
/// <param name="UnpricedResponses">Responses of models the price table does not know (their cost is not included).</param>
internal sealed record TokenTotals(long Input, long Output, long CacheWrite, long CacheRead, decimal CostUsd, int UnpricedResponses)
{
    /// <summary>All tokens.</summary>
    public long Total => Input + Output + CacheWrite + CacheRead;

    /// <summary>No tokens.</summary>
    public static TokenTotals Zero { get; } = new(0, 0, 0, 0, 0m, 0);

    /// <summary>The sum of two totals.</summary>
    public TokenTotals Add(TokenTotals other) =>
        new(Input + other.Input, Output + other.Output, CacheWrite + other.CacheWrite, CacheRead + other.CacheRead, CostUsd + other.CostUsd, UnpricedResponses + other.UnpricedResponses);
}

/// <summary>A skill used in a session.</summary>
/// <param name="Name">Skill name.</param>
/// <param name="Kind"><c>implicit</c>, <c>explicit</c> or <c>read</c>.</param>
/// <param name="Count">How many times.</param>
internal sealed record SessionSkill(string Name, string Kind, int Count);

/// <summary>One session in a list.</summary>
/// <param name="SessionId">Its id.</param>
/// <param name="Platform">Its agent.</param>
/// <param name="Project">Working directory.</param>
/// <param name="GitBranch">Git branch.</param>
/// <param name="StartedAt">Start.</param>
/// <param name="EndedAt">End.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Models">Models used.</param>
/// <param name="ActionablePrompts">Prompts a person typed.</param>
/// <param name="ToolCalls">Tool calls (sub-agents included).</param>
/// <param name="ToolErrors">Failed tool calls (sub-agents included).</param>
/// <param name="Subagents">Sub-agent sessions it spawned.</param>
/// <param name="Skills">Skills used (sub-agents included).</param>
/// <param name="Tokens">Tokens and cost, sub-agents included.</param>
/// <param name="Outcome">What it achieved (<see cref="OutcomeRules"/>, or an LLM for what they left unknown), with the
/// evidence, lines added/removed and commits where the log shows them; null until a sync classified it.</param>
internal sealed record SessionSummary(
    string SessionId,
    string Platform,
    string? Project,
    string? GitBranch,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string Status,
    IReadOnlyList<string> Models,
    int ActionablePrompts,
    int ToolCalls,
    int ToolErrors,
    int Subagents,
    IReadOnlyList<SessionSkill> Skills,
    TokenTotals Tokens,
    SessionOutcome? Outcome = null)
{
    /// <summary>Git commits made in the session (sub-agents included), oldest first.</summary>
    public IReadOnlyList<SessionCommit> Commits { get; init; } = [];
}

/// <summary>A git commit made in a session (<c>commits</c> table).</summary>
/// <param name="Sha">The hash as git printed it.</param>
/// <param name="Command"><c>commit</c>, <c>merge</c>, <c>cherry-pick</c> or <c>revert</c>.</param>
/// <param name="Branch">The branch, when git printed it.</param>
/// <param name="Repository">The repository folder, when known.</param>
/// <param name="Title">The subject line (redacted), when git printed it.</param>
/// <param name="OccurredAt">When the tool call returned.</param>
internal sealed record SessionCommit(string Sha, string Command, string? Branch, string? Repository, string? Title, DateTimeOffset OccurredAt);

/// <summary>The result of <c>selftune sessions</c>.</summary>
/// <param name="Sessions">The sessions, newest first.</param>
internal sealed record SessionList(IReadOnlyList<SessionSummary> Sessions);

/// <summary>The latest session in brief (<c>selftune last</c>).</summary>
/// <param name="Session">The session.</param>
/// <param name="DurationSeconds">End minus start, in seconds.</param>
/// <param name="Prompts">Its actionable prompts, oldest first (at most 10).</param>
/// <param name="UnmatchedPrompts">Its actionable prompts no skill was used for (at most 10).</param>
/// <param name="TopTools">The most used tools with their counts (at most 5).</param>
/// <param name="Errors">Session errors (API errors, interruptions).</param>
/// <param name="Recommendation">What to look at, for a person.</param>
/// <param name="NextCommand">The command to run next, if any.</param>
internal sealed record LastSessionReport(
    SessionSummary Session,
    double? DurationSeconds,
    IReadOnlyList<PromptExample> Prompts,
    IReadOnlyList<PromptExample> UnmatchedPrompts,
    IReadOnlyList<KeyValuePair<string, int>> TopTools,
    int Errors,
    string Recommendation,
    string? NextCommand);

/// <summary>Filters of <see cref="SessionReports.List"/>.</summary>
/// <param name="Project">Only sessions whose working directory contains this (case-insensitive).</param>
/// <param name="Since">Only sessions that ended at or after this time.</param>
/// <param name="Skill">Only sessions that used this skill (any kind).</param>
/// <param name="Limit">At most this many, newest first.</param>
/// <param name="Platform">Only sessions of this agent platform.</param>
/// <param name="SessionId">Only the session of this id (top-level or sub-agent).</param>
internal sealed record SessionFilter(string? Project = null, DateTimeOffset? Since = null, string? Skill = null, int Limit = 20, string? Platform = null, string? SessionId = null);

/// <summary>
/// Session lists and the latest session, from the store (read only). Only top-level sessions are listed; each
/// carries its sub-agents' tool calls, skills, tokens and cost.
/// </summary>
internal static class SessionReports
{
    /// <summary>Lists sessions, newest (by end) first.</summary>
    public static IReadOnlyList<SessionSummary> List(SelftuneStore store, SessionFilter filter)
    {
        var sessions = store.Query(
            "SELECT session_id, platform, parent_session_id, started_at, ended_at, cwd, git_branch, models, status FROM sessions",
            r => new Row(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.IsDBNull(4) ? null : r.GetInt64(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetString(8)));
        var top = sessions.ToDictionary(s => s.Id, s => s.Parent, StringComparer.Ordinal);
        var since = filter.Since?.ToUnixTimeMilliseconds();
        var candidates = sessions
            .Where(s => filter.SessionId is null ? s.Parent is null || !top.ContainsKey(s.Parent) : s.Id == filter.SessionId)
            .Where(s => filter.Platform is null || s.Platform == filter.Platform)
            .Where(s => filter.Project is null || (s.Cwd?.Contains(filter.Project, StringComparison.OrdinalIgnoreCase) ?? false))
            .Where(s => since is null || (s.Ended ?? s.Started ?? 0) >= since)
            .ToList();
        if (candidates.Count == 0)
        {
            return [];
        }

        // Skills first: the skill filter needs them. Then the page of sessions to show; the other figures are read for those
        // sessions and their sub-agents only when they are a small part of the store (a session's page, a page of a list),
        // through the session_id indexes, else for every session in one pass.
        var skills = new Dictionary<string, List<SessionSkill>>(StringComparer.Ordinal);
        foreach (var (session, name, kind, count) in store.Query("SELECT session_id, skill_name, kind, count(*) FROM skill_invocations GROUP BY session_id, skill_name, kind ORDER BY session_id, skill_name, kind", r => (r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3))))
        {
            var list = skills.TryGetValue(Root(top, session), out var l) ? l : skills[Root(top, session)] = [];
            var same = list.FindIndex(s => s.Name == name && s.Kind == kind);
            if (same >= 0)
            {
                list[same] = list[same] with { Count = list[same].Count + count };
            }
            else
            {
                list.Add(new SessionSkill(name, kind, count));
            }
        }

        var shown = candidates
            .Where(s => filter.Skill is null || (skills.TryGetValue(s.Id, out var used) && used.Exists(k => SkillNames.Same(k.Name, filter.Skill))))
            .OrderByDescending(s => s.Ended ?? s.Started ?? 0)
            .ThenBy(s => s.Id, StringComparer.Ordinal)
            .Take(Math.Max(1, filter.Limit))
            .ToList();
        if (shown.Count == 0)
        {
            return [];
        }

        var shownIds = shown.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var family = sessions.Select(s => s.Id).Where(id => shownIds.Contains(Root(top, id))).ToList();
        var (only, ids) = family.Count * 4 < sessions.Count
            ? (" WHERE session_id IN (SELECT value FROM json_each($ids))", new[] { ("$ids", (object?)Json.StringArray(family)) })
            : (string.Empty, Array.Empty<(string Name, object? Value)>());
        var tokens = new Dictionary<string, TokenTotals>(StringComparer.Ordinal);
        foreach (var (session, totals) in store.Query(
            $"SELECT session_id, sum(input_tokens), sum(output_tokens), sum(cache_write_tokens), sum(cache_read_tokens), sum(coalesce(cost_usd, 0)), sum(cost_usd IS NULL AND input_tokens + output_tokens + cache_write_tokens + cache_read_tokens > 0) FROM token_usage{only} GROUP BY +session_id",
            r => (r.GetString(0), new TokenTotals(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), (decimal)r.GetDouble(5), r.GetInt32(6))),
            ids))
        {
            Merge(tokens, Root(top, session), totals, (a, b) => a.Add(b));
        }

        var tools = new Dictionary<string, (int Calls, int Errors)>(StringComparer.Ordinal);
        foreach (var (session, calls, errors) in store.Query($"SELECT session_id, count(*), sum(is_error) FROM tool_calls{only} GROUP BY session_id", r => (r.GetString(0), r.GetInt32(1), r.GetInt32(2)), ids))
        {
            Merge(tools, Root(top, session), (Calls: calls, Errors: errors), (a, b) => (a.Calls + b.Calls, a.Errors + b.Errors));
        }

        var actionable = store.Query($"SELECT session_id, count(*) FROM prompts{(only.Length == 0 ? " WHERE" : only + " AND")} actionable = 1 GROUP BY session_id", r => (r.GetString(0), r.GetInt32(1)), ids)
            .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        var commits = new Dictionary<string, List<SessionCommit>>(StringComparer.Ordinal);
        foreach (var (session, commit) in store.Query(
            $"SELECT session_id, sha, command, branch, repository, title, occurred_at FROM commits{only} ORDER BY occurred_at, sha",
            r => (r.GetString(0), new SessionCommit(r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)))),
            ids))
        {
            var root = Root(top, session);
            (commits.TryGetValue(root, out var list) ? list : commits[root] = []).Add(commit);
        }

        var subagents = sessions.Where(s => s.Parent is not null).GroupBy(s => Root(top, s.Id)).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var outcomes = OutcomeStore.Read(store, shownIds);
        return shown
            .Select(s => new SessionSummary(
                s.Id, s.Platform, s.Cwd, s.Branch, Time(s.Started), Time(s.Ended), s.Status, Models(s.Models),
                actionable.GetValueOrDefault(s.Id), tools.GetValueOrDefault(s.Id).Calls, tools.GetValueOrDefault(s.Id).Errors,
                subagents.GetValueOrDefault(s.Id), skills.GetValueOrDefault(s.Id) ?? [], tokens.GetValueOrDefault(s.Id) ?? TokenTotals.Zero,
                outcomes.GetValueOrDefault(s.Id))
            {
                Commits = commits.GetValueOrDefault(s.Id) ?? [],
            })
            .ToList();
    }

    /// <summary>The latest top-level session in brief, or null when the store has none.</summary>
    public static LastSessionReport? Last(SelftuneStore store)
    {
        var latest = List(store, new SessionFilter(Limit: 1));
        if (latest.Count == 0)
        {
            return null;
        }

        var session = latest[0];
        var prompts = store.Query(
            "SELECT prompt_id, session_id, occurred_at, text, EXISTS (SELECT 1 FROM skill_invocations i WHERE i.prompt_id = p.prompt_id AND i.kind <> 'read') FROM prompts p WHERE session_id = $s AND actionable = 1 ORDER BY occurred_at",
            r => (Example: PromptExample.Of(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3)), Matched: r.GetInt64(4) == 1),
            ("$s", session.SessionId));
        var topTools = store.Query(
            "SELECT name, count(*) AS n FROM tool_calls WHERE session_id = $s OR session_id IN (SELECT session_id FROM sessions WHERE parent_session_id = $s) GROUP BY name ORDER BY n DESC, name LIMIT 5",
            r => new KeyValuePair<string, int>(r.GetString(0), r.GetInt32(1)),
            ("$s", session.SessionId));
        var errors = (long)(store.Scalar("SELECT count(*) FROM session_errors WHERE session_id = $s AND kind <> 'tool_error'", ("$s", session.SessionId)) ?? 0L);
        var unmatched = prompts.Where(p => !p.Matched).Select(p => p.Example).ToList();
        var duration = session.StartedAt is { } start && session.EndedAt is { } end ? (end - start).TotalSeconds : (double?)null;
        var (recommendation, next) =
            unmatched.Count > 0 ? ($"{unmatched.Count} of {prompts.Count} prompts used no skill: see which skills are missing triggers.", "selftune status")
            : session.ToolErrors > 0 || errors > 0 ? ($"{session.ToolErrors} tool calls failed and {errors} session errors were logged.", "selftune sessions --limit 5")
            : ("Every prompt used a skill and nothing failed.", (string?)null);
        return new LastSessionReport(session, duration, prompts.Select(p => p.Example).Take(10).ToList(), unmatched.Take(10).ToList(), topTools, (int)errors, recommendation, next);
    }

    /// <summary>The top-level ancestor of a session (itself when it has no known parent).</summary>
    internal static string Root(IReadOnlyDictionary<string, string?> parents, string session)
    {
        var current = session;
        for (var depth = 0; depth < 8 && parents.TryGetValue(current, out var parent) && parent is not null && parents.ContainsKey(parent); depth++)
        {
            current = parent;
        }

        return current;
    }

    private static void Merge<T>(Dictionary<string, T> into, string key, T value, Func<T, T, T> add) =>
        into[key] = into.TryGetValue(key, out var existing) ? add(existing, value) : value;

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private static IReadOnlyList<string> Models(string? json) =>
        json is null ? [] : Json.ReadStringArray(json);

    private sealed record Row(string Id, string Platform, string? Parent, long? Started, long? Ended, string? Cwd, string? Branch, string? Models, string Status);
}
