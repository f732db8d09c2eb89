using Microsoft.Extensions.Time.Testing;
using Selftune.Abstractions;
using Selftune.Core.Evolution;
using Selftune.Core.Monitoring;
using Selftune.Core.Tests.Evolution;
using Turn = Selftune.Core.Tests.Evolution.EvolutionFixture.Turn;

namespace Selftune.Core.Tests.Monitoring;

public sealed class WatchServiceTests
{
    private const string Skill = "---\nname: research\ndescription: Research libraries.\n---\nbody\n";
    private static readonly WatchOptions Options = new(MinSessions: 3, WindowSessions: 20, Threshold: 0.10);

    [Fact]
    public void Without_a_deploy_there_is_nothing_to_watch()
    {
        using var f = new EvolutionFixture(Skill);
        var ex = Assert.Throws<SelftuneException>(() => Service(f).Watch(f.Store, "research", Options, autoRollback: false));
        Assert.Equal(ErrorCodes.NotFound, ex.Code);
        Assert.Equal("selftune evolve --skill research", ex.NextCommand);
    }

    [Fact]
    public void Too_few_post_deploy_sessions_is_not_enough_data_even_when_they_look_bad()
    {
        using var f = Deployed(out var deployedAt, healthyBefore: 4);
        f.Session("after-1", deployedAt.AddHours(1), new Turn("find a charting library", InvocationKind.Explicit));
        f.Session("after-2", deployedAt.AddHours(2), new Turn("compare yaml parsers", InvocationKind.Explicit));
        // a session that started before the deploy and ran past it still used the old description
        f.Session("straddling", deployedAt.AddMinutes(-1), new Turn("survey queue libraries", InvocationKind.Explicit), new Turn("and their licences", InvocationKind.Explicit));

        var report = Service(f).Watch(f.Store, "research", Options, autoRollback: true);

        Assert.Equal(WatchVerdict.NotEnoughData, report.Verdict);
        Assert.Equal(2, report.After.Sessions);
        Assert.Equal(5, report.Before.Sessions);
        Assert.Null(report.RolledBack);
        Assert.Equal(AuditActions.Deployed, f.Trail.Proposal("evo-1")!.Status);
    }

    [Fact]
    public void Same_behaviour_after_the_deploy_is_stable()
    {
        using var f = Deployed(out var deployedAt, healthyBefore: 4);
        for (var i = 0; i < 3; i++)
        {
            f.Session($"after-{i}", deployedAt.AddHours(i + 1),
                new Turn("research graph layout libraries", InvocationKind.Implicit, ToolCalls: 4, ToolErrors: 0),
                new Turn("thanks, now write the code", null, ToolCalls: 2));
        }

        var report = Service(f).Watch(f.Store, "research", Options, autoRollback: true);

        Assert.Equal(WatchVerdict.Stable, report.Verdict);
        Assert.Equal(1.0, report.After.TriggerRate);
        Assert.Empty(report.Regressions);
        Assert.Null(report.NextCommand);
    }

    [Fact]
    public void Fewer_triggers_after_the_deploy_is_a_regression_and_auto_rollback_restores_the_original()
    {
        using var f = Deployed(out var deployedAt, healthyBefore: 4);
        for (var i = 0; i < 3; i++)
        {
            f.Session($"after-{i}", deployedAt.AddHours(i + 1),
                new Turn("look up libraries for pdf parsing", InvocationKind.Explicit),
                new Turn("research vector databases", InvocationKind.Read),
                new Turn("compare http clients", InvocationKind.Implicit, ToolCalls: 2));
        }

        var report = Service(f).Watch(f.Store, "research", Options, autoRollback: true);

        Assert.Equal(WatchVerdict.Regressed, report.Verdict);
        Assert.Equal(1.0, report.Before.TriggerRate);
        Assert.Equal(0.3333, report.After.TriggerRate);
        Assert.Contains(report.Regressions, r => r.StartsWith("trigger rate on turns that wanted the skill fell from 1.00 to 0.33", StringComparison.Ordinal));
        Assert.NotNull(report.RolledBack);
        Assert.Equal(Skill, File.ReadAllText(f.SkillPath));
        Assert.Equal(AuditActions.RolledBack, f.Trail.Proposal("evo-1")!.Status);
        Assert.Contains("watch:", f.Trail.Entries("research")[^1].Message, StringComparison.Ordinal);
        Assert.Equal(1L, f.Store.Scalar("SELECT count(*) FROM watch_checks WHERE verdict = 'regressed'"));
    }

    [Fact]
    public void More_interrupted_triggers_and_tool_errors_are_regressions_reported_without_rolling_back()
    {
        using var f = Deployed(out var deployedAt, healthyBefore: 4);
        for (var i = 0; i < 3; i++)
        {
            f.Session($"after-{i}", deployedAt.AddHours(i + 1),
                new Turn("fix the flaky test", InvocationKind.Implicit, ToolCalls: 3, ToolErrors: 2, Interrupted: true),
                new Turn("no, just run the tests", InvocationKind.Explicit, SkillName: "testing"));
        }

        var report = Service(f).Watch(f.Store, "research", Options, autoRollback: false);

        Assert.Equal(WatchVerdict.Regressed, report.Verdict);
        Assert.Equal(1.0, report.After.FalseTriggerRate);
        Assert.Equal(0.0, report.Before.FalseTriggerRate);
        Assert.True(report.After.ToolErrorRate > 0.6);
        Assert.Equal(2, report.Regressions.Count(r => r.Contains("rose", StringComparison.Ordinal)));
        Assert.Null(report.RolledBack);
        Assert.Equal("selftune rollback --skill research", report.NextCommand);
        Assert.NotEqual(Skill, File.ReadAllText(f.SkillPath));
    }

    private static WatchService Service(EvolutionFixture f) => new(new SkillDeployer(f.Home, f.Time), f.Time);

    /// <summary>A skill with <paramref name="healthyBefore"/> sessions in which it triggered by itself, then a deploy.</summary>
    private static EvolutionFixture Deployed(out DateTimeOffset deployedAt, int healthyBefore)
    {
        var f = new EvolutionFixture(Skill);
        var start = f.Time.GetUtcNow().AddDays(-10);
        for (var i = 0; i < healthyBefore; i++)
        {
            f.Session($"before-{i}", start.AddDays(i),
                new Turn("research which markdown parser to use", InvocationKind.Implicit, ToolCalls: 5, ToolErrors: 0),
                new Turn("ok, add it to the project", null, ToolCalls: 3, ToolErrors: 1));
        }

        deployedAt = f.Time.GetUtcNow();
        new SkillDeployer(f.Home, f.Time).Deploy(f.Trail, f.Validated("evo-1", "Use when the user wants libraries researched."));
        f.Time.SetUtcNow(deployedAt.AddDays(2));
        return f;
    }
}
