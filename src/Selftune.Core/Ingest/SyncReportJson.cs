using System.Text.Json;
using Selftune.Core.Hooks;

namespace Selftune.Core.Ingest;

/// <summary>
/// Writes a <see cref="SyncReport"/> as JSON (<see cref="Json.Write"/>): exactly what serializing it with
/// <see cref="Json.Options"/> gives, which a test checks on a report with every field set. <c>sync</c> runs often, and when
/// nothing changed the serializer's first use was a third of the command (bench/RESULTS.md).
/// </summary>
internal static class SyncReportJson
{
    /// <summary>The report as compact JSON.</summary>
    public static string Write(SyncReport report) => Json.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("started_at", report.StartedAt);
        w.WriteNumber("elapsed_ms", report.ElapsedMs);
        WriteCounters(w, "platforms", report.Platforms);
        if (report.Hooks is { } hooks)
        {
            w.WriteStartObject("hooks");
            w.WriteNumber("files", hooks.Files);
            w.WriteNumber("events", hooks.Events);
            WriteCounters(w, "platforms", hooks.Platforms);
            w.WriteStartArray("transcripts");
            foreach (var t in hooks.Transcripts)
            {
                WriteTranscript(w, t);
            }

            w.WriteEndArray();
            w.WriteNumber("elapsed_ms", hooks.ElapsedMs);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    });

    private static void WriteCounters(Utf8JsonWriter w, string name, IReadOnlyList<IngestCounters> list)
    {
        w.WriteStartArray(name);
        foreach (var c in list)
        {
            w.WriteStartObject();
            w.WriteString("platform", c.Platform);
            w.WriteNumber("sources_found", c.SourcesFound);
            w.WriteNumber("sources_read", c.SourcesRead);
            w.WriteNumber("sources_unchanged", c.SourcesUnchanged);
            w.WriteNumber("sources_failed", c.SourcesFailed);
            w.WriteNumber("lines", c.Lines);
            w.WriteNumber("sessions", c.Sessions);
            w.WriteNumber("prompts", c.Prompts);
            w.WriteNumber("actionable_prompts", c.ActionablePrompts);
            w.WriteNumber("skill_invocations", c.SkillInvocations);
            w.WriteNumber("tool_calls", c.ToolCalls);
            w.WriteNumber("tool_errors", c.ToolErrors);
            w.WriteNumber("usage_records", c.UsageRecords);
            w.WriteNumber("errors", c.Errors);
            w.WriteNumber("commits", c.Commits);
            w.WriteNumber("improvement_signals", c.ImprovementSignals);
            w.WriteNumber("redactions", c.Redactions);
            w.WriteNumber("superseded", c.Superseded);
            w.WriteNumber("malformed", c.Malformed);
            w.WriteStartArray("malformed_details");
            foreach (var m in c.MalformedDetails)
            {
                w.WriteStartObject();
                w.WriteString("path", m.Path);
                w.WriteNumber("line", m.Line);
                w.WriteString("reason", m.Reason);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStrings("problems", c.Problems);
            w.WriteNumber("elapsed_ms", c.ElapsedMs);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteTranscript(Utf8JsonWriter w, HookTranscript t)
    {
        w.WriteStartObject();
        w.WriteString("platform", t.Platform);
        if (t.SessionId is not null)
        {
            w.WriteString("session_id", t.SessionId);
        }

        w.WriteString("path", t.Path);
        w.WriteEndObject();
    }
}
