using System.Text.Json;
using Selftune.Plugin.Shared;
using Selftune.Abstractions;
using Selftune.Plugin.OpenCode.Storage;

namespace Selftune.Plugin.OpenCode;

/// <summary>
/// Handles the payloads of the OpenCode plugin file selftune installs (<c>selftune-plugin.js</c>, see
/// <see cref="OpenCodeInstaller"/>). OpenCode has no command hooks: that plugin runs inside OpenCode and spawns
/// <c>&lt;hook command&gt; &lt;event&gt; --platform opencode</c> with one JSON object on stdin:
/// <code>
/// {"source":"selftune-opencode","version":1,"event":"tool.execute.after","time":&lt;ms&gt;,"sessionID":"ses_…","callID":"…",
///  "tool":"skill","args":{"name":"pdf"},"exit":&lt;bash exit code&gt;,"skill":"pdf","skillDir":"/…/pdf","promptID":"msg_…","cwd":"/project"}
/// {"source":"selftune-opencode","version":1,"event":"chat.message","time":…,"sessionID":"ses_…","messageID":"msg_…",
///  "parentID":&lt;parent session, for a sub-agent session&gt;,"agent":"build","model":"…","text":"…","cwd":"…"}
/// {"source":"selftune-opencode","version":1,"event":"session.idle","time":…,"sessionID":"ses_…","dataDir":"…/opencode",
///  "database":&lt;OPENCODE_DB, when set&gt;,"cwd":"…"}
/// </code>
/// Records are hints (<see cref="CaptureMode.Hook"/>) with the same ids the transcript yields, so the transcript's
/// records supersede them. <c>session.idle</c> names the database (or, before OpenCode 1.2, the session's JSON file)
/// as <see cref="HookOutcome.TranscriptPath"/>, so the core ingests what the turn wrote right away.
/// </summary>
public sealed class OpenCodeHookHandler : IHookHandler
{
    /// <summary>The <c>source</c> field every payload of selftune's OpenCode plugin carries.</summary>
    public const string PayloadSource = "selftune-opencode";

    /// <inheritdoc />
    public string Platform => Platforms.OpenCode;

    /// <inheritdoc />
    public bool Recognizes(string payload)
    {
        if (!payload.Contains(PayloadSource, StringComparison.Ordinal))
        {
            return false;
        }

        return HookPayload.Matches(payload, root => JsonFields.Text(root, "source") == PayloadSource);
    }

    /// <inheritdoc />
    public HookOutcome Handle(HookEvent hookEvent, IRecordSink sink)
    {
        var where = $"OpenCode hook payload ({hookEvent.EventName})";
        if (HookPayload.Open(hookEvent, sink, where) is not { } document)
        {
            return new HookOutcome(null);
        }

        using (document)
        {
            var payload = document.RootElement;
            if (JsonFields.Text(payload, "source") != PayloadSource)
            {
                sink.Malformed(where, 0, $"not a payload of selftune's OpenCode plugin (no \"source\":\"{PayloadSource}\"); ignored.");
                return new HookOutcome(null);
            }

            if (JsonFields.Text(payload, "sessionID") is not { Length: > 0 } sessionId)
            {
                sink.Malformed(where, 0, "payload has no sessionID; ignored.");
                return new HookOutcome(null);
            }

            var at = JsonFields.Number(payload, "time") is { } ms ? SessionEmitter.Time(ms) : hookEvent.ReceivedAt;
            var provenance = new Provenance(Platforms.OpenCode, CaptureMode.Hook);
            switch (JsonFields.Text(payload, "event") ?? hookEvent.EventName)
            {
                case "tool.execute.after":
                    ToolCall(payload, sessionId, at, provenance, sink, where);
                    return new HookOutcome(sessionId);
                case "chat.message":
                    Prompt(payload, sessionId, at, provenance, sink, where);
                    return new HookOutcome(sessionId);
                case "session.idle":
                    sink.Session(new SessionRecord(sessionId, provenance, Cwd: JsonFields.Text(payload, "cwd")));
                    return new HookOutcome(sessionId, Transcript(payload, sessionId));
                default:
                    return new HookOutcome(sessionId);
            }
        }
    }

    private static void ToolCall(JsonElement payload, string sessionId, DateTimeOffset at, Provenance provenance, IRecordSink sink, string where)
    {
        if (JsonFields.Text(payload, "tool") is not { Length: > 0 } tool || JsonFields.Text(payload, "callID") is not { Length: > 0 } callId)
        {
            sink.Malformed(where, 0, "tool.execute.after payload has no tool or callID; ignored.");
            return;
        }

        var args = JsonFields.Child(payload, "args");
        var promptId = JsonFields.Text(payload, "promptID") is { Length: > 0 } message ? RecordIds.Message(sessionId, message) : null;
        var isError = JsonFields.Number(payload, "exit") is { } exit && exit != 0;
        sink.ToolCall(new ToolCallRecord(callId, sessionId, at, tool, provenance, isError, promptId, ToolInputs.Detail(args)));
        if (tool == "skill" && (JsonFields.Text(args, "name") ?? JsonFields.Text(payload, "skill")) is { Length: > 0 } skill)
        {
            sink.SkillInvocation(new SkillInvocationRecord(
                RecordIds.SkillCall(sessionId, callId), sessionId, at, skill, InvocationKind.Implicit, provenance, promptId, JsonFields.Text(payload, "skillDir"), callId));
        }
        else if (tool.Equals("read", StringComparison.OrdinalIgnoreCase) && ToolInputs.FilePath(args) is { } path && ToolInputs.SkillOfSkillFile(path) is { } read)
        {
            sink.SkillInvocation(new SkillInvocationRecord(
                RecordIds.SkillRead(sessionId, callId), sessionId, at, read, InvocationKind.Read, provenance, promptId, path, callId));
        }
    }

    private static void Prompt(JsonElement payload, string sessionId, DateTimeOffset at, Provenance provenance, IRecordSink sink, string where)
    {
        var parent = JsonFields.Text(payload, "parentID");
        sink.Session(new SessionRecord(sessionId, provenance, ParentSessionId: parent, Cwd: JsonFields.Text(payload, "cwd")));
        if (JsonFields.Text(payload, "messageID") is not { Length: > 0 } messageId)
        {
            sink.Malformed(where, 0, "chat.message payload has no messageID; ignored.");
            return;
        }

        if (JsonFields.Text(payload, "text") is { Length: > 0 } text)
        {
            var kind = OpenCodePrompts.Classify(text, inSubAgentSession: !string.IsNullOrEmpty(parent));
            sink.Prompt(new PromptRecord(RecordIds.Message(sessionId, messageId), sessionId, at, text, kind, provenance));
        }
    }

    /// <summary>The store the idle session was written to: the database OpenCode uses, else (OpenCode ≤ 1.1) the
    /// session's JSON file; null when neither exists.</summary>
    private static string? Transcript(JsonElement payload, string sessionId)
    {
        if (JsonFields.Text(payload, "database") is { Length: > 0 } database && File.Exists(database))
        {
            return Path.GetFullPath(database);
        }

        if (JsonFields.Text(payload, "dataDir") is not { Length: > 0 } data || !Path.IsPathRooted(data))
        {
            return null;
        }

        var db = Path.Combine(data, "opencode.db");
        if (File.Exists(db))
        {
            return Path.GetFullPath(db);
        }

        var sessions = Path.Combine(data, "storage", "session");
        if (sessionId.Contains("..", StringComparison.Ordinal) || sessionId.IndexOfAny(['/', '\\', '\0']) >= 0)
        {
            return null;
        }

        try
        {
            return Directory.Exists(sessions)
                ? Directory.EnumerateDirectories(sessions).Select(p => Path.Combine(p, sessionId + ".json")).FirstOrDefault(File.Exists) is { } file ? Path.GetFullPath(file) : null
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
