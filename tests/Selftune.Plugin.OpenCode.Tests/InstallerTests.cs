using System.Diagnostics;
using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>Detection, the plugin file's install/uninstall plans, and the generated plugin run under Node.</summary>
public sealed class InstallerTests : IDisposable
{
    private const string HookCommand = "/usr/local/bin/selftune hook";
    private readonly string home = Directory.CreateTempSubdirectory("selftune-opencode-install-").FullName;
    private readonly OpenCodeInstaller installer = new();
    private readonly Dictionary<string, string> environment = [];

    private PlatformContext Context => new(home, Path.Combine(home, "project"), name => environment.GetValueOrDefault(name));

    private string ConfigDirectory => Path.Combine(home, ".config", "opencode");

    [Fact]
    public void DetectsOpenCodeByItsFoldersOrExecutable()
    {
        var none = installer.Detect(Context);
        Assert.False(none.Installed);
        Assert.Contains("not found", none.Evidence);

        Directory.CreateDirectory(ConfigDirectory);
        Assert.Equal((true, $"config folder: {ConfigDirectory}"), (installer.Detect(Context).Installed, installer.Detect(Context).Evidence));

        var bin = Directory.CreateDirectory(Path.Combine(home, "bin")).FullName;
        FakeCli.WriteScript(Path.Combine(bin, "opencode"), "exit 0");
        environment["PATH"] = bin;
        var detected = installer.Detect(Context);
        Assert.Equal((true, $"opencode on PATH: {Path.Combine(bin, "opencode")}"), (detected.Installed, detected.Evidence));
        Assert.Equal(Path.Combine(ConfigDirectory, "plugins", "selftune.js"), detected.SettingsPath);
        Assert.Equal([Path.Combine(ConfigDirectory, "skills"), Path.Combine(home, ".agents", "skills")], detected.SkillRoots);
        Assert.Equal(Path.Combine(ConfigDirectory, "skills"), detected.UserSkillFolder);
        Assert.Equal([Path.Combine(".opencode", "skills"), Path.Combine(".agents", "skills")], installer.ProjectSkillFolders);
    }

    [Fact]
    public void InstallThenUninstallLeavesTheConfigFolderAsItWas()
    {
        Directory.CreateDirectory(Path.Combine(ConfigDirectory, "plugins"));
        File.WriteAllText(Path.Combine(ConfigDirectory, "opencode.json"), """{"$schema":"https://opencode.ai/config.json","plugin":["opencode-wakatime"]}""");
        File.WriteAllText(Path.Combine(ConfigDirectory, "plugins", "notify.js"), "export const Notify = async () => ({})\n");
        var before = Snapshot(ConfigDirectory);

        var install = installer.PlanInstall(Context, InstallScope.User, HookCommand);
        var change = Assert.Single(install.Changes);
        Assert.Equal((Path.Combine(ConfigDirectory, "plugins", "selftune.js"), (string?)null), (change.Path, change.OriginalContent));
        Assert.StartsWith(OpenCodeInstaller.Marker, change.NewContent);
        Assert.Contains("""const COMMAND = ["/usr/local/bin/selftune","hook"]""", change.NewContent);
        Apply(install);

        Assert.Empty(installer.PlanInstall(Context, InstallScope.User, HookCommand).Changes);
        var moved = Assert.Single(installer.PlanInstall(Context, InstallScope.User, "/opt/selftune/selftune hook").Changes);
        Assert.Equal(change.NewContent, moved.OriginalContent);

        var uninstall = installer.PlanUninstall(Context, InstallScope.User, HookCommand);
        Assert.Null(Assert.Single(uninstall.Changes).NewContent);
        Apply(uninstall);

        Assert.Equal(before, Snapshot(ConfigDirectory));
        Assert.Empty(installer.PlanUninstall(Context, InstallScope.User, HookCommand).Changes);
    }

    [Fact]
    public void ProjectScopeWritesIntoTheProjectsOpenCodeFolder()
    {
        var change = Assert.Single(installer.PlanInstall(Context, InstallScope.Project, HookCommand).Changes);
        Assert.Equal(Path.Combine(home, "project", ".opencode", "plugins", "selftune.js"), change.Path);
    }

    [Fact]
    public void AUsersOwnPluginOfTheSameNameIsNeverTouched()
    {
        var path = Path.Combine(ConfigDirectory, "plugins", "selftune.js");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "export const Mine = async () => ({})\n");

        var error = Assert.Throws<InstallerException>(() => installer.PlanInstall(Context, InstallScope.User, HookCommand));
        Assert.Equal(path, error.Path);
        Assert.Contains("not written by selftune", error.Message);
        Assert.Empty(installer.PlanUninstall(Context, InstallScope.User, HookCommand).Changes);
    }

    [Fact]
    public void QuotedHookCommandKeepsItsSpacesAndBackslashes()
    {
        var content = Assert.Single(installer.PlanInstall(Context, InstallScope.User, "\"C:\\Program Files\\selftune\\selftune.exe\" hook").Changes).NewContent!;
        Assert.Contains("""const COMMAND = ["C:\\Program Files\\selftune\\selftune.exe","hook"]""", content);
        Assert.Throws<ArgumentException>(() => installer.PlanInstall(Context, InstallScope.User, "\"unbalanced hook"));
    }

    /// <summary>The generated plugin, loaded by Node as OpenCode would load it, spawns the hook command with payloads the
    /// handler turns into records; with a hook command that does not exist it still never throws.</summary>
    [NodeFact]
    public void GeneratedPluginHandsEventsToTheHookCommand()
    {
        var bin = Directory.CreateDirectory(Path.Combine(home, "bin")).FullName;
        var outbox = Directory.CreateDirectory(Path.Combine(home, "outbox")).FullName;
        var hook = Path.Combine(bin, "selftune");
        FakeCli.WriteScript(hook, $"""
            f="{outbox}/$$"
            printf '%s\n' "$@" > "$f.args"
            cat > "$f.tmp" && mv "$f.tmp" "$f.json"
            """);
        var plugin = Path.Combine(home, "selftune.mjs");
        File.WriteAllText(plugin, Assert.Single(installer.PlanInstall(Context, InstallScope.User, $"{hook} hook").Changes).NewContent);
        var driver = Path.Combine(home, "drive.mjs");
        File.WriteAllText(driver, """
            const { SelftunePlugin } = await import(process.argv[2])
            const hooks = await SelftunePlugin({ directory: "/work/app" })
            await hooks.event({ event: { type: "session.created", properties: { info: { id: "ses_child", parentID: "ses_1" } } } })
            await hooks["chat.message"]({ sessionID: "ses_1", agent: "build", model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" } },
              { message: { id: "msg_1" }, parts: [{ type: "text", text: "Fill in the lease PDF form" }, { type: "text", text: "file contents", synthetic: true }] })
            await hooks["tool.execute.before"]({ tool: "skill", sessionID: "ses_1", callID: "call_1" }, { args: { name: "pdf" } })
            await hooks["tool.execute.after"]({ tool: "skill", sessionID: "ses_1", callID: "call_1" },
              { title: "Loaded skill: pdf", output: "...", metadata: { name: "pdf", dir: "/skills/pdf" } })
            await hooks.event({ event: { type: "session.idle", properties: { sessionID: "ses_1" } } })
            await hooks["tool.execute.after"](null, null)
            """);
        environment["XDG_DATA_HOME"] = Path.Combine(home, "data");

        Assert.Equal(0, RunNode(driver, plugin));
        var payloads = WaitForFiles(outbox, "*.json", 3);

        var handler = new OpenCodeHookHandler();
        var sink = new RecordingSink();
        string? transcript = null;
        foreach (var file in payloads)
        {
            var args = File.ReadAllLines(Path.ChangeExtension(file, ".args"));
            Assert.Equal(["hook", "--platform", "opencode"], [args[0], args[2], args[3]]);
            Assert.Equal(args[1] == "session.idle", args.Contains("--turn-end")); // the end of a turn is marked, nothing else
            var payload = File.ReadAllText(file);
            Assert.True(handler.Recognizes(payload));
            transcript ??= handler.Handle(new HookEvent(args[1], payload, DateTimeOffset.UtcNow), sink).TranscriptPath;
        }

        Assert.Empty(sink.MalformedLines);
        var prompt = Assert.Single(sink.Prompts);
        Assert.Equal(("ses_1/msg_1", "Fill in the lease PDF form", PromptKind.User), (prompt.PromptId, prompt.Text, prompt.Kind));
        var invocation = Assert.Single(sink.Invocations);
        Assert.Equal(("ses_1/call_1", "pdf", "ses_1/msg_1", "/skills/pdf"), (invocation.InvocationId, invocation.SkillName, invocation.PromptId, invocation.SkillPath));
        Assert.Contains(sink.Sessions, s => s.Cwd == "/work/app");

        // A missing hook command: the plugin swallows the spawn failure.
        File.WriteAllText(plugin, Assert.Single(installer.PlanInstall(Context, InstallScope.User, $"{Path.Combine(home, "missing", "selftune")} hook").Changes).NewContent);
        Assert.Equal(0, RunNode(driver, plugin));
    }

    /// <summary>The host hands the hook command POSIX-quoted (issue 20 #11): quotes group, adjacent parts join, and
    /// <c>'\''</c> is a quote inside single quotes; Windows backslashes stay.</summary>
    [Theory]
    [InlineData("'/opt/it'\\''s $HOME/selftune' hook", "/opt/it's $HOME/selftune")]
    [InlineData("\"/opt/my tools/selftune\" hook", "/opt/my tools/selftune")]
    [InlineData("C:\\Tools\\selftune.exe hook", "C:\\Tools\\selftune.exe")]
    public void TheHookCommandIsSplitAsTheShellWould(string command, string program) =>
        Assert.Equal([program, "hook"], OpenCodeInstaller.SplitCommand(command));

    [Fact]
    public void AnUnbalancedQuoteOrAnEmptyHookCommandIsRefused()
    {
        Assert.Contains("unbalanced ' quote", Assert.Throws<ArgumentException>(() => OpenCodeInstaller.SplitCommand("'/opt/selftune hook")).Message, StringComparison.Ordinal);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => OpenCodeInstaller.SplitCommand("  ")).Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(home, recursive: true);

    private int RunNode(string script, string plugin)
    {
        var start = new ProcessStartInfo(NodeFactAttribute.Node!) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(plugin);
        start.Environment["XDG_DATA_HOME"] = environment["XDG_DATA_HOME"];
        using var node = Process.Start(start)!;
        var stderr = node.StandardError.ReadToEnd();
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, stderr);
        return node.ExitCode;
    }

    /// <summary>Waits (bounded) for the detached hook processes to finish writing.</summary>
    private static string[] WaitForFiles(string folder, string pattern, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string[] files;
        while ((files = Directory.GetFiles(folder, pattern)).Length < count && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Assert.Equal(count, files.Length);
        return files;
    }

    private static void Apply(InstallPlan plan)
    {
        foreach (var change in plan.Changes)
        {
            Assert.Equal(change.OriginalContent, File.Exists(change.Path) ? File.ReadAllText(change.Path) : null);
            if (change.NewContent is null)
            {
                File.Delete(change.Path);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(change.Path)!);
                File.WriteAllText(change.Path, change.NewContent);
            }
        }
    }

    private static SortedDictionary<string, string> Snapshot(string folder) =>
        new(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllText), StringComparer.Ordinal);
}

/// <summary>A fact that needs Node (to run the generated OpenCode plugin); skipped, and saying why, without it.</summary>
public sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        if (Node is null)
        {
            Skip = "node is not on PATH: the generated OpenCode plugin cannot be run.";
        }
    }

    public static string? Node { get; } = Selftune.Plugin.Shared.ExecutableSearch.FindOnPath(PlatformContext.FromProcess(), "node");
}
