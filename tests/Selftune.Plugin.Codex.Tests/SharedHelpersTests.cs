using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Codex.Tests;

/// <summary>The linked <c>plugins/Shared</c> helpers every plugin compiles (tested here once, through this plugin).</summary>
public sealed class SharedHelpersTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("selftune-shared-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("'/opt/it'\\''s $HOME/selftune' hook Stop", new[] { "/opt/it's $HOME/selftune", "hook", "Stop" })]
    [InlineData("\"/opt/my tools/selftune\" hook", new[] { "/opt/my tools/selftune", "hook" })]
    [InlineData("C:\\Tools\\selftune.exe hook", new[] { "C:\\Tools\\selftune.exe", "hook" })]
    [InlineData("/opt/my\\ dir/selftune-hook Stop", new[] { "/opt/my dir/selftune-hook", "Stop" })]
    [InlineData("cat \"a \\\"b\\\" c\" | head", new[] { "cat", "a \"b\" c", "|", "head" })]
    public void ShellWordsSplitsAsTheShellWould(string text, string[] words) => Assert.Equal(words, ShellWords.Split(text));

    [Fact]
    public void ASelftuneHookCommandIsRecognisedFromAnyInstallLocationWithWindowsPathsUnquoted()
    {
        const string Installed = "/usr/local/bin/selftune-hook";
        Assert.True(SelftuneHookCommand.IsOurs("C:\\Users\\me\\.dotnet\\tools\\selftune.exe hook Stop --platform claude", Installed));
        Assert.True(SelftuneHookCommand.IsOurs("'/opt/my tools/selftune-hook' Stop", "C:\\Tools\\selftune.exe hook"));
        Assert.True(SelftuneHookCommand.IsOurs("/home/me/bin/selftune hook Stop", Installed));
        Assert.False(SelftuneHookCommand.IsOurs("/home/me/bin/selftune hooked Stop", Installed));
        Assert.False(SelftuneHookCommand.IsOurs("notify-send done", Installed));
        Assert.False(SelftuneHookCommand.IsOurs("   ", Installed));
    }

    [Fact]
    public void FindOnPathSkipsFilesThatAreNotExecutableAndReadsQuotedHomeEntries()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // execute bits
        }

        var plain = Directory.CreateDirectory(Path.Combine(_root, "plain")).FullName;
        var bin = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        File.WriteAllText(Path.Combine(plain, "agent"), "not a program");
        File.WriteAllText(Path.Combine(bin, "agent"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(bin, "agent"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var context = new PlatformContext(_root, _root, v => v == "PATH" ? $"{plain}{Path.PathSeparator}\"~/bin\"" : null);

        Assert.Equal(Path.Combine(bin, "agent"), ExecutableSearch.FindOnPath(context, "agent"));
        Assert.Null(ExecutableSearch.FindOnPath(context, "missing"));
    }

    [Fact]
    public async Task ARunFeedsStdinKeepsStdoutAndStderrsTailAndReportsTheExitCode()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // a sh script
        }

        var script = Path.Combine(_root, "echoer");
        File.WriteAllText(script, "#!/bin/sh\ncat\necho \"$GREETING\"\ni=0; while [ $i -lt 3000 ]; do echo \"e$i\" >&2; i=$((i+1)); done\nexit 3\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var run = await ChildProcess.RunAsync(
            new ChildProcessRequest(script, [], _root, TimeSpan.FromSeconds(30)) { Input = "héllo\nworld\n", Environment = new Dictionary<string, string?> { ["GREETING"] = "hi" } },
            CancellationToken.None);

        Assert.Equal((3, "héllo\nworld\nhi\n"), (run.ExitCode, run.Output));
        Assert.Equal(ChildProcess.ErrorTailLength, run.ErrorTail.Length);
        Assert.EndsWith("e2999\n", run.ErrorTail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProgramThatCannotStartIsNotTransient()
    {
        var error = await Assert.ThrowsAsync<AgentRunnerException>(() =>
            ChildProcess.RunAsync(new ChildProcessRequest(Path.Combine(_root, "nope"), [], _root, TimeSpan.FromSeconds(5)), CancellationToken.None));

        Assert.False(error.Transient);
        Assert.Contains("could not be started", error.Message, StringComparison.Ordinal);
    }
}
