using System.CommandLine;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Ingest;
using Selftune.Core.Privacy;
using Selftune.Core.Reports;
using Selftune.Host.Cli;

namespace Selftune.Host.Commands;

/// <summary><c>selftune hook</c> (run by agents; see <see cref="HookFastPath"/>) and the hidden <c>selftune hook-drain</c>.</summary>
internal static class HookCommands
{
    /// <summary>Creates <c>hook</c>. Agents' invocations never reach this tree (<see cref="Program.Main"/> routes them to
    /// the fast path first); it is here for <c>--help</c> and in-process runs, and does the same.</summary>
    public static Command Hook()
    {
        var eventArg = new Argument<string>("event") { Description = "The hook event (UserPromptSubmit, PostToolUse, Stop, …)." };
        var payloadArg = new Argument<string?>("payload") { Description = "The payload, for agents that pass it as an argument instead of on stdin.", Arity = ArgumentArity.ZeroOrOne };
        var platform = new Option<string?>("--platform") { Description = "The agent platform (a platform id from `selftune plugins`); detected from the payload when absent." };
        var turnEnd = new Option<bool>(PluginContract.TurnEndFlag) { Description = "The event ends a turn or a session: store the spooled events and the transcript in the background now (installers mark these events)." };
        var command = new Command("hook", "Record one agent hook event (payload on stdin). Installed into agents by `selftune install`; always exits 0, errors go to logs/hook-errors.log.")
        {
            eventArg, payloadArg, platform, turnEnd,
        };
        command.SetAction(parse =>
        {
            var args = new List<string> { parse.GetValue(eventArg)! };
            if (parse.GetValue(platform) is { } p)
            {
                args.AddRange(["--platform", p]);
            }

            if (parse.GetValue(turnEnd))
            {
                args.Add(PluginContract.TurnEndFlag);
            }

            if (parse.GetValue(payloadArg) is { } payload)
            {
                args.Add(payload);
            }

            return HookFastPath.Run([.. args]);
        });
        return command;
    }

    /// <summary>Creates the hidden <c>hook-drain</c>: stores the spooled hook events and ingests the transcripts they
    /// name. <c>--background</c> (how hooks start it) detaches from the agent's session, prints nothing and logs
    /// failures to the hook error log; it then makes <c>status</c>'s miss set current in the store
    /// (<see cref="StatusSnapshot.Refresh"/>) and starts a background <c>selftune run</c> when improvement signals are
    /// pending (<see cref="RunCommand.StartIfSignalsPending"/>).</summary>
    public static Command Drain(Func<App> app)
    {
        var background = new Option<bool>("--background") { Description = "Detach, print nothing, log failures to logs/hook-errors.log (how hooks start it)." };
        return new Command("hook-drain", "Store the spooled hook events now and ingest the transcripts they name.") { background }
            .Hidden()
            .Runs(app, (a, p, ct) =>
            {
                if (!p.GetValue(background))
                {
                    a.Output.Result(Run(a, ct));
                    return Task.FromResult(0);
                }

                SpoolFile.DetachFromSession();
                try
                {
                    Run(a, ct);
                    using var store = a.OpenStore();
                    RunCommand.StartIfSignalsPending(a, store);
                    // Then the next status reads the miss set from the store instead of every prompt (bench/RESULTS.md, issue
                    // 19); only a speed-up, so it comes after the run it must never keep from starting.
                    StatusSnapshot.Refresh(store, StatusCommands.InstalledSkills(a));
                }
#pragma warning disable CA1031 // Nobody reads a background drain's output: every failure goes to the hook error log.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    HookSpool.LogError(a.Home, DateTimeOffset.UtcNow, "hook-drain", $"{ex.GetType().Name}: {ex.Message}");
                }

                return Task.FromResult(0);
            });
    }

    /// <summary>Drains the spool, then ingests the transcripts the drained events named (only those sources).</summary>
    public static HookDrainResult Run(App a, CancellationToken cancellationToken)
    {
        using var store = a.OpenStore();
        var redactor = new Redactor(a.Config.GetBool(ConfigKeys.RedactionEnabled.Key));
        var hooks = a.Get<HookSpoolDrainer>().Drain(store, a.Home, redactor, cancellationToken);
        if (hooks.Transcripts.Count == 0)
        {
            return new HookDrainResult(hooks, null);
        }

        var options = new SyncOptions(
            Platforms: hooks.Transcripts.Select(t => t.Platform).ToHashSet(StringComparer.Ordinal),
            Paths: hooks.Transcripts.Select(t => t.Path).ToHashSet(StringComparer.Ordinal));
        return new HookDrainResult(hooks, a.Get<SyncService>().Run(store, a.Context, redactor, a.Get<IUsagePricer>(), options, cancellationToken));
    }

    private static Command Hidden(this Command command)
    {
        command.Hidden = true;
        return command;
    }
}

/// <summary>What <c>selftune hook-drain</c> did.</summary>
/// <param name="Hooks">The drain of the spool.</param>
/// <param name="Transcripts">The sync of the transcripts the events named; null when none was named.</param>
internal sealed record HookDrainResult(HookDrainReport Hooks, SyncReport? Transcripts);
