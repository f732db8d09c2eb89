using Selftune.Core.Llm;
using Selftune.Core.Reports;
using Selftune.Core.Store;

namespace Selftune.Core.Loop;

/// <summary>What was asked of a run.</summary>
/// <param name="Trigger">Who started it.</param>
/// <param name="DryRun">Sync, measure and pick, but change no skill.</param>
/// <param name="Skill">The only skill considered, if any.</param>
/// <param name="Sample">Run on the bundled samples even when the machine has agent data.</param>
/// <param name="MaxSkills">The most skills evolved (overrides <c>run.max_skills</c>), or null.</param>
/// <param name="ReviewRequired">Validated proposals wait for approval (or when <c>run.review_required</c> says so).</param>
internal sealed record RunRequest(RunTrigger Trigger = RunTrigger.Manual, bool DryRun = false, string? Skill = null, bool Sample = false, int? MaxSkills = null, bool ReviewRequired = false);

/// <summary>How one phase ended.</summary>
/// <param name="Status">Ran, skipped or failed.</param>
/// <param name="Summary">What it did, or why it was skipped, in one line.</param>
/// <param name="Next">The command that enables a skipped phase, or null.</param>
internal readonly record struct PhaseOutcome(PhaseStatus Status, string Summary, string? Next = null);

/// <summary>One phase of the loop (<see cref="RunPhaseName"/>): reads and fills the run's <see cref="RunState"/>.</summary>
internal interface IRunPhase
{
    /// <summary>The phase.</summary>
    RunPhaseName Name { get; }

    /// <summary>Runs the phase.</summary>
    /// <exception cref="SelftuneException">The phase failed (recorded as failed; later phases still run).</exception>
    /// <exception cref="OperationCanceledException">The run was stopped (recorded as cancelled).</exception>
    Task<PhaseOutcome> ExecuteAsync(RunState run, CancellationToken ct);
}

/// <summary>One run's state, passed through the phases, and the report it makes.</summary>
internal sealed class RunState(RunRequest request, string runId, DateTimeOffset started, RunData data, string? recoveredLock, bool reviewRequired, int maxSkills, RunLock runLock)
{
    public RunRequest Request => request;

    public string RunId => runId;

    public RunLock Lock => runLock;

    public bool ReviewRequired => reviewRequired;

    public int MaxSkills => maxSkills;

    /// <summary>The store of the data the run works on (the user's, or the sample home's).</summary>
    public SelftuneStore Store { get; set; } = null!;

    public LlmClient? Llm { get; set; }

    /// <summary>True for the offline backend: heuristic proposals, lexical validation, no grading.</summary>
    public bool Heuristic { get; set; }

    /// <summary>Why no LLM can be used, or null when one can (or the offline backend is configured).</summary>
    public string? NoLlm { get; set; }

    public string LlmState { get; set; } = "not needed";

    public StatusReport? Status { get; set; }

    public List<RunPhase> Phases { get; } = [];

    /// <summary>Told of each phase as it ends (the dashboard's live run view); null when nobody watches.</summary>
    public IProgress<RunPhase>? Progress { get; set; }

    public List<SkillCandidate> Candidates { get; } = [];

    public List<EvolutionResult> Evolutions { get; } = [];

    public List<WatchResult> Watches { get; } = [];

    public int Graded { get; set; }

    public int SignalsConsumed { get; set; }

    /// <summary>The report as it stands, with <paramref name="status"/>.</summary>
    public RunReport Report(RunStatus status, DateTimeOffset now)
    {
        var ended = status == RunStatus.Running ? (DateTimeOffset?)null : now;
        var totals = new RunTotals(
            Candidates.Count,
            Candidates.Count(c => c.Action == CandidateAction.Evolve),
            Graded,
            Evolutions.Count(e => e.Outcome == EvolutionOutcome.Deployed),
            Evolutions.Count(e => e.Outcome == EvolutionOutcome.AwaitingReview),
            Watches.Count,
            Watches.Count(w => w.RolledBack),
            SignalsConsumed,
            Llm?.Usage.Calls ?? 0,
            Llm?.Usage.CostUsd ?? 0);
        var next = data.Sample ? "selftune init"
            : totals.AwaitingReview > 0 ? "selftune proposals list"
            : Phases.FirstOrDefault(x => x.NextCommand is not null)?.NextCommand;
        return new RunReport(
            runId, started, ended, (long)(now - started).TotalMilliseconds, request.Trigger, status, request.DryRun, reviewRequired,
            request.Skill, maxSkills, data, LlmState, Phases.ToList(), Candidates.ToList(), Evolutions.ToList(), Watches.ToList(), totals, recoveredLock, next);
    }
}
