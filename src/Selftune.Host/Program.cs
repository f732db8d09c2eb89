using System.CommandLine;
using Selftune.Abstractions;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Host.Cli;
using Selftune.Host.Commands;

namespace Selftune.Host;

/// <summary>The <c>selftune</c> executable.</summary>
internal static class Program
{
    /// <summary>Entry point. <c>selftune hook …</c> (what agents run on every event) takes a fast path that loads
    /// no command-line parser, container, plugin or database (<see cref="HookFastPath"/>); the plain forms of
    /// <c>status</c> and of a <c>sync</c> with nothing new skip the command-line parser (<see cref="QuickCommands"/>);
    /// everything else runs the command tree.</summary>
    /// <remarks>Everything the process creates is private to the user, whatever the umask (<see cref="PrivateFiles"/>).</remarks>
    public static int Main(string[] args)
    {
        if (HookFastPath.Handles(args))
        {
            return HookFastPath.Run(args.AsSpan(1));
        }

        PrivateFiles.RestrictNewFiles();
        return RunCli(args);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int RunCli(string[] args)
    {
        var context = PlatformContext.FromProcess();
        return QuickCommands.TryRun(args, Console.Out, Console.Error, context, Console.IsOutputRedirected)
            ?? RunAsync(args, Console.Out, Console.Error, context, Console.IsOutputRedirected).GetAwaiter().GetResult();
    }

    /// <summary>Runs one command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="stdout">Result stream.</param>
    /// <param name="stderr">Progress, report and error stream.</param>
    /// <param name="context">The machine as plugins see it.</param>
    /// <param name="stdoutRedirected">True when stdout is not a terminal (JSON becomes the default).</param>
    /// <returns>The exit code: 0 on success; 2 for invalid arguments, unknown commands and options (also with
    /// <c>--help</c>); otherwise the error's code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, PlatformContext context, bool stdoutRedirected)
    {
        App? app = null;
        Output? output = null;
        var root = CommandTree.Build(() => app!);
        var parse = root.Parse(args);
        output = new Output(parse.GetValue(CommandTree.JsonOption) || stdoutRedirected, stdout, stderr);
        try
        {
            using (app = new App(context, output))
            {
                if (CommandLineErrors.Find(parse) is { } error)
                {
                    output.Failure(error);
                    return error.ExitCode;
                }

                // A long-lived process's Generic Host handles SIGINT and SIGTERM itself (and exits 0 once the loop has stopped).
                var invocation = new InvocationConfiguration { Output = stdout, Error = stderr };
                if (RunCommand.LivesLong(parse))
                {
                    invocation.ProcessTerminationTimeout = null;
                }

                return await parse.InvokeAsync(invocation).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // The last line of defence: every failure leaves as the documented error shape.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Fail(output, context, ex);
        }
    }

    /// <summary>Prints a failure in the error contract: a <see cref="SelftuneException"/> as it is, anything else as
    /// <c>INTERNAL_ERROR</c> (with the stack when <c>SELFTUNE_DEBUG</c> is set).</summary>
    /// <returns>The exit code: the error's, or 1.</returns>
    internal static int Fail(Output output, PlatformContext context, Exception ex)
    {
        var error = ex as SelftuneException ?? new SelftuneException(
            ErrorCodes.Internal,
            $"selftune failed unexpectedly: {ex.GetType().Name}: {ex.Message}" + (context.Environment("SELFTUNE_DEBUG") is { Length: > 0 } ? "\n" + ex : " (set SELFTUNE_DEBUG=1 for details)"),
            "selftune doctor");
        output.Failure(error);
        return ex is SelftuneException ? error.ExitCode : 1;
    }
}
