using Selftune.Abstractions;
using Selftune.Core.Analysis;
using Selftune.Core.Skills;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests.Skills;

/// <summary>Interplay scores and workflows on constructed sessions, the expected numbers worked out beside them.</summary>
public sealed class SkillInterplayTests : IDisposable
{
    private readonly TestStore _db = new();

    public SkillInterplayTests()
    {
        // s1–s3: tdd then review (s3's review runs in a sub-agent); s1 and s2 have a failed tool call.
        // s4, s5: tdd alone, fine.  s6: review alone, failed.  s7: review alone, fine.  s8: deploy alone; s1 also only reads deploy's SKILL.md.
        foreach (var (session, failed) in new[] { ("s1", true), ("s2", true), ("s3", false) })
        {
            _db.SessionDaysAgo(session, 1);
            _db.InvocationDaysAgo(session, $"{session}:i1", "tdd", InvocationKind.Implicit, null, 1.0);
            Fail(session, failed);
        }

        _db.InvocationDaysAgo("s1", "s1:i2", "review", InvocationKind.Explicit, null, 0.9);
        _db.InvocationDaysAgo("s2", "s2:i2", "review", InvocationKind.Implicit, null, 0.9);
        _db.SessionDaysAgo("s3:a1", 0.9, parent: "s3");
        _db.InvocationDaysAgo("s3:a1", "s3:a1:i2", "review", InvocationKind.Implicit, null, 0.9);
        _db.InvocationDaysAgo("s1", "s1:r", "deploy", InvocationKind.Read, null, 0.8);
        foreach (var (session, skill, failed) in new[] { ("s4", "tdd", false), ("s5", "tdd", false), ("s6", "review", true), ("s7", "review", false), ("s8", "deploy", false) })
        {
            _db.SessionDaysAgo(session, 2);
            _db.InvocationDaysAgo(session, $"{session}:i1", skill, InvocationKind.Implicit, null, 2);
            Fail(session, failed);
        }
    }

    [Fact]
    public void APairThatFailsMoreOftenTogetherIsAConflictWithItsCounts()
    {
        var report = SkillInterplay.Analyze(_db.Store);

        Assert.Equal(8, report.Sessions); // s1–s8; the sub-agent rolls into s3
        Assert.Equal((0, 8), (report.SessionsByOutcome, report.SessionsByToolErrors)); // no outcome classified: all by tool errors
        var pair = Assert.Single(report.Pairs);
        // together: s1, s2, s3 → 2 of 3 failed = 0.6667
        // review alone: s6 (failed), s7 → 1 of 2; tdd alone: s4, s5 → 0 of 2; alone = 1 of 4 = 0.25
        // conflict = 0.6667 − 0.25 = 0.4167 ≥ 0.2; synergy 0
        Assert.Equal(new SkillPair("review", "tdd", 3, 2, 2, 1, 2, 0, 0.6667, 0.25, 0.4167, 0, "conflict"), pair);
    }

    [Fact]
    public void AKnownOutcomeDecidesOverToolErrorsAndTurnsTheConflictIntoASynergy()
    {
        // s1: success despite its tool error; s3: success; s4: blocked; s7: failed (neither had a tool error);
        // s6: unknown, so its tool error decides; s2, s5, s8: not classified, so their tool errors decide.
        foreach (var (session, outcome) in new[] { ("s1", Outcome.Success), ("s3", Outcome.Success), ("s4", Outcome.Blocked), ("s7", Outcome.Failed), ("s6", Outcome.Unknown) })
        {
            OutcomeStore.Save(_db.Store, new SessionOutcome(session, outcome, 0.9, []), TestStore.T0.ToUnixTimeMilliseconds());
        }

        var report = SkillInterplay.Analyze(_db.Store);

        Assert.Equal((4, 4), (report.SessionsByOutcome, report.SessionsByToolErrors)); // s1, s3, s4, s7 | s2, s5, s6, s8
        Assert.Contains("outcome is failed or blocked", report.Outcome, StringComparison.Ordinal);
        // together: s1 (success), s2 (tool error), s3 (success) → 1 of 3 = 0.3333
        // review alone: s6 (unknown, tool error), s7 (failed) → 2 of 2; tdd alone: s4 (blocked), s5 (fine) → 1 of 2; alone = 3 of 4 = 0.75
        // synergy = 0.75 − 0.3333 = 0.4167 ≥ 0.2; conflict 0
        Assert.Equal(new SkillPair("review", "tdd", 3, 1, 2, 2, 2, 1, 0.3333, 0.75, 0, 0.4167, "synergy"), Assert.Single(report.Pairs));
    }

    [Fact]
    public void ASequenceInThreeSessionsIsAWorkflowAndScaffolds()
    {
        var workflow = Assert.Single(SkillInterplay.Analyze(_db.Store).Workflows);

        Assert.Equal(["tdd", "review"], workflow.Skills);
        Assert.Equal(3, workflow.Sessions);
        Assert.Equal(SkillInterplay.WorkflowId(["tdd", "review"]), workflow.Id);
        Assert.Equal(["s1", "s2", "s3"], workflow.Examples);
        Assert.Equal(workflow.Id, SkillInterplay.FindWorkflow(_db.Store, workflow.Id)?.Id);
        Assert.Null(SkillInterplay.FindWorkflow(_db.Store, "wf-0000000000"));

        var (name, markdown) = WorkflowScaffold.Create(workflow);
        Assert.Equal("tdd-to-review-workflow", name);
        Assert.StartsWith("---\nname: tdd-to-review-workflow\ndescription: Runs tdd, then review in order.", markdown, StringComparison.Ordinal);
        Assert.Contains("1. Use the `tdd` skill.\n2. Use the `review` skill on what the previous step produced.", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoSessionsAreNotAWorkflowAndAPairThatNeverRunsAloneHasNoVerdict()
    {
        using var db = new TestStore();
        foreach (var session in new[] { "a", "b" })
        {
            db.SessionDaysAgo(session, 1);
            db.InvocationDaysAgo(session, $"{session}:1", "plan", InvocationKind.Implicit, null, 1.0);
            db.InvocationDaysAgo(session, $"{session}:2", "build", InvocationKind.Implicit, null, 0.5);
        }

        var report = SkillInterplay.Analyze(db.Store);

        Assert.Empty(report.Workflows);
        Assert.Equal(("not_enough_data", (double?)null, 0.0, 0.0), Assert.Single(report.Pairs) is var p ? (p.Verdict, p.FailureRateAlone, p.Conflict, p.Synergy) : default);
    }

    public void Dispose() => _db.Dispose();

    private void Fail(string session, bool failed)
    {
        if (failed)
        {
            _db.Writer.ToolCall(new ToolCallRecord($"{session}:t", session, TestStore.T0.AddDays(-1), "Bash", TestStore.Transcript, IsError: true));
        }
    }
}
