using System.Globalization;
using System.Text;
using Selftune.Abstractions;
using Selftune.Core.Store;
using Selftune.Core.Skills;

namespace Selftune.Core.Grading;

/// <summary>One actionable prompt of a graded session, numbered <c>P1</c>, <c>P2</c>, … for the grader.</summary>
/// <param name="Label">Its label (<c>P1</c>…).</param>
/// <param name="PromptId">The stored id.</param>
/// <param name="Text">The text, wrappers stripped.</param>
internal sealed record FactPrompt(string Label, string PromptId, string Text);

/// <summary>A session as the store knows it, and its timeline as the grader reads it (the core never reads an agent's
/// transcript format: it grades from canonical records — prompts, skill invocations, tool calls, errors, usage).</summary>
internal sealed class SessionFacts
{
    /// <summary>Longest timeline excerpt sent to the grader, in characters; longer ones keep the first 60 % and last 40 %.</summary>
    public const int MaxExcerpt = 8000;

    private SessionFacts(string sessionId) => SessionId = sessionId;

    public string SessionId { get; }

    public string Platform { get; private set; } = string.Empty;

    public string Status { get; private set; } = "unknown";

    public long? DurationMs { get; private set; }

    public List<FactPrompt> Prompts { get; } = [];

    /// <summary>Invocations: (stored skill name, kind, prompt id), in time order.</summary>
    public List<(string Skill, string Kind, string? PromptId)> Invocations { get; } = [];

    public int ToolCalls { get; private set; }

    public int ToolErrors { get; private set; }

    public int SessionErrors { get; private set; }

    public long InputTokens { get; private set; }

    public long OutputTokens { get; private set; }

    public decimal? CostUsd { get; private set; }

    public List<(long At, string Line)> Timeline { get; } = [];

    /// <summary>Reads a session.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when the store has no such session.</exception>
    public static SessionFacts Load(SelftuneStore store, string sessionId)
    {
        var facts = new SessionFacts(sessionId);
        var session = store.Query(
            "SELECT platform, status, started_at, ended_at FROM sessions WHERE session_id = $s",
            r => (Platform: r.GetString(0), Status: r.GetString(1), Start: r.IsDBNull(2) ? (long?)null : r.GetInt64(2), End: r.IsDBNull(3) ? (long?)null : r.GetInt64(3)),
            ("$s", sessionId));
        if (session.Count == 0)
        {
            throw new SelftuneException(ErrorCodes.NotFound, $"The store has no session '{sessionId}'.", "selftune sync");
        }

        facts.Platform = session[0].Platform;
        facts.Status = session[0].Status;
        facts.DurationMs = session[0].Start is { } s && session[0].End is { } e ? e - s : null;

        foreach (var (id, at, text, kind, actionable) in store.Query(
            "SELECT prompt_id, occurred_at, text, kind, actionable FROM prompts WHERE session_id = $s ORDER BY occurred_at, prompt_id",
            r => (r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetInt64(4) == 1),
            ("$s", sessionId)))
        {
            var stripped = PromptClassifier.StripWrappers(text);
            if (actionable)
            {
                var label = $"P{facts.Prompts.Count + 1}";
                facts.Prompts.Add(new FactPrompt(label, id, stripped));
                facts.Timeline.Add((at, $"[{label}] user: {Cut(stripped, 400)}"));
            }
            else if (kind == "command")
            {
                facts.Timeline.Add((at, $"[command] {Cut(stripped, 160)}"));
            }
        }

        foreach (var (skill, kind, promptId, at) in store.Query(
            "SELECT skill_name, kind, prompt_id, occurred_at FROM skill_invocations WHERE session_id = $s ORDER BY occurred_at, invocation_id",
            r => (r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt64(3)),
            ("$s", sessionId)))
        {
            facts.Invocations.Add((skill, kind, promptId));
            facts.Timeline.Add((at, kind == "read" ? $"[skill] read {skill}/SKILL.md" : $"[skill] {skill} invoked ({kind})"));
        }

        foreach (var (name, detail, error, at) in store.Query(
            "SELECT name, detail, is_error, occurred_at FROM tool_calls WHERE session_id = $s ORDER BY occurred_at, tool_use_id",
            r => (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2) == 1, r.GetInt64(3)),
            ("$s", sessionId)))
        {
            facts.ToolCalls++;
            facts.ToolErrors += error ? 1 : 0;
            facts.Timeline.Add((at, $"[tool] {name}{(detail is null ? string.Empty : ": " + Cut(detail, 160))}{(error ? "  → ERROR" : string.Empty)}"));
        }

        foreach (var (kind, message, at) in store.Query(
            "SELECT kind, message, occurred_at FROM session_errors WHERE session_id = $s ORDER BY occurred_at",
            r => (r.GetString(0), r.GetString(1), r.GetInt64(2)),
            ("$s", sessionId)))
        {
            facts.SessionErrors++;
            facts.Timeline.Add((at, $"[error] {kind}: {Cut(message, 200)}"));
        }

        var usage = store.Query(
            "SELECT coalesce(sum(input_tokens + cache_write_tokens + cache_read_tokens), 0), coalesce(sum(output_tokens), 0), sum(cost_usd) FROM token_usage WHERE session_id = $s",
            r => (In: r.GetInt64(0), Out: r.GetInt64(1), Cost: r.IsDBNull(2) ? (decimal?)null : (decimal)r.GetDouble(2)),
            ("$s", sessionId))[0];
        facts.InputTokens = usage.In;
        facts.OutputTokens = usage.Out;
        facts.CostUsd = usage.Cost;
        facts.Timeline.Sort((a, b) => a.At.CompareTo(b.At));
        return facts;
    }

    /// <summary>True when <paramref name="skill"/> (stored name, or a name matching it) was invoked implicitly or explicitly.</summary>
    public bool Triggered(string skill) => Invocations.Any(i => i.Kind != "read" && SkillNames.Same(i.Skill, skill));

    /// <summary>True when the skill's SKILL.md was read (or the skill invoked).</summary>
    public bool ReadOrTriggered(string skill) => Invocations.Any(i => SkillNames.Same(i.Skill, skill));

    /// <summary>Skills invoked, in first-use order.</summary>
    public IReadOnlyList<string> SkillsTriggered => Invocations.Where(i => i.Kind != "read").Select(i => i.Skill).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The metrics block of a result.</summary>
    public SessionMetrics Metrics() => new(Platform, Status, Prompts.Count, ToolCalls, ToolErrors, SessionErrors, SkillsTriggered, DurationMs, InputTokens, OutputTokens, CostUsd);

    /// <summary>The timeline, cut to <see cref="MaxExcerpt"/> characters (first 60 %, a marker, last 40 %).</summary>
    public string Excerpt()
    {
        var lines = Timeline.Select(t => t.Line).ToList();
        var total = lines.Sum(l => l.Length + 1);
        if (total <= MaxExcerpt)
        {
            return string.Join('\n', lines);
        }

        var head = new List<string>();
        var used = 0;
        foreach (var line in lines)
        {
            if (used + line.Length + 1 > MaxExcerpt * 6 / 10)
            {
                break;
            }

            head.Add(line);
            used += line.Length + 1;
        }

        var tail = new List<string>();
        used = 0;
        for (var i = lines.Count - 1; i >= head.Count; i--)
        {
            if (used + lines[i].Length + 1 > MaxExcerpt * 4 / 10)
            {
                break;
            }

            tail.Insert(0, lines[i]);
            used += lines[i].Length + 1;
        }

        var builder = new StringBuilder();
        builder.AppendJoin('\n', head).Append('\n')
            .Append(CultureInfo.InvariantCulture, $"… [{lines.Count - head.Count - tail.Count} events omitted] …\n")
            .AppendJoin('\n', tail);
        return builder.ToString();
    }

    private static string Cut(string text, int max)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= max ? line : line[..max] + "…";
    }
}
