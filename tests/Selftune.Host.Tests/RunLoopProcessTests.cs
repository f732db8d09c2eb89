using System.Diagnostics;
using Selftune.Core.Configuration;
using Selftune.Core.Loop;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary><c>selftune run --loop</c> as a real child process on the Generic Host: a stop signal in the middle of a phase
/// (an LLM request the loopback server holds open) abandons the phase, records the run as cancelled, releases the run lock
/// and exits 0.</summary>
public sealed class RunLoopProcessTests : IDisposable
{
    private const int Sigint = 2;
    private const int Sigterm = 15;
    private readonly SelftuneCli _cli = new();
    private readonly ManualResetEventSlim _release = new();
    private readonly SemaphoreSlim _asked = new(0);
    private readonly ChatCompletionsServer _llm;

    public RunLoopProcessTests()
    {
        _llm = new ChatCompletionsServer((_, _) =>
        {
            _asked.Release();
            _release.Wait(TimeSpan.FromMinutes(2));
            return "{}";
        });
        _cli.Environment["SELFTUNE_LLM_BACKEND"] = "openai-compatible";
        _cli.Environment["SELFTUNE_LLM_BASE_URL"] = _llm.BaseUrl;
        _cli.Environment["SELFTUNE_LLM_MODEL"] = "loopback-held";
    }

    [Theory]
    [InlineData(Sigterm)]
    [InlineData(Sigint)]
    public async Task AStopSignalDuringAPhaseRecordsTheRunAsCancelledReleasesTheLockAndExitsZero(int signal)
    {
        using var process = _cli.Start(["run", "--loop", "--interval", "5m", "--sample"]);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var lockPath = Path.Combine(_cli.SelftuneHome, RunService.LockFile);

        if (!await _asked.WaitAsync(TimeSpan.FromMinutes(2)))
        {
            Assert.Fail($"the run never asked the LLM\n{await Finish(process, stdout, stderr)}");
        }

        Assert.True(File.Exists(lockPath), "the running loop holds no run lock");
        Assert.Equal(0, Kill(process.Id, signal));
        var exited = process.WaitForExit(TimeSpan.FromMinutes(1));
        var output = await Finish(process, stdout, stderr);
        Assert.True(exited, $"the loop did not stop on signal {signal}\n{output}");
        Assert.True(process.ExitCode == 0, output);
        Assert.False(File.Exists(lockPath), "the run lock was not released");

        using var store = SelftuneStore.Open(new SelftuneHome(_cli.SelftuneHome).DatabasePath);
        var run = Assert.Single(RunHistory.List(store, 10));
        Assert.Equal((RunTrigger.Loop, RunStatus.Cancelled), (run.Trigger, run.Status));
        Assert.NotNull(run.EndedAt);
        var report = RunHistory.Get(store, run.RunId)!.Value.Report!;
        // The first phase that asks the LLM on the samples is discover (the misses nobody named): the one held, so abandoned.
        Assert.Equal((RunPhaseName.Discover, PhaseStatus.Abandoned), (report.Phases[^1].Name, report.Phases[^1].Status));
        Assert.Contains("\"status\":\"cancelled\"", await stdout, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _release.Set();
        _llm.Dispose();
        _cli.Dispose();
        _release.Dispose();
        _asked.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static async Task<string> Finish(Process process, Task<string> stdout, Task<string> stderr)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        return $"exit {(process.HasExited ? process.ExitCode : -1)}\n--- stdout\n{await stdout}\n--- stderr\n{await stderr}";
    }
}
