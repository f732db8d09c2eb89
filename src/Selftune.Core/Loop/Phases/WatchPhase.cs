using Selftune.Core.Configuration;
using Selftune.Core.Evolution;
using Selftune.Core.Monitoring;

namespace Selftune.Core.Loop.Phases;

/// <summary>Watches the skills deployed in the last <c>run.watch_days</c> and rolls back a regression — never one deployed
/// in this run, which has no sessions after its deploy yet — and decides canaries (<see cref="CanaryService.Decide"/>:
/// healthy ones promoted, regressed ones aborted; a dry run only checks them).</summary>
internal sealed class WatchPhase(WatchService watcher, CanaryService canaries, SelftuneConfig config, TimeProvider time) : IRunPhase
{
    public RunPhaseName Name => RunPhaseName.Watch;

    public Task<PhaseOutcome> ExecuteAsync(RunState run, CancellationToken ct)
    {
        run.Lock.Heartbeat();
        var fresh = run.Evolutions.Where(e => e.Outcome == EvolutionOutcome.Deployed).Select(e => e.Skill).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var since = time.GetUtcNow().AddDays(-config.GetDouble(ConfigKeys.RunWatchDays.Key));
        var recent = new AuditTrail(run.Store).DeployedSince(since).Where(s => run.Request.Skill is null || string.Equals(s, run.Request.Skill, StringComparison.OrdinalIgnoreCase)).ToList();
        var options = WatchOptions.From(config);
        foreach (var skill in recent.Where(s => !fresh.Contains(s)))
        {
            ct.ThrowIfCancellationRequested();
            var watch = watcher.Watch(run.Store, skill, options, autoRollback: !run.Request.DryRun);
            run.Watches.Add(new WatchResult(skill, watch.Verdict, watch.Message, watch.RolledBack is not null, watch.ProposalId));
        }

        var canaryReports = run.Request.DryRun
            ? canaries.Status(run.Store, run.Request.Skill, options).Where(c => c.Status == CanaryStatus.Watching)
            : canaries.Decide(run.Store, options);
        foreach (var c in canaryReports.Where(c => c.Status != CanaryStatus.Watching || c.Verdict is WatchVerdict.Stable or WatchVerdict.Regressed))
        {
            var verdict = c.Status switch { CanaryStatus.Aborted => WatchVerdict.Regressed, CanaryStatus.Promoted => WatchVerdict.Stable, _ => c.Verdict!.Value };
            run.Watches.Add(new WatchResult(c.Skill, verdict, "canary: " + c.Message, c.Status == CanaryStatus.Aborted, c.ProposalId));
        }

        var deferred = fresh.Count > 0 ? $"; deployed in this run, judged by a later run once new sessions exist: {string.Join(", ", fresh)}" : string.Empty;
        return Task.FromResult(new PhaseOutcome(PhaseStatus.Ok, (run.Watches.Count == 0 ? "no deploy to watch" : string.Join(", ", run.Watches.GroupBy(w => w.Verdict).Select(g => $"{g.Count()} {RunReportText.Label(g.Key)}"))) + deferred));
    }
}
