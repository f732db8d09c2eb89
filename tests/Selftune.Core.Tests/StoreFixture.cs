using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Pricing;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Core.Tests;

/// <summary>A real store in a temp folder, filled through the real <see cref="RecordWriter"/>.</summary>
public sealed class StoreFixture : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "selftune-store-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, IngestCounters> _counters = [];

    public StoreFixture()
    {
        Directory.CreateDirectory(_dir);
        Store = SelftuneStore.Open(Path.Combine(_dir, "selftune.db"));
        Writer = new RecordWriter(Store, new Redactor(), PricingTable.Shipped(), p => _counters.TryGetValue(p, out var c) ? c : _counters[p] = new IngestCounters { Platform = p }, DateTimeOffset.UtcNow);
    }

    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public SelftuneStore Store { get; }

    public RecordWriter Writer { get; }

    public IngestCounters Counters(string platform = Platforms.ClaudeCode) => _counters[platform];

    public static Provenance Transcript => new(Platforms.ClaudeCode, CaptureMode.Transcript, 1.0, "/t.jsonl", 1);

    public static Provenance Hook => new(Platforms.ClaudeCode, CaptureMode.Hook, 0.8);

    public void Session(string id, double daysAgo, string? parent = null, string cwd = "/home/dev/shop") =>
        Writer.Session(new SessionRecord(id, Transcript, parent, Now.AddDays(-daysAgo), Now.AddDays(-daysAgo).AddMinutes(30), cwd, "main", "2.1.39", ["claude-opus-4-6"]));

    public string Prompt(string session, string id, string text, double daysAgo, PromptKind kind = PromptKind.User)
    {
        Writer.Prompt(new PromptRecord(id, session, Now.AddDays(-daysAgo), text, kind, Transcript));
        return id;
    }

    public void Invocation(string session, string id, string skill, InvocationKind kind, string? prompt, double daysAgo) =>
        Writer.SkillInvocation(new SkillInvocationRecord(id, session, Now.AddDays(-daysAgo), skill, kind, Transcript, prompt));

    public void Dispose()
    {
        Writer.Dispose();
        Store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
