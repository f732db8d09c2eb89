using Selftune.Core.Configuration;
using Selftune.Core.Install;

namespace Selftune.Core.Tests.Install;

public sealed class SkillFolderInstallerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "selftune-skillinstall-" + Guid.NewGuid().ToString("N"));
    private readonly SkillFolderInstaller _installer = new(TimeProvider.System);

    public SkillFolderInstallerTests()
    {
        Write(Path.Combine(Source, "SKILL.md"), "---\nname: selftune\ndescription: d\n---\nbody\n");
        Write(Path.Combine(Source, "workflows", "run.md"), "run\n");
    }

    private string Source => Path.Combine(_root, "source");

    private string Skills => Path.Combine(_root, "home", ".claude", "skills");

    private SelftuneHome Home => new(Path.Combine(_root, "selftune"));

    [Fact]
    public void InstallsOnceThenLeavesAnIdenticalCopyAlone()
    {
        var first = _installer.Install(Source, Skills, "selftune", Home, dryRun: false);
        Assert.Equal("created", first.Action);
        Assert.Equal("run\n", File.ReadAllText(Path.Combine(Skills, "selftune", "workflows", "run.md")));
        Assert.Equal("unchanged", _installer.Install(Source, Skills, "selftune", Home, dryRun: false).Action);
        Assert.Equal(["selftune"], Directory.GetDirectories(Skills).Select(Path.GetFileName));
    }

    [Fact]
    public void ADifferentSelftuneSkillIsBackedUpThenReplacedWhole()
    {
        Write(Path.Combine(Skills, "selftune", "SKILL.md"), "---\nname: selftune\ndescription: old\n---\n");
        Write(Path.Combine(Skills, "selftune", "stale.md"), "old file\n");

        Assert.Equal("updated", _installer.Install(Source, Skills, "selftune", Home, dryRun: true).Action);
        Assert.True(File.Exists(Path.Combine(Skills, "selftune", "stale.md")));

        var change = _installer.Install(Source, Skills, "selftune", Home, dryRun: false);
        Assert.Equal("updated", change.Action);
        Assert.False(File.Exists(Path.Combine(Skills, "selftune", "stale.md")));
        Assert.Equal("old file\n", File.ReadAllText(Path.Combine(change.BackupPath!, "stale.md")));
        Assert.Equal(["selftune"], Directory.GetDirectories(Skills).Select(Path.GetFileName));
    }

    [Fact]
    public void RemoveTakesOnlyTheSkillOfThatName()
    {
        Write(Path.Combine(Skills, "selftune", "SKILL.md"), "---\nname: something-else\n---\n");
        Assert.Equal("absent", _installer.Remove(Skills, "selftune", Home, dryRun: false).Action);
        Assert.True(Directory.Exists(Path.Combine(Skills, "selftune")));

        Directory.Delete(Path.Combine(Skills, "selftune"), recursive: true);
        _installer.Install(Source, Skills, "selftune", Home, dryRun: false);
        var removed = _installer.Remove(Skills, "selftune", Home, dryRun: false);
        Assert.Equal("removed", removed.Action);
        Assert.False(Directory.Exists(Path.Combine(Skills, "selftune")));
        Assert.True(File.Exists(Path.Combine(removed.BackupPath!, "SKILL.md")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
