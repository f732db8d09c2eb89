using Microsoft.Extensions.Time.Testing;
using System.Diagnostics;
using System.Text.Json;
using Selftune.Core.Loop;

namespace Selftune.Core.Tests.Loop;

/// <summary>The run lock against real processes: a live holder blocks, a dead or reused pid and an old heartbeat do not.</summary>
public sealed class RunLockTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromHours(3);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "selftune-lock-" + Guid.NewGuid().ToString("N"));

    public RunLockTests() => Directory.CreateDirectory(_folder);

    private string LockPath => Path.Combine(_folder, "run.lock");

    [Fact]
    public void ASecondRunIsRefusedWhileTheFirstHoldsTheLockAndMayRunAfterIt()
    {
        using (var first = RunLock.Acquire(LockPath, "run_a", Bound, TimeProvider.System))
        {
            var error = Assert.Throws<SelftuneException>(() => RunLock.Acquire(LockPath, "run_b", Bound, TimeProvider.System));
            Assert.Equal(ErrorCodes.Locked, error.Code);
            Assert.Contains($"pid {Environment.ProcessId}", error.Message, StringComparison.Ordinal);
            Assert.Contains("run_a", error.Message, StringComparison.Ordinal);
            Assert.Equal("run_a", RunLock.ReadHolder(LockPath)!.RunId);
        }

        Assert.False(File.Exists(LockPath));
        using var second = RunLock.Acquire(LockPath, "run_b", Bound, TimeProvider.System);
        Assert.Null(second.Recovered);
    }

    [Fact]
    public void ALiveProcessHoldsTheLockUntilItDies()
    {
        using var sleeper = Process.Start("sleep", "60");
        WriteLock(new RunLockHolder(sleeper.Id, Environment.MachineName, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "run_live"));
        Assert.Equal(ErrorCodes.Locked, Assert.Throws<SelftuneException>(() => RunLock.Acquire(LockPath, "run_b", Bound, TimeProvider.System)).Code);

        sleeper.Kill();
        sleeper.WaitForExit();
        using var taken = RunLock.Acquire(LockPath, "run_b", Bound, TimeProvider.System);
        Assert.Equal("run_live", taken.Recovered!.RunId);
        Assert.Contains($"process {sleeper.Id}", taken.RecoveredReason, StringComparison.Ordinal);
    }

    [Fact]
    public void AReusedPidDoesNotKeepACrashedRunsLock()
    {
        using var younger = Process.Start("sleep", "60");
        try
        {
            var crashedAt = DateTimeOffset.UtcNow.AddMinutes(-30);
            WriteLock(new RunLockHolder(younger.Id, Environment.MachineName, crashedAt, DateTimeOffset.UtcNow, "run_crashed"));
            using var taken = RunLock.Acquire(LockPath, "run_b", Bound, TimeProvider.System);
            Assert.Contains("younger", taken.RecoveredReason, StringComparison.Ordinal);
        }
        finally
        {
            younger.Kill();
        }
    }

    [Fact]
    public void AnOldHeartbeatIsStaleEvenOnAnotherHost()
    {
        var old = DateTimeOffset.UtcNow - Bound - TimeSpan.FromMinutes(1);
        WriteLock(new RunLockHolder(1, "another-host", old, old, "run_elsewhere"));
        using var taken = RunLock.Acquire(LockPath, "run_b", Bound, TimeProvider.System);
        Assert.Contains("heartbeat", taken.RecoveredReason, StringComparison.Ordinal);
    }

    [Fact]
    public void AFreshLockOnAnotherHostIsRespected()
    {
        WriteLock(new RunLockHolder(1, "another-host", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "run_elsewhere"));
        Assert.Equal(ErrorCodes.Locked, Assert.Throws<SelftuneException>(() => RunLock.Acquire(LockPath, "run_b", Bound, TimeProvider.System)).Code);
    }

    [Fact]
    public void AnUnreadableLockIsRespectedBrieflyThenTakenOver()
    {
        File.WriteAllText(LockPath, "{\"pid\":");
        Assert.Equal(ErrorCodes.Locked, Assert.Throws<SelftuneException>(() => RunLock.Acquire(LockPath, "run_b", Bound, TimeProvider.System)).Code);
        File.SetLastWriteTimeUtc(LockPath, DateTime.UtcNow.AddMinutes(-1));
        using var taken = RunLock.Acquire(LockPath, "run_b", Bound, TimeProvider.System);
        Assert.Equal("the lock file could not be read", taken.RecoveredReason);
    }

    [Fact]
    public void HeartbeatKeepsTheLockFreshAndReleaseLeavesAnotherRunsLockAlone()
    {
        var start = DateTimeOffset.UtcNow;
        var clock = new FakeTimeProvider(start);
        var held = RunLock.Acquire(LockPath, "run_a", Bound, clock);
        clock.SetUtcNow(start.AddHours(2));
        held.Heartbeat();
        Assert.Equal(start.AddHours(2), RunLock.ReadHolder(LockPath)!.HeartbeatAt);

        // Another run took the lock over (e.g. this one was presumed dead): releasing must not delete it.
        WriteLock(new RunLockHolder(Environment.ProcessId, Environment.MachineName, start, start, "run_other"));
        held.Dispose();
        Assert.Equal("run_other", RunLock.ReadHolder(LockPath)!.RunId);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void WriteLock(RunLockHolder holder) => File.WriteAllText(LockPath, JsonSerializer.Serialize(holder, Json.Options));
}
