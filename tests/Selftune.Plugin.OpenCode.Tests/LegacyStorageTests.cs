using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>The legacy JSON tree (OpenCode ≤ 1.1): change detection, incremental re-reads, broken files.</summary>
public sealed class LegacyStorageTests : IDisposable
{
    private static readonly DateTime Past = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string home = Directory.CreateTempSubdirectory("selftune-opencode-legacy-").FullName;
    private readonly OpenCodeIngestor ingestor = new();
    private readonly string storage;

    public LegacyStorageTests()
    {
        storage = Corpus.ArrangeLegacyStorage(home);
        foreach (var path in Directory.EnumerateFileSystemEntries(storage, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(path, Past);
        }
    }

    private PlatformContext Context => new(home, home, _ => null);

    private string SessionFile => Path.Combine(storage, "session", "proj_present", "session_add_tests.json");

    /// <summary>A new turn changes the session's source; the re-read emits it and the turn holding the last watermark
    /// (inside the re-read window), not older turns.</summary>
    [Fact]
    public void NewTurnMarksTheSessionChangedAndOlderTurnsAreNotReEmitted()
    {
        AddUserTurn("msg_user_02", "Now cover the date parser too", Past.AddHours(1));
        var before = Source();
        var first = ingestor.Ingest(before, null, new RecordingSink(), CancellationToken.None);

        AddUserTurn("msg_user_03", "And the number formatter", DateTime.UtcNow);
        var after = Source();
        var sink = new RecordingSink();
        ingestor.Ingest(after, first.Cursor, sink, CancellationToken.None);

        Assert.True(after.Length > before.Length && after.LastWriteUtc > before.LastWriteUtc);
        Assert.Equal(["session_add_tests"], sink.Sessions.Select(s => s.SessionId));
        Assert.Equal(["session_add_tests/msg_user_02", "session_add_tests/msg_user_03"], sink.Prompts.Select(p => p.PromptId));
        Assert.Empty(sink.ToolCalls);
        Assert.Empty(sink.UsageRecords);
    }

    [Fact]
    public void BrokenPartFileIsReportedWithItsLine()
    {
        var broken = Path.Combine(storage, "part", "msg_assistant_01", "part_tool_01.json");
        File.WriteAllText(broken, "{\n  \"type\": \"tool\",\n  \"tool\": ");

        var sink = new RecordingSink();
        ingestor.Ingest(Source(), null, sink, CancellationToken.None);

        var report = Assert.Single(sink.MalformedLines);
        Assert.Equal((broken, 3L), (report.Path, report.Line));
        Assert.Empty(sink.ToolCalls);
        Assert.Single(sink.Prompts);
        Assert.Single(sink.UsageRecords);
    }

    public void Dispose() => Directory.Delete(home, recursive: true);

    private void AddUserTurn(string id, string text, DateTime at)
    {
        var parts = Directory.CreateDirectory(Path.Combine(storage, "part", id)).FullName;
        var part = Path.Combine(parts, "prt_" + id + ".json");
        File.WriteAllText(part, $$"""{"id":"prt_{{id}}","type":"text","text":"{{text}}"}""");
        var message = Path.Combine(storage, "message", "session_add_tests", id + ".json");
        var created = new DateTimeOffset(at).ToUnixTimeMilliseconds();
        File.WriteAllText(message, $$$"""{"id":"{{{id}}}","sessionID":"session_add_tests","role":"user","time":{"created":{{{created}}}}}""");
        foreach (var path in new[] { part, parts, message, Path.GetDirectoryName(message)! })
        {
            File.SetLastWriteTimeUtc(path, at);
        }
    }

    private SourceFile Source() => ingestor.Discover(Context, (path, reason) => Assert.Fail($"{path}: {reason}")).Single(s => s.Path == SessionFile);
}
