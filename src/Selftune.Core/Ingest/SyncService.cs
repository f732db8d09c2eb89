using System.Diagnostics;
using Selftune.Abstractions;
using Selftune.Core.Analysis;
using Selftune.Core.Privacy;
using Selftune.Core.Signals;
using Selftune.Core.Store;

namespace Selftune.Core.Ingest;

/// <summary>Options of one sync.</summary>
/// <param name="Force">Re-read every source from the start, ignoring cursors.</param>
/// <param name="Since">Only sources modified at or after this time.</param>
/// <param name="Platforms">Only these platforms (null: all).</param>
/// <param name="Progress">Called after each source with (sources done, sources to read); for progress bars.</param>
/// <param name="Paths">Only these sources (absolute paths as discovered; null: all). Used to ingest the transcript a hook
/// named as soon as its turn ends.</param>
/// <param name="Installation">The installation's identity (<see cref="SyncStamp.Installation"/>). When given, a sync of
/// everything (no <paramref name="Since"/>, <paramref name="Platforms"/> or <paramref name="Paths"/>) records a
/// <see cref="SyncStamp"/> if it ends clean, and removes the stamp otherwise.</param>
internal sealed record SyncOptions(bool Force = false, DateTimeOffset? Since = null, IReadOnlySet<string>? Platforms = null, Action<int, int>? Progress = null, IReadOnlySet<string>? Paths = null, string? Installation = null)
{
    /// <summary>True when the sync covers every platform and source.</summary>
    public bool Complete => Since is null && Platforms is null && Paths is null;
}

/// <summary>What a sync did.</summary>
/// <param name="StartedAt">When it started.</param>
/// <param name="ElapsedMs">Wall-clock duration (ms).</param>
/// <param name="Platforms">Counters per platform, in ingestor order.</param>
/// <param name="Hooks">What the hook spool drain before the sync stored, when one ran.</param>
internal sealed record SyncReport(DateTimeOffset StartedAt, long ElapsedMs, IReadOnlyList<IngestCounters> Platforms, Hooks.HookDrainReport? Hooks = null);

/// <summary>
/// Reads every installed ingestor's sources into the store, incrementally: a source whose size and modification
/// time match its cursor is skipped; an append-only source that grew is read from the cursor's offset; one that
/// shrank is re-read from the start; an empty one is never opened (a FIFO or a device lists as empty, and opening a FIFO
/// would block). Sources are parsed in parallel (the writer parses small ones while it waits); one writer thread stores
/// the records, and a source's cursor is saved in the same transaction as its last records, so an interrupted sync resumes
/// safely. A large first (or forced) sync is a bulk load: see <see cref="BulkLoad"/>.
/// </summary>
internal sealed class SyncService
{
    /// <summary>Records per batch handed to the writer. Small enough that the batches in flight (the queue's and each parse
    /// thread's) stay a few MB: 1,024 against 4,096 took peak RSS 10–15 MB lower on the corpus and on a 2 GB transcript at the
    /// same CPU (bench/RESULTS.md).</summary>
    private const int BatchSize = 1024;

    /// <summary>The largest source the writer parses itself while it has no batch to store: ~2 ms of parsing, against ~10 ms
    /// of storing for each of the batches a parse thread can queue meanwhile (the corpus's sources up to 1 MB are a fifth
    /// of its bytes).</summary>
    private const long WriterSourceBytes = 1024 * 1024;
    private const int RecordsPerTransaction = 50_000;
    private const int MaxTransactionMs = 500;

    /// <summary>A bulk load's bounds of a transaction: larger, because each commit of its rollback journal waits for two
    /// fsyncs (5–20 ms each on the benchmark machine) on the writer's critical path, and an interrupted bulk load is
    /// resumed from its cursors all the same. A hook drain waits for the write lock at most this long.</summary>
    private const int BulkRecordsPerTransaction = 200_000;

    /// <inheritdoc cref="BulkRecordsPerTransaction"/>
    private const int BulkMaxTransactionMs = 2_000;
    private const int CacheKilobytes = 24 * 1024;
    private const long YoungGarbageBytes = 16L * 1024 * 1024;
    private readonly IReadOnlyList<IIngestor> _ingestors;
    private readonly TimeProvider _time;
    private readonly ImprovementSignalDetector? _signals;

    /// <summary>Creates the service.</summary>
    /// <param name="ingestors">The loaded ingestors.</param>
    /// <param name="time">The clock.</param>
    /// <param name="signals">Finds improvement signals in new actionable prompts; null looks for none.</param>
    public SyncService(IEnumerable<IIngestor> ingestors, TimeProvider time, ImprovementSignalDetector? signals = null)
    {
        _ingestors = ingestors.ToList();
        _time = time;
        _signals = signals;
    }

    /// <summary>Runs a sync.</summary>
    /// <param name="store">The store to write.</param>
    /// <param name="context">The machine as plugins see it.</param>
    /// <param name="redactor">Applied before anything is stored.</param>
    /// <param name="pricer">Prices token usage.</param>
    /// <param name="options">What to read.</param>
    /// <param name="cancellationToken">Stops the sync; what was stored stays, with consistent cursors.</param>
    /// <param name="beforeWriting">Runs on this thread once the sources are listed and the parse threads started, before
    /// anything is written: the hook spool drain, whose prompts the transcripts' prompts then supersede. The parse threads
    /// meanwhile read ahead (a full sync's critical path is the parse thread: it starts ~35 ms sooner; bench/RESULTS.md).</param>
    public SyncReport Run(SelftuneStore store, PlatformContext context, Redactor redactor, IUsagePricer? pricer, SyncOptions options, CancellationToken cancellationToken, Action? beforeWriting = null)
    {
        var started = _time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        var counters = new Dictionary<string, IngestCounters>(StringComparer.Ordinal);
        IngestCounters For(string platform) => counters.For(platform);

        // A larger page cache keeps the indexes being filled in memory (the default 2 MB makes every insert of a big
        // sync page in and out); SQLite allocates it only as pages are used.
        store.Execute($"PRAGMA cache_size = -{CacheKilobytes}");
        BulkLoad.RestoreIndexes(store);
        var cursors = LoadCursors(store);
        var work = new List<Work>();

        // For the stamp: what the plugins read of the environment, and each platform's tree listed before it is discovered.
        var stamping = options.Installation is not null && options.Complete;
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        var watched = context with
        {
            Environment = name =>
            {
                var value = context.Environment(name);
                lock (environment)
                {
                    environment[name] = value;
                }

                return value;
            },
        };
        var parts = new List<SyncStamp.PlatformPart>();
        foreach (var ingestor in _ingestors.Where(i => options.Platforms is null || options.Platforms.Contains(i.Platform)))
        {
            var c = For(ingestor.Platform);
            if (stamping)
            {
                var roots = RootsOf(ingestor, watched);
                if (roots.Count > 0 && SyncStamp.Tree(roots) is { } tree)
                {
                    parts.Add(new SyncStamp.PlatformPart(ingestor.Platform, roots, tree));
                }
                else
                {
                    stamping = false;
                }
            }

            List<SourceFile> sources;
            try
            {
                sources = ingestor.Discover(watched, (path, reason) => c.Problems.Add($"{path}: {reason}")).ToList();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                c.Problems.Add($"listing sources failed: {ex.Message}");
                continue;
            }

            foreach (var source in sources)
            {
                if (options.Paths is not null && !options.Paths.Contains(source.Path))
                {
                    continue;
                }

                c.SourcesFound++;
                if (options.Since is { } since && source.LastWriteUtc < since.UtcDateTime)
                {
                    continue;
                }

                cursors.TryGetValue(source.Path, out var cursor);
                if (source.Length == 0)
                {
                    // Nothing to read; and what is not a regular file (a FIFO, a device, a socket) lists as empty, so it
                    // is never opened: opening a FIFO blocks until something writes to it.
                    c.SourcesUnchanged++;
                    continue;
                }

                if (!options.Force && cursor is not null && cursor.Length == source.Length && cursor.LastWriteUtc == source.LastWriteUtc)
                {
                    c.SourcesUnchanged++;
                    continue;
                }

                var from = options.Force || cursor is null || (source.AppendOnly && source.Length < cursor.Offset) ? null : cursor;
                work.Add(new Work(ingestor, source, from));
            }
        }

        // Big sources first, so the parallel parse finishes evenly.
        work.Sort((a, b) => b.Source.Length.CompareTo(a.Source.Length));
        var bulk = (cursors.Count == 0 || options.Force) && work.Sum(w => w.Source.Length) >= BulkLoad.MinimumBytes;

        // Parse on dedicated threads (no thread-pool spinning), one per core but the writer's (on 2 cores, two parse threads
        // preempted the writer: a full sync 3–11% slower in interleaved runs, and 10 MB more memory; bench/RESULTS.md). The
        // parse threads take the largest sources first and hand the writer batches of records from any number of sources,
        // each source's records followed by its end marker. On 2 cores the one parse thread is the critical path, so the
        // writer, whenever no batch waits for it, parses the smallest source left itself (at most WriterSourceBytes, a few
        // ms, so no batch waits long) and stores its records at once; they meet in the middle (the writer waited 120–160 ms
        // for batches in a full sync of the benchmark corpus before; bench/RESULTS.md). The writer's work that needs no store
        // (RecordPreparer: redaction, hashing, pricing, signals) is done by a parse thread while the writer has batches
        // waiting (it is behind), and by the writer otherwise: each thread takes it when the other is the critical path.
        var writer = new RecordWriter(store, redactor, pricer, For, started) { Signals = _signals };
        var preparer = writer.Preparer;
        var threads = Math.Clamp(work.Count, 1, Math.Max(1, Environment.ProcessorCount - 1));
        var queue = new BatchQueue(Math.Max(4, Environment.ProcessorCount * 2), threads);
        var unread = new SourceQueue(work);
        var parsers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            try
            {
                var buffer = new List<object>(BatchSize);
                while (!cancellationToken.IsCancellationRequested && unread.TakeLargest() is { } next)
                {
                    ParseSource(next, new BufferingSink(next.Ingestor.Platform, preparer, buffer, queue), cancellationToken);
                }

                if (buffer.Count > 0)
                {
                    queue.Add(buffer);
                }
            }
            finally
            {
                queue.ProducerDone();
            }
        })
        {
            IsBackground = true,
            Name = "selftune parse",
        }).ToList();
        parsers.ForEach(t => t.Start());

        // Several batches share one transaction (fewer commits and WAL syncs); a source's cursor is always saved in the
        // transaction that holds its last records.
        var done = 0;
        var readTicks = new Dictionary<string, long>(StringComparer.Ordinal);
        StoreTransaction? tx = null;
        var inTransaction = 0;
        var allocatedAtLastCollect = GC.GetTotalAllocatedBytes();
        var transactionTime = Stopwatch.StartNew();
        try
        {
            // While the writer stores records, statement journals stay in memory: an upsert, or an insert that fires a
            // trigger, keeps the pages it changes in one until it ends, and past 64 KB SQLite spilled it to a temporary file
            // (120 MB written to /var/tmp by a full sync of the benchmark corpus; bench/RESULTS.md). Each of the writer's
            // statements changes a row or a few. Not for the index rebuild after it: with temporary files in memory, SQLite
            // sorts a whole index in memory, however large.
            store.Execute("PRAGMA temp_store = MEMORY");
            beforeWriting?.Invoke();
            if (bulk)
            {
                BulkLoad.Begin(store);
            }

            var own = new List<object>();
            while (true)
            {
                if (!queue.TryTake(out var batch, wait: false))
                {
                    if (!cancellationToken.IsCancellationRequested && unread.TakeSmallest(WriterSourceBytes) is { } small)
                    {
                        ParseSource(small, new BufferingSink(small.Ingestor.Platform, preparer, own, null), cancellationToken);
                        StoreBatch(own);
                        own.Clear();
                        continue;
                    }

                    if (!queue.TryTake(out batch, wait: true))
                    {
                        break;
                    }
                }

                StoreBatch(batch);
            }

            tx?.Commit();
        }
        finally
        {
            queue.Abandon();
            parsers.ForEach(t => t.Join());
            tx?.Dispose();
            writer.Dispose();
        }

        store.Execute("PRAGMA temp_store = DEFAULT");

        void StoreBatch(List<object> batch)
        {
            if (tx is null)
            {
                tx = store.BeginTransaction();
                transactionTime.Restart();
            }

            foreach (var item in batch)
            {
                switch (item)
                {
                    case SourceDone final:
                        var c = For(final.Platform);
                        c.Lines += final.Lines;
                        readTicks[final.Platform] = readTicks.GetValueOrDefault(final.Platform) + final.ElapsedTicks;
                        if (final.Failure is null)
                        {
                            c.SourcesRead++;
                            if (final.Cursor is not null && !cancellationToken.IsCancellationRequested)
                            {
                                writer.SaveCursor(final.Platform, final.Path, final.Cursor);
                            }
                        }
                        else
                        {
                            c.SourcesFailed++;
                            c.Problems.Add($"{final.Path}: {final.Failure}");
                        }

                        options.Progress?.Invoke(++done, work.Count);
                        break;
                    case Malformed bad:
                        For(bad.Platform).AddMalformed(bad.Record.Path, bad.Record.Line, bad.Record.Reason);
                        break;
                    case PreparedRecord record:
                        writer.Write(record);
                        break;
                    default:
                        Dispatch(writer, item);
                        break;
                }
            }

            inTransaction += batch.Count;

            // The workstation GC lets the young generation grow to a budget derived from the CPU cache (~90 MB on the
            // benchmark machine) before it collects; a sync's records die young, so collecting them every
            // YoungGarbageBytes keeps peak memory down for a few milliseconds in all. Generation 1 too: the batches
            // in flight at a collection survive it, and collecting generation 0 alone piled them up in the older
            // generations (~40 MB by the end of a full sync; bench/RESULTS.md).
            if (GC.GetTotalAllocatedBytes() - allocatedAtLastCollect > YoungGarbageBytes)
            {
                GC.Collect(1, GCCollectionMode.Forced, blocking: true);
                allocatedAtLastCollect = GC.GetTotalAllocatedBytes();
            }

            if (inTransaction >= (bulk ? BulkRecordsPerTransaction : RecordsPerTransaction)
                || transactionTime.ElapsedMilliseconds >= (bulk ? BulkMaxTransactionMs : MaxTransactionMs))
            {
                tx.Commit();
                tx.Dispose();
                tx = null;
                inTransaction = 0;
            }
        }

        // The outcome of every session this sync touched (Analysis/OutcomeRules), so sessions, last and cost show it. After a
        // bulk load its facts are read on a second connection while this one rebuilds the indexes (~80 ms each on the
        // benchmark corpus, which the two cores then share; bench/RESULTS.md).
        var facts = bulk ? BulkLoad.End(store, () => ReadFacts(store.Path, started)) : null;
        var checkpoint = bulk ? BulkLoad.CheckpointBeside(store.Path) : Task.CompletedTask;
        cancellationToken.ThrowIfCancellationRequested();
        OutcomeStore.Classify(store, facts ?? OutcomeStore.LoadFacts(store, started.ToUnixTimeMilliseconds()), _time.GetUtcNow().ToUnixTimeMilliseconds());
        foreach (var (platform, ticks) in readTicks)
        {
            For(platform).ElapsedMs = ticks / TimeSpan.TicksPerMillisecond; // time spent reading its sources, all threads
        }

        if (options.Installation is not null && options.Complete)
        {
            if (stamping && counters.Values.All(c => c.SourcesFailed == 0 && c.Problems.Count == 0))
            {
                SyncStamp.Save(store, options.Installation, context.UserHome, environment, parts.Select(p => (p, counters[p.Platform].SourcesFound)).ToList());
            }
            else
            {
                SyncStamp.Clear(store);
            }
        }

        var report = new SyncReport(started, clock.ElapsedMilliseconds, _ingestors
            .Where(i => counters.ContainsKey(i.Platform)).Select(i => counters[i.Platform])
            .Concat(counters.Values.Where(c => !_ingestors.Any(i => i.Platform == c.Platform))).ToList());
        Record(store, report);
        checkpoint.GetAwaiter().GetResult();
        return report;
    }

    /// <summary>Stores a sync's report in <c>sync_runs</c> (what <c>status</c> shows as the last sync).</summary>
    public static void Record(SelftuneStore store, SyncReport report) =>
        store.Execute("INSERT INTO sync_runs (started_at, elapsed_ms, report_json) VALUES ($s, $e, $r)",
            ("$s", report.StartedAt.ToUnixTimeMilliseconds()), ("$e", report.ElapsedMs), ("$r", SyncReportJson.Write(report)));

    private static List<OutcomeFacts> ReadFacts(string path, DateTimeOffset started)
    {
        using var reader = SelftuneStore.Open(path, readOnly: true);
        return OutcomeStore.LoadFacts(reader, started.ToUnixTimeMilliseconds());
    }

    private static IReadOnlyList<SourceRoot> RootsOf(IIngestor ingestor, PlatformContext context)
    {
        try
        {
            return ingestor.SourceRoots(context);
        }
#pragma warning disable CA1031 // A plugin's bug must not stop the sync; without roots the platform is simply never skipped.
        catch (Exception)
#pragma warning restore CA1031
        {
            return [];
        }
    }

    private static void ParseSource(Work work, BufferingSink sink, CancellationToken cancellationToken)
    {
        var (ingestor, source, from) = work;
        var started = Stopwatch.GetTimestamp();
        SourceDone done;
        try
        {
            var result = ingestor.Ingest(source, from, sink, cancellationToken);
            done = new SourceDone(ingestor.Platform, source.Path, result.Cursor, result.Lines, null);
        }
        catch (OperationCanceledException)
        {
            done = new SourceDone(ingestor.Platform, source.Path, null, 0, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            done = new SourceDone(ingestor.Platform, source.Path, null, 0, ex.Message);
        }
#pragma warning disable CA1031 // A plugin's bug must not stop the sync of everything else; it is reported per source.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            done = new SourceDone(ingestor.Platform, source.Path, null, 0, $"the {ingestor.Platform} plugin failed: {ex.GetType().Name}: {ex.Message}");
        }

        sink.Add(done with { ElapsedTicks = Stopwatch.GetElapsedTime(started).Ticks });
    }

    private static void Dispatch(RecordWriter writer, object record)
    {
        switch (record)
        {
            case SessionRecord s: writer.Session(s); break;
            case PromptRecord p: writer.Prompt(p); break;
            case SkillInvocationRecord i: writer.SkillInvocation(i); break;
            case ToolCallRecord t: writer.ToolCall(t); break;
            case TokenUsageRecord u: writer.Usage(u); break;
            case ErrorRecord e: writer.Error(e); break;
            case CommitRecord commit: writer.Commit(commit); break;
        }
    }

    private static Dictionary<string, SourceCursor> LoadCursors(SelftuneStore store) =>
        store.Query("SELECT path, byte_offset, length, last_write_utc, state FROM source_cursors", r => (
                Path: r.GetString(0),
                Cursor: new SourceCursor(r.GetInt64(1), r.GetInt64(2), new DateTime(r.GetInt64(3), DateTimeKind.Utc), r.IsDBNull(4) ? null : r.GetString(4))))
            .ToDictionary(x => x.Path, x => x.Cursor, StringComparer.Ordinal);

    /// <summary>A source to read, from its cursor (null: from the start).</summary>
    private sealed record Work(IIngestor Ingestor, SourceFile Source, SourceCursor? From);

    /// <summary>The end of one source's records in a batch.</summary>
    private sealed record SourceDone(string Platform, string Path, SourceCursor? Cursor, long Lines, string? Failure)
    {
        /// <summary>How long reading the source took (ticks).</summary>
        public long ElapsedTicks { get; init; }
    }

    /// <summary>A malformed input record of a platform's source.</summary>
    private sealed record Malformed(string Platform, MalformedRecord Record);

    /// <summary>Appends a source's records to a batch. A parse thread's sink hands full batches to the writer through
    /// <paramref name="queue"/>, and prepares records (<see cref="RecordPreparer"/>) while the writer has batches waiting;
    /// the writer's own (no queue) keeps them all, for the writer to store once the source is read.</summary>
    private sealed class BufferingSink(string platform, RecordPreparer preparer, List<object> buffer, BatchQueue? queue) : IRecordSink
    {
        private bool Prepare => queue is { Backlog: true };

        public void Session(SessionRecord session) => Add(session);
        public void Prompt(PromptRecord prompt) => Add(Prepare ? preparer.Prompt(prompt) : prompt);
        public void SkillInvocation(SkillInvocationRecord invocation) => Add(Prepare ? preparer.SkillInvocation(invocation) : invocation);
        public void ToolCall(ToolCallRecord call) => Add(Prepare ? preparer.ToolCall(call) : call);
        public void Usage(TokenUsageRecord usage) => Add(Prepare ? preparer.Usage(usage) : usage);
        public void Error(ErrorRecord error) => Add(Prepare ? preparer.Error(error) : error);
        public void Commit(CommitRecord commit) => Add(Prepare ? preparer.Commit(commit) : commit);
        public void Malformed(string path, long line, string reason) => Add(new Malformed(platform, new MalformedRecord(path, line, reason)));

        public void Add(object item)
        {
            buffer.Add(item);
            if (queue is not null && buffer.Count >= BatchSize)
            {
                queue.Add([.. buffer]);
                buffer.Clear();
            }
        }
    }

    /// <summary>The sources to read, largest first: the parse threads take them from the front, the writer from the back.</summary>
    private sealed class SourceQueue(List<Work> work)
    {
        private int _front;
        private int _back = work.Count - 1;

        /// <summary>The largest source no thread took yet; null when none is left.</summary>
        public Work? TakeLargest()
        {
            lock (work)
            {
                return _front <= _back ? work[_front++] : null;
            }
        }

        /// <summary>The smallest source no thread took yet, when it has at most <paramref name="maxBytes"/>; otherwise null.</summary>
        public Work? TakeSmallest(long maxBytes)
        {
            lock (work)
            {
                return _front <= _back && work[_back].Source.Length <= maxBytes ? work[_back--] : null;
            }
        }
    }

    /// <summary>A bounded hand-off of batches from the parse threads to the writer (blocking, without spinning).</summary>
    private sealed class BatchQueue(int capacity, int producers)
    {
        private readonly Queue<List<object>> _batches = new();
        private readonly object _gate = new();
        private int _producers = producers;
        private bool _abandoned;
        private volatile int _count;

        /// <summary>True while a batch waits for the writer (read without the lock: a hint).</summary>
        public bool Backlog => _count > 0;

        public void Add(List<object> batch)
        {
            lock (_gate)
            {
                while (_batches.Count >= capacity && !_abandoned)
                {
                    Monitor.Wait(_gate);
                }

                if (!_abandoned)
                {
                    _batches.Enqueue(batch);
                    _count = _batches.Count;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        /// <summary>Takes the oldest batch; when none waits, false at once, or (<paramref name="wait"/>) once one comes or
        /// every producer is done.</summary>
        public bool TryTake(out List<object> batch, bool wait)
        {
            lock (_gate)
            {
                while (wait && _batches.Count == 0 && _producers > 0)
                {
                    Monitor.Wait(_gate);
                }

                if (_batches.Count == 0)
                {
                    batch = [];
                    return false;
                }

                batch = _batches.Dequeue();
                _count = _batches.Count;
                Monitor.PulseAll(_gate);
                return true;
            }
        }

        public void ProducerDone()
        {
            lock (_gate)
            {
                _producers--;
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>The writer stopped (done or failed): producers stop waiting and drop what they add.</summary>
        public void Abandon()
        {
            lock (_gate)
            {
                _abandoned = true;
                Monitor.PulseAll(_gate);
            }
        }
    }
}
