using Microsoft.Extensions.Time.Testing;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Evolution;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Core.Store;

namespace Selftune.Core.Tests.Evolution;

/// <summary>A temporary selftune home with a real store, a skill folder, and helpers to write sessions through the
/// real <see cref="RecordWriter"/>.</summary>
internal sealed class EvolutionFixture : IDisposable
{
    public EvolutionFixture(string skillMd, string skill = "research")
    {
        Root = Directory.CreateTempSubdirectory("selftune-evolve-").FullName;
        Home = new SelftuneHome(Path.Combine(Root, "home"));
        Home.EnsureExists();
        Store = SelftuneStore.Open(Home.DatabasePath);
        Skill = skill;
        SkillPath = Path.Combine(Root, "skills", skill, "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(SkillPath)!);
        File.WriteAllText(SkillPath, skillMd);
        Time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    }

    public string Root { get; }

    public SelftuneHome Home { get; }

    public SelftuneStore Store { get; }

    public string Skill { get; }

    public string SkillPath { get; }

    public FakeTimeProvider Time { get; }

    public AuditTrail Trail => new(Store);

    /// <summary>Stores a proposal and marks it validated, as evolve does after winning validation.</summary>
    public Proposal Validated(string id, string newDescription)
    {
        var file = Core.Skills.SkillFile.Load(SkillPath);
        var p = new Proposal(id, "run-1", Skill, file.Path, Time.GetUtcNow(), false, "implicit", file.Description, newDescription, file.Sha256, "test", AuditActions.Created);
        Trail.Add(p);
        Trail.Record(Skill, id, AuditActions.Validated, false, "validated", new { after = 1.0 }, Time.GetUtcNow());
        return Trail.Proposal(id)!;
    }

    /// <summary>Writes one session: each turn is a prompt and what happened in it.</summary>
    public void Session(string id, DateTimeOffset start, params Turn[] turns)
    {
        using var tx = Store.BeginTransaction();
        using var writer = new RecordWriter(Store, new Redactor(), null, p => new IngestCounters { Platform = p }, start);
        var provenance = new Provenance(Platforms.ClaudeCode, CaptureMode.Transcript);
        writer.Session(new SessionRecord(id, provenance, StartedAt: start, Cwd: "/work/project"));
        var at = start;
        for (var i = 0; i < turns.Length; i++)
        {
            var t = turns[i];
            var promptId = $"{id}-p{i}";
            writer.Prompt(new PromptRecord(promptId, id, at, t.Prompt, PromptKind.User, provenance));
            if (t.Kind is { } kind)
            {
                writer.SkillInvocation(new SkillInvocationRecord($"{id}-i{i}", id, at.AddSeconds(1), t.SkillName ?? Skill, kind, provenance, promptId));
            }

            for (var c = 0; c < t.ToolCalls; c++)
            {
                writer.ToolCall(new ToolCallRecord($"{id}-t{i}-{c}", id, at.AddSeconds(2 + c), "Bash", provenance, IsError: c < t.ToolErrors, PromptId: promptId));
            }

            if (t.Interrupted)
            {
                writer.Error(new ErrorRecord($"{id}-e{i}", id, at.AddSeconds(30), "interrupted", "[Request interrupted by user]", provenance));
            }

            at = at.AddMinutes(5);
        }

        tx.Commit();
    }

    public void Dispose()
    {
        Store.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    internal sealed record Turn(string Prompt, InvocationKind? Kind, int ToolCalls = 0, int ToolErrors = 0, bool Interrupted = false, string? SkillName = null);
}
