using Selftune.Abstractions;
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
        var pair = Assert.Single(report.Pairs);
        // together: s1, s2, s3 → 2 of 3 failed = 0.6667
        // review alone: s6 (failed), s7 → 1 of 2; tdd alone: s4, s5 → 0 of 2; alone = 1 of 4 = 0.25
        // conflict = 0.6667 − 0.25 = 0.4167 ≥ 0.2; synergy 0
        Assert.Equal(new SkillPair("review", "tdd", 3, 2, 2, 1, 2, 0, 0.6667, 0.25, 0.4167, 0, "conflict"), pair);
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
