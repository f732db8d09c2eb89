using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Claude;

/// <summary>
/// Turns Claude Code hook payloads (stdin JSON; peers-and-formats §4.1, code.claude.com/docs/en/hooks) into hint
/// records: <c>UserPromptSubmit</c> → the prompt; <c>PostToolUse</c> of <c>Skill</c> → a skill invocation (a trigger)
/// and of <c>Read</c> on a <c>SKILL.md</c> → a read (named as the transcript names it); <c>SessionStart</c> → the
/// session's folder (its payload is <c>session_id, transcript_path, cwd, hook_event_name, source</c>: no model, which
/// the transcript's assistant messages give);
/// <c>Stop</c>/<c>SessionEnd</c> → the transcript to ingest now. Every event also updates the session's time bounds.
/// Hook record ids carry <c>:hook:</c>, so they never collide with transcript ids; the core supersedes them when the
/// transcript's records of the same events arrive.
/// </summary>
public sealed class ClaudeHookHandler : IHookHandler
{
    /// <summary>How much a hook record is trusted before the transcript confirms it (0..1): the payload is verbatim,
    /// but hooks can fire for turns the transcript later rewinds.</summary>
    public const double HookConfidence = 0.9;

    /// <inheritdoc />
    public string Platform => Platforms.ClaudeCode;

    /// <inheritdoc />
    /// <remarks>A Claude Code payload is a JSON object with <c>session_id</c> and <c>hook_event_name</c>, without
    /// Codex's <c>turn_id</c>, whose <c>transcript_path</c> (when given) is a string that is not a Codex rollout.</remarks>
    public bool Recognizes(string payload) => HookPayload.Matches(payload, root =>
    {
        if (JsonFields.Text(root, "session_id") is null || JsonFields.Text(root, "hook_event_name") is null || root.TryGetProperty("turn_id", out _))
        {
            return false;
        }

        if (!root.TryGetProperty("transcript_path", out var transcript))
        {
            return true;
        }

        // Claude Code always names its transcript; Codex may send null, and its transcripts are rollout files.
        return transcript.ValueKind == JsonValueKind.String
            && !transcript.GetString()!.Replace('\\', '/').Contains("/.codex/", StringComparison.Ordinal)
            && !Path.GetFileName(transcript.GetString()!).StartsWith("rollout-", StringComparison.Ordinal);
    });

    /// <inheritdoc />
    public HookOutcome Handle(HookEvent hookEvent, IRecordSink sink)
    {
        if (HookPayload.Open(hookEvent, sink, hookEvent.EventName) is not { } doc)
        {
            return new HookOutcome(null);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (JsonFields.Text(root, "session_id") is not { Length: > 0 } session)
            {
                sink.Malformed(hookEvent.EventName, 0, $"the {hookEvent.EventName} payload has no session_id");
                return new HookOutcome(null);
            }

            var eventName = hookEvent.EventName is { Length: > 0 } named ? named : JsonFields.Text(root, "hook_event_name") ?? string.Empty;
            var transcript = JsonFields.Text(root, "transcript_path");
            var provenance = new Provenance(Platform, CaptureMode.Hook, HookConfidence, transcript);
            var at = hookEvent.ReceivedAt;
            sink.Session(new SessionRecord(session, provenance, StartedAt: at, EndedAt: at, Cwd: JsonFields.Text(root, "cwd")));
            switch (eventName)
            {
                case "UserPromptSubmit":
                    Prompt(root, session, at, provenance, sink);
                    return new HookOutcome(session);
                case "PostToolUse":
                    ToolUse(root, session, at, provenance, sink);
                    return new HookOutcome(session);
                case "Stop" or "SessionEnd":
                    return new HookOutcome(session, transcript);
                default:
                    return new HookOutcome(session);
            }
        }
    }

    private static void Prompt(JsonElement root, string session, DateTimeOffset at, Provenance provenance, IRecordSink sink)
    {
        if ((JsonFields.Text(root, "prompt") ?? JsonFields.Text(root, "user_prompt")) is not { } text)
        {
            sink.Malformed("UserPromptSubmit", 0, "the UserPromptSubmit payload has no prompt");
            return;
        }

        // Newer Claude Code versions name the prompt; otherwise the receive time and text identify it.
        var id = JsonFields.Text(root, "prompt_id") is { Length: > 0 } promptId ? promptId : Hash($"{at.UtcTicks}\n{text}");
        sink.Prompt(new PromptRecord($"{session}:hook:{id}", session, at, text, PromptClassifier.Classify(text), provenance));
    }

    private static void ToolUse(JsonElement root, string session, DateTimeOffset at, Provenance provenance, IRecordSink sink)
    {
        var tool = JsonFields.Text(root, "tool_name");
        if (!root.TryGetProperty("tool_input", out var input) || input.ValueKind != JsonValueKind.Object)
        {
            if (tool is "Skill" or "Read")
            {
                sink.Malformed("PostToolUse", 0, $"the PostToolUse payload of {tool} has no tool_input");
            }

            return;
        }

        var toolUseId = JsonFields.Text(root, "tool_use_id");
        switch (tool)
        {
            case "Skill" when (JsonFields.Text(input, "skill") ?? JsonFields.Text(input, "name")) is { Length: > 0 } skill:
                sink.SkillInvocation(new SkillInvocationRecord(
                    $"{session}:hook:{toolUseId ?? Hash($"{at.UtcTicks}\n{skill}")}", session, at, skill, InvocationKind.Implicit, provenance, ToolUseId: toolUseId));
                break;
            case "Skill":
                sink.Malformed("PostToolUse", 0, "the Skill tool_input names no skill");
                break;
            // Named as the transcript names it (a plugin skill with its plugin: prefix), so the transcript's record
            // of the same read supersedes this one.
            case "Read" when SkillNames.FolderOfSkillFile(JsonFields.Text(input, "file_path")) is { } folder
                             && SkillNames.FromFolder(folder) is { Length: > 0 } skillName:
                var file = JsonFields.Text(input, "file_path")!;
                sink.SkillInvocation(new SkillInvocationRecord(
                    $"{session}:hook:{toolUseId ?? Hash($"{at.UtcTicks}\n{file}")}", session, at, skillName, InvocationKind.Read, provenance, SkillPath: file, ToolUseId: toolUseId));
                break;
        }
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
}
