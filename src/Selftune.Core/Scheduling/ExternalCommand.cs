using System.Diagnostics;
using Selftune.Abstractions;

namespace Selftune.Core.Scheduling;

/// <summary>A system tool run by the scheduler (<c>crontab</c>, <c>systemctl</c>, <c>launchctl</c>).</summary>
/// <param name="Executable">The tool's name, looked up on the context's <c>PATH</c>.</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="IgnoreFailure">True when a failure is expected and harmless (e.g. unloading an agent that is not loaded).</param>
internal sealed record ExternalCommand(string Executable, IReadOnlyList<string> Arguments, bool IgnoreFailure = false)
{
    /// <summary>The command as a person would type it.</summary>
    public override string ToString() => string.Join(' ', new[] { Executable }.Concat(Arguments).Select(ShellCommand.Quote));

    /// <summary>Finds <paramref name="name"/> on the context's <c>PATH</c>.</summary>
    /// <returns>The full path, or null when it is not installed.</returns>
    public static string? Find(string name, PlatformContext context)
    {
        foreach (var folder in (context.Environment("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs the command and waits for it (at most <paramref name="timeout"/>).</summary>
    /// <param name="context">Supplies <c>PATH</c>.</param>
    /// <param name="stdin">Text written to its standard input, or null.</param>
    /// <param name="timeout">Wall-clock limit; the process is killed after it.</param>
    /// <returns>Exit code and captured output; exit code -1 with a reason on stderr when it could not run.</returns>
    public (int ExitCode, string Stdout, string Stderr) Run(PlatformContext context, string? stdin, TimeSpan timeout)
    {
        if (Find(Executable, context) is not { } path)
        {
            return (-1, string.Empty, $"{Executable} is not installed (not found on PATH)");
        }

        var info = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, stdout.Result, $"{Executable} did not finish within {timeout.TotalSeconds:0} s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
