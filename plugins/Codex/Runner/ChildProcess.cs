using System.Diagnostics;
using System.Globalization;
using System.Text;
using Selftune.Abstractions;

namespace Selftune.Plugin.Codex.Runner;

/// <summary>Runs an agent CLI: full path, stdin closed, stdout read line by line, stderr's tail kept, the whole
/// process tree killed on timeout or cancellation.</summary>
internal static class ChildProcess
{
    private const int StderrTail = 2000;

    /// <summary>Runs <paramref name="executable"/> and feeds each stdout line to <paramref name="onLine"/>.</summary>
    /// <returns>The exit code and the last 2,000 characters of stderr.</returns>
    /// <exception cref="AgentRunnerException">It could not start (not transient) or ran past <paramref name="timeout"/> (transient).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the process is killed).</exception>
    public static async Task<(int ExitCode, string Stderr)> RunAsync(
        string executable, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, Action<string> onLine, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            throw new AgentRunnerException($"{executable} could not be started: {e.Message}", transient: false);
        }

        process.StandardInput.Close();
        using var timer = new CancellationTokenSource(timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        using (stop.Token.Register(() => Kill(process)))
        {
            var stderr = ReadTailAsync(process.StandardError);
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                onLine(line);
            }

            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            var tail = await stderr.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (timer.IsCancellationRequested)
            {
                throw new AgentRunnerException(
                    string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(executable)} did not finish within {timeout.TotalSeconds:0.#} s and was stopped."), transient: true);
            }

            return (process.ExitCode, tail);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // already exited
        }
    }

    private static async Task<string> ReadTailAsync(StreamReader reader)
    {
        var tail = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false)) > 0)
        {
            tail.Append(buffer, 0, read);
            if (tail.Length > StderrTail * 2)
            {
                tail.Remove(0, tail.Length - StderrTail);
            }
        }

        return tail.Length > StderrTail ? tail.ToString(tail.Length - StderrTail, StderrTail) : tail.ToString();
    }
}
