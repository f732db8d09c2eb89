using System.Text.Json;
using System.Text.Json.Nodes;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>Writes Claude Code 2.1-shaped transcript lines for tests (envelope as FORMAT.md describes it).</summary>
public sealed class TranscriptBuilder(string sessionId)
{
    private readonly List<string> _lines = [];
    private int _n;

    public IReadOnlyList<string> Lines => _lines;

    public TranscriptBuilder User(string text, bool isMeta = false) =>
        Add("user", new JsonObject { ["role"] = "user", ["content"] = text }, isMeta ? new JsonObject { ["isMeta"] = true } : null);

    public TranscriptBuilder ToolResult(string toolUseId, bool isError = false) =>
        Add("user", new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(new JsonObject { ["tool_use_id"] = toolUseId, ["type"] = "tool_result", ["content"] = "output \"quoted\" \\ done", ["is_error"] = isError }),
        }, new JsonObject { ["toolUseResult"] = new JsonObject { ["stdout"] = "output", ["stderr"] = "" } });

    public TranscriptBuilder ToolUse(string toolUseId, string name, JsonObject input, string messageId = "msg_1") =>
        Add("assistant", new JsonObject
        {
            ["model"] = "claude-opus-4-6",
            ["id"] = messageId,
            ["type"] = "message",
            ["role"] = "assistant",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_use", ["id"] = toolUseId, ["name"] = name, ["input"] = input }),
            ["usage"] = new JsonObject { ["input_tokens"] = 10, ["output_tokens"] = 5, ["cache_creation_input_tokens"] = 0, ["cache_read_input_tokens"] = 100 },
        }, new JsonObject { ["requestId"] = "req_" + messageId });

    public TranscriptBuilder Raw(string line)
    {
        _lines.Add(line);
        return this;
    }

    public string Text => string.Concat(_lines.Select(l => l + "\n"));

    public void WriteTo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Text);
    }

    private TranscriptBuilder Add(string type, JsonObject message, JsonObject? extra)
    {
        _n++;
        var line = new JsonObject
        {
            ["parentUuid"] = _n == 1 ? null : $"u{_n - 1}",
            ["isSidechain"] = false,
            ["userType"] = "external",
            ["cwd"] = "/home/dev/project",
            ["sessionId"] = sessionId,
            ["version"] = "2.1.39",
            ["gitBranch"] = "main",
            ["type"] = type,
            ["message"] = message,
            ["uuid"] = $"u{_n}",
            ["timestamp"] = new DateTimeOffset(2026, 2, 12, 14, 0, 0, TimeSpan.Zero).AddSeconds(_n).ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
        };
        foreach (var (key, value) in extra ?? [])
        {
            line[key] = value?.DeepClone();
        }

        _lines.Add(line.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        return this;
    }
}
