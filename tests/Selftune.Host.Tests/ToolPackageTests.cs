using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>The one-line install: <c>dotnet pack</c> makes the RID-specific tool packages, <c>dotnet tool install</c> puts
/// them in a temporary tool path, and the installed <c>selftune</c> works: doctor sees a tool install with its native
/// hook, plugins and skill, and the hook it installs into Claude Code records an event. One test (it packs a Release
/// build, minutes on a loaded machine).</summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    [Fact]
    public void ThePackedToolInstallsAndRunsDoctorAndAHook()
    {
        var packages = Path.Combine(_cli.Root, "packages");
        var tools = Path.Combine(_cli.Root, "tools");
        Dotnet("pack", Path.Combine(Repository.Root, "src", "Selftune.Host"), "-c", "Release", "-o", packages, "-nodeReuse:false", "--disable-build-servers");
        Assert.Contains(Directory.EnumerateFiles(packages, "*.nupkg"), p => Path.GetFileName(p).StartsWith("selftune.linux-x64.", StringComparison.Ordinal));
        // Only the packed folder as a source: a package of the same name on a public feed must not be installed instead.
        var config = Path.Combine(_cli.Root, "nuget.config");
        File.WriteAllText(config, $"""<?xml version="1.0" encoding="utf-8"?><configuration><packageSources><clear /><add key="packed" value="{packages}" /></packageSources></configuration>""");
        Dotnet("tool", "install", "--tool-path", tools, "--configfile", config, "selftune");
        _cli.Program = Path.Combine(tools, "selftune");

        var version = _cli.Run("--version");
        var doctor = _cli.Run("doctor", "--json");

        Assert.Contains("(dotnet tool, native hook)", version.Stdout, StringComparison.Ordinal);
        var checks = JsonDocument.Parse(doctor.Stdout).RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
        Assert.Equal("ok", checks["native hook"].GetProperty("status").GetString());
        Assert.Contains("(dotnet tool)", checks["native hook"].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("ok", checks["plugins"].GetProperty("status").GetString());

        Directory.CreateDirectory(Path.Combine(_cli.UserHome, ".claude"));
        Assert.Equal(0, _cli.Run("install", "--agent", "claude_code").ExitCode);
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.UserHome, ".claude", "settings.json")))!;
        var command = settings["hooks"]!["UserPromptSubmit"]![0]!["hooks"]![0]!["command"]!.GetValue<string>();
        Assert.Contains(Path.Combine(".store", "selftune"), command, StringComparison.Ordinal);
        Assert.Contains("selftune-hook UserPromptSubmit", command, StringComparison.Ordinal);
        var hook = _cli.Shell(command, "{\"session_id\":\"t1\",\"hook_event_name\":\"UserPromptSubmit\",\"prompt\":\"hello from the tool\"}");
        Assert.Equal((0, string.Empty), (hook.ExitCode, hook.Stdout));
        Assert.Contains("hello from the tool", string.Concat(Directory.EnumerateFiles(Path.Combine(_cli.SelftuneHome, "spool")).Select(File.ReadAllText)), StringComparison.Ordinal);
        var app = Path.GetDirectoryName(Directory.EnumerateFiles(Path.Combine(tools, ".store"), "selftune-hook", SearchOption.AllDirectories).Single())!;
        Assert.True(File.Exists(Path.Combine(app, "skill", "SKILL.md")), "the skill ships in the tool");
        Assert.True(Directory.Exists(Path.Combine(app, "samples", "home")), "the samples ship in the tool");
        Assert.True(File.Exists(Path.Combine(app, "plugins", "Selftune.Plugin.Claude", "Selftune.Plugin.Claude.dll")), "the plugins ship in the tool");
    }

    public void Dispose() => _cli.Dispose();

    private static void Dotnet(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(15)), $"dotnet {string.Join(' ', args)} did not finish");
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed:\n{stdout.Result}\n{stderr.Result}");
    }
}
