using Selftune.Core.Reports;
using Selftune.Core.Skills;

namespace Selftune.Core.Loop.Phases;

/// <summary>Computes every skill's health (what <c>selftune status</c> shows).</summary>
internal sealed class StatusPhase(InstalledSkills skills, TimeProvider time) : IRunPhase
{
    public RunPhaseName Name => RunPhaseName.Status;

    public Task<PhaseOutcome> ExecuteAsync(RunState run, CancellationToken ct)
    {
        var status = run.Status = StatusReporter.Build(run.Store, skills.All, time.GetUtcNow());
        var labels = status.Skills.GroupBy(s => s.Health).Select(g => $"{g.Count()} {RunReportText.Label(g.Key)}");
        return Task.FromResult(new PhaseOutcome(PhaseStatus.Ok, $"{status.Skills.Count} skills ({string.Join(", ", labels.DefaultIfEmpty("none"))}); {status.Unmatched.Count} actionable prompts no skill handled"));
    }
}
