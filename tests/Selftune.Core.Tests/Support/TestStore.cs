using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Core.Tests.Support;

/// <summary>A real store file in a temporary folder, filled through the real <see cref="RecordWriter"/> (redaction,
/// source-truth rule and all) from records a test constructs.</summary>
public sealed class TestStore : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 10, 1, 9, 0, 0, TimeSpan.Zero);
    public static readonly Provenance Transcript = new("agent", CaptureMode.Transcript, 1.0, "/logs/s.jsonl", 1);
    public static readonly Provenance Hook = new("agent", CaptureMode.Hook, 0.9);
    public static readonly Provenance Repair = new("agent", CaptureMode.Repair, 0.9);

    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-store-").FullName;

    public TestStore() => Store = SelftuneStore.Open(Path.Combine(_dir, "selftune.db"));

    public SelftuneStore Store { get; }

    public string Folder => _dir;

    /// <summary>Writes records in one transaction.</summary>
    public TestStore Write(Action<IRecordSink> action)
    {
        using var writer = new RecordWriter(Store, new Redactor(), null, p => new IngestCounters { Platform = p }, T0);
        using var tx = Store.BeginTransaction();
        action(writer);
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

    public void Dispose()
    {
        Store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
