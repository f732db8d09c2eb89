using System.Globalization;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Cline;

/// <summary>
/// Reads one session of Cline's SDK storage (2026): <c>sessions/&lt;id&gt;/&lt;id&gt;.messages.json</c>, version 1
/// <c>{version, updated_at, agent, sessionId, messages: [{id, role, content: [text|thinking|tool_use|tool_result], ts,
/// modelInfo{id, provider}, metrics{inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, cost}}]}</c>, and the
/// session manifest beside it (<c>&lt;id&gt;.json</c>: <c>cwd</c>, <c>started_at</c>, <c>ended_at</c>, <c>status</c>,
/// <c>metadata.fork.forkedFromSessionId</c>) when present. Format: corpus <c>cline/cline-sdk-fixtures</c> (cline/cline,
/// Apache-2.0). A user message's text blocks are a prompt; an assistant's <c>tool_use</c> blocks are tool calls (the
/// <c>use_skill</c>/<c>skills</c> tool, input <c>skill_name</c> or <c>skill</c>, is a skill invocation; a read of a
/// <c>SKILL.md</c> is a skill read); a <c>tool_result</c> with <c>is_error: true</c> marks its call failed;
/// <c>metrics</c> is the response's token usage and cost (USD).
/// </summary>
internal static class ClineSdkReader
{
    private static readonly string[] SkillTools = ["use_skill", "skills", "useSkill"];
    private static readonly string[] ReadTools = ["read_file", "read_files", "readFile"];

    /// <summary>Reads the session file <paramref name="path"/> into <paramref name="sink"/>; returns the messages read.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static long Read(string path, IRecordSink sink)
    {
        var file = JsonArrayElements.Read(File.ReadAllBytes(path), "messages");
        var name = Path.GetFileName(path);
        var session = file.Strings.TryGetValue("sessionId", out var id) && id.Length > 0 ? id : name[..^ClineIngestor.SdkMessagesSuffix.Length];
        var fallback = file.Strings.TryGetValue("updated_at", out var updated) && Time(updated) is { } u ? u : new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
        var manifest = Manifest(Path.Combine(Path.GetDirectoryName(path)!, session + ".json"));
        var models = new List<string>();
        var tools = new Dictionary<string, string>(StringComparer.Ordinal);
        DateTimeOffset? start = manifest.Start, end = manifest.End;
        string? prompt = null;
        foreach (var (message, line) in file.Elements)
        {
            var key = $"{session}:{JsonFields.Text(message, "id") ?? "L" + line}";
            var at = JsonFields.Number(message, "ts") is { } ts ? DateTimeOffset.FromUnixTimeMilliseconds(ts) : end ?? fallback;
            start = start is null || at < start ? at : start;
            end = end is null || at > end ? at : end;
            var provenance = new Provenance(ClinePaths.Platform, CaptureMode.Transcript, 1, path, line);
            if (JsonFields.Child(message, "content") is not { ValueKind: JsonValueKind.Array } content)
            {
                sink.Malformed(path, line, "a message must be an object with a \"content\" array");
                continue;
            }

            var model = JsonFields.Text(JsonFields.Child(message, "modelInfo"), "id") ?? manifest.Model ?? "unknown";
            switch (JsonFields.Text(message, "role"))
            {
                case "user":
                    var text = string.Join("\n", content.EnumerateArray().Where(b => JsonFields.Text(b, "type") == "text").Select(b => JsonFields.Text(b, "text") ?? ""));
                    if (text.Length > 0)
                    {
                        var kind = PromptClassifier.Classify(text);
                        sink.Prompt(new PromptRecord(key, session, at, text, kind, provenance));
                        prompt = kind == PromptKind.User ? key : null;
                    }

                    foreach (var result in content.EnumerateArray().Where(b => JsonFields.Text(b, "type") == "tool_result" && JsonFields.Child(b, "is_error").ValueKind == JsonValueKind.True))
                    {
                        if (JsonFields.Text(result, "tool_use_id") is { Length: > 0 } toolId)
                        {
                            sink.ToolCall(new ToolCallRecord(toolId, session, at, tools.GetValueOrDefault(toolId) ?? JsonFields.Text(result, "name") ?? "unknown", provenance, IsError: true, PromptId: prompt));
                        }
                    }

                    break;
                case "assistant":
                    foreach (var call in content.EnumerateArray().Where(b => JsonFields.Text(b, "type") == "tool_use"))
                    {
                        ToolUse(call, session, at, prompt, tools, sink, provenance);
                    }

                    Metrics(JsonFields.Child(message, "metrics"), key, session, at, model, models, sink, provenance);
                    break;
            }
        }

        if (file.Error is { } error)
        {
            sink.Malformed(path, error.Line, error.Reason);
        }

        sink.Session(new SessionRecord(session, new Provenance(ClinePaths.Platform, CaptureMode.Transcript, 1, path, 1),
            ParentSessionId: manifest.Parent, StartedAt: start, EndedAt: end, Cwd: manifest.Cwd,
            Models: models.Count > 0 ? models : null, Status: manifest.Status));
        return file.Elements.Count;
    }

    private static void ToolUse(JsonElement call, string session, DateTimeOffset at, string? prompt, Dictionary<string, string> tools, IRecordSink sink, Provenance provenance)
    {
        var name = JsonFields.Text(call, "name") ?? "unknown";
        if (JsonFields.Text(call, "id") is not { Length: > 0 } id)
        {
            return;
        }

        tools[id] = name;
        var input = JsonFields.Child(call, "input");
        var target = JsonFields.Text(input, "path") ?? JsonFields.Text(input, "command")
            ?? (JsonFields.Child(input, "files") is { ValueKind: JsonValueKind.Array } files ? files.EnumerateArray().Select(f => JsonFields.Text(f, "path")).FirstOrDefault(p => p is not null) : null)
            ?? (JsonFields.Child(input, "commands") is { ValueKind: JsonValueKind.Array } commands ? commands.EnumerateArray().Select(c => c.ValueKind == JsonValueKind.String ? c.GetString() : null).FirstOrDefault(c => c is not null) : null);
        sink.ToolCall(new ToolCallRecord(id, session, at, name, provenance, PromptId: prompt, Detail: target?.Split('\n', 2)[0].Trim()));
        if (SkillTools.Contains(name) && (JsonFields.Text(input, "skill_name") ?? JsonFields.Text(input, "skill")) is { Length: > 0 } skill)
        {
            sink.SkillInvocation(new SkillInvocationRecord($"{session}:{id}:skill", session, at, skill, InvocationKind.Implicit, provenance, PromptId: prompt, ToolUseId: id));
        }
        else if (ReadTools.Contains(name) && ClineTaskReader.SkillFolder(target) is { } read)
        {
            sink.SkillInvocation(new SkillInvocationRecord($"{session}:{id}:skill", session, at, read, InvocationKind.Read, provenance,
                PromptId: prompt, SkillPath: Path.IsPathFullyQualified(target!) ? target : null, ToolUseId: id));
        }
    }

    private static void Metrics(JsonElement metrics, string key, string session, DateTimeOffset at, string model, List<string> models, IRecordSink sink, Provenance provenance)
    {
        if (metrics.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        long Tokens(string name) => JsonFields.Number(metrics, name) ?? 0;
        var (input, output, cacheRead, cacheWrite) = (Tokens("inputTokens"), Tokens("outputTokens"), Tokens("cacheReadTokens"), Tokens("cacheWriteTokens"));
        if (input + output + cacheRead + cacheWrite == 0)
        {
            return;
        }

        if (!models.Contains(model))
        {
            models.Add(model);
        }

        decimal? cost = JsonFields.Decimal(metrics, "cost") is { } usd && usd > 0 ? usd : null;
        sink.Usage(new TokenUsageRecord(key, "", session, at, model, input, output, cacheWrite, cacheRead, provenance, cost));
    }

    private static (string? Cwd, string? Model, string? Parent, DateTimeOffset? Start, DateTimeOffset? End, CompletionStatus Status) Manifest(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return default;
            }

            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var status = JsonFields.Text(root, "status") switch
            {
                "completed" => CompletionStatus.Completed,
                "failed" or "error" => CompletionStatus.Failed,
                "cancelled" or "canceled" or "aborted" => CompletionStatus.Interrupted,
                _ => CompletionStatus.Unknown,
            };
            return (JsonFields.Text(root, "cwd") ?? JsonFields.Text(root, "workspace_root"), JsonFields.Text(root, "model"),
                JsonFields.Text(JsonFields.Child(JsonFields.Child(root, "metadata"), "fork"), "forkedFromSessionId"),
                Time(JsonFields.Text(root, "started_at")), Time(JsonFields.Text(root, "ended_at")), status);
        }
        catch (JsonException)
        {
            return default; // a manifest being rewritten: the messages still count; the next read picks it up
        }
    }

    private static DateTimeOffset? Time(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
}
