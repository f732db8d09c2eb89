using System.Runtime.Versioning;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Core.Tests;

/// <summary>A sync that found nothing changed is told from the stamp of the last clean sync, without plugins; any
/// change the stamp does not describe takes a full sync.</summary>
public sealed class SyncStampTests : IDisposable
{
    private const string Installation = "plugins v1";
    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-stamp-").FullName;
    private readonly SelftuneStore _store;
    private readonly SelftuneHome _home;
    private readonly FilesIngestor _ingestor = new();

    public SyncStampTests()
    {
        _home = new SelftuneHome(Path.Combine(_dir, ".selftune"));
        _home.EnsureExists();
        _store = SelftuneStore.Open(_home.DatabasePath);
        Directory.CreateDirectory(Logs);
        File.WriteAllText(Path.Combine(Logs, "a.log"), "one\n");
        Directory.CreateDirectory(Path.Combine(Logs, "sub"));
        File.WriteAllText(Path.Combine(Logs, "sub", "b.log"), "two\nthree\n");
    }

    private string Logs => Path.Combine(_dir, "logs");

    private PlatformContext Context(string? logsVariable = null) => new(_dir, "/anywhere", name => name == "LOGS_DIR" ? logsVariable : null);

    [Fact]
    public void AfterACleanSyncAnUnchangedTreeGivesTheReportAFullSyncWouldGive()
    {
        Sync();
        var full = Sync();

        var told = SyncStamp.Unchanged(_store, Context(), Installation, _home, DateTimeOffset.UtcNow);

        Assert.NotNull(told);
        Assert.Equal(Comparable(full), Comparable(told.Platforms.Single()));
        Assert.Equal((2, 2, 0), (told.Platforms[0].SourcesFound, told.Platforms[0].SourcesUnchanged, told.Platforms[0].SourcesRead));
    }

    public static TheoryData<string> Changes =>
    [
        "append", "touch", "new file in a new folder", "delete", "new empty folder", "replace a root file",
    ];

    [Theory]
    [MemberData(nameof(Changes))]
    public void AnyChangeUnderTheRootsNeedsAFullSync(string change)
    {
        Sync();
        var a = Path.Combine(Logs, "a.log");
        switch (change)
        {
            case "append": File.AppendAllText(a, "more\n"); break;
            case "touch": File.SetLastWriteTimeUtc(a, File.GetLastWriteTimeUtc(a).AddSeconds(1)); break;
            case "new file in a new folder": Directory.CreateDirectory(Path.Combine(Logs, "new", "deeper")); File.WriteAllText(Path.Combine(Logs, "new", "deeper", "c.log"), "x\n"); break;
            case "delete": File.Delete(Path.Combine(Logs, "sub", "b.log")); break;
            case "new empty folder": Directory.CreateDirectory(Path.Combine(Logs, "sub", "later")); break;
            case "replace a root file": File.WriteAllText(Path.Combine(_dir, "extra.log"), "changed\n"); break;
        }

        Assert.Null(SyncStamp.Unchanged(_store, Context(), Installation, _home, DateTimeOffset.UtcNow));
        Sync();
        Assert.NotNull(SyncStamp.Unchanged(_store, Context(), Installation, _home, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void AChangedInstallationEnvironmentHomeOrAPendingHookEventNeedsAFullSync()
    {
        Sync();
        Assert.NotNull(SyncStamp.Unchanged(_store, Context(), Installation, _home, DateTimeOffset.UtcNow));

        Assert.Null(SyncStamp.Unchanged(_store, Context(), "plugins v2", _home, DateTimeOffset.UtcNow));
        Assert.Null(SyncStamp.Unchanged(_store, Context(logsVariable: "/elsewhere"), Installation, _home, DateTimeOffset.UtcNow));
        Assert.Null(SyncStamp.Unchanged(_store, Context() with { UserHome = "/other" }, Installation, _home, DateTimeOffset.UtcNow));

        // A drain leaves the day's spool file in place, emptied: that is nothing pending.
        Directory.CreateDirectory(_home.SpoolPath);
        File.WriteAllText(HookSpool.FileFor(_home.SpoolPath, DateTimeOffset.UtcNow), string.Empty);
        Assert.NotNull(SyncStamp.Unchanged(_store, Context(), Installation, _home, DateTimeOffset.UtcNow));
        File.WriteAllText(HookSpool.FileFor(_home.SpoolPath, DateTimeOffset.UtcNow), "{}\n");
        Assert.Null(SyncStamp.Unchanged(_store, Context(), Installation, _home, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void AFileChangedWhileTheSyncReadsItIsNotCoveredByTheStamp()
    {
        _ingestor.WhileReading = path => File.AppendAllText(path, "written during the sync\n");

        Sync();

        Assert.Null(SyncStamp.Unchanged(_store, Context(), Installation, _home, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void NoStampAfterAFailedSourceOrWithoutRootsAndAPartialSyncKeepsIt()
    {
        _ingestor.Fail = true;
        Sync();
        Assert.Equal(0L, _store.Scalar("SELECT count(*) FROM sync_stamp_platforms"));

        _ingestor.Fail = false;
        Sync();
        var stamped = _store.Scalar("SELECT tree FROM sync_stamp_platforms");
        Sync(new SyncOptions(Since: DateTimeOffset.UnixEpoch, Installation: Installation));
        Assert.Equal(stamped, _store.Scalar("SELECT tree FROM sync_stamp_platforms"));

        _ingestor.Roots = false;
        Sync();
        Assert.Equal(0L, _store.Scalar("SELECT count(*) FROM sync_stamp_platforms"));
        Assert.Null(SyncStamp.Unchanged(_store, Context(), Installation, _home, DateTimeOffset.UtcNow));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task LinksBackToAnAncestorAreListedNotFollowedAndAFifoIsNeverOpened()
    {
        // The reproduction of issue 20 #1: two links to the root inside it, and a FIFO named like a source. A walk that
        // follows the links never ends; one that opens the FIFO waits for a writer: the one-minute bound catches both.
        Directory.CreateSymbolicLink(Path.Combine(Logs, "sub", "loop1"), Logs);
        Directory.CreateSymbolicLink(Path.Combine(Logs, "sub", "loop2"), Logs);
        MakeFifo(Path.Combine(Logs, "pipe.log"));
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        var tree = await Task.Run(() => SyncStamp.Tree([new SourceRoot(Logs)])).WaitAsync(bound.Token);
        Assert.Equal(
            ["d|" + Logs, "d|" + Path.Combine(Logs, "sub"), "d|" + Path.Combine(Logs, "sub", "loop1"), "d|" + Path.Combine(Logs, "sub", "loop2")],
            tree!.Split('\n').Where(e => e.StartsWith("d|", StringComparison.Ordinal)));

        var sync = await Task.Run(() => Sync()).WaitAsync(bound.Token);
        Assert.DoesNotContain(Path.Combine(Logs, "pipe.log"), _ingestor.Ingested);
        Assert.Equal(2, sync.SourcesRead);
    }

    [UnsupportedOSPlatform("windows")]
    private static void MakeFifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private IngestCounters Sync(SyncOptions? options = null) =>
        new SyncService([_ingestor], TimeProvider.System).Run(_store, Context(), new Redactor(), null, options ?? new SyncOptions(Installation: Installation), CancellationToken.None).Platforms.Single();

    private static string Comparable(IngestCounters c) =>
        $"{c.Platform} {c.SourcesFound} {c.SourcesRead} {c.SourcesUnchanged} {c.SourcesFailed} {c.Lines} {c.Sessions} {c.Prompts} {c.Malformed} {c.Problems.Count}";

    /// <summary>Every <c>*.log</c> under <c>logs/</c> (or <c>LOGS_DIR</c>) is a source of one session per file; roots:
    /// that folder and the home's own files.</summary>
    private sealed class FilesIngestor : IIngestor
    {
        public bool Fail { get; set; }

        public bool Roots { get; set; } = true;

        public Action<string>? WhileReading { get; set; }

        public List<string> Ingested { get; } = [];

        public string Platform => "files";

        public IReadOnlyList<SourceRoot> SourceRoots(PlatformContext context) =>
            Roots ? [new SourceRoot(Folder(context)), new SourceRoot(context.UserHome, Recursive: false)] : [];

        public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems) =>
            Directory.EnumerateFiles(Folder(context), "*.log", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Order(StringComparer.Ordinal)
                .Select(p => new FileInfo(p)).Select(f => new SourceFile(f.FullName, f.Length, f.LastWriteTimeUtc));

        public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
        {
            if (Fail)
            {
                throw new IOException("simulated unreadable file");
            }

            Ingested.Add(source.Path);
            WhileReading?.Invoke(source.Path);
            sink.Session(new SessionRecord(Path.GetFileName(source.Path), new Provenance(Platform, CaptureMode.Transcript, 1.0, source.Path, 1)));
            return new IngestResult(new SourceCursor(source.Length, source.Length, source.LastWriteUtc), 1);
        }

        private static string Folder(PlatformContext context) => context.Environment("LOGS_DIR") ?? Path.Combine(context.UserHome, "logs");
    }
}
