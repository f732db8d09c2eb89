using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Core.Store;
using Selftune.Host.Commands;

namespace Selftune.Host.Cli;

/// <summary>
/// The forms agents run most, without building the command-line parser (5–15 ms of each, side by side with the same
/// command through the tree; bench/RESULTS.md): <c>selftune</c>, <c>selftune status</c> and a <c>selftune sync</c> that finds nothing new (its stamp,
/// <see cref="SyncStamp"/>), each alone or with <c>--json</c>. They run the command tree's own actions with the same
/// <see cref="App"/>, output and error contract. Any other form, and a sync with something to read (always a sync into a new
/// store), goes through the command tree.
/// </summary>
internal static class QuickCommands
{
    /// <summary>Runs <paramref name="args"/> when it is one of the quick forms.</summary>
    /// <returns>The exit code, or null when the command tree must run it.</returns>
    public static int? TryRun(string[] args, TextWriter stdout, TextWriter stderr, PlatformContext context, bool stdoutRedirected)
    {
        var (command, json) = args switch
        {
            [] or ["status"] => ("status", false),
            ["--json"] or ["status", "--json"] => ("status", true),
            ["sync"] => ("sync", false),
            ["sync", "--json"] => ("sync", true),
            _ => (null, false),
        };
        if (command is null)
        {
            return null;
        }

        var output = new Output(json || stdoutRedirected, stdout, stderr);
        try
        {
            using var app = new App(context, output);
            if (command == "status")
            {
                return StatusCommands.RunStatus(app);
            }

            if (SelftuneStore.IsNew(app.Home.DatabasePath))
            {
                return null; // a first sync: nothing can be unchanged, and the command tree's sync composes while it creates the store
            }

            using var store = app.OpenStore();
            if (SyncJob.Unchanged(store, app.Context, app.Installation, app.Home, DateTimeOffset.UtcNow, new SyncOptions()) is not { } report)
            {
                return null;
            }

            SyncCommands.Print(app, report);
            return 0;
        }
#pragma warning disable CA1031 // As in the command tree: every failure leaves in the error contract.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Program.Fail(output, context, ex);
        }
    }
}
