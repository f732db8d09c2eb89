using Selftune.Core.Configuration;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Grading;
using Selftune.Core.Reports;
using Selftune.Core.Signals;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Loop.Phases;

/// <summary>Picks the skills to evolve by evidence (<see cref="CandidateSelector"/>).</summary>
internal sealed class SelectPhase(GradingStore gradings, SelftuneConfig config, TimeProvider time) : IRunPhase
{
    public RunPhaseName Name => RunPhaseName.Select;

    public Task<PhaseOutcome> ExecuteAsync(RunState run, CancellationToken ct)
    {
        if (run.Status is null)
        {
            return Task.FromResult(new PhaseOutcome(PhaseStatus.Skipped, "no status to select from", "selftune status"));
        }

        var rules = new SelectionRules(run.MaxSkills, TimeSpan.FromHours(config.GetDouble(ConfigKeys.RunCooldownHours.Key)), (int)config.GetInt(ConfigKeys.RunMinRealQueries.Key), run.Request.Skill);
        run.Candidates.AddRange(CandidateSelector.Select(Evidence(run.Store, run.Status), rules, time.GetUtcNow()));
        var picked = run.Candidates.Where(c => c.Action == CandidateAction.Evolve).Select(c => c.Skill).ToList();
        if (run.Request.Skill is { } only && run.Candidates.Count == 0)
        {
            return Task.FromResult(new PhaseOutcome(PhaseStatus.Skipped, $"{ShellCommand.Quoted(only)} is neither installed nor seen in any session", "selftune status"));
        }

        return Task.FromResult(new PhaseOutcome(PhaseStatus.Ok, picked.Count == 0 ? $"none of {run.Candidates.Count} skills needs evolving now" : $"{picked.Count} of {run.Candidates.Count} skills picked: {string.Join(", ", picked)}"));
    }

    /// <summary>Each status skill's evidence, with its pending signals, grading failures, real prompts and last deploy.</summary>
    private Dictionary<string, CandidateEvidence> Evidence(SelftuneStore store, StatusReport status)
    {
        var signals = PendingSignals.Count(store);
        var grades = gradings.Summaries(store).ToDictionary(g => g.Skill, StringComparer.OrdinalIgnoreCase);
        var evidence = EvalEvidence.Summarize(store, status.Skills.Where(s => s.Installed).Select(s => s.Name))
            .GroupBy(e => SkillNames.Bare(e.Skill), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.MaxBy(e => e.RealPositives)!, StringComparer.OrdinalIgnoreCase);
        var deploys = new AuditTrail(store).LastDeploys();
        var result = new Dictionary<string, CandidateEvidence>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in status.Skills)
        {
            var windows = s.Windows;
            var real = evidence.GetValueOrDefault(SkillNames.Bare(s.Name));
            result[s.Name] = new CandidateEvidence(
                s.Triggers,
                s.Misses,
                windows.Count >= 2 ? windows[^2].Misses : null,
                s.Trend,
                signals.GetValueOrDefault(s.Name),
                grades.TryGetValue(s.Name, out var g) ? g.OpenFailures : 0,
                real?.RealPositives ?? 0,
                deploys.TryGetValue(s.Name, out var d) ? d : null,
                Json.Name(s.Health),
                s.Installed,
                s.ReadsNotInvoked,
                real?.ExplicitPositives ?? 0,
                s.MissesByKind?.Sum(k => k.LowConfidence) ?? 0);
        }

        return result;
    }
}
