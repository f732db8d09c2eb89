using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Pricing;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Core.Tests.Support;

/// <summary>The store fixture: a real store file in a temporary folder, filled through the real
/// <see cref="RecordWriter"/> (redaction, source-truth rule and shipped prices) from records a test constructs. Times
/// are relative to <see cref="T0"/>.</summary>
internal sealed class TestStore : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 10, 1, 9, 0, 0, TimeSpan.Zero);
    public static readonly Provenance Transcript = new("agent", CaptureMode.Transcript, 1.0, "/logs/s.jsonl", 1);
    public static readonly Provenance Hook = new("agent", CaptureMode.Hook, 0.9);
    public static readonly Provenance Repair = new("agent", CaptureMode.Repair, 0.9);

    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-store-").FullName;
    private readonly Dictionary<string, IngestCounters> _counters = [];

    public TestStore()
    {
        Store = SelftuneStore.Open(Path.Combine(_dir, "selftune.db"));
        Writer = new RecordWriter(Store, new Redactor(), PricingTable.Shipped(), p => _counters.TryGetValue(p, out var c) ? c : _counters[p] = new IngestCounters { Platform = p }, T0);
    }

    public SelftuneStore Store { get; }

    public string Folder => _dir;

    /// <summary>The writer every helper uses; outside <see cref="Write"/> each record commits on its own.</summary>
    public RecordWriter Writer { get; }

    /// <summary>What the writer counted for <paramref name="platform"/>.</summary>
    public IngestCounters Counters(string platform = "agent") => _counters[platform];

    /// <summary>Writes records in one transaction.</summary>
    public TestStore Write(Action<IRecordSink> action)
    {
        using var tx = Store.BeginTransaction();
        action(Writer);
        tx.Commit();
        return this;
    }

    /// <summary>A session with one actionable prompt per text, minutes apart; returns the prompt ids (<c>&lt;session&gt;:p&lt;n&gt;</c>).</summary>
    public IReadOnlyList<string> Session(string sessionId, int minute, params string[] prompts)
    {
        var ids = prompts.Select((_, i) => $"{sessionId}:p{i}").ToList();
        Write(w =>
        {
            w.Session(new SessionRecord(sessionId, Transcript, StartedAt: T0.AddMinutes(minute), EndedAt: T0.AddMinutes(minute + prompts.Length + 1), Status: CompletionStatus.Completed));
            for (var i = 0; i < prompts.Length; i++)
            {
                w.Prompt(new PromptRecord(ids[i], sessionId, T0.AddMinutes(minute + i), prompts[i], PromptClassifier.Classify(prompts[i]), Transcript));
            }
        });
        return ids;
    }

    /// <summary>A skill invocation in <paramref name="sessionId"/> at <paramref name="minute"/> (+30 s).</summary>
    public TestStore Invocation(string id, string sessionId, int minute, string skill, string? promptId, InvocationKind kind = InvocationKind.Implicit, Provenance? provenance = null) =>
        Write(w => w.SkillInvocation(new SkillInvocationRecord(id, sessionId, T0.AddMinutes(minute).AddSeconds(30), skill, kind, provenance ?? Transcript, promptId, ToolUseId: id)));

    /// <summary>A half-hour session that started <paramref name="daysAgo"/> days before <see cref="T0"/>.</summary>
    public void SessionDaysAgo(string id, double daysAgo, string? parent = null, string cwd = "/home/dev/shop") =>
        Writer.Session(new SessionRecord(id, Transcript, parent, T0.AddDays(-daysAgo), T0.AddDays(-daysAgo).AddMinutes(30), cwd, "main", "2.1.39", ["claude-opus-4-6"]));

    /// <summary>A prompt <paramref name="daysAgo"/> days before <see cref="T0"/>; returns its id.</summary>
    public string PromptDaysAgo(string session, string id, string text, double daysAgo, PromptKind kind = PromptKind.User)
    {
        Writer.Prompt(new PromptRecord(id, session, T0.AddDays(-daysAgo), text, kind, Transcript));
        return id;
    }

    /// <summary>A skill invocation <paramref name="daysAgo"/> days before <see cref="T0"/>.</summary>
    public void InvocationDaysAgo(string session, string id, string skill, InvocationKind kind, string? prompt, double daysAgo) =>
        Writer.SkillInvocation(new SkillInvocationRecord(id, session, T0.AddDays(-daysAgo), skill, kind, Transcript, prompt));

    public void Dispose()
    {
        Writer.Dispose();
        Store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
