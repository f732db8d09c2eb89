using System.Text.Json;
using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Codex.Tests;

/// <summary>Writes small rollouts in the shape of the corpus's cli 0.66 files, for behaviours no corpus file shows.</summary>
internal sealed class RolloutFile
{
    private readonly List<string> _lines = [];
    private DateTimeOffset _clock = DateTimeOffset.Parse("2026-03-01T10:00:00Z");

    public RolloutFile(string home, string sessionId, string name = "rollout-2026-03-01T10-00-00-")
    {
        Path = System.IO.Path.Combine(home, ".codex", "sessions", "2026", "03", "01", name + sessionId + ".jsonl");
        SessionId = sessionId;
    }

    public string Path { get; }

    public string SessionId { get; }

    public RolloutFile Line(string type, object payload, DateTimeOffset? at = null)
    {
        _clock = at ?? _clock.AddSeconds(1);
        _lines.Add(JsonSerializer.Serialize(new { timestamp = _clock.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), type, payload }));
        return this;
    }

    public RolloutFile Raw(string line)
    {
        _lines.Add(line);
        return this;
    }

    public RolloutFile Meta(string cwd = "/work/proj", object? extra = null) =>
        Line("session_meta", Merge(new { id = SessionId, timestamp = _clock.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), cwd, originator = "codex_cli_rs", cli_version = "0.66.0", source = "cli" }, extra));

    public RolloutFile User(string text) =>
        Line("response_item", new { type = "message", role = "user", content = new[] { new { type = "input_text", text } } })
            .Line("event_msg", new { type = "user_message", message = text, images = Array.Empty<string>() });

    public RolloutFile Shell(string callId, string command, string workdir = "/work/proj", string output = "Exit code: 0\nWall time: 0.1 seconds\nOutput:\n") =>
        Line("response_item", new { type = "function_call", name = "shell_command", arguments = JsonSerializer.Serialize(new { command, workdir }), call_id = callId })
            .Line("response_item", new { type = "function_call_output", call_id = callId, output });

    public RolloutFile Tokens(long input, long cached, long output) =>
        Line("event_msg", new
        {
            type = "token_count",
            info = new { total_token_usage = new { input_tokens = input, cached_input_tokens = cached, output_tokens = output, reasoning_output_tokens = 0, total_tokens = input + output } },
        });

    public RolloutFile Write()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        File.WriteAllText(Path, string.Concat(_lines.Select(l => l + "\n")));
        return this;
    }

    /// <summary>Ingests the file from <paramref name="from"/> into <paramref name="sink"/> (a new one when null).</summary>
    public (RecordingSink Sink, IngestResult Result) Ingest(SourceCursor? from = null, RecordingSink? sink = null)
    {
        sink ??= new RecordingSink();
        var info = new FileInfo(Path);
        var result = new CodexIngestor().Ingest(new SourceFile(Path, info.Length, info.LastWriteTimeUtc), from, sink, CancellationToken.None);
        return (sink, result);
    }

    private static Dictionary<string, object?> Merge(object a, object? b)
    {
        var result = JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(a))!;
        if (b is not null)
        {
            foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(b))!)
            {
                result[key] = value;
            }
        }

        return result;
    }
}
