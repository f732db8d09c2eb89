using Selftune.Abstractions;
using Selftune.Core.Ingest;
using Selftune.Host.Commands;

namespace Selftune.Host.Cli;

/// <summary>
/// The forms agents run most, without building the command-line parser (5–15 ms of each, side by side with the same
/// command through the tree; bench/RESULTS.md): <c>selftune</c>, <c>selftune status</c> and <c>selftune sync</c>, each
/// alone or with <c>--json</c>. They run the command tree's own actions with the same <see cref="App"/>, output and error
/// contract; a first sync starts composing its plugins and services ~15 ms sooner so (<see cref="SyncCommands.Run"/>).
/// Any other form goes through the command tree.
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
            return command == "status"
                ? StatusCommands.RunStatus(app)
                : SyncCommands.Execute(app, new SyncOptions(), CancellationToken.None);
        }
#pragma warning disable CA1031 // As in the command tree: every failure leaves in the error contract.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Program.Fail(output, context, ex);
        }
    }
}
