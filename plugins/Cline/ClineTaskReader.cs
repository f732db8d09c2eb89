using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Cline;

/// <summary>
/// Reads one classic Cline task folder <c>tasks/&lt;taskId&gt;/</c> (format: corpus <c>cline/FORMAT.md</c>). The session
/// id is the folder's name (the task id). From <c>ui_messages.json</c> (an array of <c>{ts, type: say|ask, say|ask, text,
/// modelInfo}</c>):
/// <list type="bullet">
/// <item><c>say:"task"</c> (the task's first message) and <c>say:"user_feedback"</c> (a later reply) are prompts;</item>
/// <item><c>say:"api_req_started"</c> carries one request's <c>{tokensIn, tokensOut, cacheWrites, cacheReads, cost}</c> as a
/// JSON string: token usage, with the cost Cline computed (USD) when it is above zero; its <c>cancelReason</c> or
/// <c>streamingFailedMessage</c> is an error;</item>
/// <item><c>say|ask:"tool"</c> (<c>text</c> = JSON <c>{tool, path, …}</c>) and <c>say|ask:"command"</c> are tool calls; the
/// <c>useSkill</c> tool (its <c>path</c> is the skill's name) is the agent invoking a skill (implicit, confidence 1), and a
/// <c>readFile</c> of a <c>SKILL.md</c> is a read of that skill;</item>
/// <item><c>say:"error"</c>, <c>say:"error_retry"</c>, <c>say:"diff_error"</c>, <c>ask:"api_req_failed"</c> and
/// <c>ask:"mistake_limit_reached"</c> are errors; <c>say:"completion_result"</c> marks the task completed;</item>
/// <item>a <c>command_output</c> after a command running <c>git commit|merge|cherry-pick|revert</c> that names the new
/// commit links it to the task (<see cref="CommitRecord"/>).</item>
/// </list>
/// From <c>api_conversation_history.json</c> (Anthropic-style messages) only the model (<c>modelInfo.modelId</c>, the last
/// one) is taken, for UI files that name none (before late 2025): its tool calls and results repeat the UI file's, and
/// classic Cline returns tool results as text, so a failed tool shows only as the UI's <c>error</c> messages.
/// </summary>
internal static class ClineTaskReader
{
    private static readonly HashSet<string> ErrorSays = new(["error", "error_retry", "diff_error"], StringComparer.Ordinal);
    private static readonly HashSet<string> ErrorAsks = new(["api_req_failed", "mistake_limit_reached"], StringComparer.Ordinal);

    /// <summary>Reads the task folder <paramref name="folder"/> into <paramref name="sink"/>; returns the messages read.</summary>
    /// <exception cref="IOException">A file of the folder cannot be read.</exception>
    public static long Read(string folder, IRecordSink sink)
    {
        var session = Path.GetFileName(folder);
        var ui = Path.Combine(folder, ClineIngestor.UiMessages);
        var api = Path.Combine(folder, ClineIngestor.ApiHistory);
        var state = new State(session);
        long read = 0;
        if (File.Exists(api))
        {
            read += Api(api, state, sink);
        }

        if (File.Exists(ui))
        {
            read += Ui(ui, state, sink);
        }

        sink.Session(new SessionRecord(session, new Provenance(ClinePaths.Platform, CaptureMode.Transcript, 1, File.Exists(ui) ? ui : api, 1),
            StartedAt: state.Start, EndedAt: state.End, Models: state.Models.Count > 0 ? state.Models : null, Status: state.Status));
        return read;
    }

    private static long Ui(string path, State state, IRecordSink sink)
    {
        var file = JsonArrayElements.Read(File.ReadAllBytes(path), "messages");
        foreach (var (message, line) in file.Elements)
        {
            if (message.ValueKind != JsonValueKind.Object || JsonFields.Number(message, "ts") is not { } ts)
            {
                sink.Malformed(path, line, "a UI message must be an object with a numeric \"ts\"");
                continue;
            }

            var at = DateTimeOffset.FromUnixTimeMilliseconds(ts);
            state.See(at);
            if (JsonFields.Text(JsonFields.Child(message, "modelInfo"), "modelId") is { Length: > 0 } model)
            {
                state.Model = model;
            }

            var key = $"{state.Session}:{ts}";
            var type = JsonFields.Text(message, "type");
            var say = type == "say" ? JsonFields.Text(message, "say") : null;
            var ask = type == "ask" ? JsonFields.Text(message, "ask") : null;
            var text = JsonFields.Text(message, "text") ?? "";
            var provenance = new Provenance(ClinePaths.Platform, CaptureMode.Transcript, 1, path, line);
            try
            {
                switch (say ?? ask)
                {
                    case "task" or "user_feedback" when say is not null:
                        var kind = PromptClassifier.Classify(text);
                        sink.Prompt(new PromptRecord(key, state.Session, at, text, kind, provenance));
                        state.Prompt = kind == PromptKind.User ? key : null;
                        break;
                    case "api_req_started" when say is not null:
                        Request(text, key, at, state, sink, provenance);
                        break;
                    case "tool":
                        Tool(text, key, at, state, sink, provenance);
                        break;
                    case "command":
                        sink.ToolCall(new ToolCallRecord(key, state.Session, at, "execute_command", provenance, PromptId: state.Prompt, Detail: FirstLine(text)));
                        state.GitCommand = GitCommits.Runs(text) ? (key, text) : null;
                        break;
                    case "command_output" when say is not null:
                        if (state.GitCommand is var (commandKey, command) && GitCommits.Parse(command, text) is { } commit)
                        {
                            sink.Commit(new CommitRecord(state.Session, commit.Sha, at, commit.Command, provenance, commit.Branch, Title: commit.Title, ToolUseId: commandKey));
                            state.GitCommand = null;
                        }

                        break;
                    case "completion_result" when say is not null:
                        state.Status = CompletionStatus.Completed;
                        break;
                    case { } name when say is not null ? ErrorSays.Contains(name) : ErrorAsks.Contains(name):
                        sink.Error(new ErrorRecord(key, state.Session, at, name, text.Length > 0 ? text : name, provenance));
                        if (name is "api_req_failed" or "mistake_limit_reached")
                        {
                            state.Status = CompletionStatus.Failed;
                        }

                        break;
                }
            }
            catch (JsonException ex)
            {
                sink.Malformed(path, line, $"the message's \"text\" is not the JSON Cline writes there ({ex.Message.Split(" LineNumber:")[0]})");
            }
        }

        if (file.Error is { } error)
        {
            sink.Malformed(path, error.Line, error.Reason);
        }

        return file.Elements.Count;
    }

    private static void Request(string text, string key, DateTimeOffset at, State state, IRecordSink sink, Provenance provenance)
    {
        using var document = JsonDocument.Parse(text);
        var request = document.RootElement;
        long Tokens(string name) => JsonFields.Number(request, name) ?? 0;
        var (input, output, cacheWrite, cacheRead) = (Tokens("tokensIn"), Tokens("tokensOut"), Tokens("cacheWrites"), Tokens("cacheReads"));
        if (input + output + cacheWrite + cacheRead > 0)
        {
            var model = state.Model ?? "unknown";
            state.Use(model);
            decimal? cost = JsonFields.Child(request, "cost") is { ValueKind: JsonValueKind.Number } c && c.TryGetDecimal(out var usd) && usd > 0 ? usd : null;
            sink.Usage(new TokenUsageRecord(key, "", state.Session, at, model, input, output, cacheWrite, cacheRead, provenance, cost));
        }

        if ((JsonFields.Text(request, "cancelReason") ?? JsonFields.Text(request, "streamingFailedMessage")) is { Length: > 0 } failure)
        {
            var kind = JsonFields.Text(request, "cancelReason") is { } reason ? $"request_{reason}" : "streaming_failed";
            sink.Error(new ErrorRecord(key, state.Session, at, kind, failure, provenance));
            state.Status = kind == "request_user_cancelled" ? CompletionStatus.Interrupted : state.Status;
        }
    }

    private static void Tool(string text, string key, DateTimeOffset at, State state, IRecordSink sink, Provenance provenance)
    {
        using var document = JsonDocument.Parse(text);
        var tool = document.RootElement;
        var name = JsonFields.Text(tool, "tool") ?? "unknown";
        var target = JsonFields.Text(tool, "path");
        sink.ToolCall(new ToolCallRecord(key, state.Session, at, name, provenance, PromptId: state.Prompt, Detail: target is null ? null : FirstLine(target)));
        if (name == "useSkill" && target is { Length: > 0 })
        {
            sink.SkillInvocation(new SkillInvocationRecord($"{key}:skill", state.Session, at, target, InvocationKind.Implicit, provenance, PromptId: state.Prompt, ToolUseId: key));
        }
        else if (name == "readFile" && SkillFolder(target) is { } skill)
        {
            sink.SkillInvocation(new SkillInvocationRecord($"{key}:skill", state.Session, at, skill, InvocationKind.Read, provenance,
                PromptId: state.Prompt, SkillPath: Path.IsPathFullyQualified(target!) ? target : null, ToolUseId: key));
        }
    }

    private static long Api(string path, State state, IRecordSink sink)
    {
        var file = JsonArrayElements.Read(File.ReadAllBytes(path), "messages");
        foreach (var (message, line) in file.Elements)
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                sink.Malformed(path, line, "a conversation message must be a JSON object");
                continue;
            }

            if (JsonFields.Text(JsonFields.Child(message, "modelInfo"), "modelId") is { Length: > 0 } model)
            {
                state.Model = model;
            }
        }

        if (file.Error is { } error)
        {
            sink.Malformed(path, error.Line, error.Reason);
        }

        return file.Elements.Count;
    }

    /// <summary>The skill folder's name when <paramref name="path"/> is a <c>…/&lt;name&gt;/SKILL.md</c>.</summary>
    internal static string? SkillFolder(string? path)
    {
        var parts = path?.Replace('\\', '/').TrimEnd('/').Split('/');
        return parts is { Length: >= 2 } && parts[^1].Equals("SKILL.md", StringComparison.OrdinalIgnoreCase) && parts[^2].Length > 0 ? parts[^2] : null;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <summary>What a task's messages said so far.</summary>
    private sealed class State(string session)
    {
        public string Session { get; } = session;

        public DateTimeOffset? Start { get; private set; }

        public DateTimeOffset? End { get; private set; }

        public string? Model { get; set; }

        public List<string> Models { get; } = [];

        public string? Prompt { get; set; }

        public CompletionStatus Status { get; set; }

        /// <summary>The last command, when it runs git commit|merge|cherry-pick|revert: (its tool call id, the command).</summary>
        public (string Key, string Command)? GitCommand { get; set; }

        public void See(DateTimeOffset at)
        {
            Start = Start is null || at < Start ? at : Start;
            End = End is null || at > End ? at : End;
        }

        public void Use(string model)
        {
            if (!Models.Contains(model))
            {
                Models.Add(model);
            }
        }
    }
}
