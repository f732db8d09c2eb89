using System.Text.Json;
using System.Text.RegularExpressions;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Shared.PiFormat;

/// <summary>Turns the lines of one Pi-format transcript into canonical records, carrying <see cref="PiTranscriptState"/>
/// along; <c>platform</c> names the agent in every record's provenance.</summary>
internal sealed class PiTranscriptParser(string platform, string path, PiTranscriptState state, IRecordSink sink, DateTime fallbackTime)
{
    /// <summary>Confidence given to a skill invocation inferred from a <c>read</c> of its SKILL.md (the read is how Pi and
    /// OpenClaw load a skill, but the model may also read a SKILL.md to inspect or edit it).</summary>
    public const double SkillReadConfidence = 0.8;

    private static readonly string[] PathArguments = ["path", "file_path", "filePath", "file"];
    private static readonly string[] DetailArguments = ["path", "file_path", "filePath", "file", "command", "cmd", "url", "query", "pattern"];

    /// <summary>Reads one line (its number is <see cref="PiTranscriptState.Line"/> + 1).</summary>
    public void Read(ReadOnlyMemory<byte> bytes)
    {
        var line = ++state.Line;
        if (bytes.Span.Trim(" \t"u8).IsEmpty)
        {
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            sink.Malformed(path, line, $"not valid JSON: {ex.Message}");
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                sink.Malformed(path, line, $"a transcript line must be a JSON object, not {root.ValueKind}");
                return;
            }

            try
            {
                Entry(root, line);
            }
            catch (Exception ex) when (ex is InvalidOperationException or RegexMatchTimeoutException)
            {
                // A field of an unexpected JSON type, or text too pathological to match in time: the line is skipped and
                // counted, the rest of the file still counts.
                sink.Malformed(path, line, $"unexpected shape: {ex.Message}");
            }
        }
    }

    /// <summary>Emits the session as read so far.</summary>
    public void EmitSession() => sink.Session(new SessionRecord(
        state.Session,
        Provenance(state.HeaderLine ?? 1),
        ParentSessionId: state.Parent,
        StartedAt: state.Start,
        EndedAt: state.End,
        Cwd: state.Cwd,
        Models: state.Models.Count > 0 ? state.Models.ToList() : null,
        Status: state.Status));

    private void Entry(JsonElement root, long line)
    {
        var type = JsonFields.Text(root, "type");
        if (type is null && root.TryGetProperty("role", out _))
        {
            type = "message"; // an older writer's bare {role, content, timestamp} line
        }

        if (type == "session")
        {
            Header(root, line);
            return;
        }

        var at = Time(root);
        if (at < state.ForkedAt)
        {
            // Copied from the parent session when this one was branched: the parent's file holds it. Only the model
            // selection carries over.
            if (type == "model_change")
            {
                state.Model = JsonFields.Text(root, "modelId") ?? state.Model;
            }

            return;
        }

        state.See(at);
        var key = $"{state.Session}:{JsonFields.Text(root, "id") ?? "L" + line}";
        switch (type)
        {
            case "message":
                Message(root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object ? m : root, key, at, line);
                break;
            case "compaction" or "branch_summary":
                if (JsonFields.Text(root, "summary") is { Length: > 0 } summary)
                {
                    sink.Prompt(new PromptRecord(key, state.Session, at, summary, PromptKind.Continuation, Provenance(line)));
                }

                break;
            case "model_change":
                state.Model = JsonFields.Text(root, "modelId") ?? state.Model;
                break;
            case "custom":
                Custom(root, key, at, line);
                break;
        }
    }

    private void Header(JsonElement root, long line)
    {
        if (state.HeaderLine is not null)
        {
            return;
        }

        state.HeaderLine = line;
        if (line == 1 && JsonFields.Text(root, "id") is { Length: > 0 } id)
        {
            state.Session = id;
        }

        state.Cwd = JsonFields.Text(root, "cwd");
        state.Model = JsonFields.Text(root, "modelId") ?? state.Model;
        if ((JsonFields.Text(root, "parentSession") ?? JsonFields.Text(root, "branchedFrom")) is { Length: > 0 } parent)
        {
            // A path to the parent's file; Pi names files <time>_<sessionId>.jsonl.
            var stem = PiTranscriptFiles.SessionIdFromFileName(parent.Replace('\\', '/').Split('/')[^1]);
            state.Parent = stem[(stem.LastIndexOf('_') + 1)..];
        }

        if (TryTime(root, out var at))
        {
            state.See(at);
            state.ForkedAt = state.Parent is null ? null : at;
        }
    }

    private void Message(JsonElement message, string key, DateTimeOffset at, long line)
    {
        switch (JsonFields.Text(message, "role"))
        {
            case "user":
                User(message, key, at, line);
                break;
            case "assistant":
                Assistant(message, key, at, line);
                break;
            case "toolResult":
                ToolResult(message, key, at, line);
                break;
        }
    }

    private void User(JsonElement message, string key, DateTimeOffset at, long line)
    {
        var interSession = message.TryGetProperty("provenance", out var p) && p.ValueKind == JsonValueKind.Object && JsonFields.Text(p, "kind") == "inter_session";
        var read = PiUserMessage.Read(Text(message), interSession);
        sink.Prompt(new PromptRecord(key, state.Session, at, read.Text, read.Kind, Provenance(line)));
        state.Prompt = read.Kind == PromptKind.User ? key : null;
        if (read.ExplicitSkill is { } skill)
        {
            sink.SkillInvocation(new SkillInvocationRecord(
                $"{key}:skill:{skill}", state.Session, at, skill, InvocationKind.Explicit, Provenance(line),
                PromptId: state.Prompt, SkillPath: Absolute(read.ExplicitSkillPath)));
        }
    }

    private void Assistant(JsonElement message, string key, DateTimeOffset at, long line)
    {
        var model = JsonFields.Text(message, "model") ?? state.Model;
        if (model is not null)
        {
            state.Use(model);
        }

        if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var block in content.EnumerateArray())
            {
                index++;
                if (block.ValueKind == JsonValueKind.Object && JsonFields.Text(block, "type") is "toolCall" or "toolUse")
                {
                    ToolCall(block, $"{key}:{index}", at, line);
                }
            }
        }

        if (message.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            Usage(message, usage, key, model, at, line);
        }

        var stop = JsonFields.Text(message, "stopReason");
        state.Status = stop switch
        {
            "stop" or "end_turn" => CompletionStatus.Completed,
            "error" => CompletionStatus.Failed,
            "aborted" or "length" or "max_tokens" => CompletionStatus.Interrupted,
            _ => state.Status,
        };
        if (stop is "error" or "aborted")
        {
            var text = JsonFields.Text(message, "errorMessage") ?? stop;
            sink.Error(new ErrorRecord(key, state.Session, at, stop == "error" ? "api_error" : "interrupted", text, Provenance(line)));
        }
    }

    private void ToolCall(JsonElement block, string fallbackId, DateTimeOffset at, long line)
    {
        var id = JsonFields.Text(block, "id") ?? fallbackId;
        var name = JsonFields.Text(block, "name") ?? "unknown";
        var args = block.TryGetProperty("arguments", out var a) || block.TryGetProperty("input", out a) ? a : default;
        sink.ToolCall(new ToolCallRecord(id, state.Session, at, name, Provenance(line), PromptId: state.Prompt, Detail: Detail(args)));
        if (JsonFields.Text(args, "command") is { } command && GitCommits.Runs(command) && state.GitCommands.Count < PiTranscriptState.MaxGitCommands)
        {
            state.GitCommands[id] = command; // until its result arrives, possibly in a later read
        }

        if (name.Equals("read", StringComparison.OrdinalIgnoreCase) || name.Equals("read_file", StringComparison.OrdinalIgnoreCase))
        {
            var file = FirstString(args, PathArguments);
            var parts = file?.Replace('\\', '/').TrimEnd('/').Split('/');
            if (parts is { Length: >= 2 } && parts[^1].Equals("SKILL.md", StringComparison.OrdinalIgnoreCase) && parts[^2].Length > 0)
            {
                sink.SkillInvocation(new SkillInvocationRecord(
                    $"{state.Session}:{id}:skill", state.Session, at, parts[^2], InvocationKind.Implicit,
                    Provenance(line, SkillReadConfidence), PromptId: state.Prompt, SkillPath: Absolute(file), ToolUseId: id));
            }
        }
    }

    private void ToolResult(JsonElement message, string key, DateTimeOffset at, long line)
    {
        // isError is rarely set: OpenClaw tools mostly report failure through details (corpus FORMAT.md).
        var details = message.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        var failed = message.TryGetProperty("isError", out var e) && e.ValueKind == JsonValueKind.True
            || message.TryGetProperty("is_error", out e) && e.ValueKind == JsonValueKind.True
            || details.ValueKind == JsonValueKind.Object
               && (JsonFields.Text(details, "status") == "error"
                   || details.TryGetProperty("exitCode", out var code) && code.ValueKind == JsonValueKind.Number && code.TryGetInt64(out var n) && n != 0);
        var callId = JsonFields.Text(message, "toolCallId");
        if (callId is not null && state.GitCommands.Remove(callId, out var command) && GitCommits.Parse(command, Text(message)) is { } commit)
        {
            sink.Commit(new CommitRecord(state.Session, commit.Sha, at, commit.Command, Provenance(line), commit.Branch, state.Cwd, commit.Title, callId));
        }

        if (failed)
        {
            var id = callId ?? key;
            sink.ToolCall(new ToolCallRecord(id, state.Session, at, JsonFields.Text(message, "toolName") ?? "unknown", Provenance(line), IsError: true, PromptId: state.Prompt));
        }
        else if (callId is not null && details.ValueKind == JsonValueKind.Object && JsonFields.Text(details, "diff") is { Length: > 0 } diff)
        {
            // An applied edit's result shows its diff: "+  12 text" added, "-  12 text" removed, "   12 text" context.
            var (added, removed) = ChangedLines.Count(diff);
            sink.ToolCall(new ToolCallRecord(callId, state.Session, at, JsonFields.Text(message, "toolName") ?? "unknown", Provenance(line), PromptId: state.Prompt)
            {
                LinesAdded = added,
                LinesRemoved = removed,
            });
        }
    }

    private void Usage(JsonElement message, JsonElement usage, string key, string? model, DateTimeOffset at, long line)
    {
        long Tokens(string name) => usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;
        var (input, output, cacheRead, cacheWrite) = (Tokens("input"), Tokens("output"), Tokens("cacheRead"), Tokens("cacheWrite"));
        if (input + output + cacheRead + cacheWrite == 0)
        {
            return; // failed and aborted calls log zeros
        }

        // Pi logs cost 0 when it has no price for the model (custom providers): leave those to the core's pricing.
        decimal? cost = usage.TryGetProperty("cost", out var c) && c.ValueKind == JsonValueKind.Object
            && c.TryGetProperty("total", out var total) && total.ValueKind == JsonValueKind.Number && total.TryGetDecimal(out var usd) && usd > 0 ? usd : null;
        sink.Usage(new TokenUsageRecord(key, JsonFields.Text(message, "responseId") ?? "", state.Session, at, model ?? "unknown",
            input, output, cacheWrite, cacheRead, Provenance(line), cost));
    }

    private void Custom(JsonElement root, string key, DateTimeOffset at, long line)
    {
        var data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        switch (JsonFields.Text(root, "customType"))
        {
            case "model-snapshot" when data.ValueKind == JsonValueKind.Object:
                state.Model = JsonFields.Text(data, "modelId") ?? state.Model;
                break;
            case "openclaw:prompt-error":
                var text = data.ValueKind == JsonValueKind.Object ? JsonFields.Text(data, "error") ?? JsonFields.Text(data, "message") : null;
                sink.Error(new ErrorRecord(key, state.Session, at, "prompt_error", text ?? "prompt error", Provenance(line)));
                break;
        }
    }

    private Provenance Provenance(long line, double confidence = 1.0) =>
        new(platform, CaptureMode.Transcript, confidence, path, line);

    private DateTimeOffset Time(JsonElement root)
    {
        if (TryTime(root, out var at)
            || root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object && TryTime(m, out at))
        {
            return at;
        }

        return state.End ?? new DateTimeOffset(DateTime.SpecifyKind(fallbackTime, DateTimeKind.Utc));
    }

    /// <summary>Reads <c>timestamp</c>: an ISO string (line level) or epoch milliseconds (message level).</summary>
    private static bool TryTime(JsonElement element, out DateTimeOffset at)
    {
        at = default;
        if (!element.TryGetProperty("timestamp", out var t))
        {
            return false;
        }

        if (t.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(t.GetString(), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out at))
        {
            return true;
        }

        if (t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out var ms) && ms is > 0 and < 253402300800000)
        {
            at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }

        return false;
    }

    private static string Text(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        return string.Join("\n", content.EnumerateArray()
            .Where(b => b.ValueKind == JsonValueKind.Object && JsonFields.Text(b, "type") == "text")
            .Select(b => JsonFields.Text(b, "text") ?? ""));
    }

    private static string? Detail(JsonElement args) =>
        FirstString(args, DetailArguments) is { } value ? value.Split('\n', 2)[0].Trim() : null;

    private static string? FirstString(JsonElement args, string[] names)
    {
        if (args.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var name in names)
        {
            if (JsonFields.Text(args, name) is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>The path when it is absolute (Unix, or Windows with a drive letter, as OpenClaw on Windows writes); else null.</summary>
    private static string? Absolute(string? file) =>
        file is { Length: > 0 } && (file[0] == '/' || file.Length > 2 && char.IsAsciiLetter(file[0]) && file[1] == ':' && file[2] is '\\' or '/') ? file : null;

}
