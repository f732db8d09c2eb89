using System.Diagnostics;
using System.Text.Json;
using Selftune.Core.Configuration;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>Builds the sample third-party plugin (tests/fixtures/SamplePlugin) three times — against the current plugin
/// contract, against a newer minor (1.9) and against contract major 2 — into temporary folders, once per test run.</summary>
public sealed class SamplePluginBuilds : IDisposable
{
    /// <summary>Builds the variants in parallel.</summary>
    public SamplePluginBuilds()
    {
        Root = Path.Combine(Path.GetTempPath(), "selftune-sample-plugin-" + Guid.NewGuid().ToString("N"));
        var current = Task.Run(() => Build("current", []));
        var minor9 = Task.Run(() => Build("minor9", ["-p:SelftuneContractMinor=9"]));
        var major2 = Task.Run(() => Build("major2", ["-p:SelftuneContractMajor=2"]));
        Current = current.GetAwaiter().GetResult();
        NewerMinor = minor9.GetAwaiter().GetResult();
        Major2 = major2.GetAwaiter().GetResult();
    }

    /// <summary>Temporary folder of both builds.</summary>
    public string Root { get; }

    /// <summary>Output folder of the plugin built against the current contract.</summary>
    public string Current { get; }

    /// <summary>Output folder of the plugin built against contract 1.9, a minor newer than the host's.</summary>
    public string NewerMinor { get; }

    /// <summary>Output folder of the plugin built against contract major 2.</summary>
    public string Major2 { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Build(string name, string[] properties)
    {
        var project = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(SelftuneCli.Executable)))!, "..", "..", "..", "tests", "fixtures", "SamplePlugin", "SamplePlugin.csproj");
        project = Path.GetFullPath(project);
        var artifacts = Path.Combine(Root, name);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "build", project, "--artifacts-path", artifacts, "-nologo", "-v:q" }.Concat(properties))
        {
            info.ArgumentList.Add(arg);
        }

        // A child build must not inherit the test host's MSBuild node settings.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Building the sample plugin ({name}) failed:\n{output.Result}\n{error.Result}");
        }

        var dll = Directory.EnumerateFiles(Path.Combine(artifacts, "bin", "SamplePlugin"), "SamplePlugin.dll", SearchOption.AllDirectories).Single();
        return Path.GetDirectoryName(dll)!;
    }
}

/// <summary>A plugin written outside the solution for a fifth agent loads from the user's plugins folder through McMaster's
/// loader and gets what the six bundled agents get: sync, install, live hooks with the turn-end drain, skill folders;
/// one built against a newer contract minor loads too; one built against another major, or a broken assembly, is reported
/// and skipped while the rest runs.</summary>
public sealed class PluginLoadingTests(SamplePluginBuilds builds) : IClassFixture<SamplePluginBuilds>, IDisposable
{
    private readonly SelftuneCli _cli = new();

    [Fact]
    public void ThirdPartyPluginLoadsAndItsIngestorIsCalled()
    {
        Install(builds.Current, "SamplePlugin");
        WriteLog("make me a slide deck about Q3", "now export it to pdf please");

        var plugins = _cli.Run("plugins", "--json");
        Assert.Equal(0, plugins.ExitCode);
        var sample = Plugin(plugins.Json, "SamplePlugin");
        Assert.Equal("loaded", sample.GetProperty("status").GetString());
        Assert.StartsWith("user", sample.GetProperty("origin").GetString());
        Assert.Equal(["hooks:sample_agent", "ingestor:sample_agent", "installer:sample_agent"], sample.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()!).Order(StringComparer.Ordinal));
        var all = plugins.Json.GetProperty("plugins").EnumerateArray().ToList();
        Assert.Equal(7, all.Count(p => p.GetProperty("status").GetString() == "loaded"));
        Assert.All(all, p => Assert.StartsWith("McMaster.NETCore.Plugins.", p.GetProperty("load_context").GetString()));

        var sync = _cli.Run("sync", "--json");
        Assert.Equal(0, sync.ExitCode);
        var counters = sync.Json.GetProperty("platforms").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "sample_agent");
        Assert.Equal(1, counters.GetProperty("sessions").GetInt32());
        Assert.Equal(2, counters.GetProperty("actionable_prompts").GetInt32());
    }

    /// <summary>McMaster asks the host for the exact contract version a plugin was built against; a newer minor than the
    /// host's failed that bind (DotNetCorePlugins #242) and the plugin's types could not be loaded.</summary>
    [Fact]
    public void PluginBuiltAgainstANewerContractMinorLoadsAndSyncs()
    {
        Install(builds.NewerMinor, "SamplePlugin");
        WriteLog("make me a slide deck about Q3", "now export it to pdf please");

        var plugins = _cli.Run("plugins", "--json");

        var sample = Plugin(plugins.Json, "SamplePlugin");
        Assert.Equal("loaded", sample.GetProperty("status").GetString());
        Assert.Contains("ingestor:sample_agent", sample.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        var sync = _cli.Run("sync", "--json");
        Assert.Equal(0, sync.ExitCode);
        Assert.Equal(2, sync.Json.GetProperty("platforms").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "sample_agent").GetProperty("actionable_prompts").GetInt32());
    }

    /// <summary>The fifth agent end to end, as processes: <c>init</c> installs its hooks and selftune's skill where it reads
    /// skills, <c>doctor</c> sees both, the installed hook commands run through <c>sh</c> spool a prompt, and the turn-end
    /// event (marked by the plugin's installer, not known to the host) starts the background drain that stores the
    /// session's transcript; its skills are found; uninstall removes what install wrote.</summary>
    [Fact]
    public void AFifthAgentGetsInstallLiveHooksSkillsAndSync()
    {
        Install(builds.Current, "SamplePlugin");
        var log = WriteLog("draw the quarterly revenue chart as an svg", "and now export the chart to png please");
        var skill = Path.Combine(_cli.UserHome, ".sample-agent", "skills", "chart-maker");
        Directory.CreateDirectory(skill);
        File.WriteAllText(Path.Combine(skill, "SKILL.md"), "---\nname: chart-maker\ndescription: Draws charts from numbers.\n---\nBody.\n");

        var init = _cli.Run("init", "--agent", "sample_agent", "--no-sync", "--json");
        Assert.Equal(0, init.ExitCode);
        var hooksFile = Path.Combine(_cli.UserHome, ".sample-agent", "hooks.txt");
        var hooks = File.ReadAllLines(hooksFile).Select(l => l.Split('\t')).ToDictionary(l => l[0], l => l[1]);
        Assert.Equal(Path.Combine(_cli.UserHome, ".sample-agent", "skills", "selftune"), init.Json.GetProperty("skills").EnumerateArray().Single().GetProperty("target").GetString());
        Assert.True(File.Exists(Path.Combine(_cli.UserHome, ".sample-agent", "skills", "selftune", "SKILL.md")));
        var doctor = _cli.Run("doctor", "--json").Json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal(("ok", "ok"), (doctor["hooks sample_agent"], doctor["skill sample_agent"]));

        var prompt = _cli.Shell(hooks["prompt"], """{"sample_agent":1,"session":"sample-session","prompt":"draw the quarterly revenue chart as an svg"}""");
        Assert.Equal((0, string.Empty), (prompt.ExitCode, prompt.Stdout));
        var spool = new SelftuneHome(_cli.SelftuneHome).SpoolPath;
        Assert.Single(Directory.EnumerateFiles(spool, "*.jsonl").SelectMany(File.ReadAllLines)); // spooled; no drain started
        var turnEnd = _cli.Shell(hooks["turn.done"], $$"""{"sample_agent":1,"session":"sample-session","log":"{{log}}"}""");
        Assert.Equal((0, string.Empty), (turnEnd.ExitCode, turnEnd.Stdout));
        SelftuneCli.WaitFor(() => StoredPrompts("sample-0", "sample-1") == 2, "the background drain to store the sample agent's transcript");

        var status = _cli.Run("status", "--json");
        Assert.Contains(status.Json.GetProperty("skills").EnumerateArray(), s => s.GetProperty("name").GetString() == "chart-maker");

        Assert.Equal(0, _cli.Run("uninstall", "--keep-data").ExitCode);
        Assert.False(File.Exists(hooksFile));
        Assert.False(Directory.Exists(Path.Combine(_cli.UserHome, ".sample-agent", "skills", "selftune")));
    }

    /// <summary><c>status</c> remembers the skill roots the plugins named (<c>skill-roots.json</c>); a plugin added
    /// afterwards changes the installation, so the next status asks the plugins again and finds the new agent's skills.</summary>
    [Fact]
    public void APluginAddedAfterAStatusHasItsSkillsFoundByTheNext()
    {
        SyncStatusTests.WriteSkill(Path.Combine(_cli.UserHome, ".sample-agent", "skills", "chart-maker"));
        Assert.DoesNotContain("chart-maker", SyncStatusTests.Installed(_cli.Run("status", "--json").Json));
        Assert.True(File.Exists(Path.Combine(_cli.SelftuneHome, "skill-roots.json")));

        Install(builds.Current, "SamplePlugin");
        Assert.Contains("chart-maker", SyncStatusTests.Installed(_cli.Run("status", "--json").Json));
    }

    [Fact]
    public void PluginBuiltAgainstAnotherContractMajorIsRejectedAndFirstPartyPluginsStillLoad()
    {
        Install(builds.Major2, "SamplePlugin");

        var result = _cli.Run("plugins", "--json");

        Assert.Equal(0, result.ExitCode);
        var sample = Plugin(result.Json, "SamplePlugin");
        Assert.Equal("incompatible", sample.GetProperty("status").GetString());
        Assert.Equal(2, sample.GetProperty("contract_major").GetInt32());
        Assert.Contains("contract 2.x", sample.GetProperty("reason").GetString());
        var bundled = result.Json.GetProperty("plugins").EnumerateArray().Where(p => p.GetProperty("origin").GetString() == "bundled").ToList();
        Assert.Equal(6, bundled.Count);
        Assert.All(bundled, p => Assert.Equal("loaded", p.GetProperty("status").GetString()));
    }

    [Fact]
    public void BrokenPluginAssemblyIsReportedAndTheRestRuns()
    {
        Install(builds.Current, "SamplePlugin");
        var broken = Path.Combine(_cli.SelftuneHome, "plugins", "Broken");
        Directory.CreateDirectory(broken);
        File.WriteAllBytes(Path.Combine(broken, "Broken.dll"), [0x4D, 0x5A, 0x00, 0x01, 0x02, 0x03]);

        var plugins = _cli.Run("plugins", "--json");
        Assert.Equal(0, plugins.ExitCode);
        var failed = Plugin(plugins.Json, "Broken");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("Broken.dll", failed.GetProperty("reason").GetString());
        Assert.Equal("loaded", Plugin(plugins.Json, "SamplePlugin").GetProperty("status").GetString());

        var doctor = _cli.Run("doctor", "--json");
        Assert.Contains(doctor.Json.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "plugin Broken" && c.GetProperty("next_command").GetString() == "selftune plugins");
        Assert.Equal(0, _cli.Run("sync", "--json").ExitCode);
    }

    public void Dispose() => _cli.Dispose();

    private static JsonElement Plugin(JsonElement list, string name) =>
        list.GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);

    private string WriteLog(params string[] prompts)
    {
        var log = Path.Combine(_cli.UserHome, ".sample-agent", "log.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        File.WriteAllLines(log, prompts);
        return log;
    }

    private long StoredPrompts(params string[] ids)
    {
        var path = new SelftuneHome(_cli.SelftuneHome).DatabasePath;
        if (!File.Exists(path))
        {
            return 0;
        }

        using var store = SelftuneStore.Open(path);
        return (long)store.Scalar($"SELECT count(*) FROM prompts WHERE prompt_id IN ({string.Join(',', ids.Select(i => $"'{i}'"))})")!;
    }

    private void Install(string buildOutput, string name)
    {
        var target = Path.Combine(_cli.SelftuneHome, "plugins", name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(buildOutput))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }
}
