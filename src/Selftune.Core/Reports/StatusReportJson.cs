using System.Text.Json;

namespace Selftune.Core.Reports;

/// <summary>
/// Writes a <see cref="StatusReport"/> as JSON (<see cref="Json.Write"/>): exactly what serializing it with
/// <see cref="Json.Options"/> gives, which a test checks on a report with every field set. <c>status</c> is what agents
/// run most, and the serializer's first use was a third of it (bench/RESULTS.md).
/// </summary>
internal static class StatusReportJson
{
    /// <summary>The report as compact JSON.</summary>
    public static string Write(StatusReport report) => Json.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("as_of", report.AsOf);
        w.WriteNumber("window_days", report.WindowDays);
        w.WriteStartArray("skills");
        foreach (var s in report.Skills)
        {
            WriteSkill(w, s);
        }

        w.WriteEndArray();
        w.WriteStartObject("unmatched");
        w.WriteNumber("count", report.Unmatched.Count);
        WriteExamples(w, "examples", report.Unmatched.Examples);
        w.WriteEndObject();
        WriteSystem(w, report.System);
        w.WriteString("miss_rule", report.MissRule);
        Optional(w, "next_command", report.NextCommand);
        w.WriteEndObject();
    });

    /// <summary>Writes one skill's record as it appears in the report's <c>skills</c> array (the dashboard's skill page
    /// writes the same record).</summary>
    /// <param name="w">The writer, at a value position.</param>
    /// <param name="s">The skill's status record.</param>
    public static void WriteSkill(Utf8JsonWriter w, SkillStatus s)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(s);
        w.WriteStartObject();
        w.WriteString("name", s.Name);
        w.WriteBoolean("installed", s.Installed);
        Optional(w, "path", s.Path);
        w.WriteNumber("triggers", s.Triggers);
        w.WriteNumber("explicit", s.Explicit);
        w.WriteNumber("reads_not_invoked", s.ReadsNotInvoked);
        w.WriteNumber("misses", s.Misses);
        Optional(w, "trigger_rate", s.TriggerRate);
        Optional(w, "last_used_at", s.LastUsedAt);
        w.WriteString("trend", s.Trend);
        w.WriteStartArray("windows");
        foreach (var window in s.Windows)
        {
            w.WriteStartObject();
            w.WriteString("start", window.Start);
            w.WriteString("end", window.End);
            w.WriteNumber("triggers", window.Triggers);
            w.WriteNumber("explicit", window.Explicit);
            w.WriteNumber("reads_not_invoked", window.ReadsNotInvoked);
            w.WriteNumber("misses", window.Misses);
            Optional(w, "trigger_rate", window.TriggerRate);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("health", Health(s.Health));
        w.WriteString("health_reason", s.HealthReason);
        WriteExamples(w, "missed_examples", s.MissedExamples);
        w.WriteStrings("problems", s.Problems);
        if (s.Grades is { } g)
        {
            w.WriteStartObject("grades");
            w.WriteString("skill", g.Skill);
            w.WriteNumber("graded", g.Graded);
            w.WriteNumber("recent_pass_rate", g.RecentPassRate);
            w.WriteNumber("last_pass_rate", g.LastPassRate);
            w.WriteString("last_graded_at", g.LastGradedAt);
            w.WriteString("last_session_id", g.LastSessionId);
            w.WriteNumber("open_failures", g.OpenFailures);
            w.WriteEndObject();
        }

        if (s.MissesByKind is { } byKind)
        {
            WriteMissesByKind(w, byKind);
        }

        if (s.Baseline is { } b)
        {
            w.WriteStartObject("baseline");
            w.WriteString("measured_at", b.MeasuredAt);
            w.WriteNumber("lift", b.Lift);
            w.WriteBoolean("adds_value", b.AddsValue);
            w.WriteEndObject();
        }

        if (s.Outcomes is { } o)
        {
            w.WriteStartObject("outcomes");
            w.WriteNumber("sessions", o.Sessions);
            w.WriteNumber("success", o.Success);
            w.WriteNumber("partial", o.Partial);
            w.WriteNumber("blocked", o.Blocked);
            w.WriteNumber("failed", o.Failed);
            w.WriteNumber("unknown", o.Unknown);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteMissesByKind(Utf8JsonWriter w, IReadOnlyList<MissKindSummary> byKind)
    {
        w.WriteStartArray("misses_by_kind");
        foreach (var group in byKind)
        {
            w.WriteStartObject();
            w.WriteString("kind", Json.Name(group.Kind));
            w.WriteNumber("count", group.Count);
            w.WriteStartArray("examples");
            foreach (var e in group.Examples)
            {
                w.WriteStartObject();
                w.WriteString("miss_id", e.MissId);
                w.WriteNumber("confidence", e.Confidence);
                w.WriteStartObject("prompt");
                w.WriteString("prompt_id", e.Prompt.PromptId);
                w.WriteString("session_id", e.Prompt.SessionId);
                w.WriteString("occurred_at", e.Prompt.OccurredAt);
                w.WriteString("text", e.Prompt.Text);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("low_confidence", group.LowConfidence);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteSystem(Utf8JsonWriter w, SystemHealth system)
    {
        w.WriteStartObject("system");
        w.WriteString("store_path", system.StorePath);
        w.WriteNumber("sessions", system.Sessions);
        w.WriteNumber("prompts", system.Prompts);
        w.WriteNumber("actionable_prompts", system.ActionablePrompts);
        Optional(w, "last_session_at", system.LastSessionAt);
        if (system.LastSync is { } last)
        {
            w.WriteStartObject("last_sync");
            w.WriteString("started_at", last.StartedAt);
            w.WriteNumber("elapsed_ms", last.ElapsedMs);
            w.WriteNumber("sources_read", last.SourcesRead);
            w.WriteNumber("sources_failed", last.SourcesFailed);
            w.WriteNumber("malformed", last.Malformed);
            w.WriteStrings("problems", last.Problems);
            w.WriteEndObject();
        }

        w.WriteNumber("skill_problems", system.SkillProblems);
        w.WriteEndObject();
    }

    private static void WriteExamples(Utf8JsonWriter w, string name, IReadOnlyList<PromptExample> examples)
    {
        w.WriteStartArray(name);
        foreach (var e in examples)
        {
            w.WriteStartObject();
            w.WriteString("prompt_id", e.PromptId);
            w.WriteString("session_id", e.SessionId);
            w.WriteString("occurred_at", e.OccurredAt);
            w.WriteString("text", e.Text);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void Optional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static void Optional(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
    }

    private static string Health(SkillHealth health) => health switch
    {
        SkillHealth.Critical => "critical",
        SkillHealth.Warning => "warning",
        SkillHealth.Healthy => "healthy",
        SkillHealth.InsufficientData => "insufficient_data",
        SkillHealth.Unused => "unused",
        _ => throw new ArgumentOutOfRangeException(nameof(health), health, "A health label this writer does not know."),
    };
}
