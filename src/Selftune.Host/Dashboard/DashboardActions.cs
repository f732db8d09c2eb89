using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Selftune.Core;
using Selftune.Core.Evolution;
using Selftune.Core.Llm;
using Selftune.Core.Loop;
using Selftune.Host.Cli;
using Selftune.Host.Commands;

namespace Selftune.Host.Dashboard;

/// <summary>A request to <c>POST /api/actions/{kind}</c>. Which fields count depends on the kind.</summary>
/// <param name="DryRun"><c>run</c>: change no skill (default true).</param>
/// <param name="Skill"><c>run</c> (optional), <c>evolve</c>, <c>rollback</c>: the skill.</param>
/// <param name="ProposalId"><c>approve</c>, <c>reject</c>: the proposal; <c>rollback</c>: the deploy to undo back to (optional).</param>
/// <param name="Reason"><c>reject</c>: why (optional).</param>
internal sealed record ActionRequest(bool? DryRun = null, string? Skill = null, string? ProposalId = null, string? Reason = null);

/// <summary>
/// The actions the page can start: run the loop, evolve a skill (dry run), approve or reject a proposal, roll back. Each
/// calls the same Core service as its command (<see cref="RunService"/>, <see cref="SkillEvolver"/>,
/// <see cref="SkillDeployer"/>, <see cref="AuditTrail"/>), one at a time, in the background; its progress goes out as
/// <c>action</c> events (<c>started</c>, <c>progress</c> with each finished phase or step, then <c>done</c> or <c>failed</c>).
/// </summary>
internal sealed class DashboardActions(App app, DashboardEvents events, StoreWatcher watcher, IHostApplicationLifetime lifetime)
{
    /// <summary>The action kinds.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["run", "evolve", "approve", "reject", "rollback"];

    private readonly Lock _gate = new();
    private string? _running;

    /// <summary>The action running now, if any.</summary>
    public string? Running
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    /// <summary>Checks a request and starts it in the background.</summary>
    /// <returns>The action's id (its events carry it).</returns>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> for a bad request;
    /// <see cref="ErrorCodes.Locked"/> while another action runs.</exception>
    public string Start(string kind, ActionRequest request)
    {
        // The request is checked before anything starts: a bad one is a 400, not a failed action.
        Func<Action<string, object?>, CancellationToken, Task<object>> work;
        switch (kind)
        {
            case "run":
                var only = request with { Skill = request.Skill is null ? null : DashboardData.CheckSkillName(request.Skill) };
                work = (progress, ct) => RunAsync(only, progress, ct);
                break;
            case "evolve":
                var evolve = Skill(request);
                work = (progress, ct) => EvolveAsync(evolve, new SyncProgress<string>(line => progress(line, null)), ct);
                break;
            case "approve":
                var approve = ProposalId(request);
                work = (_, _) => Task.FromResult(Approve(approve));
                break;
            case "reject":
                var reject = ProposalId(request);
                work = (_, _) => Task.FromResult(Reject(reject, request.Reason));
                break;
            case "rollback":
                var rollback = Skill(request);
                work = (_, _) => Task.FromResult(Rollback(rollback, request.ProposalId));
                break;
            default:
                throw new SelftuneException(ErrorCodes.InvalidArgument, $"There is no action '{kind}'; the actions are {string.Join(", ", Kinds)}.", "selftune dashboard");
        }

        var id = $"{kind}-{Guid.NewGuid().ToString("N")[..8]}";
        lock (_gate)
        {
            if (_running is not null)
            {
                throw new SelftuneException(ErrorCodes.Locked, $"Action {_running} is still running; wait for it to finish.", "selftune runs");
            }

            _running = id;
        }

        Publish(id, kind, "started", $"{kind} started", request);
        _ = Task.Run(async () =>
        {
            try
            {
                var result = await work((message, detail) => Publish(id, kind, "progress", message, detail), lifetime.ApplicationStopping).ConfigureAwait(false);
                Publish(id, kind, "done", $"{kind} finished", result);
            }
            catch (SelftuneException ex)
            {
                Publish(id, kind, "failed", ex.Message, new { error = new { code = ex.Code, message = ex.Message, next_command = ex.NextCommand } });
            }
#pragma warning disable CA1031 // An action's failure is reported to the page; the server goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Publish(id, kind, "failed", $"{ex.GetType().Name}: {ex.Message}");
            }
            finally
            {
                lock (_gate)
                {
                    _running = null;
                }

                watcher.Check();
            }
        });
        return id;
    }

    private async Task<object> RunAsync(ActionRequest request, Action<string, object?> progress, CancellationToken ct)
    {
        var phases = new SyncProgress<RunPhase>(phase => progress($"{Json.Name(phase.Name)}: {phase.Summary}", phase));
        var report = await app.Get<RunService>().RunAsync(new RunRequest(RunTrigger.Manual, request.DryRun ?? true, request.Skill), ct, phases).ConfigureAwait(false);
        return new { run_id = report.RunId, status = report.Status, totals = report.Totals };
    }

    private async Task<object> EvolveAsync(string skill, IProgress<string> progress, CancellationToken ct)
    {
        using var store = app.OpenStore();
        var client = app.Get<ILlmClientFactory>().CreateRequired(LlmCommands.RunId(app, "evolve"), "Evolve");

        return await app.Get<SkillEvolver>().EvolveAsync(store, skill, null, dryRun: true, client, progress, ct).ConfigureAwait(false);
    }

    private object Approve(string proposalId)
    {
        using var store = app.OpenStore();
        var trail = new AuditTrail(store);
        return app.Get<SkillDeployer>().Deploy(trail, ProposalsCommands.Find(trail, proposalId));
    }

    private object Reject(string proposalId, string? reason)
    {
        using var store = app.OpenStore();
        var trail = new AuditTrail(store);
        var proposal = ProposalsCommands.Find(trail, proposalId);
        return new { proposal_id = proposal.ProposalId, skill = proposal.SkillName, status = AuditActions.Rejected, message = trail.Reject(proposal, reason, DateTimeOffset.UtcNow) };
    }

    private object Rollback(string skill, string? to)
    {
        using var store = app.OpenStore();
        return app.Get<SkillDeployer>().Rollback(new AuditTrail(store), skill, to, "requested from the dashboard");
    }

    private void Publish(string id, string kind, string state, string message, object? result = null) =>
        events.Publish("action", JsonSerializer.Serialize(new { action_id = id, kind, state, message, at = DateTimeOffset.UtcNow, result }, Json.Options));

    private static string Skill(ActionRequest request) =>
        DashboardData.CheckSkillName(request.Skill ?? throw new SelftuneException(ErrorCodes.InvalidArgument, "This action needs \"skill\".", "selftune status"));

    private static string ProposalId(ActionRequest request) =>
        request.ProposalId is { Length: > 0 and <= 200 } id ? id : throw new SelftuneException(ErrorCodes.InvalidArgument, "This action needs \"proposal_id\".", "selftune proposals list");
}
