using Selftune.Abstractions;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests.Skills;

/// <summary>The skill roots remembered for <c>status</c> (<see cref="SkillRootsCache"/>) on real folders: used while nothing
/// that decided them changed, dropped when an environment variable the plugin read, the installation, the user's home or
/// a folder above a root changes.</summary>
public sealed class SkillRootsCacheTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "selftune-roots-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string?> _environment = new(StringComparer.Ordinal);
    private readonly ZedInstaller _installer = new();

    public SkillRootsCacheTests()
    {
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(Work);
        Directory.CreateDirectory(Path.GetDirectoryName(CachePath)!);
    }

    private string Home => Path.Combine(_root, "home");

    private string Work => Path.Combine(_root, "work");

    private string CachePath => Path.Combine(_root, "selftune", "skill-roots.json");

    private PlatformContext Context => new(Home, Work, name => _environment.GetValueOrDefault(name));

    [Fact]
    public void TheRememberedRootsAreThePluginsAnswerWithoutAskingThemAndFollowTheWorkingDirectory()
    {
        var cache = new SkillRootsCache(CachePath);
        Assert.Null(cache.Roots(Context, "install-1"));
        var asked = cache.Refresh(Context, "install-1", [_installer]);
        Assert.Equal(SkillCatalog.Roots(Context, [_installer]), asked);
        var detections = _installer.Detections;

        Assert.Equal(asked, cache.Roots(Context, "install-1"));
        var elsewhere = Path.Combine(_root, "other");
        Directory.CreateDirectory(elsewhere);
        Assert.Equal(Path.Combine(elsewhere, ".zed", "skills"), cache.Roots(Context with { WorkingDirectory = elsewhere }, "install-1")![0]);
        Assert.Equal(detections, _installer.Detections);
    }

    [Fact]
    public void AVariableThePluginReadTheInstallationOrTheHomeChangedDropsThem()
    {
        var cache = new SkillRootsCache(CachePath);
        cache.Refresh(Context, "install-1", [_installer]);

        _environment["UNRELATED"] = "x"; // never read by the plugin
        Assert.NotNull(cache.Roots(Context, "install-1"));
        Assert.Null(cache.Roots(Context, "install-2"));
        Assert.Null(cache.Roots(Context with { UserHome = Work }, "install-1"));

        var relocated = Path.Combine(_root, "zed-elsewhere");
        _environment[ZedInstaller.Variable] = relocated;
        Assert.Null(cache.Roots(Context, "install-1"));
        Assert.Contains(Path.Combine(relocated, "skills"), cache.Refresh(Context, "install-1", [_installer]));
        Assert.Contains(Path.Combine(relocated, "skills"), cache.Roots(Context, "install-1")!);
    }

    [Fact]
    public void AFolderCreatedOrRemovedAboveARootDropsThem()
    {
        var cache = new SkillRootsCache(CachePath);
        var plugins = Path.Combine(Home, ".zed", "plugins", "skills");
        Directory.CreateDirectory(Path.Combine(Home, ".zed", "skills"));
        Assert.DoesNotContain(plugins, cache.Refresh(Context, "install-1", [_installer]));
        StepPastTheClock();

        // The plugin names a second root once it exists: the listing of the folder above the first root changed.
        Directory.CreateDirectory(plugins);
        Assert.Null(cache.Roots(Context, "install-1"));
        Assert.Contains(plugins, cache.Refresh(Context, "install-1", [_installer]));
        StepPastTheClock();

        Directory.Delete(plugins);
        Assert.Null(cache.Roots(Context, "install-1"));
        Assert.DoesNotContain(plugins, cache.Refresh(Context, "install-1", [_installer]));
        Assert.NotNull(cache.Roots(Context, "install-1"));

        // A file written straight into the home (as agents and shells do all the time) changes nothing.
        File.WriteAllText(Path.Combine(Home, ".agent-state.json"), "{}");
        Assert.NotNull(cache.Roots(Context, "install-1"));
    }

    [Fact]
    public void EachEnvironmentKeepsItsOwnEntryUpToTheLimit()
    {
        // A shell and a bench script (pyenv's shims put their folders first on PATH) alternating: each keeps its entry.
        var cache = new SkillRootsCache(CachePath);
        var paths = Enumerable.Range(0, SkillRootsCache.MaxEntries + 1).Select(i => $"/bin{i}:/usr/bin").ToList();
        foreach (var path in paths.Take(SkillRootsCache.MaxEntries))
        {
            _environment["PATH"] = path;
            cache.Refresh(Context, "install-1", [_installer]);
        }

        var expected = SkillCatalog.Roots(Context, [_installer]);
        var detections = _installer.Detections;
        foreach (var path in paths.Take(SkillRootsCache.MaxEntries))
        {
            _environment["PATH"] = path;
            Assert.Equal(expected, cache.Roots(Context, "install-1"));
        }

        Assert.Equal(detections, _installer.Detections);
        _environment["PATH"] = paths[^1];
        cache.Refresh(Context, "install-1", [_installer]);
        _environment["PATH"] = paths[0];
        Assert.Null(cache.Roots(Context, "install-1")); // the oldest gave way
        _environment["PATH"] = paths[1];
        Assert.NotNull(cache.Roots(Context, "install-1"));
        Assert.Null(cache.Roots(Context, "install-2"));
    }

    [Fact]
    public void AnUnreadableOrForeignFileIsNoCache()
    {
        var cache = new SkillRootsCache(CachePath);
        File.WriteAllText(CachePath, "{ not json");
        Assert.Null(cache.Roots(Context, "install-1"));
        File.WriteAllText(CachePath, """{"version":2}""");
        Assert.Null(cache.Roots(Context, "install-1"));
        cache.Refresh(Context, "install-1", [_installer]);
        Assert.NotNull(cache.Roots(Context, "install-1"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Lets the clock pass a coarse file-system timestamp, so the next change gives a new modification time.</summary>
    private static void StepPastTheClock() => Thread.Sleep(20);

    /// <summary>An agent like Claude Code: its folder is <c>$ZED_DIR</c> or <c>~/.zed</c>, whose <c>skills</c> is always a
    /// root and whose <c>plugins/skills</c> is one only when it exists.</summary>
    private sealed class ZedInstaller : IInstaller
    {
        public const string Variable = "ZED_DIR";

        public int Detections { get; private set; }

        public string Platform => "zed";

        public IReadOnlyList<string> ProjectSkillFolders => [Path.Combine(".zed", "skills")];

        public AgentDetection Detect(PlatformContext context)
        {
            Detections++;
            _ = context.Environment("PATH"); // as the plugins do, to find the agent's executable
            var folder = context.Environment(Variable) ?? Path.Combine(context.UserHome, ".zed");
            var plugins = Path.Combine(folder, "plugins", "skills");
            return new AgentDetection(true, folder, null, Directory.Exists(plugins) ? [Path.Combine(folder, "skills"), plugins] : [Path.Combine(folder, "skills")]);
        }

        public InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand) => new([]);

        public InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand) => new([]);
    }
}
