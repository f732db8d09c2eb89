using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;
using Selftune.Plugin.Codex.Rollout;

namespace Selftune.Plugin.Codex;

/// <summary>
/// Turns Codex hook payloads into hint records (<see cref="CaptureMode.Hook"/>). Two sources:
/// <list type="bullet">
/// <item><c>hooks.json</c> command hooks (stdin JSON: <c>session_id</c>, <c>transcript_path</c> (nullable),
/// <c>cwd</c>, <c>hook_event_name</c>, <c>model</c>, <c>permission_mode</c>, and for turn-scoped events
/// <c>turn_id</c>; <c>UserPromptSubmit</c> adds <c>prompt</c>; <c>PreToolUse</c>/<c>PostToolUse</c> add
/// <c>tool_name</c>, <c>tool_input</c>, <c>tool_use_id</c> (and <c>tool_response</c>); <c>Stop</c> adds
/// <c>stop_hook_active</c>, <c>last_assistant_message</c>; source: openai/codex
/// <c>codex-rs/hooks/schema/generated/*.command.input.schema.json</c>);</item>
/// <item>the legacy <c>notify</c> program's <c>agent-turn-complete</c> JSON (<c>thread-id</c>, <c>turn-id</c>, <c>cwd</c>,
/// <c>input-messages</c>, <c>last-assistant-message</c>; openai/codex <c>codex-rs/hooks/src/legacy_notify.rs</c>).</item>
/// </list>
/// Ids follow the rollout ingestor's (a prompt is <c>&lt;session&gt;:turn:&lt;turn_id&gt;</c>, a skill read
/// <c>&lt;prompt&gt;:skill:&lt;name&gt;</c>), so the transcript's record of the same event replaces the hint.
/// </summary>
public sealed class CodexHookHandler : IHookHandler
{
    /// <inheritdoc />
    public string Platform => Platforms.Codex;

    /// <summary>True for a Codex hook payload or <c>notify</c> payload. Claude Code's payloads also carry
    /// <c>hook_event_name</c>; Codex's differ by <c>turn_id</c> (every turn-scoped event), a null
    /// <c>transcript_path</c>, or a transcript that is a Codex rollout (<c>rollout-*.jsonl</c>).</summary>
    public bool Recognizes(string payload) => HookPayload.Matches(payload, root =>
    {
        if (JsonFields.Text(root, "type") == "agent-turn-complete")
        {
            return true;
        }

        if (JsonFields.Text(root, "hook_event_name") is null)
        {
            return false;
        }

        if (root.TryGetProperty("turn_id", out _))
        {
            return true;
        }

        return root.TryGetProperty("transcript_path", out var transcript)
            && (transcript.ValueKind == JsonValueKind.Null
                || (transcript.ValueKind == JsonValueKind.String && Path.GetFileName(transcript.GetString()!).StartsWith("rollout-", StringComparison.Ordinal)));
    });

    /// <inheritdoc />
    public HookOutcome Handle(HookEvent hookEvent, IRecordSink sink)
    {
        ArgumentNullException.ThrowIfNull(hookEvent);
        ArgumentNullException.ThrowIfNull(sink);
        var source = $"codex hook {hookEvent.EventName}";
        if (HookPayload.Open(hookEvent, sink, source) is not { } document)
        {
            return new HookOutcome(null);
        }

        using (document)
        {
            var root = document.RootElement;
            return JsonFields.Text(root, "type") == "agent-turn-complete"
                ? HandleNotify(root, hookEvent.ReceivedAt, sink, source)
                : HandleHook(root, hookEvent, sink, source);
        }
    }

    private static HookOutcome HandleHook(JsonElement root, HookEvent hookEvent, IRecordSink sink, string source)
    {
        if (JsonFields.Text(root, "session_id") is not { } sessionId)
        {
            sink.Malformed(source, 0, "The hook payload has no session_id.");
            return new HookOutcome(null);
        }

        var at = hookEvent.ReceivedAt.ToUniversalTime();
        var provenance = new Provenance(Platforms.Codex, CaptureMode.Hook);
        var transcript = JsonFields.Text(root, "transcript_path");
        var cwd = JsonFields.Text(root, "cwd");
        var turn = JsonFields.Text(root, "turn_id");
        var promptId = turn is null ? null : $"{sessionId}:turn:{turn}";
        switch (JsonFields.Text(root, "hook_event_name") ?? hookEvent.EventName)
        {
            case "SessionStart":
                sink.Session(new SessionRecord(sessionId, provenance, StartedAt: at, Cwd: cwd, Models: JsonFields.Text(root, "model") is { } model ? [model] : null));
                return new HookOutcome(sessionId);
            case "UserPromptSubmit" when JsonFields.Text(root, "prompt") is { } prompt:
                sink.Session(new SessionRecord(sessionId, provenance, Cwd: cwd));
                var kind = CodexPrompts.Classify(prompt, inSubagent: false);
                var id = kind == PromptKind.User && promptId is not null ? promptId : $"{sessionId}:hook:{at.ToUnixTimeMilliseconds()}";
                sink.Prompt(new PromptRecord(id, sessionId, at, prompt, kind, provenance));
                if (kind == PromptKind.User)
                {
                    foreach (var skill in CodexPrompts.ExplicitSkills(prompt))
                    {
                        sink.SkillInvocation(new SkillInvocationRecord($"{id}:${skill}", sessionId, at, skill, InvocationKind.Explicit,
                            provenance with { Confidence = RolloutInterpreter.ExplicitMentionConfidence }, id));
                    }
                }

                return new HookOutcome(sessionId);
            case "PreToolUse" or "PostToolUse" when JsonFields.Text(root, "tool_name") is { } tool:
                sink.Session(new SessionRecord(sessionId, provenance, Cwd: cwd));
                var callId = JsonFields.Text(root, "tool_use_id") ?? $"hook:{at.ToUnixTimeMilliseconds()}";
                var input = root.TryGetProperty("tool_input", out var toolInput) ? toolInput : default;
                if (tool == "apply_patch" && input.ValueKind == JsonValueKind.Object && input.TryGetProperty("command", out var patch))
                {
                    input = patch;
                }

                var parsed = ToolInput.Read(tool, input, cwd);
                var failed = root.TryGetProperty("tool_response", out var response) && IsFailure(response);
                sink.ToolCall(new ToolCallRecord(callId, sessionId, at, tool, provenance, failed, promptId, parsed.Detail));
                foreach (var read in parsed.SkillReads.DistinctBy(r => r.SkillName))
                {
                    var invocationId = promptId is null ? $"{sessionId}:{callId}:skill:{read.SkillName}" : $"{promptId}:skill:{read.SkillName}";
                    sink.SkillInvocation(new SkillInvocationRecord(invocationId, sessionId, at, read.SkillName, InvocationKind.Implicit,
                        provenance with { Confidence = RolloutInterpreter.SkillReadConfidence }, promptId, read.SkillPath, callId));
                }

                return new HookOutcome(sessionId);
            case "Stop" or "SubagentStop" or "StopFailure":
                sink.Session(new SessionRecord(sessionId, provenance, EndedAt: at, Cwd: cwd));
                return new HookOutcome(sessionId, transcript);
            default:
                sink.Session(new SessionRecord(sessionId, provenance, Cwd: cwd));
                return new HookOutcome(sessionId);
        }
    }

    private static HookOutcome HandleNotify(JsonElement root, DateTimeOffset receivedAt, IRecordSink sink, string source)
    {
        if (JsonFields.Text(root, "thread-id") is not { } sessionId)
        {
            sink.Malformed(source, 0, "The notify payload has no thread-id.");
            return new HookOutcome(null);
        }

        var at = receivedAt.ToUniversalTime();
        var provenance = new Provenance(Platforms.Codex, CaptureMode.Hook);
        sink.Session(new SessionRecord(sessionId, provenance, EndedAt: at, Cwd: JsonFields.Text(root, "cwd")));
        var turn = JsonFields.Text(root, "turn-id") ?? at.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (root.TryGetProperty("input-messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            var turnIdTaken = false;
            foreach (var message in messages.EnumerateArray())
            {
                index++;
                if (message.ValueKind != JsonValueKind.String)
                {
                    continue;
                }

                var text = message.GetString()!;
                var kind = CodexPrompts.Classify(text, inSubagent: false);
                var id = kind == PromptKind.User && !turnIdTaken ? $"{sessionId}:turn:{turn}" : $"{sessionId}:turn:{turn}:{index}";
                turnIdTaken |= kind == PromptKind.User;
                sink.Prompt(new PromptRecord(id, sessionId, at, text, kind, provenance));
            }
        }

        return new HookOutcome(sessionId);
    }

    /// <summary>A tool response that reports failure: a non-zero <c>exit_code</c>, <c>success: false</c>,
    /// <c>is_error: true</c>, or an output text the rollout rules call a failure.</summary>
    private static bool IsFailure(JsonElement response)
    {
        if (response.ValueKind != JsonValueKind.Object)
        {
            return ToolOutputs.IsError(response);
        }

        foreach (var name in (string[])["exit_code", "exitCode"])
        {
            if (response.TryGetProperty(name, out var exit) && exit.ValueKind == JsonValueKind.Number && exit.TryGetInt32(out var code))
            {
                return code != 0;
            }
        }

        return (response.TryGetProperty("success", out var success) && success.ValueKind == JsonValueKind.False)
            || (response.TryGetProperty("is_error", out var isError) && isError.ValueKind == JsonValueKind.True)
            || (response.TryGetProperty("isError", out isError) && isError.ValueKind == JsonValueKind.True)
            || ToolOutputs.IsError(response);
    }
}
