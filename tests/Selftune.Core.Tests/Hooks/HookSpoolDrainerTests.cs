using System.Text;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Core.Signals;
using Selftune.Core.Store;

namespace Selftune.Core.Tests.Hooks;

public sealed class HookSpoolDrainerTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly TempHome _temp = new();
    private readonly ImprovementSignalDetector _signals = new(() => new HashSet<string> { "pdf-tools" });

    [Fact]
    public void SpooledEventsBecomeHookRecordsAndTheSpoolEmpties()
    {
        Spool(Event("s1", "please use the pdf-tools skill on report.pdf"), Event("s1", "and then summarize it", transcript: "/t/s1.jsonl"));
        using var store = _temp.OpenStore();

        var report = Drainer().Drain(store, _temp.Home, new Redactor(true), CancellationToken.None);

        Assert.Equal(2, report.Events);
        var c = Assert.Single(report.Platforms);
        Assert.Equal((2, 1), (c.Prompts, c.ImprovementSignals));
        Assert.Equal(new HookTranscript("test", "s1", "/t/s1.jsonl"), Assert.Single(report.Transcripts));
        Assert.Equal(2L, store.Scalar("SELECT count(*) FROM prompts WHERE capture_mode = 'hook'"));
        Assert.Equal("explicit_request", store.Scalar("SELECT signal_type FROM improvement_signals WHERE skill_name = 'pdf-tools'"));
        Assert.Equal(0, HookSpool.Backlog(_temp.Home).Events);
    }

    [Fact]
    public void UnreadableLinesAreCountedWithTheirFileAndLineAndTheRestIsStored()
    {
        Spool(
            Event("s1", "first prompt here"),
            "{not json\n",
            Envelope("nobody", "{}"),
            Envelope("test", "{\"oops\":1}"),
            Envelope("test", "{\"session_id\": \"s1\", \"prompt\": "),
            Event("s1", "second prompt here"));
        using var store = _temp.OpenStore();

        var report = Drainer().Drain(store, _temp.Home, new Redactor(true), CancellationToken.None);

        Assert.Equal(6, report.Events);
        Assert.Equal(2L, store.Scalar("SELECT count(*) FROM prompts"));
        var unknown = report.Platforms.Single(p => p.Platform == "unknown");
        Assert.Equal([2L, 3L], unknown.MalformedDetails.Select(m => m.Line));
        Assert.Contains("platform 'nobody'", unknown.MalformedDetails[1].Reason);
        var test = report.Platforms.Single(p => p.Platform == "test");
        Assert.Equal([4L, 5L], test.MalformedDetails.Select(m => m.Line));
        Assert.Contains("not valid JSON (line 1", test.MalformedDetails[1].Reason);
        Assert.StartsWith(Path.Combine(_temp.Home.SpoolPath, HookSpool.DrainingPrefix), test.MalformedDetails[0].Path);
        Assert.Contains("hook UserPromptSubmit --platform test: the payload is not valid JSON", File.ReadAllText(HookSpool.ErrorLogPath(_temp.Home)));
    }

    [Fact]
    public void AFileLeftByAnInterruptedDrainIsDrainedAgainWithoutDuplicates()
    {
        var line = Event("s1", "a prompt that was half drained");
        Spool(line);
        using var store = _temp.OpenStore();
        Drainer().Drain(store, _temp.Home, new Redactor(true), CancellationToken.None);

        // The crash happened after the commit and before the draining file was deleted.
        File.WriteAllText(Path.Combine(_temp.Home.SpoolPath, HookSpool.DrainingPrefix + "hooks-20260304-1-1.jsonl"), line);
        var again = Drainer().Drain(store, _temp.Home, new Redactor(true), CancellationToken.None);

        Assert.Equal(1, again.Events);
        Assert.Equal(1L, store.Scalar("SELECT count(*) FROM prompts"));
        Assert.DoesNotContain(HookSpool.PendingFiles(_temp.Home), f => new FileInfo(f).Length > 0);
    }

    [Fact]
    public void TheTranscriptsPromptSupersedesTheHooksAndTakesOverItsSignal()
    {
        Spool(Event("s1", "why didn't you use the pdf-tools skill?"));
        using var store = _temp.OpenStore();
        Drainer().Drain(store, _temp.Home, new Redactor(true), CancellationToken.None);
        Assert.Equal("hook", store.Scalar("SELECT capture_mode FROM improvement_signals"));

        var transcript = Path.Combine(_temp.Root, "s1.jsonl");
        File.WriteAllText(transcript, "why didn't you use the pdf-tools skill?\n");
        var sync = new SyncService([new LineIngestor(transcript)], TimeProvider.System, _signals)
            .Run(store, new PlatformContext(_temp.Root, _temp.Root, _ => null), new Redactor(true), null, new SyncOptions(), CancellationToken.None);

        Assert.Equal(1, sync.Platforms.Single().Superseded);
        Assert.Equal("transcript", store.Scalar("SELECT capture_mode FROM prompts"));
        Assert.Equal(("u:1", "transcript", "correction"), store.Query("SELECT prompt_id, capture_mode, signal_type FROM improvement_signals", r => (r.GetString(0), r.GetString(1), r.GetString(2))).Single());
    }

    [Fact]
    public void OnlyTheTranscriptsTheHooksNamedAreReadWhenPathsAreGiven()
    {
        var named = Path.Combine(_temp.Root, "named.jsonl");
        var other = Path.Combine(_temp.Root, "other.jsonl");
        File.WriteAllText(named, "a prompt of the named session\n");
        File.WriteAllText(other, "a prompt of another session\n");
        using var store = _temp.OpenStore();

        var report = new SyncService([new LineIngestor(named, other)], TimeProvider.System)
            .Run(store, new PlatformContext(_temp.Root, _temp.Root, _ => null), new Redactor(true), null, new SyncOptions(Paths: new HashSet<string> { named }), CancellationToken.None);

        Assert.Equal((1, 1), (report.Platforms.Single().SourcesFound, report.Platforms.Single().SourcesRead));
        Assert.Equal(named, store.Scalar("SELECT source_path FROM prompts"));
    }

    public void Dispose() => _temp.Dispose();

    private HookSpoolDrainer Drainer() => new([new TestHandler()], TimeProvider.System, _signals);

    private void Spool(params string[] lines)
    {
        foreach (var line in lines)
        {
            SpoolFile.Append(HookSpool.FileFor(_temp.Home.SpoolPath, DateTimeOffset.UtcNow), Encoding.UTF8.GetBytes(line.TrimEnd('\n') + "\n"), Environment.TickCount64 + 10_000);
        }
    }

    private static string Event(string session, string prompt, string? transcript = null)
    {
        var payload = JsonSerializer.Serialize(new { session_id = session, prompt, transcript });
        return Encoding.UTF8.GetString(HookSpool.Envelope(At, transcript is null ? "UserPromptSubmit" : "Stop", "test", null, Encoding.UTF8.GetBytes(payload)));
    }

    private static string Envelope(string platform, string payload) =>
        Encoding.UTF8.GetString(HookSpool.Envelope(At, "UserPromptSubmit", platform, null, Encoding.UTF8.GetBytes(payload)));

    /// <summary>Reads payloads <c>{session_id, prompt, transcript?}</c>.</summary>
    private sealed class TestHandler : IHookHandler
    {
        public string Platform => "test";

        public bool Recognizes(string payload) => payload.Contains("session_id", StringComparison.Ordinal);

        public HookOutcome Handle(HookEvent hookEvent, IRecordSink sink)
        {
            using var doc = JsonDocument.Parse(hookEvent.Payload);
            if (!doc.RootElement.TryGetProperty("session_id", out var session))
            {
                sink.Malformed("payload", 0, "no session_id");
                return new HookOutcome(null);
            }

            var id = session.GetString()!;
            var prompt = doc.RootElement.GetProperty("prompt").GetString()!;
            sink.Prompt(new PromptRecord($"{id}:hook:{prompt.GetHashCode(StringComparison.Ordinal)}", id, hookEvent.ReceivedAt, prompt, PromptKind.User, new Provenance("test", CaptureMode.Hook, 0.9)));
            return new HookOutcome(id, doc.RootElement.TryGetProperty("transcript", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null);
        }
    }

    /// <summary>Transcripts of session s1 with one user prompt per line.</summary>
    private sealed class LineIngestor(params string[] paths) : IIngestor
    {
        public string Platform => "test";

        public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems) =>
            paths.Select(path => new SourceFile(path, new FileInfo(path).Length, new FileInfo(path).LastWriteTimeUtc));

        public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
        {
            var lines = File.ReadAllLines(source.Path);
            for (var i = 0; i < lines.Length; i++)
            {
                sink.Prompt(new PromptRecord($"u:{i + 1}", "s1", At, lines[i], PromptKind.User, new Provenance("test", CaptureMode.Transcript, 1, source.Path, i + 1)));
            }

            return new IngestResult(new SourceCursor(source.Length, source.Length, source.LastWriteUtc), lines.Length);
        }
    }
}
