using System.Text.Json;
using Selftune.Core.Configuration;
using Selftune.Core.Evolution;
using Selftune.Core.Misses;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Monitoring;

/// <summary>What watch concluded about a deploy.</summary>
internal enum WatchVerdict
{
    /// <summary>No measure got worse by more than the threshold.</summary>
    Stable,
    /// <summary>At least one measure got worse by more than the threshold.</summary>
    Regressed,
    /// <summary>Too few sessions before or after the deploy to judge it.</summary>
    NotEnoughData,
}

/// <summary>Watch's thresholds.</summary>
/// <param name="MinSessions">Sessions using the skill needed on each side of the deploy before judging it.</param>
/// <param name="WindowSessions">Most recent sessions compared on each side.</param>
/// <param name="Threshold">Largest tolerated change of a rate (0..1, absolute) before it counts as a regression.</param>
/// <param name="GradeThreshold">Largest tolerated fall of the graded pass rate (0..1, absolute) from the baseline graded
/// before the deploy.</param>
/// <param name="MinGradedSessions">Graded sessions needed on each side before the pass rates are compared.</param>
/// <param name="EfficiencyThreshold">Largest tolerated relative rise (0.25 = 25 %) of a per-session efficiency mean
/// (tokens, turns, duration, tool errors) of the sessions in which the skill ran.</param>
internal sealed record WatchOptions(int MinSessions = 3, int WindowSessions = 20, double Threshold = 0.10, double GradeThreshold = 0.10, int MinGradedSessions = 2, double EfficiencyThreshold = 0.25)
{
    /// <summary>The thresholds set in <paramref name="config"/> (<c>watch.*</c> keys).</summary>
    public static WatchOptions From(SelftuneConfig config) => new(
        (int)config.GetInt(ConfigKeys.WatchMinSessions.Key),
        (int)config.GetInt(ConfigKeys.WatchWindowSessions.Key),
        config.GetDouble(ConfigKeys.WatchThreshold.Key),
        config.GetDouble(ConfigKeys.WatchGradeThreshold.Key),
        (int)config.GetInt(ConfigKeys.WatchMinGradedSessions.Key),
        config.GetDouble(ConfigKeys.WatchEfficiencyThreshold.Key));
}

/// <summary>Per-session means over the sessions in which the skill ran (triggered or invoked by name).</summary>
/// <param name="Sessions">Sessions in which the skill ran.</param>
/// <param name="Tokens">Mean tokens per session (input + output + cache write + cache read, the session's own model calls).</param>
/// <param name="Turns">Mean actionable prompts per session.</param>
/// <param name="DurationMs">Mean session duration in milliseconds (sessions with a start and an end only); null when none has both.</param>
/// <param name="ToolErrors">Mean failed tool calls per session.</param>
internal sealed record EfficiencyMeasures(int Sessions, double Tokens, double Turns, double? DurationMs, double ToolErrors);

/// <summary>The live-traffic measures of a skill over a set of sessions. A turn is an actionable prompt and what the
/// agent did until the next one.</summary>
/// <param name="Sessions">Sessions in which the skill came into play (triggered, invoked by name, its SKILL.md read, or a miss of it).</param>
/// <param name="WantedTurns">Turns that show the skill was wanted: it triggered, the user invoked it by name, the agent read its
/// SKILL.md, or the prompt is a miss of it that is evidence (<see cref="MissFinder"/>).</param>
/// <param name="TriggeredTurns">Wanted turns in which the agent invoked it (a trigger; one after a prompt naming the skill
/// included, so a deploy is judged on what the agent did, not on how the user worded the prompt).</param>
/// <param name="TriggerRate"><paramref name="TriggeredTurns"/> / <paramref name="WantedTurns"/>; null when no turn wanted it.</param>
/// <param name="FalseTriggers">Triggers the user then overrode: the turn was interrupted, or the user invoked another skill by name in it.</param>
/// <param name="FalseTriggerRate"><paramref name="FalseTriggers"/> / <paramref name="TriggeredTurns"/>; null without triggers.</param>
/// <param name="ToolCalls">Tool calls in the turns the skill ran in.</param>
/// <param name="ToolErrors">Of which failed.</param>
/// <param name="ToolErrorRate"><paramref name="ToolErrors"/> / <paramref name="ToolCalls"/>; null without tool calls.</param>
/// <param name="GradedSessions">Sessions with a grading of the skill (<c>selftune grade</c>); the latest grading of each counts.</param>
/// <param name="GradePassRate">Mean pass rate (0..1) of those gradings; null when none. Before the deploy this is the baseline.</param>
/// <param name="Efficiency">Per-session cost of the sessions in which the skill ran; null when it ran in none.</param>
internal sealed record WatchMeasures(int Sessions, int WantedTurns, int TriggeredTurns, double? TriggerRate, int FalseTriggers, double? FalseTriggerRate, int ToolCalls, int ToolErrors, double? ToolErrorRate,
    int GradedSessions = 0, double? GradePassRate = null, EfficiencyMeasures? Efficiency = null);

/// <summary>The result of watching a deploy.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="ProposalId">The deploy watched.</param>
/// <param name="DeployedAt">When it was deployed (UTC).</param>
/// <param name="Verdict">The verdict.</param>
/// <param name="Before">Measures over sessions started before the deploy.</param>
/// <param name="After">Measures over sessions started after it.</param>
/// <param name="Regressions">What got worse, one sentence each.</param>
/// <param name="Options">The thresholds used.</param>
/// <param name="Message">The verdict for a person.</param>
/// <param name="RolledBack">The rollback done with <c>--auto-rollback</c>, when there was one.</param>
/// <param name="NextCommand">What to do next, when anything.</param>
internal sealed record WatchReport(
    string Skill,
    string ProposalId,
    DateTimeOffset DeployedAt,
    WatchVerdict Verdict,
    WatchMeasures Before,
    WatchMeasures After,
    IReadOnlyList<string> Regressions,
    WatchOptions Options,
    string Message,
    RollbackResult? RolledBack,
    string? NextCommand);

/// <summary>
/// Compares a skill's live traffic after its latest deploy with the same measures before it — trigger rate on turns
/// that wanted the skill, false-trigger rate, tool error rate in the turns it ran, the graded pass rate against the
/// baseline graded before the deploy, and the efficiency (tokens, turns, duration, tool errors per session) of the
/// sessions in which it ran — once enough sessions exist on both
/// sides (a session is on the side of the deploy it <em>started</em> on, because agents read skill descriptions at
/// session start). Sessions selftune's own replays created (cwd under a <c>selftune-replay-</c> folder) are ignored.
/// Each check is stored in <c>watch_checks</c>; with auto-rollback a regression undoes the deploy.
/// </summary>
internal sealed class WatchService
{
    private readonly SkillDeployer _deployer;
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    public WatchService(SkillDeployer deployer, TimeProvider time)
    {
        _deployer = deployer;
        _time = time;
    }

    /// <summary>Watches the latest deploy of <paramref name="skill"/> still in effect.</summary>
    /// <param name="store">The store.</param>
    /// <param name="skill">The skill.</param>
    /// <param name="options">Thresholds.</param>
    /// <param name="autoRollback">Undo the deploy when it regressed.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when the skill has no deploy in effect.</exception>
    public WatchReport Watch(SelftuneStore store, string skill, WatchOptions options, bool autoRollback)
    {
        var trail = new AuditTrail(store);
        var deploy = SkillDeployer.ActiveDeploys(trail, skill).LastOrDefault()
            ?? throw new SelftuneException(ErrorCodes.NotFound, $"Skill {ShellCommand.Quoted(skill)} has no deploy in effect to watch.", ShellCommand.Line($"selftune evolve --skill {skill:skill}"));
        var deployedAt = deploy.OccurredAt.ToUnixTimeMilliseconds();
        var misses = MissFinder.Find(store, [skill]).For(skill).Where(m => m.IsEvidence).ToList();
        var sessions = RelevantSessions(store, skill, misses);
        var missed = misses.Select(m => m.PromptId).ToHashSet(StringComparer.Ordinal);
        var before = Measure(store, skill, missed, sessions.Where(s => s.Started < deployedAt).TakeLast(options.WindowSessions).Select(s => s.Id).ToList());
        var after = Measure(store, skill, missed, sessions.Where(s => s.Started >= deployedAt).TakeLast(options.WindowSessions).Select(s => s.Id).ToList());

        WatchVerdict verdict;
        IReadOnlyList<string> regressions = [];
        string message;
        if (after.Sessions < options.MinSessions || before.Sessions < options.MinSessions)
        {
            verdict = WatchVerdict.NotEnoughData;
            message = $"Not enough data: {after.Sessions} session(s) used {ShellCommand.Quoted(skill)} since the deploy and {before.Sessions} before it; watch judges once both reach {options.MinSessions} (watch.min_sessions).";
        }
        else
        {
            regressions = Regressions(before, after, options);
            verdict = regressions.Count > 0 ? WatchVerdict.Regressed : WatchVerdict.Stable;
            message = verdict == WatchVerdict.Regressed
                ? $"Regressed since deploy {deploy.ProposalId}: {string.Join("; ", regressions)}."
                : $"Stable: no measure got worse by more than {options.Threshold:0.##} over {after.Sessions} session(s) since deploy {deploy.ProposalId}.";
        }

        RollbackResult? rolledBack = null;
        if (verdict == WatchVerdict.Regressed && autoRollback)
        {
            rolledBack = _deployer.Rollback(trail, skill, to: null, reason: $"watch: {string.Join("; ", regressions)}");
        }

        var next = verdict switch
        {
            WatchVerdict.Regressed when rolledBack is null => ShellCommand.Line($"selftune rollback --skill {skill:skill}"),
            WatchVerdict.NotEnoughData => ShellCommand.Line($"selftune sync && selftune watch --skill {skill:skill}"),
            _ => null,
        };
        var report = new WatchReport(skill, deploy.ProposalId!, deploy.OccurredAt, verdict, before, after, regressions, options, message, rolledBack, next);
        store.Execute(
            "INSERT INTO watch_checks (skill_name, proposal_id, checked_at, verdict, evidence) VALUES ($s, $p, $at, $v, $e)",
            ("$s", skill), ("$p", deploy.ProposalId), ("$at", _time.GetUtcNow().ToUnixTimeMilliseconds()),
            ("$v", Json.Name(verdict)), ("$e", JsonSerializer.Serialize(report, Json.Options)));
        _deployer.RefreshHookState(store); // a stable verdict ends the watch, and the evolution guard with it
        return report;
    }

    /// <summary>What got worse from <paramref name="before"/> to <paramref name="after"/> by more than its threshold, one
    /// sentence each: trigger, false-trigger and tool error rates (<see cref="WatchOptions.Threshold"/>), the graded pass rate
    /// when both sides have enough gradings, and the per-session efficiency means.</summary>
    internal static IReadOnlyList<string> Regressions(WatchMeasures before, WatchMeasures after, WatchOptions options)
    {
        var regressions = new List<string>();
        Compare("trigger rate on turns that wanted the skill", before.TriggerRate, after.TriggerRate, higherIsBetter: true, options.Threshold, regressions);
        Compare("false-trigger rate", before.FalseTriggerRate, after.FalseTriggerRate, higherIsBetter: false, options.Threshold, regressions);
        Compare("tool error rate in the skill's turns", before.ToolErrorRate, after.ToolErrorRate, higherIsBetter: false, options.Threshold, regressions);
        if (before.GradedSessions >= options.MinGradedSessions && after.GradedSessions >= options.MinGradedSessions)
        {
            Compare("graded pass rate", before.GradePassRate, after.GradePassRate, higherIsBetter: true, options.GradeThreshold, regressions);
        }

        if (before.Efficiency is { } be && after.Efficiency is { } ae)
        {
            CompareCost("tokens per session", be.Tokens, ae.Tokens, options.EfficiencyThreshold, regressions);
            CompareCost("turns per session", be.Turns, ae.Turns, options.EfficiencyThreshold, regressions);
            CompareCost("duration per session (ms)", be.DurationMs, ae.DurationMs, options.EfficiencyThreshold, regressions);
            CompareCost("tool errors per session", be.ToolErrors, ae.ToolErrors, options.EfficiencyThreshold, regressions);
        }

        return regressions;
    }

    /// <summary>The sessions in which <paramref name="skill"/> came into play (it ran, was read, or one of its evidence
    /// misses), oldest first, with their start (Unix ms) and working directory; selftune's own replays left out. Also the
    /// prompt ids of those misses, for <see cref="Measure"/>.</summary>
    internal static (IReadOnlyList<(string Id, long Started, string? Cwd)> Sessions, IReadOnlySet<string> Missed) Sessions(SelftuneStore store, string skill)
    {
        var misses = MissFinder.Find(store, [skill]).For(skill).Where(m => m.IsEvidence).ToList();
        var sessions = RelevantSessions(store, skill, misses);
        var cwds = store.Query("SELECT session_id, cwd FROM sessions WHERE cwd IS NOT NULL", r => (r.GetString(0), r.GetString(1)))
            .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        return (sessions.Select(s => (s.Id, s.Started, cwds.GetValueOrDefault(s.Id))).ToList(), misses.Select(m => m.PromptId).ToHashSet(StringComparer.Ordinal));
    }

    private static void Compare(string what, double? before, double? after, bool higherIsBetter, double threshold, List<string> regressions)
    {
        if (before is not { } b || after is not { } a)
        {
            return;
        }

        var worse = higherIsBetter ? b - a : a - b;
        if (worse > threshold + 1e-9)
        {
            regressions.Add($"{what} {(higherIsBetter ? "fell" : "rose")} from {b:0.00} to {a:0.00}");
        }
    }

    /// <summary>A cost (lower is better) regressed when it rose by more than <paramref name="threshold"/> of its value
    /// before, and by at least one whole unit (so 0 → 0.3 tool errors per session is noise, 0 → 1 is not).</summary>
    private static void CompareCost(string what, double? before, double? after, double threshold, List<string> regressions)
    {
        if (before is not { } b || after is not { } a)
        {
            return;
        }

        if (a - b >= 1 && a > b * (1 + threshold) + 1e-9)
        {
            var rise = b > 0 ? $" (+{(a - b) / b:0%})" : string.Empty;
            regressions.Add($"{what} rose from {b:0.#} to {a:0.#}{rise}");
        }
    }

    private static List<(string Id, long Started)> RelevantSessions(SelftuneStore store, string skill, List<Miss> misses)
    {
        var sessions = SessionsWithInvocations(store, skill);
        var seen = sessions.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var first in misses.GroupBy(m => m.SessionId).Where(g => !seen.Contains(g.Key)).Select(g => g.MinBy(m => m.OccurredAt)!))
        {
            sessions.Add((first.SessionId, first.OccurredAt.ToUnixTimeMilliseconds()));
        }

        return sessions.OrderBy(s => s.Started).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
    }

    private static List<(string Id, long Started)> SessionsWithInvocations(SelftuneStore store, string skill) => store.Query(
        """
        SELECT s.session_id, coalesce(s.started_at, (SELECT min(p.occurred_at) FROM prompts p WHERE p.session_id = s.session_id), 0) AS started
        FROM sessions s
        WHERE s.session_id IN (SELECT session_id FROM skill_invocations WHERE skill_name = $s OR substr(skill_name, -length($s) - 1) = ':' || $s)
          AND (s.cwd IS NULL OR s.cwd NOT LIKE '%selftune-replay-%')
        ORDER BY started, s.session_id
        """,
        r => (r.GetString(0), r.GetInt64(1)),
        ("$s", skill));

    /// <summary>The measures of <paramref name="skill"/> over <paramref name="sessionIds"/>; <paramref name="missed"/> holds
    /// the prompt ids of its evidence misses (<see cref="Sessions"/>).</summary>
    internal static WatchMeasures Measure(SelftuneStore store, string skill, IReadOnlySet<string> missed, IReadOnlyList<string> sessionIds)
    {
        if (sessionIds.Count == 0)
        {
            return new WatchMeasures(0, 0, 0, null, 0, null, 0, 0, null);
        }

        var turns = new Dictionary<string, Turn>(StringComparer.Ordinal);
        var ids = string.Join(',', sessionIds.Select((_, i) => $"$s{i}"));
        var parameters = sessionIds.Select((id, i) => ($"$s{i}", (object?)id)).Append(("$skill", skill)).ToArray();
        var prompts = store.Query($"SELECT prompt_id, session_id, occurred_at FROM prompts WHERE actionable = 1 AND session_id IN ({ids}) ORDER BY session_id, occurred_at",
            r => (Id: r.GetString(0), Session: r.GetString(1), At: r.GetInt64(2)), parameters)
            .GroupBy(p => p.Session).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        Turn TurnOf(string session, string? promptId, long at)
        {
            var key = promptId is not null && prompts.TryGetValue(session, out var ps) && ps.Any(p => p.Id == promptId)
                ? promptId
                : prompts.TryGetValue(session, out var list) && list.LastOrDefault(p => p.At <= at) is { Id: not null } last ? last.Id : session + "#before-first-prompt";
            if (!turns.TryGetValue(key, out var turn))
            {
                turns[key] = turn = new Turn();
            }

            return turn;
        }

        foreach (var (session, promptId, at, kind, name) in store.Query(
            $"SELECT session_id, prompt_id, occurred_at, kind, skill_name FROM skill_invocations WHERE session_id IN ({ids})",
            r => (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4)), parameters))
        {
            var turn = TurnOf(session, promptId, at);
            if (SkillNames.Same(name, skill))
            {
                turn.Triggered |= kind == "implicit";
                turn.Explicit |= kind == "explicit";
                turn.Read |= kind == "read";
            }
            else
            {
                turn.OtherExplicit |= kind == "explicit";
            }
        }

        foreach (var (session, at) in store.Query($"SELECT session_id, occurred_at FROM session_errors WHERE kind = 'interrupted' AND session_id IN ({ids})",
            r => (r.GetString(0), r.GetInt64(1)), parameters))
        {
            TurnOf(session, null, at).Interrupted = true;
        }

        var calls = store.Query($"SELECT session_id, prompt_id, occurred_at, is_error FROM tool_calls WHERE session_id IN ({ids})",
            r => (Session: r.GetString(0), Prompt: r.IsDBNull(1) ? null : r.GetString(1), At: r.GetInt64(2), Error: r.GetInt64(3) == 1), parameters);
        var skillTurns = turns.Values.Where(t => t.Triggered || t.Explicit).ToHashSet();
        var toolCalls = 0;
        var toolErrors = 0;
        foreach (var call in calls)
        {
            if (skillTurns.Contains(TurnOf(call.Session, call.Prompt, call.At)))
            {
                toolCalls++;
                toolErrors += call.Error ? 1 : 0;
            }
        }

        foreach (var list in prompts.Values)
        {
            foreach (var p in list.Where(p => missed.Contains(p.Id)))
            {
                TurnOf(p.Session, p.Id, p.At).Missed = true;
            }
        }

        var wanted = turns.Values.Count(t => t.Triggered || t.Explicit || t.Read || t.Missed);
        var triggered = turns.Values.Count(t => t.Triggered);
        var falseTriggers = turns.Values.Count(t => t.Triggered && (t.Interrupted || t.OtherExplicit));
        var grades = store.Query(
            $"""
            SELECT g.pass_rate FROM grading_results g
            WHERE g.session_id IN ({ids}) AND (g.skill = $skill OR substr(g.skill, -length($skill) - 1) = ':' || $skill)
              AND g.graded_at = (SELECT max(h.graded_at) FROM grading_results h WHERE h.session_id = g.session_id AND h.skill = g.skill)
            GROUP BY g.session_id
            """,
            r => r.GetDouble(0), parameters);
        return new WatchMeasures(
            sessionIds.Count, wanted, triggered, Rate(triggered, wanted), falseTriggers, Rate(falseTriggers, triggered), toolCalls, toolErrors, Rate(toolErrors, toolCalls),
            grades.Count, grades.Count == 0 ? null : Math.Round(grades.Average(), 4), Efficiency(store, skill, sessionIds));
    }

    private static EfficiencyMeasures? Efficiency(SelftuneStore store, string skill, IReadOnlyList<string> sessionIds)
    {
        var ids = string.Join(',', sessionIds.Select((_, i) => $"$s{i}"));
        var parameters = sessionIds.Select((id, i) => ($"$s{i}", (object?)id)).Append(("$skill", skill)).ToArray();
        var rows = store.Query(
            $"""
            SELECT s.session_id,
                   (SELECT coalesce(sum(u.input_tokens + u.output_tokens + u.cache_write_tokens + u.cache_read_tokens), 0) FROM token_usage u WHERE u.session_id = s.session_id),
                   (SELECT count(*) FROM prompts p WHERE p.session_id = s.session_id AND p.actionable = 1),
                   CASE WHEN s.started_at IS NOT NULL AND s.ended_at IS NOT NULL THEN s.ended_at - s.started_at END,
                   (SELECT count(*) FROM tool_calls t WHERE t.session_id = s.session_id AND t.is_error = 1)
            FROM sessions s
            WHERE s.session_id IN ({ids})
              AND EXISTS (SELECT 1 FROM skill_invocations i WHERE i.session_id = s.session_id AND i.kind IN ('implicit', 'explicit')
                          AND (i.skill_name = $skill OR substr(i.skill_name, -length($skill) - 1) = ':' || $skill))
            """,
            r => (Tokens: r.GetInt64(1), Turns: r.GetInt64(2), Duration: r.IsDBNull(3) ? (long?)null : r.GetInt64(3), Errors: r.GetInt64(4)), parameters);
        if (rows.Count == 0)
        {
            return null;
        }

        var durations = rows.Where(r => r.Duration is not null).Select(r => (double)r.Duration!.Value).ToList();
        return new EfficiencyMeasures(
            rows.Count,
            Math.Round(rows.Average(r => (double)r.Tokens), 1),
            Math.Round(rows.Average(r => (double)r.Turns), 2),
            durations.Count == 0 ? null : Math.Round(durations.Average()),
            Math.Round(rows.Average(r => (double)r.Errors), 2));
    }

    private static double? Rate(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    private sealed class Turn
    {
        public bool Triggered { get; set; }
        public bool Explicit { get; set; }
        public bool Read { get; set; }
        public bool OtherExplicit { get; set; }
        public bool Interrupted { get; set; }

        public bool Missed { get; set; }
    }
}
