using System.ComponentModel;
using System.Globalization;
using System.Text;
using CliWrap;
using Selftune.Abstractions;

namespace Selftune.Plugin.Shared;

/// <summary>One run of an agent CLI.</summary>
/// <param name="Executable">The full path (see <see cref="ExecutableSearch.FindOnPath"/>); never run through a shell.</param>
/// <param name="Arguments">The arguments, passed as they are (no quoting needed).</param>
/// <param name="WorkingDirectory">The folder it runs in.</param>
/// <param name="Timeout">How long it may run before it and its child processes are killed.</param>
internal sealed record ChildProcessRequest(string Executable, IReadOnlyList<string> Arguments, string WorkingDirectory, TimeSpan Timeout)
{
    /// <summary>Written to stdin as UTF-8 (no BOM), which is then closed; null: stdin is closed at once.</summary>
    public string? Input { get; init; }

    /// <summary>Variables set for the child on top of this process's environment (a null value removes one).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>When set, each stdout line goes here as it arrives and <see cref="ChildProcessResult.Output"/> stays empty.</summary>
    public Action<string>? OnOutputLine { get; init; }
}

/// <summary>How a run ended.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Output">Stdout, lines joined with <c>\n</c> (empty when <see cref="ChildProcessRequest.OnOutputLine"/> took them).</param>
/// <param name="ErrorTail">The last <see cref="ChildProcess.ErrorTailLength"/> characters of stderr.</param>
internal sealed record ChildProcessResult(int ExitCode, string Output, string ErrorTail);

/// <summary>
/// Runs agent CLIs for every plugin, on CliWrap (<c>Cli.Wrap</c>): full path and argument list (no shell), stdin fed
/// or closed, stdout read line by line and capped at <see cref="OutputLimit"/> characters, stderr's tail kept, and on
/// timeout or cancellation the whole process tree killed (CliWrap's forceful cancellation is
/// <c>Process.Kill(entireProcessTree: true)</c>). Compiled into each plugin as a linked source file; CliWrap is copied
/// into each plugin's folder.
/// </summary>
internal static class ChildProcess
{
    /// <summary>Characters of stderr kept for error messages.</summary>
    public const int ErrorTailLength = 2000;

    /// <summary>Characters of stdout a run may print before it is stopped (an agent answer is far smaller).</summary>
    public const int OutputLimit = 64 * 1024 * 1024;

    /// <summary>The environment a child gets from <paramref name="context"/>: its <c>PATH</c> (so a script's
    /// interpreter is found where the CLI was found), when it has one.</summary>
    public static IReadOnlyDictionary<string, string?> PathOf(PlatformContext context) =>
        context.Environment("PATH") is { } path ? new Dictionary<string, string?> { ["PATH"] = path } : new Dictionary<string, string?>();

    /// <summary>Runs <paramref name="request"/> to its end.</summary>
    /// <returns>The exit code (whatever it is), stdout and stderr's tail.</returns>
    /// <exception cref="AgentRunnerException">It could not be started (not transient), printed more than
    /// <see cref="OutputLimit"/> characters (not transient; killed), or ran past its timeout (transient; killed).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the process tree is killed).</exception>
    public static async Task<ChildProcessResult> RunAsync(ChildProcessRequest request, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(request.Executable);
        var output = new StringBuilder();
        var error = new StringBuilder();
        var overflow = false;
        using var timer = new CancellationTokenSource(request.Timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        var command = Cli.Wrap(request.Executable)
            .WithArguments(request.Arguments)
            .WithWorkingDirectory(request.WorkingDirectory)
            .WithEnvironmentVariables(request.Environment)
            .WithValidation(CommandResultValidation.None)
            .WithStandardInputPipe(request.Input is null ? PipeSource.Null : PipeSource.FromString(request.Input, new UTF8Encoding(false)))
            .WithStandardOutputPipe(PipeTarget.ToDelegate(OnLine, Encoding.UTF8))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(OnErrorLine, Encoding.UTF8));
        try
        {
            var result = await command.ExecuteAsync(stop.Token).ConfigureAwait(false);
            var tail = error.Length > ErrorTailLength ? error.ToString(error.Length - ErrorTailLength, ErrorTailLength) : error.ToString();
            return new ChildProcessResult(result.ExitCode, output.ToString(), tail);
        }
        catch (Win32Exception e)
        {
            throw new AgentRunnerException($"'{request.Executable}' could not be started: {e.InnerException?.Message ?? e.Message}", transient: false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && overflow)
        {
            throw new AgentRunnerException(
                string.Create(CultureInfo.InvariantCulture, $"'{name}' printed more than {OutputLimit / (1024 * 1024)} MiB on stdout and was stopped with its child processes."), transient: false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timer.IsCancellationRequested)
        {
            throw new AgentRunnerException(
                string.Create(CultureInfo.InvariantCulture, $"'{name}' timed out: it did not finish within {request.Timeout.TotalSeconds:0.#} s and was stopped with its child processes."), transient: true);
        }

        void OnLine(string line)
        {
            if (request.OnOutputLine is { } onLine)
            {
                onLine(line);
                return;
            }

            if (output.Length + line.Length + 1 > OutputLimit)
            {
                overflow = true;
                timer.Cancel();
                return;
            }

            output.Append(line).Append('\n');
        }

        void OnErrorLine(string line)
        {
            error.Append(line).Append('\n');
            if (error.Length > ErrorTailLength * 2)
            {
                error.Remove(0, error.Length - ErrorTailLength);
            }
        }
    }
}
