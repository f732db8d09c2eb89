using Selftune.Core.Configuration;
using Selftune.Core.Llm;
using Selftune.Core.Store;

namespace Selftune.Core.Loop;

/// <summary>Runs a run's phases, in order, on the data of one composition (the user's, or the sample home's): each phase's
/// <see cref="SelftuneException"/> is recorded as its failure and the next phase runs; cancellation abandons the current
/// phase (recorded as such) and stops the run.</summary>
internal sealed class LoopRunner(IEnumerable<IRunPhase> phases, ILlmClientFactory llm, SelftuneHome home, TimeProvider time)
{
    /// <summary>Runs every phase into <paramref name="run"/>.</summary>
    /// <param name="run">The run.</param>
    /// <param name="open">This composition's store when the caller already has it open (the user's data), or null: the
    /// runner opens it (the sample home's).</param>
    /// <param name="ct">Stops the run.</param>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled (the phases done so far stay in the run).</exception>
    public async Task ExecuteAsync(RunState run, SelftuneStore? open, CancellationToken ct)
    {
        using var owned = open is null ? OpenStore() : null;
        run.Store = open ?? owned!;
        var ready = llm.IsAvailable(out var reason);
        run.Llm = llm.Create(run.RunId);
        run.Heuristic = run.Llm.Backend == LlmBackends.Offline;
        run.LlmState = run.Heuristic ? "offline (heuristic proposals, lexical validation; no grading)" : ready ? reason : $"none: {reason}";
        run.NoLlm = run.Heuristic || ready ? null : reason;
        foreach (var phase in phases)
        {
            ct.ThrowIfCancellationRequested();
            var started = time.GetTimestamp();
            PhaseOutcome outcome;
            try
            {
                outcome = await phase.ExecuteAsync(run, ct).ConfigureAwait(false);
            }
            catch (SelftuneException ex)
            {
                outcome = new PhaseOutcome(PhaseStatus.Failed, $"{ex.Code}: {ex.Message}", ex.NextCommand);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                run.Phases.Add(new RunPhase(phase.Name, PhaseStatus.Abandoned, (long)time.GetElapsedTime(started).TotalMilliseconds, "stopped while it ran (Ctrl-C or SIGTERM); what it stored so far is kept"));
                run.Progress?.Report(run.Phases[^1]);
                throw;
            }

            run.Phases.Add(new RunPhase(phase.Name, outcome.Status, (long)time.GetElapsedTime(started).TotalMilliseconds, outcome.Summary, outcome.Next));
            run.Progress?.Report(run.Phases[^1]);
        }
    }

    private SelftuneStore OpenStore()
    {
        home.EnsureExists();
        return SelftuneStore.Open(home.DatabasePath);
    }
}
