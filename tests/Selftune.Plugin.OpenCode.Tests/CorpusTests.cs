using System.Text.Json.Nodes;
using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>Numbers pinned from the OpenCode corpus (counted by hand from the files; see each test).</summary>
public sealed class CorpusTests : IDisposable
{
    private readonly string home = Directory.CreateTempSubdirectory("selftune-opencode-corpus-").FullName;

    private PlatformContext Context => new(home, home, _ => null);

    /// <summary>
    /// The four native JSON trees: 6 sessions (agent-sessions small/large/drift, cass ses_test1, opencode-session-tui
    /// session_add_tests and the message-less session_parser_fix); 5 user prompts, all actionable ("Hello", "Step 1",
    /// "Step 2", the Rust and unit-test requests; the drift session's user message has no text part, and its parts sit
    /// in a flat <c>part/</c> folder no OpenCode release wrote); 3 tool calls, 1 failed (<c>ls</c> exiting 1); usage of
    /// 2 responses (a step-finish 120/16, a message 150 in / 75+10 out / 50 cache read / 25 cache write); 1 aborted turn.
    /// </summary>
    [Fact]
    public void JsonTreesYieldPinnedCounts()
    {
        Corpus.ArrangeLegacyStorage(home);
        var sink = Ingest(new OpenCodeIngestor(), Context);

        Assert.Empty(sink.MalformedLines);
        Assert.Equal(
            ["s_stage0_drift", "s_stage0_large", "s_stage0_small", "ses_test1", "session_add_tests", "session_parser_fix"],
            sink.Sessions.Select(s => s.SessionId).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(5, sink.Prompts.Count);
        Assert.All(sink.Prompts, p => Assert.True(p.IsActionable, p.Text));
        Assert.Equal(["call_1", "call_large_1", "msg_assistant_01/part_tool_01"], sink.ToolCalls.Select(t => t.ToolUseId).Order(StringComparer.Ordinal));
        Assert.Equal("call_large_1", Assert.Single(sink.ToolCalls, t => t.IsError).ToolUseId);
        Assert.Equal(2, sink.UsageRecords.Count);
        Assert.Equal((270, 101, 50, 25), (sink.UsageRecords.Sum(u => u.InputTokens), sink.UsageRecords.Sum(u => u.OutputTokens),
            sink.UsageRecords.Sum(u => u.CacheReadTokens), sink.UsageRecords.Sum(u => u.CacheWriteTokens)));
        Assert.Empty(sink.Invocations);
        var error = Assert.Single(sink.Errors);
        Assert.Equal(("interrupted", "The operation was aborted."), (error.Kind, error.Message));

        var large = sink.Sessions.Single(s => s.SessionId == "s_stage0_large");
        Assert.Equal(("1.3.17", "/tmp/large"), (large.AgentVersion, large.Cwd));
        Assert.Equal(["gpt-4o-mini"], large.Models!);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1730000100000), large.StartedAt);
        var cass = sink.Sessions.Single(s => s.SessionId == "ses_test1");
        Assert.Equal((CompletionStatus.Completed, "claude-3-opus"), (cass.Status, cass.Models!.Single()));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000003000), cass.EndedAt);
        Assert.Equal("session_add_tests/msg_user_01", sink.ToolCalls.Single(t => t.Name == "Read").PromptId);
        Assert.Equal("src/utils.ts", sink.ToolCalls.Single(t => t.Name == "Read").Detail);

        // Lines per session from the session file's summary{additions, deletions}: agent-sessions' small session states
        // 1 added / 0 removed (its one file), large and drift state 0/0; the cass and opencode-session-tui sessions have no
        // summary, so their lines stay unknown (null), not 0.
        Assert.Equal(ExpectedLines, Lines(sink));
    }

    /// <summary>Lines added/removed per session as the corpus session files' <c>summary</c> states them (see
    /// <see cref="JsonTreesYieldPinnedCounts"/>).</summary>
    private static readonly string[] ExpectedLines =
    [
        "s_stage0_drift 0/0", "s_stage0_large 0/0", "s_stage0_small 1/0", "ses_test1 -/-", "session_add_tests -/-", "session_parser_fix -/-",
    ];

    private static string[] Lines(RecordingSink sink) =>
        [.. sink.Sessions.Select(s => $"{s.SessionId} {s.LinesAdded?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}/{s.LinesRemoved?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}")
            .Distinct().Order(StringComparer.Ordinal)];

    /// <summary>The same trees moved into an <c>opencode.db</c> the way OpenCode migrates them yield exactly the same
    /// records (ids included), so sessions present in both stores are never double-counted.</summary>
    [Fact]
    public void MigratedDatabaseYieldsTheSameRecordsAsTheJsonTrees()
    {
        var storage = Corpus.ArrangeLegacyStorage(home);
        var fromJson = Ingest(new OpenCodeIngestor(), Context);

        var other = Directory.CreateTempSubdirectory("selftune-opencode-db-").FullName;
        try
        {
            OpenCodeDb.MigrateLegacy(storage, Path.Combine(Corpus.DataDirectory(other), "opencode.db"));
            var ingestor = new OpenCodeIngestor();
            var source = Assert.Single(ingestor.Discover(new PlatformContext(other, other, _ => null), (_, _) => { }));
            Assert.False(source.AppendOnly);
            var fromDb = new RecordingSink();
            ingestor.Ingest(source, null, fromDb, CancellationToken.None);

            Assert.Empty(fromDb.MalformedLines);
            Assert.Equal(fromJson.Keys(), fromDb.Keys());
            Assert.Equal(ExpectedLines, Lines(fromDb));
            Assert.All(fromDb.ToolCalls, t => Assert.Equal((source.Path, true), (t.Provenance.SourcePath, t.Provenance.SourceLine > 0)));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    /// <summary>
    /// GuideAI's export of a real OpenCode session (Oct 2025), put back into OpenCode's database shape (one user message
    /// per prompt, one assistant message per turn holding its text and tool parts): 1 session, 11 prompts of which 10
    /// are actionable (the 11th is OpenCode's post-compaction "Use the above summary…" continuation), 133 tool calls
    /// (bash 36, read 31, edit 29, todowrite 22, write 10, list 2, glob 2, todoread 1), none failed, 125 of them linked
    /// to an actionable prompt (the 8 after the continuation are not), no skill use.
    /// </summary>
    [Fact]
    public void RealSessionYieldsPinnedCounts()
    {
        var path = Path.Combine(Corpus.DataDirectory(home), "opencode.db");
        ConvertGuideAiExport(Corpus.GuideAiExport, path);
        var sink = Ingest(new OpenCodeIngestor(), Context);

        Assert.Empty(sink.MalformedLines);
        var session = Assert.Single(sink.Sessions);
        Assert.Equal(("ses_6433a3b58ffe3hCF9glBj1wufi", "/Users/cliftonc/work/guideai"), (session.SessionId, session.Cwd));
        Assert.Equal(11, sink.Prompts.Count);
        Assert.Equal(10, sink.Prompts.Count(p => p.IsActionable));
        Assert.Equal(PromptKind.Continuation, Assert.Single(sink.Prompts, p => !p.IsActionable).Kind);
        Assert.Equal(133, sink.ToolCalls.Count);
        Assert.Equal(133, sink.ToolCalls.Select(t => t.ToolUseId).Distinct().Count());
        Assert.DoesNotContain(sink.ToolCalls, t => t.IsError);
        Assert.Equal(
            [("bash", 36), ("edit", 29), ("glob", 2), ("list", 2), ("read", 31), ("todoread", 1), ("todowrite", 22), ("write", 10)],
            sink.ToolCalls.GroupBy(t => t.Name).Select(g => (g.Key, g.Count())).Order());
        Assert.Equal(125, sink.ToolCalls.Count(t => t.PromptId is not null));
        Assert.Empty(sink.Invocations);
    }

    public void Dispose() => Directory.Delete(home, recursive: true);

    private static RecordingSink Ingest(IIngestor ingestor, PlatformContext context)
    {
        var sink = new RecordingSink();
        foreach (var source in ingestor.Discover(context, (path, reason) => Assert.Fail($"{path}: {reason}")))
        {
            ingestor.Ingest(source, null, sink, CancellationToken.None);
        }

        return sink;
    }

    /// <summary>Rebuilds OpenCode's storage from GuideAI's JSONL: user lines become user messages with a text part; the
    /// lines up to the next user line become one assistant message whose parts are its text and its tool calls, each
    /// tool call completed (or failed) by its <c>tool_result</c>.</summary>
    private static void ConvertGuideAiExport(string jsonl, string databasePath)
    {
        using var db = OpenCodeDb.Create(databasePath);
        string? sessionId = null;
        string? user = null;
        string? assistant = null;
        var parts = new List<(string Id, JsonObject Data)>();
        var calls = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        long time = 0;
        var n = 0;

        void Flush()
        {
            if (assistant is null)
            {
                return;
            }

            db.Message(assistant, sessionId!, time, time, OpenCodeDb.Json(new { role = "assistant", parentID = user, modelID = "claude-sonnet-4-5", time = new { created = time } }));
            foreach (var (id, data) in parts)
            {
                db.Part(id, assistant, sessionId!, time, time, data.ToJsonString());
            }

            parts.Clear();
            assistant = null;
        }

        foreach (var line in File.ReadLines(jsonl))
        {
            var row = JsonNode.Parse(line)!;
            time = DateTimeOffset.Parse((string)row["timestamp"]!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
            if (sessionId is null)
            {
                sessionId = (string)row["sessionId"]!;
                db.Session(sessionId, time, time, directory: (string)row["cwd"]!, version: "0.14.0");
            }

            foreach (var content in row["message"]!["content"]!.AsArray())
            {
                var id = $"prt_{++n:D5}";
                switch ((string)row["type"]!, (string)content!["type"]!)
                {
                    case ("user", "text"):
                        Flush();
                        user = $"msg_{n:D5}";
                        db.Message(user, sessionId, time, time, OpenCodeDb.Json(new { role = "user", time = new { created = time } }));
                        db.Part(id, user, sessionId, time, time, OpenCodeDb.Json(new { type = "text", text = (string)content["text"]! }));
                        break;
                    case (_, "text"):
                        assistant ??= $"msg_{n:D5}";
                        parts.Add((id, new JsonObject { ["type"] = "text", ["text"] = (string)content["text"]! }));
                        break;
                    case (_, "tool_use"):
                        assistant ??= $"msg_{n:D5}";
                        var state = new JsonObject { ["status"] = "running", ["input"] = content["input"]!.DeepClone(), ["time"] = new JsonObject { ["start"] = time } };
                        calls[(string)content["id"]!] = state;
                        parts.Add((id, new JsonObject { ["type"] = "tool", ["callID"] = (string)content["id"]!, ["tool"] = (string)content["name"]!, ["state"] = state }));
                        break;
                    case (_, "tool_result"):
                        var call = calls[(string)content["tool_use_id"]!];
                        call["status"] = (bool?)content["is_error"] == true ? "error" : "completed";
                        call["output"] = content["content"]?.ToString();
                        break;
                }
            }
        }

        Flush();
    }
}
