using Selftune.Abstractions;
using Selftune.Core.Analysis;
using Selftune.Core.Reports;
using Selftune.Core.Tests.Support;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests;

public sealed class StatusReporterTests : IDisposable
{
    private readonly TestStore _db = new();

    public StatusReporterTests()
    {
        _db.SessionDaysAgo("s1", 25);
        // hex-docs-search: triggered 25 days ago, named but missed 2.5 days ago → rate 1/2, trend down.
        _db.InvocationDaysAgo("s1", "s1:t1", "elixir:hex-docs-search", InvocationKind.Implicit, _db.PromptDaysAgo("s1", "s1:p1", "look up Req in the hex docs", 25), 25);
        _db.PromptDaysAgo("s1", "s1:p2", "use hex-docs-search for Plug.Conn please", 2.5);
        // deploy (installed): named three times, never triggered → critical.
        foreach (var i in new[] { 1, 2, 3 })
        {
            _db.PromptDaysAgo("s1", $"s1:d{i}", $"deploy to staging, attempt {i}", i);
        }

        // pdf: its SKILL.md read without use, for a prompt that does not name it → warning, not a miss.
        _db.InvocationDaysAgo("s1", "s1:r1", "pdf", InvocationKind.Read, _db.PromptDaysAgo("s1", "s1:p3", "merge these two documents", 4), 4);
        // An explicit use that serves its command prompt.
        _db.InvocationDaysAgo("s1", "s1:e1", "release-notes", InvocationKind.Explicit, _db.PromptDaysAgo("s1", "s1:c1", "<command-name>/release-notes</command-name>", 5, PromptKind.Command), 5);
    }

    [Fact]
    public void CountsTriggersMissesReadsAndExplicitUsesPerSkill()
    {
        var skills = Build().Skills.ToDictionary(s => s.Name);
        Assert.Equal((1, 0, 0, 1, 0.5), (skills["elixir:hex-docs-search"].Triggers, skills["elixir:hex-docs-search"].Explicit, skills["elixir:hex-docs-search"].ReadsNotInvoked, skills["elixir:hex-docs-search"].Misses, skills["elixir:hex-docs-search"].TriggerRate!.Value));
        Assert.Equal((0, 3), (skills["deploy"].Triggers, skills["deploy"].Misses));
        Assert.Equal((1, 0), (skills["pdf"].ReadsNotInvoked, skills["pdf"].Misses));
        Assert.Equal(1, skills["release-notes"].Explicit);
        Assert.Equal(["use hex-docs-search for Plug.Conn please"], skills["elixir:hex-docs-search"].MissedExamples.Select(e => e.Text));
    }

    [Fact]
    public void HealthLabelsOrderTheSkillsWorstFirst()
    {
        var skills = Build().Skills;
        Assert.Equal(
            [("deploy", SkillHealth.Critical), ("pdf", SkillHealth.Warning), ("elixir:hex-docs-search", SkillHealth.InsufficientData), ("release-notes", SkillHealth.InsufficientData), ("never-used", SkillHealth.Unused)],
            skills.Select(s => (s.Name, s.Health)));
        Assert.True(skills[^1].Installed);
    }

    [Fact]
    public void WindowsRunOldestFirstAndTheTrendComparesTheNewest()
    {
        var hex = Build().Skills.Single(s => s.Name == "elixir:hex-docs-search");
        Assert.Equal(4, hex.Windows.Count);
        Assert.True(hex.Windows.Zip(hex.Windows.Skip(1)).All(w => w.First.End == w.Second.Start));
        Assert.Equal(TestStore.T0, hex.Windows[^1].End);
        Assert.Equal([1, 0, 0, 0], hex.Windows.Select(w => w.Triggers));
        Assert.Equal([0, 0, 0, 1], hex.Windows.Select(w => w.Misses));
        Assert.Equal("down", hex.Trend);
    }

    [Fact]
    public void UnmatchedPromptsAreThoseNoSkillWasUsedFor()
    {
        var unmatched = Build().Unmatched;
        Assert.Equal(5, unmatched.Count); // p2, p3 (a read is not a use), d1..d3; not p1 (triggered)
        Assert.Equal(["deploy to staging, attempt 1", "deploy to staging, attempt 2", "use hex-docs-search for Plug.Conn please", "deploy to staging, attempt 3", "merge these two documents"],
            unmatched.Examples.Select(e => e.Text));
    }

    [Fact]
    public void SystemHealthAsksForASyncUntilThereIsOne()
    {
        var report = Build();
        Assert.Equal((1L, 6L), (report.System.Sessions, report.System.ActionablePrompts));
        Assert.Null(report.System.LastSync);
        Assert.Equal("selftune sync", report.NextCommand);
    }

    [Fact]
    public void EachSkillCountsTheOutcomesOfTheSessionsWhereItRanOnce()
    {
        _db.SessionDaysAgo("s2", 3);
        _db.SessionDaysAgo("s3", 2);
        _db.SessionDaysAgo("s3-sub", 2, parent: "s3");
        _db.InvocationDaysAgo("s2", "s2:i1", "pdf", InvocationKind.Implicit, null, 3);
        _db.InvocationDaysAgo("s2", "s2:i2", "hex-docs-search", InvocationKind.Implicit, null, 3); // another spelling of elixir:hex-docs-search
        _db.InvocationDaysAgo("s3", "s3:i1", "pdf", InvocationKind.Implicit, null, 2);
        _db.InvocationDaysAgo("s3", "s3:i2", "pdf", InvocationKind.Implicit, null, 2);
        _db.InvocationDaysAgo("s3-sub", "s3-sub:i1", "pdf", InvocationKind.Implicit, null, 2); // a sub-agent's use: its session's
        _db.InvocationDaysAgo("s3-sub", "s3-sub:i2", "release-notes", InvocationKind.Implicit, null, 2);
        OutcomeStore.Save(_db.Store, new SessionOutcome("s1", Outcome.Unknown, 0.2, []), 0);
        OutcomeStore.Save(_db.Store, new SessionOutcome("s2", Outcome.Success, 0.9, []), 0);
        OutcomeStore.Save(_db.Store, new SessionOutcome("s3", Outcome.Failed, 0.75, []), 0);

        var skills = Build().Skills.ToDictionary(s => s.Name);

        Assert.Equal(new SkillOutcomes(2, 1, 0, 0, 1, 0), skills["pdf"].Outcomes); // its read in s1 is not a run
        Assert.Equal(new SkillOutcomes(2, 1, 0, 0, 0, 1), skills["elixir:hex-docs-search"].Outcomes);
        Assert.Equal(new SkillOutcomes(2, 0, 0, 0, 1, 1), skills["release-notes"].Outcomes);
        Assert.Null(skills["deploy"].Outcomes);
    }

    public void Dispose() => _db.Dispose();

    private StatusReport Build() =>
        StatusReporter.Build(
            _db.Store,
            () => [new InstalledSkill("never-used", "/skills/never-used", "/skills", "Does nothing.", []), new InstalledSkill("pdf", "/skills/pdf", "/skills", "PDFs.", []), new InstalledSkill("deploy", "/skills/deploy", "/skills", "Deploys.", [])],
            TestStore.T0);
}
