using Microsoft.Extensions.Time.Testing;
using Selftune.Abstractions;
using Selftune.Core.Evolution;
using Selftune.Core.Grading;
using Selftune.Core.Ingest;
using Selftune.Core.Monitoring;
using Selftune.Core.Privacy;
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
        Assert.Equal(2, report.Regressions.Count(r => r.Contains("rate", StringComparison.Ordinal) && r.Contains("rose", StringComparison.Ordinal)));
        Assert.Contains("tool errors per session rose from 1 to 2 (+100%)", report.Regressions); // the efficiency watch sees it too
        Assert.Null(report.RolledBack);
        Assert.Equal("selftune rollback --skill research", report.NextCommand);
        Assert.NotEqual(Skill, File.ReadAllText(f.SkillPath));
    }

    [Fact]
    public void A_graded_pass_rate_falling_from_the_baseline_is_a_regression_even_when_triggering_holds()
    {
        using var f = Deployed(out var deployedAt, healthyBefore: 4);
        for (var i = 0; i < 4; i++)
        {
            Grade(f, $"before-{i}", 0.9, deployedAt.AddDays(-1));
        }

        for (var i = 0; i < 3; i++)
        {
            f.Session($"after-{i}", deployedAt.AddHours(i + 1),
                new Turn("research which markdown parser to use", InvocationKind.Implicit, ToolCalls: 5),
                new Turn("ok, add it to the project", null, ToolCalls: 3, ToolErrors: 1));
            Grade(f, $"after-{i}", 0.5, deployedAt.AddDays(1));
        }

        // a session graded twice counts once, with its latest grading
        Grade(f, "after-0", 0.6, deployedAt.AddDays(1).AddHours(1), id: "after-0-regrade");

        var report = Service(f).Watch(f.Store, "research", Options, autoRollback: true);

        Assert.Equal(WatchVerdict.Regressed, report.Verdict);
        Assert.Equal(0.9, report.Before.GradePassRate);
        Assert.Equal(4, report.Before.GradedSessions);
        Assert.Equal(3, report.After.GradedSessions);
        Assert.Equal(0.5333, report.After.GradePassRate);
        Assert.Equal(["graded pass rate fell from 0.90 to 0.53"], report.Regressions);
        Assert.NotNull(report.RolledBack);
        Assert.Equal(Skill, File.ReadAllText(f.SkillPath));
    }

    [Fact]
    public void Too_few_graded_sessions_after_the_deploy_leave_the_pass_rate_out_of_the_verdict()
    {
        using var f = Deployed(out var deployedAt, healthyBefore: 4);
        Grade(f, "before-0", 1.0, deployedAt.AddDays(-1));
        Grade(f, "before-1", 1.0, deployedAt.AddDays(-1));
        for (var i = 0; i < 3; i++)
        {
            f.Session($"after-{i}", deployedAt.AddHours(i + 1), new Turn("research which markdown parser to use", InvocationKind.Implicit, ToolCalls: 5), new Turn("ok, add it to the project", null, ToolCalls: 3, ToolErrors: 1));
        }

        Grade(f, "after-0", 0.0, deployedAt.AddDays(1));

        var report = Service(f).Watch(f.Store, "research", Options, autoRollback: false);

        Assert.Equal(WatchVerdict.Stable, report.Verdict);
        Assert.Equal(1, report.After.GradedSessions);
    }

    [Fact]
    public void Sessions_costing_more_tokens_turns_time_and_tool_errors_after_the_deploy_are_efficiency_regressions()
    {
        using var f = Deployed(out var deployedAt, healthyBefore: 4);
        for (var i = 0; i < 4; i++)
        {
            Spend(f, $"before-{i}", deployedAt.AddDays(-10 + i), tokens: 10_000, minutes: 10);
        }

        for (var i = 0; i < 3; i++)
        {
            var start = deployedAt.AddHours(i + 1);
            f.Session($"after-{i}", start,
                new Turn("research which markdown parser to use", InvocationKind.Implicit, ToolCalls: 5),
                new Turn("that failed, try again", null, ToolCalls: 3, ToolErrors: 3),
                new Turn("still failing", null, ToolCalls: 3, ToolErrors: 3),
                new Turn("ok, add it to the project", null, ToolCalls: 3, ToolErrors: 1));
            Spend(f, $"after-{i}", start, tokens: 30_000, minutes: 40);
        }

        var report = Service(f).Watch(f.Store, "research", Options with { Threshold = 1.0 }, autoRollback: false);

        Assert.Equal(WatchVerdict.Regressed, report.Verdict);
        Assert.Equal(new EfficiencyMeasures(4, 10_000, 2, 600_000, 1), report.Before.Efficiency);
        Assert.Equal(new EfficiencyMeasures(3, 30_000, 4, 2_400_000, 7), report.After.Efficiency);
        Assert.Equal(
            ["tokens per session rose from 10000 to 30000 (+200%)", "turns per session rose from 2 to 4 (+100%)", "duration per session (ms) rose from 600000 to 2400000 (+300%)", "tool errors per session rose from 1 to 7 (+600%)"],
            report.Regressions);
        Assert.Equal("selftune rollback --skill research", report.NextCommand);
    }

    [Fact]
    public void A_rise_within_the_efficiency_threshold_is_stable()
    {
        using var f = Deployed(out var deployedAt, healthyBefore: 4);
        for (var i = 0; i < 4; i++)
        {
            Spend(f, $"before-{i}", deployedAt.AddDays(-10 + i), tokens: 10_000, minutes: 10);
        }

        for (var i = 0; i < 3; i++)
        {
            var start = deployedAt.AddHours(i + 1);
            f.Session($"after-{i}", start, new Turn("research which markdown parser to use", InvocationKind.Implicit, ToolCalls: 5), new Turn("ok, add it to the project", null, ToolCalls: 3, ToolErrors: 1));
            Spend(f, $"after-{i}", start, tokens: 12_000, minutes: 12);
        }

        var report = Service(f).Watch(f.Store, "research", Options, autoRollback: false);

        Assert.Equal(WatchVerdict.Stable, report.Verdict);
        Assert.Equal(12_000, report.After.Efficiency!.Tokens);
    }

    /// <summary>Stores a grading of <paramref name="session"/>'s use of the skill, as <c>selftune grade</c> does.</summary>
    private static void Grade(EvolutionFixture f, string session, double passRate, DateTimeOffset at, string? id = null) =>
        new GradingStore().Save(f.Store, new GradingResult(id ?? $"grade-{session}", session, "research", at, "test", [],
            new GradingSummary((int)(passRate * 10), 10 - (int)(passRate * 10), 10, passRate, passRate), [], [], null,
            new SessionMetrics("claude_code", "completed", 2, 0, 0, 0, ["research"], null, 0, 0, null), "test", null));

    /// <summary>Gives a session an end <paramref name="minutes"/> after its start and one model call of <paramref name="tokens"/>.</summary>
    private static void Spend(EvolutionFixture f, string session, DateTimeOffset start, long tokens, int minutes)
    {
        using var tx = f.Store.BeginTransaction();
        using var writer = new RecordWriter(f.Store, new Redactor(), null, p => new IngestCounters { Platform = p }, start);
        var provenance = new Provenance(Platforms.ClaudeCode, CaptureMode.Transcript);
        writer.Session(new SessionRecord(session, provenance, StartedAt: start, EndedAt: start.AddMinutes(minutes), Cwd: "/work/project"));
        writer.Usage(new TokenUsageRecord($"{session}-m", $"{session}-r", session, start.AddSeconds(5), "claude-sonnet-4-5", tokens / 2, tokens / 4, 0, tokens / 4, provenance));
        tx.Commit();
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
