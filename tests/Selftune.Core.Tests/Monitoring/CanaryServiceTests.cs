using NSubstitute;
using Selftune.Abstractions;
using Selftune.Core.Evolution;
using Selftune.Core.Ingest;
using Selftune.Core.Monitoring;
using Selftune.Core.Privacy;
using Selftune.Core.Tests.Evolution;
using Turn = Selftune.Core.Tests.Evolution.EvolutionFixture.Turn;

namespace Selftune.Core.Tests.Monitoring;

public sealed class CanaryServiceTests
{
    private const string Skill = "---\nname: research\ndescription: Research libraries.\n---\n# Research\n\nSee [notes](references/notes.md).\n";
    private const string NewDescription = "Use when the user wants libraries researched and compared.";
    private static readonly WatchOptions Options = new(MinSessions: 3, WindowSessions: 20, Threshold: 0.10);

    [Fact]
    public void A_canary_goes_to_the_repositories_project_folder_only_and_is_promoted_on_good_health()
    {
        using var f = new EvolutionFixture(Skill);
        var references = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(f.SkillPath)!, "references")).FullName;
        File.WriteAllText(Path.Combine(references, "notes.md"), "notes\n");
        var repo = Repo(f, "repo-a");
        f.Validated("evo-1", NewDescription);
        var service = Service(f);

        var started = service.Start(f.Store, "evo-1", [repo], Options);

        var canaryFile = Path.Combine(repo, ".agents", "skills", "research", "SKILL.md");
        Assert.Equal([canaryFile], started.Paths);
        Assert.Contains(NewDescription, File.ReadAllText(canaryFile), StringComparison.Ordinal);
        Assert.Equal("notes\n", File.ReadAllText(Path.Combine(repo, ".agents", "skills", "research", "references", "notes.md")));
        Assert.Equal(Skill, File.ReadAllText(f.SkillPath));
        Assert.Equal(WatchVerdict.NotEnoughData, started.Verdict);
        Assert.Equal(AuditActions.Validated, f.Trail.Proposal("evo-1")!.Status);
        Assert.Equal(CanaryStatus.Watching, Assert.Single(service.Decide(f.Store, Options)).Status);

        var start = f.Time.GetUtcNow();
        for (var i = 0; i < 3; i++)
        {
            Healthy(f, $"canary-{i}", start.AddHours(i + 1), repo);
            Healthy(f, $"user-{i}", start.AddHours(i + 1), "/work/elsewhere");
        }

        f.Time.Advance(TimeSpan.FromDays(1));
        var decided = Assert.Single(service.Decide(f.Store, Options));

        Assert.Equal(CanaryStatus.Promoted, decided.Status);
        Assert.Contains(NewDescription, File.ReadAllText(f.SkillPath), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(repo, ".agents", "skills", "research")));
        Assert.Equal(AuditActions.Deployed, f.Trail.Proposal("evo-1")!.Status);
        Assert.Equal(3, decided.Canary!.Sessions);
        Assert.Equal(3, decided.Control!.Sessions);
        Assert.Equal([AuditActions.Validated, AuditActions.CanaryDeployed, AuditActions.Deployed, AuditActions.CanaryRemoved], f.Trail.Entries("research").Select(e => e.Action));
        // the promotion is an ordinary deploy: rollback restores the original bytes
        new SkillDeployer(f.Home, f.Time).Rollback(f.Trail, "research", null, "test");
        Assert.Equal(Skill, File.ReadAllText(f.SkillPath));
    }

    [Fact]
    public void A_canary_that_regresses_against_the_user_scope_is_aborted_and_the_user_skill_never_changes()
    {
        using var f = new EvolutionFixture(Skill.Replace("See [notes](references/notes.md).", string.Empty, StringComparison.Ordinal));
        var original = File.ReadAllText(f.SkillPath);
        var repo = Repo(f, "repo-b");
        f.Validated("evo-1", NewDescription);
        var service = Service(f);
        service.Start(f.Store, "evo-1", [repo], Options);
        var start = f.Time.GetUtcNow();
        for (var i = 0; i < 3; i++)
        {
            // in the canary the agent reads the skill but no longer invokes it by itself
            f.Session($"canary-{i}", start.AddHours(i + 1), new Turn("research which markdown parser to use", InvocationKind.Read), new Turn("compare http clients", InvocationKind.Implicit));
            MoveTo(f, $"canary-{i}", start.AddHours(i + 1), repo);
            Healthy(f, $"user-{i}", start.AddHours(i + 1), "/work/elsewhere");
        }

        var status = Assert.Single(service.Status(f.Store, "research", Options));
        Assert.Equal(WatchVerdict.Regressed, status.Verdict);
        Assert.Equal("selftune canary abort --skill research", status.NextCommand);
        var refused = Assert.Throws<SelftuneException>(() => service.Promote(f.Store, "research", Options, force: false));
        Assert.Equal(ErrorCodes.InvalidArgument, refused.Code);

        var decided = Assert.Single(service.Decide(f.Store, Options));

        Assert.Equal(CanaryStatus.Aborted, decided.Status);
        Assert.Contains(decided.Regressions, r => r.StartsWith("trigger rate on turns that wanted the skill fell from 1.00 to 0.50", StringComparison.Ordinal));
        Assert.Equal(original, File.ReadAllText(f.SkillPath));
        Assert.False(Directory.Exists(Path.Combine(repo, ".agents", "skills", "research")));
        Assert.Equal(AuditActions.Rejected, f.Trail.Proposal("evo-1")!.Status);
        Assert.Empty(service.Decide(f.Store, Options));
        Assert.Equal(ErrorCodes.NotFound, Assert.Throws<SelftuneException>(() => service.Abort(f.Store, "research", Options, "again")).Code);
    }

    [Fact]
    public void A_repository_that_has_its_own_copy_of_the_skill_is_refused_and_an_edited_canary_file_is_kept_on_abort()
    {
        using var f = new EvolutionFixture(Skill.Replace("See [notes](references/notes.md).", string.Empty, StringComparison.Ordinal));
        var taken = Repo(f, "taken");
        Directory.CreateDirectory(Path.Combine(taken, ".agents", "skills", "research"));
        var repo = Repo(f, "repo-c");
        f.Validated("evo-1", NewDescription);
        var service = Service(f);

        var ex = Assert.Throws<SelftuneException>(() => service.Start(f.Store, "evo-1", [repo, taken], Options));
        Assert.Equal(ErrorCodes.InvalidArgument, ex.Code);
        Assert.False(Directory.Exists(Path.Combine(repo, ".agents")));

        var started = service.Start(f.Store, "evo-1", [repo], Options);
        File.AppendAllText(started.Paths[0], "\nmy own note\n");
        service.Abort(f.Store, "research", Options, "test");

        Assert.EndsWith("my own note\n", File.ReadAllText(started.Paths[0]), StringComparison.Ordinal);
        Assert.Contains("kept edited file", f.Trail.Entries("research").Last(e => e.Action == AuditActions.CanaryRemoved).Message, StringComparison.Ordinal);
    }

    private static CanaryService Service(EvolutionFixture f)
    {
        var installer = Substitute.For<IInstaller>();
        installer.ProjectSkillFolders.Returns([Path.Combine(".agents", "skills")]);
        return new CanaryService(new SkillDeployer(f.Home, f.Time), [installer], f.Time);
    }

    private static string Repo(EvolutionFixture f, string name) => Directory.CreateDirectory(Path.Combine(f.Root, name)).FullName;

    private static void Healthy(EvolutionFixture f, string id, DateTimeOffset start, string cwd)
    {
        f.Session(id, start, new Turn("research which markdown parser to use", InvocationKind.Implicit, ToolCalls: 4), new Turn("compare http clients", InvocationKind.Implicit, ToolCalls: 2));
        MoveTo(f, id, start, cwd);
    }

    /// <summary>Sets the session's working directory (the fixture writes every session in one folder).</summary>
    private static void MoveTo(EvolutionFixture f, string id, DateTimeOffset start, string cwd)
    {
        using var writer = new RecordWriter(f.Store, new Redactor(), null, p => new IngestCounters { Platform = p }, start);
        writer.Session(new SessionRecord(id, new Provenance(Platforms.ClaudeCode, CaptureMode.Transcript), StartedAt: start, Cwd: cwd));
    }
}
