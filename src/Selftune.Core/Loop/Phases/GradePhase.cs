using Selftune.Core.Configuration;
using Selftune.Core.Grading;

namespace Selftune.Core.Loop.Phases;

/// <summary>Grades the newest ungraded sessions (<c>run.max_grade</c>, within the LLM budget).</summary>
internal sealed class GradePhase(AutoGrader grader, SelftuneConfig config) : IRunPhase
{
    public RunPhaseName Name => RunPhaseName.Grade;

    public async Task<PhaseOutcome> ExecuteAsync(RunState run, CancellationToken ct)
    {
        if (run.Request.DryRun)
        {
            return new PhaseOutcome(PhaseStatus.Skipped, "dry run: nothing graded");
        }

        if (run.Heuristic || run.NoLlm is not null)
        {
            return new PhaseOutcome(PhaseStatus.Skipped, $"grading needs an LLM ({(run.Heuristic ? "the offline backend cannot grade" : run.NoLlm)})", "selftune llm test");
        }

        var result = await grader.GradeUngradedAsync(run.Store, (int)config.GetInt(ConfigKeys.RunMaxGrade.Key), run.Llm!, ct).ConfigureAwait(false);
        run.Graded = result.Graded.Count;
        return new PhaseOutcome(PhaseStatus.Ok, $"{run.Graded} of {result.Candidates} ungraded sessions graded"
            + (result.Skipped.Count > 0 ? $", {result.Skipped.Count} skipped (unusable answers)" : string.Empty)
            + (result.Stopped is { } why ? $"; stopped: {why}" : string.Empty));
    }
}
