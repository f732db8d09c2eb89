using Selftune.Core.Loop;
using Selftune.Core.Store;

namespace Selftune.Core.Tests.Loop;

public sealed class RunHistoryTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "selftune-runs-" + Guid.NewGuid().ToString("N"));

    public RunHistoryTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public void ARunIsRecordedAtStartCompletedWithItsReportAndListedNewestFirst()
    {
        using var store = SelftuneStore.Open(Path.Combine(_folder, "selftune.db"));
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_760_000_000_000);
        var first = Report("run_1", t0);
        RunHistory.Start(store, first, 42, "host");
        Assert.Equal(RunStatus.Running, RunHistory.List(store, 10).Single().Status);
        Assert.Null(RunHistory.Get(store, "run_1")!.Value.Report);

        var done = first with
        {
            Status = RunStatus.Completed,
            EndedAt = t0.AddSeconds(3),
            Phases = [new RunPhase(RunPhaseName.Select, PhaseStatus.Ok, 1, "1 of 4 skills picked")],
            Candidates = [new SkillCandidate("pdf", CandidateAction.Evolve, "7 misses", 120, new CandidateEvidence(3, 7, 2, "down", 1, 0, 12, null, "warning"))],
            Totals = new RunTotals(4, 1, 0, 1, 0, 0, 0, 1, 9, 0.12m),
        };
        RunHistory.Finish(store, done, RunReportText.Render(done));
        RunHistory.Start(store, Report("run_2", t0.AddMinutes(5)), 43, "host");

        var list = RunHistory.List(store, 10);
        Assert.Equal(["run_2", "run_1"], list.Select(r => r.RunId));
        Assert.Equal((1, 1), (list[1].Candidates, list[1].Deployed));
        var stored = RunHistory.Get(store, "run_1")!.Value;
        Assert.Equal(done.Candidates[0], stored.Report!.Candidates[0]);
        Assert.Equal(done.Totals, stored.Report.Totals);
        Assert.Contains("* pdf: evolve (7 misses)", stored.Text, StringComparison.Ordinal);
        Assert.Null(RunHistory.Get(store, "run_3"));
    }

    [Fact]
    public void ARunningRunShowsThePhasesDoneSoFarAndAnEndedRunKeepsItsReport()
    {
        using var store = SelftuneStore.Open(Path.Combine(_folder, "selftune.db"));
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_760_000_000_000);
        var started = Report("run_1", t0);
        RunHistory.Start(store, started, 42, "host");
        var sofar = started with { Phases = [new RunPhase(RunPhaseName.Select, PhaseStatus.Ok, 5, "1 of 4 skills picked")] };
        RunHistory.Progress(store, sofar, RunReportText.Render(sofar));

        var running = RunHistory.Get(store, "run_1")!.Value;
        Assert.Equal(RunStatus.Running, running.Summary.Status);
        Assert.Equal(sofar.Phases, running.Report!.Phases);
        Assert.Contains("1 of 4 skills picked", running.Text, StringComparison.Ordinal);

        var done = sofar with { Status = RunStatus.Completed, EndedAt = t0.AddSeconds(3) };
        RunHistory.Finish(store, done, "the final report");
        RunHistory.Progress(store, sofar, "a late progress report");
        Assert.Equal("the final report", RunHistory.Get(store, "run_1")!.Value.Text);
    }

    [Fact]
    public void OnlyARunningRunCanBeMarkedCrashed()
    {
        using var store = SelftuneStore.Open(Path.Combine(_folder, "selftune.db"));
        var t0 = DateTimeOffset.UtcNow;
        RunHistory.Start(store, Report("run_1", t0), 42, "host");
        Assert.True(RunHistory.MarkCrashed(store, "run_1", t0.AddHours(4), "process 42 is not running"));
        Assert.False(RunHistory.MarkCrashed(store, "run_1", t0.AddHours(5), "again"));
        var row = RunHistory.Get(store, "run_1")!.Value;
        Assert.Equal(RunStatus.Crashed, row.Summary.Status);
        Assert.Contains("process 42 is not running", row.Text, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static RunReport Report(string id, DateTimeOffset at) => new(
        id, at, null, 0, RunTrigger.Manual, RunStatus.Running, DryRun: false, ReviewRequired: false, Skill: null, MaxSkills: 3,
        new RunData(false, "/home/u"), "none", [], [], [], [], new RunTotals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
}
