using Selftune.Core.Reports;
using Selftune.Core.Skills;

namespace Selftune.Core.Loop.Phases;

/// <summary>Computes every skill's health (what <c>selftune status</c> shows) and names the skills whose latest baseline
/// found no lift over no skill.</summary>
internal sealed class StatusPhase(InstalledSkills skills, TimeProvider time) : IRunPhase
{
    public RunPhaseName Name => RunPhaseName.Status;

    public Task<PhaseOutcome> ExecuteAsync(RunState run, CancellationToken ct)
    {
        var status = run.Status = StatusReporter.Build(run.Store, skills.All, time.GetUtcNow());
        var labels = status.Skills.GroupBy(s => s.Health).Select(g => $"{g.Count()} {RunReportText.Label(g.Key)}");
        var noLift = status.Skills.Where(s => s.Baseline is { AddsValue: false }).Select(s => s.Name).ToList();
        return Task.FromResult(new PhaseOutcome(PhaseStatus.Ok, $"{status.Skills.Count} skills ({string.Join(", ", labels.DefaultIfEmpty("none"))}); {status.Unmatched.Count} actionable prompts no skill handled" +
            (noLift.Count > 0 ? $"; adding no value over no skill (selftune baseline): {string.Join(", ", noLift)}" : string.Empty)));
    }
}
