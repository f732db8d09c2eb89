using System.Diagnostics;
using Selftune.Abstractions;
using Selftune.AdapterKit;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Cline.Tests;

/// <summary>Cline's hook files: plans round-trip, the installed shim runs as Cline runs it, and the handler reads the payload.</summary>
public sealed class ClineHookTests : IDisposable
{
    private const string HookCommand = "/usr/local/bin/selftune hook";
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-cline-hook-" + Guid.NewGuid().ToString("N"));
    private readonly ClineInstaller _installer = new();

    public ClineHookTests() => Directory.CreateDirectory(_home);

    private string Hooks => Path.Combine(_home, "Documents", "Cline", "Hooks");

    private PlatformContext Context => new(_home, _home, _ => null);

    [Fact]
    public void InstallIsIdempotentExecutableAndUninstallRemovesExactlyWhatInstallAdded()
    {
        var install = _installer.PlanInstall(Context, InstallScope.User, HookCommand);
        Assert.Equal(["PostToolUse", "TaskComplete", "TaskCancel"], install.Changes.Select(c => Path.GetFileName(c.Path)));
        Assert.All(install.Changes, c => Assert.True(c.Executable));
        Assert.Contains("/usr/local/bin/selftune hook TaskComplete --platform cline --turn-end >/dev/null 2>&1", install.Changes[1].NewContent);
        InstallPlans.Apply(install);
        File.WriteAllText(Path.Combine(Hooks, "UserPromptSubmit"), "#!/bin/sh\necho '{\"cancel\":false}'\n");

        Assert.Empty(_installer.PlanInstall(Context, InstallScope.User, HookCommand).Changes);
        var uninstall = _installer.PlanUninstall(Context, InstallScope.User, HookCommand);
        Assert.Equal(install.Changes.Select(c => c.Path), uninstall.Changes.Select(c => c.Path));
        InstallPlans.Apply(uninstall);
        Assert.Equal(["UserPromptSubmit"], Directory.GetFiles(Hooks).Select(Path.GetFileName));
    }

    [Fact]
    public void AHookFileSelftuneDidNotWriteIsRefused()
    {
        Directory.CreateDirectory(Hooks);
        File.WriteAllText(Path.Combine(Hooks, "TaskComplete"), "#!/bin/sh\nnotify-send done\n");

        var error = Assert.Throws<InstallerException>(() => _installer.PlanInstall(Context, InstallScope.User, HookCommand));

        Assert.Equal(Path.Combine(Hooks, "TaskComplete"), error.Path);
        Assert.Contains("merge selftune's command into yours", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheShimHandsThePayloadOnAndNeverBlocksCline()
    {
        var record = Path.Combine(_home, "received");
        var fake = Path.Combine(_home, "fake-selftune");
        File.WriteAllText(fake, $"#!/bin/sh\necho \"$@\" > '{record}.args'\ncat > '{record}'\nexit 3\n");
        MakeExecutable(fake);
        InstallPlans.Apply(_installer.PlanInstall(Context, InstallScope.User, fake + " hook"));

        const string payload = """{"hookName":"TaskComplete","taskId":"1760000000000","workspaceRoots":["/work/p"]}""";
        var (stdout, exit) = Run(Path.Combine(Hooks, "TaskComplete"), payload);
        Assert.Equal(("{\"cancel\":false}", 0), (stdout.Trim(), exit));
        Assert.Equal(payload, File.ReadAllText(record));
        Assert.Equal("hook TaskComplete --platform cline --turn-end", File.ReadAllText(record + ".args").Trim());

        File.Delete(fake); // selftune gone: Cline still gets its answer
        Assert.Equal(("{\"cancel\":false}", 0), Run(Path.Combine(Hooks, "PostToolUse"), payload) is var r ? (r.Stdout.Trim(), r.Exit) : default);
    }

    [Fact]
    public void TaskCompleteLocatesTheTaskFileAndAGitCommitIsLinked()
    {
        var task = Path.Combine(_home, ".cline", "data", "tasks", "1760000000000", "ui_messages.json");
        Directory.CreateDirectory(Path.GetDirectoryName(task)!);
        File.WriteAllText(task, "[]");
        var handler = new ClineHookHandler(Context);
        var sink = new RecordingSink();

        const string complete = """{"clineVersion":"3.36.0","hookName":"TaskComplete","taskId":"1760000000000","workspaceRoots":["/work/p"],"taskComplete":{"taskMetadata":{"taskId":"1760000000000"}}}""";
        Assert.True(handler.Recognizes(complete));
        Assert.Equal(new HookOutcome("1760000000000", task), handler.Handle(new HookEvent("TaskComplete", complete, DateTimeOffset.UtcNow), sink));
        Assert.Equal("/work/p", Assert.Single(sink.Sessions).Cwd);

        const string commit = """{"hookName":"PostToolUse","taskId":"1760000000000","workspaceRoots":["/work/p"],"postToolUse":{"toolName":"execute_command","parameters":{"command":"git add -A && git commit -m 'Add deck'"},"result":"[main 4f1c2ab] Add deck\n 1 file changed, 3 insertions(+)","success":true}}""";
        Assert.Equal(new HookOutcome("1760000000000"), handler.Handle(new HookEvent("PostToolUse", commit, DateTimeOffset.UtcNow), sink));
        var found = Assert.Single(sink.Commits);
        Assert.Equal(("1760000000000", "4f1c2ab", "main", "/work/p", "Add deck", "commit"), (found.SessionId, found.Sha, found.Branch, found.Repository, found.Title, found.Command));
    }

    [Theory]
    [InlineData("""{"session_id":"abc","hook_event_name":"PostToolUse"}""")]
    [InlineData("""{"hookName":"Stop","taskId":"1"}""")]
    [InlineData("""{"hookName":"TaskComplete",""")]
    public void OnlyClinesPayloadIsRecognized(string payload) => Assert.False(new ClineHookHandler().Recognizes(payload));

    [Theory]
    [InlineData("git commit -m x", "[main 1a2b3c4] x\n 1 file changed", "commit", "1a2b3c4", "main", "x")]
    [InlineData("cd repo && git -C sub commit -am 'Fix'", "[feature/login (root-commit) 0123abcd] Fix", "commit", "0123abcd", "feature/login", "Fix")]
    [InlineData("git cherry-pick 9f9f9f9", "[detached HEAD 7e7e7e7] Port fix\n Date: …", "cherry-pick", "7e7e7e7", null, "Port fix")]
    [InlineData("git revert --no-edit HEAD", "[main 5555555] Revert \"Add deck\"", "revert", "5555555", "main", "Revert \"Add deck\"")]
    [InlineData("git merge topic", "Updating 1111111..2222222\nFast-forward\n a.txt | 1 +", "merge", "2222222", null, null)]
    public void GitOutputNamesTheCommit(string command, string output, string sub, string sha, string? branch, string? title) =>
        Assert.Equal(new GitCommits.Found(sub, sha, branch, title), GitCommits.Parse(command, output));

    [Theory]
    [InlineData("git commit -m x", "On branch main\nnothing to commit, working tree clean")]
    [InlineData("git merge topic", "Merge made by the 'ort' strategy.")]
    [InlineData("git log --oneline", "[main 1a2b3c4] x")]
    [InlineData("echo '[main 1a2b3c4] x'", "[main 1a2b3c4] x")]
    public void NoNewCommitIsNotACommit(string command, string output) => Assert.Null(GitCommits.Parse(command, output));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static (string Stdout, int Exit) Run(string script, string stdin)
    {
        var start = new ProcessStartInfo(script) { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (stdout, process.ExitCode);
    }

    private static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
