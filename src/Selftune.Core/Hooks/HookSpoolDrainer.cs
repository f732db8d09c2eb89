using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Core.Signals;
using Selftune.Core.Store;

namespace Selftune.Core.Hooks;

/// <summary>A transcript a hook event pointed at (its turn or session ended), to ingest now.</summary>
/// <param name="Platform">The platform whose ingestor reads it.</param>
/// <param name="SessionId">The session, when the payload named it.</param>
/// <param name="Path">The transcript's absolute path.</param>
internal sealed record HookTranscript(string Platform, string? SessionId, string Path);

/// <summary>What a drain of the hook spool did.</summary>
/// <param name="Files">Spool files read.</param>
/// <param name="Events">Spool lines read (one event each).</param>
/// <param name="Platforms">Records stored per platform; events no plugin could read are counted as malformed under
/// <c>unknown</c> with their spool file and line.</param>
/// <param name="Transcripts">Transcripts the events named at the end of a turn or session.</param>
/// <param name="ElapsedMs">Wall-clock duration (ms).</param>
internal sealed record HookDrainReport(int Files, long Events, IReadOnlyList<IngestCounters> Platforms, IReadOnlyList<HookTranscript> Transcripts, long ElapsedMs);

/// <summary>
/// Turns the hook spool (<see cref="HookSpool"/>) into store records through the plugins' <see cref="IHookHandler"/>s,
/// as hints (<see cref="CaptureMode.Hook"/>) that the transcript's records later supersede.
/// <para>Never loses a line: each spool file's content is first moved, under the spool's exclusive lock, into a
/// <c>draining-*.jsonl</c> file flushed to disk (hooks keep appending to the emptied spool file meanwhile); a draining
/// file is deleted only after its records are committed, and one left by a crash is drained again next time (record
/// ids make that idempotent). One drain runs at a time (<c>spool/.drain.lock</c>).</para>
/// <para>A line cut short by an interrupted append is counted as malformed and skipped; the reader resynchronises at
/// the next newline, or at the next envelope when an older writer glued one to it.</para>
/// </summary>
internal sealed class HookSpoolDrainer
{
    /// <summary>How long a drain waits for another drain, or for a hook holding a spool file's lock (ms).</summary>
    public const int LockTimeoutMs = 30_000;

    private const string Unknown = "unknown";
    private const string EnvelopeStart = "{\"received_at\":\"";
    private readonly IReadOnlyList<IHookHandler> _handlers;
    private readonly TimeProvider _time;
    private readonly ImprovementSignalDetector? _signals;

    /// <summary>Creates a drainer.</summary>
    /// <param name="handlers">The loaded hook handlers.</param>
    /// <param name="time">The clock.</param>
    /// <param name="signals">Finds improvement signals in new actionable prompts; null looks for none.</param>
    public HookSpoolDrainer(IEnumerable<IHookHandler> handlers, TimeProvider time, ImprovementSignalDetector? signals = null)
    {
        _handlers = handlers.ToList();
        _time = time;
        _signals = signals;
    }

    /// <summary>Stores every spooled event.</summary>
    /// <param name="store">The store.</param>
    /// <param name="home">The home whose spool is drained.</param>
    /// <param name="redactor">Applied before anything is stored.</param>
    /// <param name="cancellationToken">Stops between spool files; what was committed stays, the rest waits for the next drain.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.Locked"/> when another drain held the spool for
    /// <see cref="LockTimeoutMs"/>; store errors as <see cref="SelftuneStore"/> reports them.</exception>
    public HookDrainReport Drain(SelftuneStore store, SelftuneHome home, Redactor redactor, CancellationToken cancellationToken)
    {
        try
        {
            return DrainSpool(store, home, redactor, cancellationToken);
        }
        finally
        {
            HookState.Refresh(store, home, _time.GetUtcNow()); // the in-turn hooks' nudges follow what was just stored
        }
    }

    private HookDrainReport DrainSpool(SelftuneStore store, SelftuneHome home, Redactor redactor, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var counters = new Dictionary<string, IngestCounters>(StringComparer.Ordinal);
        var transcripts = new List<HookTranscript>();
        if (!Directory.Exists(home.SpoolPath))
        {
            return new HookDrainReport(0, 0, [], [], clock.ElapsedMilliseconds);
        }

        IngestCounters For(string platform) => counters.For(platform);

        var deadline = Environment.TickCount64 + LockTimeoutMs;
        using var drainLock = TakeDrainLock(home, deadline);
        var now = _time.GetUtcNow();
        TakeSpoolFiles(home, now, deadline);

        int files = 0;
        long events = 0;
        foreach (var file in HookSpool.PendingFiles(home).Where(f => Path.GetFileName(f).StartsWith(HookSpool.DrainingPrefix, StringComparison.Ordinal)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var tx = store.BeginTransaction())
            using (var writer = new RecordWriter(store, redactor, null, For, now) { Signals = _signals })
            {
                events += DrainFile(home, file, writer, For, transcripts);
                tx.Commit();
            }

            File.Delete(file);
            files++;
        }

        var distinct = transcripts.DistinctBy(t => (t.Platform, t.Path)).ToList();
        return new HookDrainReport(files, events, counters.Values.OrderBy(c => c.Platform, StringComparer.Ordinal).ToList(), distinct, clock.ElapsedMilliseconds);
    }

    private static FileStream TakeDrainLock(SelftuneHome home, long deadline)
    {
        try
        {
            return SpoolFile.OpenExclusive(Path.Combine(home.SpoolPath, ".drain.lock"), FileMode.OpenOrCreate, deadline);
        }
        catch (IOException ex)
        {
            throw new SelftuneException(ErrorCodes.Locked, $"Another selftune process kept the hook spool '{home.SpoolPath}' locked for {LockTimeoutMs / 1000} s: {ex.Message}", "selftune doctor", inner: ex);
        }
    }

    private static void TakeSpoolFiles(SelftuneHome home, DateTimeOffset now, long deadline)
    {
        var oldest = HookSpool.FileFor(home.SpoolPath, now.AddDays(-2));
        foreach (var spool in HookSpool.PendingFiles(home).Where(f => Path.GetFileName(f).StartsWith(HookSpool.SpoolPrefix, StringComparison.Ordinal)))
        {
            var target = Path.Combine(home.SpoolPath, $"{HookSpool.DrainingPrefix}{Path.GetFileNameWithoutExtension(spool)}-{now.UtcTicks.ToString(CultureInfo.InvariantCulture)}-{Environment.ProcessId}.jsonl");
            if (SpoolFile.TakeContent(spool, target, deadline) == 0 && string.CompareOrdinal(spool, oldest) < 0)
            {
                // An empty file of a day long past: no hook can still hold it open (hooks are bounded to seconds).
                File.Delete(spool);
            }
        }
    }

    private long DrainFile(SelftuneHome home, string file, RecordWriter writer, Func<string, IngestCounters> counters, List<HookTranscript> transcripts)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, false));
        long lineNumber = 0, events = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            events++;
            if (line.LastIndexOf(EnvelopeStart, StringComparison.Ordinal) is > 0 and var glued)
            {
                // A line cut short (an interrupted append) with a whole one glued to it, as a writer before the
                // fresh-line rule left it: the envelope's opening cannot occur inside a line (its strings are escaped),
                // so resynchronise there; the broken part is counted.
                counters(Unknown).AddMalformed(file, lineNumber, "a spool line cut short (an interrupted append); the event after it was kept");
                line = line[glued..];
            }

            if (!TryReadEnvelope(line, out var envelope, out var problem))
            {
                counters(Unknown).AddMalformed(file, lineNumber, problem);
                continue;
            }

            if (envelope.PayloadProblem is { } payloadProblem)
            {
                // The hook kept the payload as it came; this is where it turns out unusable: count it and log it.
                counters(envelope.Platform ?? Unknown).AddMalformed(file, lineNumber, payloadProblem);
                HookSpool.LogError(home, envelope.ReceivedAt, $"hook {envelope.EventName}" + (envelope.Platform is { } p ? $" --platform {p}" : string.Empty), payloadProblem);
                continue;
            }

            var handler = envelope.Platform is { } flag
                ? _handlers.FirstOrDefault(h => h.Platform == flag)
                : _handlers.FirstOrDefault(h => Recognizes(h, envelope.Payload));
            if (handler is null)
            {
                counters(Unknown).AddMalformed(file, lineNumber, envelope.Platform is { } platform
                    ? $"no installed plugin handles hooks of platform '{platform}'"
                    : "no installed plugin recognizes this hook payload");
                continue;
            }

            var c = counters(handler.Platform);
            c.Lines++;
            try
            {
                var outcome = handler.Handle(new HookEvent(envelope.EventName, envelope.Payload, envelope.ReceivedAt), new SpoolSink(writer, c, file, lineNumber));
                if (outcome.TranscriptPath is { Length: > 0 } transcript)
                {
                    transcripts.Add(new HookTranscript(handler.Platform, outcome.SessionId, Path.GetFullPath(transcript)));
                }
            }
#pragma warning disable CA1031 // A plugin's bug must not stop the drain of every other event; it is counted against the event.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                c.AddMalformed(file, lineNumber, $"the {handler.Platform} hook handler failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        return events;
    }

    private static bool Recognizes(IHookHandler handler, string payload)
    {
        try
        {
            return handler.Recognizes(payload);
        }
#pragma warning disable CA1031 // A plugin that cannot tell is a plugin that does not recognize it.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static bool TryReadEnvelope(string line, out Envelope envelope, out string problem)
    {
        envelope = default;
        problem = string.Empty;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("received_at", out var at) || !at.TryGetDateTimeOffset(out var receivedAt))
            {
                problem = "not a hook spool line (no received_at)";
                return false;
            }

            var payload = Text(root, "payload") ?? Text(root, "argv_payload") ?? string.Empty;
            if (root.TryGetProperty("payload_bytes", out var size) && size.TryGetInt64(out var fullBytes))
            {
                payload = TruncatedPayload.Close(payload, fullBytes) ?? payload; // cut by the hook: close what arrived
            }

            string? hookEventName = null, payloadProblem = null;
            try
            {
                using var json = JsonDocument.Parse(payload);
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("hook_event_name", out var name) && name.ValueKind == JsonValueKind.String)
                {
                    hookEventName = name.GetString();
                }
            }
            catch (JsonException ex)
            {
                payloadProblem = payload.Length == 0
                    ? "the hook received no payload"
                    : $"the payload is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})";
            }

            envelope = new Envelope(receivedAt, Text(root, "event") ?? hookEventName ?? string.Empty, Text(root, "platform"), payload, payloadProblem);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            problem = $"unreadable spool line: {ex.Message}";
            return false;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private readonly record struct Envelope(DateTimeOffset ReceivedAt, string EventName, string? Platform, string Payload, string? PayloadProblem);

    /// <summary>Forwards a handler's records to the writer, attributing malformed payloads to their spool line.</summary>
    private sealed class SpoolSink(RecordWriter writer, IngestCounters counters, string file, long line) : IRecordSink
    {
        public void Session(SessionRecord session) => writer.Session(session);
        public void Prompt(PromptRecord prompt) => writer.Prompt(prompt);
        public void SkillInvocation(SkillInvocationRecord invocation) => writer.SkillInvocation(invocation);
        public void ToolCall(ToolCallRecord call) => writer.ToolCall(call);
        public void Usage(TokenUsageRecord usage) => writer.Usage(usage);
        public void Error(ErrorRecord error) => writer.Error(error);
        public void Commit(CommitRecord commit) => writer.Commit(commit);
        public void Malformed(string path, long payloadLine, string reason) => counters.AddMalformed(file, line, reason);
    }
}
