using System.Diagnostics;
using System.Text.Json;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>Builds the sample third-party plugin (tests/fixtures/SamplePlugin) twice — against the current plugin
/// contract and against contract major 2 — into temporary folders, once per test run.</summary>
public sealed class SamplePluginBuilds : IDisposable
{
    /// <summary>Builds both variants in parallel.</summary>
    public SamplePluginBuilds()
    {
        Root = Path.Combine(Path.GetTempPath(), "selftune-sample-plugin-" + Guid.NewGuid().ToString("N"));
        var current = Task.Run(() => Build("current", []));
        var major2 = Task.Run(() => Build("major2", ["-p:SelftuneContractMajor=2"]));
        Current = current.GetAwaiter().GetResult();
        Major2 = major2.GetAwaiter().GetResult();
    }

    /// <summary>Temporary folder of both builds.</summary>
    public string Root { get; }

    /// <summary>Output folder of the plugin built against the current contract.</summary>
    public string Current { get; }

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

/// <summary>A plugin written outside the solution loads from the user's plugins folder and its ingestor is called;
/// one built against another contract major, or a broken assembly, is reported and skipped while the rest runs.</summary>
public sealed class PluginLoadingTests(SamplePluginBuilds builds) : IClassFixture<SamplePluginBuilds>, IDisposable
{
    private readonly SelftuneCli _cli = new();

    [Fact]
    public void ThirdPartyPluginLoadsAndItsIngestorIsCalled()
    {
        Install(builds.Current, "SamplePlugin");
        var log = Path.Combine(_cli.UserHome, ".sample-agent", "log.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        File.WriteAllLines(log, ["make me a slide deck about Q3", "now export it to pdf please"]);

        var plugins = _cli.Run("plugins", "--json");
        Assert.Equal(0, plugins.ExitCode);
        var sample = Plugin(plugins.Json, "SamplePlugin");
        Assert.Equal("loaded", sample.GetProperty("status").GetString());
        Assert.StartsWith("user", sample.GetProperty("origin").GetString());
        Assert.Contains("ingestor:sample_agent", sample.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));

        var sync = _cli.Run("sync", "--json");
        Assert.Equal(0, sync.ExitCode);
        var counters = sync.Json.GetProperty("platforms").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "sample_agent");
        Assert.Equal(1, counters.GetProperty("sessions").GetInt32());
        Assert.Equal(2, counters.GetProperty("actionable_prompts").GetInt32());
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
        Assert.Equal(4, bundled.Count);
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
