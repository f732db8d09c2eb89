using System.Text.Json;
using Selftune.Core.Grading;
using Selftune.Core.Misses;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Reports;

/// <summary>A skill's health label.</summary>
internal enum SkillHealth
{
    /// <summary>At least <see cref="StatusReporter.MinimumChecks"/> checks and a trigger rate below 0.4.</summary>
    Critical,
    /// <summary>A trigger rate below 0.7, SKILL.md read more often than used, or an install problem.</summary>
    Warning,
    /// <summary>Triggers when named, and used when read.</summary>
    Healthy,
    /// <summary>Seen, but fewer than <see cref="StatusReporter.MinimumChecks"/> checks.</summary>
    InsufficientData,
    /// <summary>Installed, never seen in any session.</summary>
    Unused,
}

/// <summary>A skill's activity in one time window.</summary>
/// <param name="Start">Window start (inclusive, UTC).</param>
/// <param name="End">Window end (exclusive).</param>
/// <param name="Triggers">Implicit invocations (the agent chose the skill).</param>
/// <param name="Explicit">Explicit uses (<c>/skill</c>).</param>
/// <param name="ReadsNotInvoked">SKILL.md reads without a use of the skill for the same prompt.</param>
/// <param name="Misses">Misses of the skill that are evidence (<see cref="MissFinder"/>), by the prompt's time.</param>
/// <param name="TriggerRate">Triggered prompts ÷ (triggered + missed prompts); null without either.</param>
internal sealed record SkillWindow(DateTimeOffset Start, DateTimeOffset End, int Triggers, int Explicit, int ReadsNotInvoked, int Misses, double? TriggerRate);

/// <summary>A prompt shown as an example.</summary>
/// <param name="PromptId">Its id.</param>
/// <param name="SessionId">Its session.</param>
/// <param name="OccurredAt">When.</param>
/// <param name="Text">The (redacted) text, at most 160 characters.</param>
internal sealed record PromptExample(string PromptId, string SessionId, DateTimeOffset OccurredAt, string Text)
{
    /// <summary>An example from a stored prompt: the text on one line, cut to 160 characters.</summary>
    /// <param name="promptId">Prompt id.</param>
    /// <param name="sessionId">Session id.</param>
    /// <param name="occurredAtMs">Unix ms.</param>
    /// <param name="text">Stored text.</param>
    public static PromptExample Of(string promptId, string sessionId, long occurredAtMs, string text)
    {
        var flat = text.ReplaceLineEndings(" ").Trim();
        return new PromptExample(promptId, sessionId, DateTimeOffset.FromUnixTimeMilliseconds(occurredAtMs), flat.Length > 160 ? flat[..157] + "..." : flat);
    }
}

/// <summary>A miss shown as an example.</summary>
/// <param name="MissId">Its id (<c>selftune misses confirm|reject ID</c>).</param>
/// <param name="Confidence">Its confidence (0–1).</param>
/// <param name="Prompt">The prompt.</param>
internal sealed record MissExample(string MissId, double Confidence, PromptExample Prompt);

/// <summary>A skill's misses of one kind.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Count">How many, all time.</param>
/// <param name="Examples">The newest, at most 2.</param>
/// <param name="LowConfidence">Of <paramref name="Count"/>, misses that are not evidence (lexical discovery, unreviewed).</param>
internal sealed record MissKindSummary(MissKind Kind, int Count, IReadOnlyList<MissExample> Examples, int LowConfidence = 0);

/// <summary>One skill's status.</summary>
/// <param name="Name">Skill name as agents use it.</param>
/// <param name="Installed">True when found in a skill folder.</param>
/// <param name="Path">The skill's folder, when known.</param>
/// <param name="Triggers">Implicit invocations, all time.</param>
/// <param name="Explicit">Explicit uses, all time.</param>
/// <param name="ReadsNotInvoked">SKILL.md reads without a use for the same prompt, all time.</param>
/// <param name="Misses">Misses of the skill that are evidence (<see cref="MissFinder"/>; low-confidence discoveries are
/// counted in <paramref name="MissesByKind"/> only), all time.</param>
/// <param name="TriggerRate">Triggered ÷ (triggered + missed) prompts, all time; null without either.</param>
/// <param name="LastUsedAt">The latest trigger or explicit use.</param>
/// <param name="Trend"><c>up</c>, <c>down</c>, <c>stable</c> or <c>unknown</c>: the newest window's trigger rate against the earlier windows'.</param>
/// <param name="Windows">Fixed windows, oldest first.</param>
/// <param name="Health">The label.</param>
/// <param name="HealthReason">Why, for a person.</param>
/// <param name="MissedExamples">Up to 3 missed prompts (evidence), newest first.</param>
/// <param name="Problems">Install problems (invalid SKILL.md, shadowed by a same-named skill).</param>
/// <param name="Grades">Its session gradings (<c>selftune grade</c>), when any.</param>
/// <param name="Baseline">Its latest lift over no skill (<c>selftune baseline</c>), when measured; <c>adds_value</c> false names a skill that adds nothing.</param>
/// <param name="MissesByKind">Every miss of the skill by kind (all confidences), with examples and their ids.</param>
/// <param name="Outcomes">The outcomes of the sessions where it ran (triggered or explicit; a sub-agent's use counts for its
/// top-level session), when any of them is classified.</param>
internal sealed record SkillStatus(
    string Name,
    bool Installed,
    string? Path,
    int Triggers,
    int Explicit,
    int ReadsNotInvoked,
    int Misses,
    double? TriggerRate,
    DateTimeOffset? LastUsedAt,
    string Trend,
    IReadOnlyList<SkillWindow> Windows,
    SkillHealth Health,
    string HealthReason,
    IReadOnlyList<PromptExample> MissedExamples,
    IReadOnlyList<string> Problems,
    SkillGradeSummary? Grades = null,
    IReadOnlyList<MissKindSummary>? MissesByKind = null,
    Evolution.StoredBaseline? Baseline = null,
    SkillOutcomes? Outcomes = null);

/// <summary>How the sessions where a skill ran ended (<see cref="Analysis.OutcomeStore"/>): counts per outcome.</summary>
/// <param name="Sessions">Classified top-level sessions where it ran.</param>
/// <param name="Success">Of those, <c>success</c>.</param>
/// <param name="Partial">Of those, <c>partial</c>.</param>
/// <param name="Blocked">Of those, <c>blocked</c>.</param>
/// <param name="Failed">Of those, <c>failed</c>.</param>
/// <param name="Unknown">Of those, <c>unknown</c>.</param>
internal sealed record SkillOutcomes(int Sessions, int Success, int Partial, int Blocked, int Failed, int Unknown);

/// <summary>What the last sync reported.</summary>
/// <param name="StartedAt">When it ran.</param>
/// <param name="ElapsedMs">How long it took (ms).</param>
/// <param name="SourcesRead">Sources read.</param>
/// <param name="SourcesFailed">Sources that could not be read.</param>
/// <param name="Malformed">Malformed records skipped.</param>
/// <param name="Problems">Problems (unreadable folders, vanished files).</param>
internal sealed record LastSync(DateTimeOffset StartedAt, long ElapsedMs, int SourcesRead, int SourcesFailed, int Malformed, IReadOnlyList<string> Problems);

/// <summary>The health of selftune's own data.</summary>
/// <param name="StorePath">The store file.</param>
/// <param name="Sessions">Sessions stored.</param>
/// <param name="Prompts">Prompts stored.</param>
/// <param name="ActionablePrompts">Actionable prompts stored.</param>
/// <param name="LastSessionAt">The end of the latest session.</param>
/// <param name="LastSync">The latest sync, when there was one.</param>
/// <param name="SkillProblems">Installed skills with problems.</param>
internal sealed record SystemHealth(string StorePath, long Sessions, long Prompts, long ActionablePrompts, DateTimeOffset? LastSessionAt, LastSync? LastSync, int SkillProblems);

/// <summary>Actionable prompts no skill was used for (triggered or explicit; reading a SKILL.md is not a use).</summary>
/// <param name="Count">How many, all time.</param>
/// <param name="Examples">The newest, at most 5.</param>
internal sealed record UnmatchedPrompts(int Count, IReadOnlyList<PromptExample> Examples);

/// <summary>The report of <c>selftune status</c>.</summary>
/// <param name="AsOf">The end of the newest window.</param>
/// <param name="WindowDays">Length of a window, in days.</param>
/// <param name="Skills">Per skill, worst first.</param>
/// <param name="Unmatched">Actionable prompts no skill was used for.</param>
/// <param name="System">Data health.</param>
/// <param name="MissRule">How a miss is defined, for a person.</param>
/// <param name="NextCommand">What to run next.</param>
internal sealed record StatusReport(
    DateTimeOffset AsOf,
    int WindowDays,
    IReadOnlyList<SkillStatus> Skills,
    UnmatchedPrompts Unmatched,
    SystemHealth System,
    string MissRule,
    string? NextCommand);

/// <summary>
/// Computes <c>selftune status</c> from the store (which it only reads, but for the miss set it keeps there:
/// <see cref="StatusSnapshot"/>).
/// <list type="bullet">
/// <item><b>Trigger</b>: an implicit invocation (the agent chose the skill). <b>Explicit</b>: the user named it.</item>
/// <item><b>Read, not invoked</b>: a SKILL.md read with no trigger or explicit use of that skill for the same prompt of
/// the same session.</item>
/// <item><b>Miss</b> (see <see cref="MissRule"/>): as <see cref="MissFinder"/> defines it for every command; the misses that are
/// evidence count, and triggered ÷ (triggered + missed prompts) is the <b>trigger rate</b>.</item>
/// <item><b>Windows</b>: <see cref="Windows"/> consecutive windows of <see cref="WindowDays"/> days ending at
/// <c>asOf</c>, listed oldest first (the reference implementation windowed descending data as if it were ascending,
/// spec §15.2 item 1). <b>Trend</b>: the newest window with data against the mean of the earlier ones (±0.1).</item>
/// <item><b>Health</b>: see <see cref="SkillHealth"/>; checks = triggered + missed prompts.</item>
/// </list>
/// </summary>
internal static class StatusReporter
{
    /// <summary>Window length (days).</summary>
    public const int WindowDays = 7;

    /// <summary>Number of windows.</summary>
    public const int Windows = 4;

    /// <summary>Fewer checks than this: <see cref="SkillHealth.InsufficientData"/>.</summary>
    public const int MinimumChecks = 3;

    /// <summary>The definition of a miss, as printed in the report.</summary>
    public const string MissRule =
        "A miss is an actionable prompt for which an installed skill should have triggered by itself and did not: named " +
        "(the user named it, used its slash command, or asked next why it was not used), read_not_invoked (its SKILL.md was " +
        "read, the skill not used), discovered (selftune misses: lexical ranking alone is low confidence and not counted " +
        "until confirmed; an LLM's choice is counted) or confirmed by review.";

    /// <summary>Builds the report.</summary>
    /// <param name="store">The store.</param>
    /// <param name="installedSkills">Finds the installed skills (see <see cref="SkillCatalog"/>); called once, after the store was
    /// read, so a caller can find them (loading plugins) while the store is being read.</param>
    /// <param name="asOf">The end of the newest window (normally now).</param>
    public static StatusReport Build(SelftuneStore store, Func<IReadOnlyList<InstalledSkill>> installedSkills, DateTimeOffset asOf)
    {
        var invocations = store.Query(
            "SELECT skill_name, kind, session_id, prompt_id, occurred_at, skill_path FROM skill_invocations",
            r => new Invocation(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5)));
        // Of the actionable prompts, only those some skill was used for matter per skill (the others are counted, and the
        // newest shown, as prompts no skill served: Unmatched); none is read with its text but the examples.
        var usedPrompts = store.Query(
            "SELECT prompt_id, occurred_at FROM prompts WHERE actionable = 1 AND prompt_id IN (SELECT prompt_id FROM skill_invocations WHERE kind <> 'read')",
            r => new UsedPrompt(r.GetString(0), r.GetInt64(1)));

        var windowStarts = new DateTimeOffset[Windows];
        for (var i = 0; i < Windows; i++)
        {
            windowStarts[i] = asOf.AddDays(-WindowDays * (Windows - i));
        }

        var grades = new GradingStore().Summaries(store);
        var outcomes = OutcomesBySession(store);
        var baselines = Evolution.BaselineService.Latest(store);
        var system = SystemHealthOf(store);
        var installed = installedSkills();
        var misses = StatusSnapshot.Misses(store, installed);

        // Skill names: those seen in sessions (as agents spell them), then installed skills never seen.
        var names = new List<string>();
        foreach (var name in invocations.Select(i => i.Skill).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal))
        {
            if (!names.Exists(n => SkillNames.Same(n, name)))
            {
                names.Add(name);
            }
        }

        var active = installed.Where(s => s.ShadowedBy is null).ToList();
        foreach (var skill in active)
        {
            if (!names.Exists(n => SkillNames.Same(n, skill.Name)))
            {
                names.Add(skill.Name);
            }
        }

        var skills = names
            .Select(name => ForSkill(name, invocations, usedPrompts, misses.GetValueOrDefault(MissSet.Canonical(name)) ?? [], installed, windowStarts, outcomes) with { Grades = grades.FirstOrDefault(g => SkillNames.Same(g.Skill, name)), Baseline = baselines.Values.FirstOrDefault(b => SkillNames.Same(b.Skill, name)) })
            .OrderBy(s => (int)s.Health)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList();

        var report = new StatusReport(
            asOf,
            WindowDays,
            skills,
            Unmatched(store),
            system with { SkillProblems = installed.Count(s => s.Problems.Count > 0 || s.ShadowedBy is not null) },
            MissRule,
            null);
        return report with { NextCommand = NextCommand(report) };
    }

    /// <summary>The actionable prompts no skill was used for (triggered or explicit; a read is not a use): how many, and
    /// the newest 5 (ties in prompt id order).</summary>
    private static UnmatchedPrompts Unmatched(SelftuneStore store)
    {
        const string Unused = "FROM prompts p WHERE p.actionable = 1 AND NOT EXISTS (SELECT 1 FROM skill_invocations i WHERE i.prompt_id = p.prompt_id AND i.kind <> 'read')";
        var count = (long)store.Scalar("SELECT count(*) " + Unused)!;
        var examples = store.Query(
            "SELECT p.prompt_id, p.session_id, p.occurred_at, p.text " + Unused + " ORDER BY p.occurred_at DESC, p.prompt_id LIMIT 5",
            r => PromptExample.Of(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3)));
        return new UnmatchedPrompts((int)count, examples);
    }

    /// <summary>Every session's outcome by session id, a sub-agent's being its top-level session's: one query over the
    /// sessions (the skills' uses are the invocations status has read already).</summary>
    private static Dictionary<string, RanIn> OutcomesBySession(SelftuneStore store)
    {
        var result = new Dictionary<string, RanIn>(StringComparer.Ordinal);
        foreach (var row in store.Query(
            """
            SELECT s.session_id, o.session_id, o.outcome FROM sessions s
            LEFT JOIN sessions parent ON parent.session_id = s.parent_session_id
            JOIN session_outcomes o ON o.session_id = coalesce(parent.session_id, s.session_id)
            """,
            r => new[] { r.GetString(0), r.GetString(1), r.GetString(2) }))
        {
            result[row[0]] = new RanIn(row[1], row[2]);
        }

        return result;
    }

    /// <summary>Counts per outcome of the top-level sessions where a skill ran (<paramref name="uses"/>: its triggered and
    /// explicit invocations); null when none of them is classified.</summary>
    private static SkillOutcomes? OutcomesOf(List<Invocation> uses, Dictionary<string, RanIn> outcomes)
    {
        var sessions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var use in uses)
        {
            if (outcomes.TryGetValue(use.SessionId, out var ran))
            {
                sessions[ran.TopLevelSessionId] = ran.Outcome;
            }
        }

        if (sessions.Count == 0)
        {
            return null;
        }

        int success = 0, partial = 0, blocked = 0, failed = 0, unknown = 0;
        foreach (var outcome in sessions.Values)
        {
            switch (outcome)
            {
                case "success":
                    success++;
                    break;
                case "partial":
                    partial++;
                    break;
                case "blocked":
                    blocked++;
                    break;
                case "failed":
                    failed++;
                    break;
                default:
                    unknown++;
                    break;
            }
        }

        return new SkillOutcomes(sessions.Count, success, partial, blocked, failed, unknown);
    }

    /// <summary>Reads the data-health part of the report from the store (the installed skills' problems are counted by
    /// the caller, once they are found).</summary>
    private static SystemHealth SystemHealthOf(SelftuneStore store)
    {
        // Rows as classes, loops over the JSON rather than LINQ over its value types: generic code over value types is
        // compiled at run time on every status (ReadyToRun cannot precompile it across assemblies).
        var counts = store.Query(
            "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM prompts), (SELECT count(*) FROM prompts WHERE actionable = 1), (SELECT max(ended_at) FROM sessions)",
            r => new long?[] { r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3) })[0];
        var last = store.Query("SELECT started_at, elapsed_ms, report_json FROM sync_runs ORDER BY id DESC LIMIT 1", r => new SyncRun(r.GetInt64(0), r.GetInt64(1), r.GetString(2)));
        LastSync? lastSync = null;
        if (last.Count == 1)
        {
            // Read with a DOM, not the serializer: status runs often and reflection metadata costs tens of ms per process.
            using var report = JsonDocument.Parse(last[0].ReportJson);
            int read = 0, failed = 0, malformed = 0;
            var problems = new List<string>();
            if (report.RootElement.TryGetProperty("platforms", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var p in list.EnumerateArray())
                {
                    read += Int(p, "sources_read");
                    failed += Int(p, "sources_failed");
                    malformed += Int(p, "malformed");
                    if (p.TryGetProperty("problems", out var found) && found.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var x in found.EnumerateArray())
                        {
                            if (problems.Count < 10)
                            {
                                problems.Add(x.GetString() ?? string.Empty);
                            }
                        }
                    }
                }
            }

            lastSync = new LastSync(DateTimeOffset.FromUnixTimeMilliseconds(last[0].StartedAt), last[0].ElapsedMs, read, failed, malformed, problems);
        }

        return new SystemHealth(store.Path, counts[0]!.Value, counts[1]!.Value, counts[2]!.Value,
            counts[3] is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null, lastSync, SkillProblems: 0);

        static int Int(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : 0;
    }

    // Loops rather than LINQ over value types (windows, times): generic code over value types is compiled at run time on
    // every status (ReadyToRun cannot precompile it across assemblies).
    private static SkillStatus ForSkill(string name, List<Invocation> invocations, List<UsedPrompt> usedPrompts, List<StatusMiss> misses, IReadOnlyList<InstalledSkill> installed, DateTimeOffset[] windowStarts, Dictionary<string, RanIn> outcomes)
    {
        var mine = invocations.Where(i => SkillNames.Same(i.Skill, name)).ToList();
        var uses = mine.Where(i => i.Kind is "implicit" or "explicit").ToList();
        var usedFor = uses.Select(i => i.SessionId + "\n" + i.PromptId).ToHashSet(StringComparer.Ordinal);
        var triggers = mine.Where(i => i.Kind == "implicit").ToList();
        var explicitUses = mine.Where(i => i.Kind == "explicit").ToList();
        var readsNotInvoked = mine.Where(i => i.Kind == "read" && !usedFor.Contains(i.SessionId + "\n" + i.PromptId)).ToList();
        var missed = misses.Where(m => m.IsEvidence).ToList(); // newest first, as the miss set lists them
        var missedIds = missed.Select(m => m.PromptId).ToHashSet(StringComparer.Ordinal);
        var usedIds = uses.Where(i => i.PromptId is not null).Select(i => i.PromptId!).ToHashSet(StringComparer.Ordinal);
        var triggeredPrompts = usedPrompts.Where(p => usedIds.Contains(p.Id) && !missedIds.Contains(p.Id)).ToList();

        var windows = new List<SkillWindow>(windowStarts.Length);
        foreach (var start in windowStarts)
        {
            var from = start.ToUnixTimeMilliseconds();
            var to = start.AddDays(WindowDays).ToUnixTimeMilliseconds();
            bool In(long at) => at >= from && at < to;
            var triggered = triggeredPrompts.Count(p => In(p.At));
            var miss = missed.Count(m => In(m.OccurredAt));
            windows.Add(new SkillWindow(start, start.AddDays(WindowDays), triggers.Count(i => In(i.At)), explicitUses.Count(i => In(i.At)),
                readsNotInvoked.Count(i => In(i.At)), miss, Rate(triggered, miss)));
        }

        var skill = installed.FirstOrDefault(s => s.ShadowedBy is null && SkillNames.Same(s.Name, name));
        var problems = installed.Where(s => SkillNames.Same(s.Name, name))
            .SelectMany(s => s.ShadowedBy is { } by ? [.. s.Problems, $"{s.Folder} is shadowed by {by}"] : s.Problems)
            .ToList();
        var rate = Rate(triggeredPrompts.Count, missed.Count);
        var trend = Trend(windows);
        var (health, reason) = Health(skill is not null, triggers.Count, explicitUses.Count, readsNotInvoked.Count, triggeredPrompts.Count, missed.Count, rate, problems);
        long? lastUsedMs = null;
        foreach (var use in uses)
        {
            lastUsedMs = Math.Max(lastUsedMs ?? use.At, use.At);
        }

        DateTimeOffset? lastUsed = lastUsedMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

        return new SkillStatus(
            name,
            skill is not null,
            skill?.Folder ?? mine.Select(i => i.Path).FirstOrDefault(p => p is not null),
            triggers.Count,
            explicitUses.Count,
            readsNotInvoked.Count,
            missed.Count,
            rate,
            lastUsed,
            trend,
            windows,
            health,
            reason,
            missed.Take(3).Select(m => m.Prompt).ToList(),
            problems,
            MissesByKind: ByKind(misses),
            Outcomes: OutcomesOf(uses, outcomes));
    }

    /// <summary>A skill's misses by kind, in the kinds' order (a loop over the kinds: LINQ grouping by an enum is
    /// compiled at run time, and listing an enum's values reflects over it).</summary>
    private static List<MissKindSummary> ByKind(List<StatusMiss> misses)
    {
        var result = new List<MissKindSummary>();
        for (var kind = MissKind.Named; kind <= MissKind.Confirmed; kind++)
        {
            var mine = misses.Where(m => m.Kind == kind).ToList();
            if (mine.Count > 0)
            {
                result.Add(new MissKindSummary(kind, mine.Count, mine.Take(2).Select(m => new MissExample(m.Id, m.Confidence, m.Prompt)).ToList(), mine.Count(m => !m.IsEvidence)));
            }
        }

        return result;
    }

    private static (SkillHealth, string) Health(bool installed, int triggers, int explicitUses, int reads, int triggered, int missed, double? rate, List<string> problems)
    {
        var checks = triggered + missed;
        if (triggers + explicitUses + reads + missed == 0)
        {
            return installed
                ? (SkillHealth.Unused, "installed, but never seen in a session")
                : (SkillHealth.InsufficientData, "no activity");
        }

        if (checks >= MinimumChecks && rate < 0.4)
        {
            return (SkillHealth.Critical, $"triggered for {triggered} of {checks} prompts that needed it");
        }

        if (checks >= MinimumChecks && rate < 0.7)
        {
            return (SkillHealth.Warning, $"triggered for {triggered} of {checks} prompts that needed it");
        }

        if (reads > triggers + explicitUses)
        {
            return (SkillHealth.Warning, $"SKILL.md read {reads} times without being used, used {triggers + explicitUses} times");
        }

        if (problems.Count > 0)
        {
            return (SkillHealth.Warning, problems[0]);
        }

        return checks < MinimumChecks
            ? (SkillHealth.InsufficientData, $"{checks} prompt(s) needed or triggered it; {MinimumChecks} are needed for a rate")
            : (SkillHealth.Healthy, $"triggered for {triggered} of {checks} prompts that needed it");
    }

    private static string Trend(List<SkillWindow> windows)
    {
        var rated = windows.Where(w => w.TriggerRate is not null).ToList();
        if (rated.Count < 2)
        {
            return "unknown";
        }

        var delta = rated[^1].TriggerRate!.Value - rated[..^1].Average(w => w.TriggerRate!.Value);
        return delta >= 0.1 ? "up" : delta <= -0.1 ? "down" : "stable";
    }

    private static double? Rate(int triggered, int missed) => triggered + missed == 0 ? null : (double)triggered / (triggered + missed);

    private static string? NextCommand(StatusReport report) =>
        report.System.LastSync is null ? "selftune sync"
        : report.Skills.FirstOrDefault(s => s.Health is SkillHealth.Critical or SkillHealth.Warning && SkillNames.Problem(s.Name) is null) is { } worst ? ShellCommand.Line($"selftune sessions --skill {worst.Name:skill}")
        : null;

    private sealed record SyncRun(long StartedAt, long ElapsedMs, string ReportJson);

    /// <summary>A session's top-level session and that session's stored outcome.</summary>
    private sealed record RanIn(string TopLevelSessionId, string Outcome);

    private sealed record Invocation(string Skill, string Kind, string SessionId, string? PromptId, long At, string? Path);

    /// <summary>An actionable prompt some skill was used for, and when it was sent (Unix ms).</summary>
    private sealed record UsedPrompt(string Id, long At);
}
