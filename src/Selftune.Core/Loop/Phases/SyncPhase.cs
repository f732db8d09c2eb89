using Selftune.Core.Ingest;

namespace Selftune.Core.Loop.Phases;

/// <summary>Reads every agent's new sessions into the store.</summary>
internal sealed class SyncPhase(SyncJob sync) : IRunPhase
{
    public RunPhaseName Name => RunPhaseName.Sync;

    public Task<PhaseOutcome> ExecuteAsync(RunState run, CancellationToken ct)
    {
        var report = sync.Run(run.Store, new SyncOptions(), ct);
        var read = report.Platforms.Where(c => c.SourcesRead > 0).Select(c => $"{c.Platform} {c.SourcesRead}");
        return Task.FromResult(new PhaseOutcome(PhaseStatus.Ok, $"{report.Platforms.Sum(c => c.SourcesRead)} new or changed sources read ({string.Join(", ", read.DefaultIfEmpty("none"))}), {report.Platforms.Sum(c => c.Sessions)} sessions, {report.Platforms.Sum(c => c.ActionablePrompts)} actionable prompts; {report.Platforms.Sum(c => c.Malformed)} malformed lines skipped"));
    }
}
