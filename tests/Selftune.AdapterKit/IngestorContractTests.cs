using Selftune.Abstractions;

namespace Selftune.AdapterKit;

/// <summary>
/// The contract every <see cref="IIngestor"/> must keep, run against the adapter's own sample data. Derive a test
/// class, say how to build the ingestor and where its samples go in a fake home, and xUnit runs these facts:
/// re-ingest is idempotent, an appended source is read incrementally from its cursor, a malformed record is
/// skipped and counted with its line, every record carries its provenance, and declared source roots hold every source.
/// </summary>
public abstract class IngestorContractTests : IDisposable
{
    /// <summary>Creates a fresh fake home for this test.</summary>
    protected IngestorContractTests()
    {
        Home = Path.Combine(Path.GetTempPath(), "selftune-contract-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Home);
    }

    /// <summary>The fake home (deleted after the test).</summary>
    protected string Home { get; }

    /// <summary>The context plugins see: <see cref="Home"/> as the user's home, no environment.</summary>
    protected virtual PlatformContext Context => new(Home, Home, _ => null);

    /// <summary>Creates the ingestor under test.</summary>
    protected abstract IIngestor CreateIngestor();

    /// <summary>Copies the adapter's sample data into <paramref name="home"/> where the platform keeps it.</summary>
    protected abstract void ArrangeSamples(string home);

    /// <summary>For the incremental test: an append-only sample file (relative to the home) with at least 4 lines, or
    /// null when the platform has no append-only sources. The kit truncates it to half, ingests, restores the rest
    /// and ingests again from the cursor.</summary>
    protected abstract string? AppendableSample { get; }

    /// <summary>Makes one source malformed in a platform-appropriate way and returns (source path, line) where the
    /// ingestor must report it. Default: appends a broken JSON line to <see cref="AppendableSample"/>.</summary>
    protected virtual (string Path, long Line) CorruptOneRecord(string home)
    {
        var path = Path.Combine(home, AppendableSample ?? throw new InvalidOperationException("Override CorruptOneRecord: no appendable sample."));
        var lines = File.ReadAllLines(path).Length;
        File.AppendAllText(path, "{\"type\":\"user\",\"message\":{\"role\":\n");
        return (path, lines + 1);
    }

    /// <summary>Ingests every discovered source from the start.</summary>
    protected RecordingSink IngestAll(IIngestor ingestor)
    {
        var sink = new RecordingSink();
        foreach (var source in ingestor.Discover(Context, (_, _) => { }).ToList())
        {
            ingestor.Ingest(source, null, sink, CancellationToken.None);
        }

        return sink;
    }

    /// <summary>The samples yield records at all (a contract suite over nothing proves nothing).</summary>
    [Fact]
    public void SamplesYieldSessionsAndPrompts()
    {
        ArrangeSamples(Home);
        var sink = IngestAll(CreateIngestor());
        Assert.NotEmpty(sink.Sessions);
        Assert.NotEmpty(sink.Prompts);
    }

    /// <summary>Every discovered source lies under a declared <see cref="IIngestor.SourceRoots"/> root (a sync that found
    /// nothing changed under the roots would otherwise miss it). An ingestor that declares none is exempt.</summary>
    [Fact]
    public void DeclaredSourceRootsHoldEverySource()
    {
        ArrangeSamples(Home);
        var ingestor = CreateIngestor();
        var roots = ingestor.SourceRoots(Context);
        var sources = ingestor.Discover(Context, (_, _) => { }).ToList();
        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(source.Path))!;
            Assert.True(
                roots.Count == 0 || roots.Any(r => Path.GetFullPath(r.Path) is var root && (root == Path.GetFullPath(source.Path) || root == folder || (r.Recursive && folder.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)))),
                $"{source.Path} is under none of the declared roots: {string.Join(", ", roots)}");
        }
    }

    /// <summary>Ingesting the same sources twice yields the same records, with the same ids.</summary>
    [Fact]
    public void ReIngestIsIdempotent()
    {
        ArrangeSamples(Home);
        var first = IngestAll(CreateIngestor()).Keys();
        var second = IngestAll(CreateIngestor()).Keys();
        Assert.Equal(first, second);
    }

    /// <summary>Reading half a file, then the rest from the returned cursor, yields what one full read yields.</summary>
    [Fact]
    public void AppendedSourceIsReadIncrementally()
    {
        if (AppendableSample is null)
        {
            return;
        }

        ArrangeSamples(Home);
        var ingestor = CreateIngestor();
        var path = Path.Combine(Home, AppendableSample);
        var full = new RecordingSink();
        var source = ingestor.Discover(Context, (_, _) => { }).Single(s => Path.GetFullPath(s.Path) == Path.GetFullPath(path));
        ingestor.Ingest(source, null, full, CancellationToken.None);

        var bytes = File.ReadAllBytes(path);
        var lines = bytes.Count(b => b == (byte)'\n');
        Assert.True(lines >= 4, $"{AppendableSample} needs at least 4 lines for this test.");
        var half = 0;
        for (int seen = 0, i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n' && ++seen == lines / 2)
            {
                half = i + 1;
                break;
            }
        }

        File.WriteAllBytes(path, bytes[..half]);
        var parts = new RecordingSink();
        var first = ingestor.Ingest(Refresh(source), null, parts, CancellationToken.None);
        Assert.Equal(half, first.Cursor.Offset);
        File.WriteAllBytes(path, bytes);
        ingestor.Ingest(Refresh(source), first.Cursor, parts, CancellationToken.None);

        Assert.Equal(full.Keys(), parts.Keys());
    }

    /// <summary>A malformed record is skipped and reported with its file and line; everything else still arrives.</summary>
    [Fact]
    public void MalformedRecordIsSkippedAndCounted()
    {
        ArrangeSamples(Home);
        var clean = IngestAll(CreateIngestor()).Keys();
        var (path, line) = CorruptOneRecord(Home);
        var sink = IngestAll(CreateIngestor());
        Assert.Contains(sink.MalformedLines, m => Path.GetFullPath(m.Path) == Path.GetFullPath(path) && m.Line == line);
        Assert.Superset(clean, sink.Keys());
    }

    /// <summary>Every record names its platform, the transcript capture mode and the source it came from.</summary>
    [Fact]
    public void EveryRecordCarriesProvenance()
    {
        ArrangeSamples(Home);
        var ingestor = CreateIngestor();
        var sink = IngestAll(ingestor);
        var all = sink.Sessions.Select(s => s.Provenance)
            .Concat(sink.Prompts.Select(p => p.Provenance))
            .Concat(sink.Invocations.Select(i => i.Provenance))
            .Concat(sink.ToolCalls.Select(t => t.Provenance))
            .Concat(sink.UsageRecords.Select(u => u.Provenance))
            .Concat(sink.Errors.Select(e => e.Provenance));
        Assert.All(all, p =>
        {
            Assert.Equal(ingestor.Platform, p.Platform);
            Assert.Equal(CaptureMode.Transcript, p.Mode);
            Assert.False(string.IsNullOrEmpty(p.SourcePath));
            Assert.InRange(p.Confidence, 0.0, 1.0);
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The locations of the shared corpus (<c>../shared/corpus</c> beside the repository).</summary>
    public static string CorpusPath(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "shared", "corpus")))
        {
            dir = dir.Parent;
        }

        return dir is null
            ? throw new DirectoryNotFoundException("The shared corpus (../shared/corpus beside the repository) was not found.")
            : Path.Combine([dir.FullName, "shared", "corpus", .. parts]);
    }

    /// <summary>Copies a folder tree.</summary>
    public static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private static SourceFile Refresh(SourceFile source)
    {
        var info = new FileInfo(source.Path);
        return source with { Length = info.Length, LastWriteUtc = info.LastWriteTimeUtc };
    }
}
