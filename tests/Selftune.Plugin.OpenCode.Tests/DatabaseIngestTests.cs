using Microsoft.Data.Sqlite;
using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>Reading <c>opencode.db</c>: what a session yields, incremental re-reads, and a database in use.</summary>
public sealed class DatabaseIngestTests : IDisposable
{
    private readonly string home = Directory.CreateTempSubdirectory("selftune-opencode-db-").FullName;
    private readonly OpenCodeIngestor ingestor = new();

    private PlatformContext Context => new(home, home, _ => null);

    private string DatabasePath => Path.Combine(Corpus.DataDirectory(home), "opencode.db");

    [Fact]
    public void SessionYieldsPromptsToolCallsUsageErrorsAndSkillUse()
    {
        using (var db = OpenCodeDb.Create(DatabasePath))
        {
            Scenario.Write(db);
        }

        var sink = IngestFromStart();

        Assert.Empty(sink.MalformedLines);
        var parent = sink.Sessions.Single(s => s.SessionId == Scenario.Parent);
        Assert.Equal(("/work/app", "1.2.10", CompletionStatus.Failed, (string?)null), (parent.Cwd, parent.AgentVersion, parent.Status, parent.ParentSessionId));
        Assert.Equal(["claude-sonnet-4-5", "claude-haiku-4-5"], parent.Models!);
        Assert.Equal((Time(0), Time(21_000)), (parent.StartedAt!.Value, parent.EndedAt!.Value));
        Assert.Equal(Scenario.Parent, sink.Sessions.Single(s => s.SessionId == Scenario.Child).ParentSessionId);

        // The synthetic text part is OpenCode's, not the user's; a sub-agent's "user" message is the parent agent's.
        Assert.Equal(
            [("ses_child/msg_cu", PromptKind.Notification), ("ses_parent/msg_u1", PromptKind.User), ("ses_parent/msg_u2", PromptKind.Selftune)],
            sink.Prompts.Select(p => (p.PromptId, p.Kind)).Order());
        Assert.Equal("Fill in the lease PDF form for me", sink.Prompts.Single(p => p.IsActionable).Text);

        // A skill call is a trigger; a SKILL.md read is a "read" only when the turn did not load that skill too.
        Assert.Equal(
            [
                ("ses_child/toolu_cskill", "xlsx", InvocationKind.Implicit, (string?)null),
                ("ses_parent/toolu_read2/read", "docx", InvocationKind.Read, "ses_parent/msg_u1"),
                ("ses_parent/toolu_skill", "pdf", InvocationKind.Implicit, "ses_parent/msg_u1"),
                ("ses_parent/toolu_skill2", "pdf", InvocationKind.Implicit, null),
            ],
            sink.Invocations.Select(i => (i.InvocationId, i.SkillName, i.Kind, i.PromptId)).Order());
        var pdf = sink.Invocations.Single(i => i.InvocationId == "ses_parent/toolu_skill");
        Assert.Equal(("/home/u/.config/opencode/skills/pdf", "toolu_skill", Time(3_000)), (pdf.SkillPath, pdf.ToolUseId, pdf.OccurredAt));
        Assert.Equal(Scenario.DocxSkillFile, sink.Invocations.Single(i => i.Kind == InvocationKind.Read).SkillPath);

        Assert.Equal(8, sink.ToolCalls.Count);
        var failed = Assert.Single(sink.ToolCalls, t => t.IsError);
        Assert.Equal(("toolu_bash", "bash", "pdftk lease.pdf fill_form", "ses_parent/msg_u1"), (failed.ToolUseId, failed.Name, failed.Detail, failed.PromptId));
        Assert.All(sink.ToolCalls.Where(t => t.SessionId == Scenario.Child), t => Assert.Null(t.PromptId));

        // Usage per step where OpenCode logged steps (the message keeps only the last step's tokens), else per message.
        Assert.Equal(
            [("ses_parent/msg_a1", "prt_a1_7", 1_200L, 350L, 400L, 5_000L, 0.0421m), ("ses_parent/msg_a1", "prt_a1_9", 200, 80, 0, 6_000, 0.011m), ("ses_parent/msg_a2", "", 50, 20, 0, 0, (decimal?)null)],
            sink.UsageRecords.Select(u => (u.MessageId, u.RequestId, u.InputTokens, u.OutputTokens, u.CacheWriteTokens, u.CacheReadTokens, u.CostUsd)).Order());
        Assert.Equal("claude-haiku-4-5", sink.UsageRecords.Single(u => u.MessageId == "ses_parent/msg_a2").Model);

        Assert.Equal([("api_error", "Overloaded"), ("api_retry", "rate limited")], sink.Errors.Select(e => (e.Kind, e.Message)).Order());
        Assert.All(sink.Prompts, p => Assert.Equal((DatabasePath, CaptureMode.Transcript), (p.Provenance.SourcePath, p.Provenance.Mode)));
    }

    [Fact]
    public void ReReadAfterAChangeEmitsOnlyTheChangedTurns()
    {
        using var db = OpenCodeDb.Create(DatabasePath);
        Scenario.Write(db);
        var first = ingestor.Ingest(Source(), null, new RecordingSink(), CancellationToken.None);

        // A new turn, well after the last read (beyond the re-read window).
        var later = Scenario.LastUpdate + 60_000;
        Scenario.User(db, "msg_u3", Scenario.Parent, later, "Now sign the filled form as the tenant");
        db.Message("msg_a4", Scenario.Parent, later + 1_000, later + 2_000, OpenCodeDb.Json(new { role = "assistant", parentID = "msg_u3", modelID = "claude-sonnet-4-5", time = new { created = later + 1_000, completed = later + 2_000 } }));
        Scenario.Tool(db, "prt_a4_1", "msg_a4", Scenario.Parent, "read", "toolu_read3", "completed", new { filePath = Scenario.PdfSkillFile }, at: later + 1_500);
        var second = new RecordingSink();
        var next = ingestor.Ingest(Source(), first.Cursor, second, CancellationToken.None);

        // The new turn, and the msg_u2 turn whose last row is inside the re-read window before the last watermark;
        // not the msg_u1 turn nor the sub-agent session, unchanged since.
        Assert.Equal([Scenario.Parent], second.Sessions.Select(s => s.SessionId));
        Assert.Equal(["ses_parent/msg_u2", "ses_parent/msg_u3"], second.Prompts.Select(p => p.PromptId));
        Assert.Equal(["toolu_read3", "toolu_skill2"], second.ToolCalls.Select(t => t.ToolUseId).Order(StringComparer.Ordinal));
        Assert.Equal(("pdf", InvocationKind.Read, "ses_parent/msg_u3"), Read(second.Invocations.Single(i => i.ToolUseId == "toolu_read3")));

        // A part of an old turn changes (OpenCode updates a tool part in place): that turn is emitted again.
        db.Execute("UPDATE part SET time_updated = $t, data = replace(data, '\"status\":\"error\"', '\"status\":\"completed\"') WHERE id = 'prt_a1_5'", ("$t", later + 60_000));
        var third = new RecordingSink();
        ingestor.Ingest(Source(), next.Cursor, third, CancellationToken.None);

        Assert.Equal(["ses_parent/msg_u1", "ses_parent/msg_u3"], third.Prompts.Select(p => p.PromptId).Order(StringComparer.Ordinal));
        Assert.Contains(third.ToolCalls, t => t.ToolUseId == "toolu_bash" && !t.IsError);
        Assert.DoesNotContain(third.ToolCalls, t => t.ToolUseId == "toolu_skill2");
    }

    /// <summary>A rollback-journal database whose writer holds an exclusive lock: the read gives up, says so, and keeps
    /// the old cursor; once the writer commits, the next read gets everything.</summary>
    [Fact]
    public void LockedDatabaseIsReportedAndRetriedNextSync()
    {
        using var db = OpenCodeDb.Create(DatabasePath, wal: false);
        Scenario.Write(db);
        var first = ingestor.Ingest(Source(), null, new RecordingSink(), CancellationToken.None);

        using var writer = OpenCodeDb.Open(DatabasePath);
        writer.Execute("BEGIN EXCLUSIVE");
        Scenario.User(writer, "msg_u3", Scenario.Parent, Scenario.LastUpdate + 60_000, "Now sign the filled form as the tenant");
        var sink = new RecordingSink();
        var locked = ingestor.Ingest(Source(), first.Cursor, sink, CancellationToken.None);

        var report = Assert.Single(sink.MalformedLines);
        Assert.Equal((DatabasePath, 0L), (report.Path, report.Line));
        Assert.EndsWith("is locked by a running OpenCode; will retry next sync.", report.Reason);
        Assert.Same(first.Cursor, locked.Cursor);
        Assert.Empty(sink.Prompts);
        Assert.Equal(0, ingestor.Ingest(Source(), null, new RecordingSink(), CancellationToken.None).Cursor.Length);

        writer.Execute("COMMIT");
        var after = new RecordingSink();
        ingestor.Ingest(Source(), locked.Cursor, after, CancellationToken.None);
        Assert.Contains(after.Prompts, p => p.PromptId == "ses_parent/msg_u3");
        Assert.DoesNotContain(after.Prompts, p => p.PromptId == "ses_parent/msg_u1");
    }

    /// <summary>OpenCode's WAL database with a writer mid-transaction: the read sees the last committed snapshot, and a
    /// writer committing while the read is still open is not blocked.</summary>
    [Fact]
    public void ReadingNeverBlocksOpenCodesWriter()
    {
        using (var db = OpenCodeDb.Create(DatabasePath))
        {
            Scenario.Write(db);
        }

        using var writer = OpenCodeDb.Open(DatabasePath);
        writer.Execute("BEGIN IMMEDIATE");
        Scenario.User(writer, "msg_u3", Scenario.Parent, Scenario.LastUpdate + 60_000, "Now sign the filled form as the tenant");
        var committed = false;
        var sink = new CallbackSink(() =>
        {
            if (!committed)
            {
                writer.Execute("COMMIT");
                committed = true;
            }
        });
        var result = ingestor.Ingest(Source(), null, sink, CancellationToken.None);

        Assert.True(committed);
        Assert.Empty(sink.Inner.MalformedLines);
        Assert.Equal(3, sink.Inner.Prompts.Count);
        Assert.DoesNotContain(sink.Inner.Prompts, p => p.PromptId == "ses_parent/msg_u3");
        var next = new RecordingSink();
        ingestor.Ingest(Source(), result.Cursor, next, CancellationToken.None);
        Assert.Contains(next.Prompts, p => p.PromptId == "ses_parent/msg_u3");
    }

    [Fact]
    public void MalformedMessageRowIsSkippedWithItsRow()
    {
        using var db = OpenCodeDb.Create(DatabasePath);
        Scenario.Write(db);
        db.Execute("UPDATE message SET data = '{\"time\":{}}' WHERE id = 'msg_u2'");

        var sink = IngestFromStart();

        var report = Assert.Single(sink.MalformedLines);
        Assert.Equal((DatabasePath, db.RowId("message", "msg_u2")), (report.Path, report.Line));
        Assert.Contains("msg_u2", report.Reason);
        Assert.DoesNotContain(sink.Prompts, p => p.PromptId == "ses_parent/msg_u2");
        Assert.Contains(sink.Prompts, p => p.PromptId == "ses_parent/msg_u1");
    }

    [Fact]
    public void ForeignDatabaseIsReportedNotRead()
    {
        Directory.CreateDirectory(Corpus.DataDirectory(home));
        using (var db = OpenCodeDb.Open(Path.Combine(Corpus.DataDirectory(home), "opencode-other.db")))
        {
            db.Execute("CREATE TABLE notes (id text)");
        }

        var sink = IngestFromStart();

        Assert.Contains("has no 'session' table", Assert.Single(sink.MalformedLines).Reason);
        Assert.Empty(sink.Sessions);
    }

    /// <summary>Reading a database OpenCode closed leaves an empty write-ahead log behind (SQLite creates it for any
    /// reader); that is not a change, so the next sync skips the database.</summary>
    [Fact]
    public void ReadingLeavesTheSourceUnchanged()
    {
        using (var db = OpenCodeDb.Create(DatabasePath))
        {
            Scenario.Write(db);
        }

        Thread.Sleep(20);
        var before = Source();
        ingestor.Ingest(before, null, new RecordingSink(), CancellationToken.None);

        Assert.True(File.Exists(DatabasePath + "-wal"));
        Assert.Equal((before.Length, before.LastWriteUtc), (Source().Length, Source().LastWriteUtc));
    }

    [Fact]
    public void DiscoverFindsEveryStoreAndCountsTheWriteAheadLog()
    {
        var data = Path.Combine(home, "xdg-data");
        var custom = Path.Combine(home, "elsewhere", "custom.db");
        var env = new Dictionary<string, string> { ["XDG_DATA_HOME"] = data, ["OPENCODE_DB"] = custom };
        var context = new PlatformContext(home, home, name => env.GetValueOrDefault(name));
        using var main = OpenCodeDb.Create(Path.Combine(data, "opencode", "opencode.db"));
        Scenario.Write(main);
        OpenCodeDb.Create(Path.Combine(data, "opencode", "opencode-dev.db")).Dispose();
        OpenCodeDb.Create(custom).Dispose();
        var storage = Path.Combine(data, "opencode", "storage");
        IngestorContractTests.CopyTree(Corpus.StorageTrees[2], storage);

        var sources = ingestor.Discover(context, (path, reason) => Assert.Fail($"{path}: {reason}")).ToList();

        Assert.Equal(
            [custom, Path.Combine(data, "opencode", "opencode-dev.db"), Path.Combine(data, "opencode", "opencode.db"), Path.Combine(storage, "session", "proj1", "ses_test1.json")],
            sources.Select(s => s.Path));
        Assert.All(sources, s => Assert.False(s.AppendOnly));
        var wal = new FileInfo(main.Path + "-wal");
        Assert.True(wal.Length > 0);
        Assert.Equal(new FileInfo(main.Path).Length + wal.Length, sources[2].Length);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(home, recursive: true);
    }

    private static (string, InvocationKind, string?) Read(SkillInvocationRecord i) => (i.SkillName, i.Kind, i.PromptId);

    private static DateTimeOffset Time(long offset) => DateTimeOffset.FromUnixTimeMilliseconds(Scenario.T0 + offset);

    private SourceFile Source() => ingestor.Discover(Context, (_, _) => { }).Single(s => s.Path == DatabasePath);

    private RecordingSink IngestFromStart()
    {
        var sink = new RecordingSink();
        foreach (var source in ingestor.Discover(Context, (_, _) => { }))
        {
            ingestor.Ingest(source, null, sink, CancellationToken.None);
        }

        return sink;
    }

    /// <summary>Records, and runs an action whenever a prompt arrives (while the read is in progress).</summary>
    private sealed class CallbackSink(Action onPrompt) : IRecordSink
    {
        public RecordingSink Inner { get; } = new();
        public void Session(SessionRecord session) => Inner.Session(session);
        public void Prompt(PromptRecord prompt)
        {
            onPrompt();
            Inner.Prompt(prompt);
        }

        public void SkillInvocation(SkillInvocationRecord invocation) => Inner.SkillInvocation(invocation);
        public void ToolCall(ToolCallRecord call) => Inner.ToolCall(call);
        public void Usage(TokenUsageRecord usage) => Inner.Usage(usage);
        public void Error(ErrorRecord error) => Inner.Error(error);
        public void Malformed(string path, long line, string reason) => Inner.Malformed(path, line, reason);
    }
}
