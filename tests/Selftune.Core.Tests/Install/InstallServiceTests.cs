using Selftune.Abstractions;
using Selftune.Core.Install;

namespace Selftune.Core.Tests.Install;

public sealed class InstallServiceTests : IDisposable
{
    private readonly TempHome _temp = new();
    private readonly InstallService _service = new(TimeProvider.System);

    [Fact]
    public void AChangeIsBackedUpThenWrittenAndRecorded()
    {
        var path = Path.Combine(_temp.Root, "settings.json");
        File.WriteAllText(path, "{}\n");

        var applied = Assert.Single(_service.Apply(new InstallPlan([new FileChange(path, "{}\n", "{\"a\":1}\n", "add a")]), _temp.Home, dryRun: false));

        Assert.True(applied.Applied);
        Assert.Equal("{\"a\":1}\n", File.ReadAllText(path));
        Assert.StartsWith(_temp.Home.BackupsPath, applied.BackupPath);
        Assert.Equal("{}\n", File.ReadAllText(applied.BackupPath!));
        Assert.Contains("-{}\n+{\"a\":1}\n", applied.Diff);
        using var store = _temp.OpenStore();
        _service.Record(store, "claude_code", "install", InstallScope.User, "/bin/selftune hook", [applied]);
        Assert.Equal(applied.BackupPath, store.Scalar("SELECT backup_path FROM installs WHERE action = 'install' AND path = $p", ("$p", path)));
    }

    [Fact]
    public void ADryRunWritesNothingAndUnchangedFilesAreNotListed()
    {
        var path = Path.Combine(_temp.Root, "settings.json");

        var result = _service.Apply(new InstallPlan([new FileChange(path, null, "{}\n", "create"), new FileChange(path + ".2", "x", "x", "same")]), _temp.Home, dryRun: true);

        var change = Assert.Single(result);
        Assert.False(change.Applied);
        Assert.Null(change.BackupPath);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AFileChangedSincePlanningIsLeftAsItIs()
    {
        var path = Path.Combine(_temp.Root, "settings.json");
        File.WriteAllText(path, "{\"edited\":true}\n");

        var error = Assert.Throws<SelftuneException>(() => _service.Apply(new InstallPlan([new FileChange(path, "{}\n", "{\"a\":1}\n", "add a")]), _temp.Home, dryRun: false));

        Assert.Equal(ErrorCodes.UnsafeEdit, error.Code);
        Assert.Equal("{\"edited\":true}\n", File.ReadAllText(path));
        Assert.False(Directory.Exists(_temp.Home.BackupsPath));
    }

    public void Dispose() => _temp.Dispose();
}
