using Selftune.Abstractions;

namespace Selftune.Plugin.OpenCode.Tests;

/// <summary><see cref="OpenCodeAgentRunner"/> against a fake <c>opencode</c> on a temporary PATH: a script that records its
/// arguments, folder and stdin, and prints the <c>opencode run --format json</c> events it is given.</summary>
public sealed class AgentRunnerTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private readonly string bin;
    private readonly string home = Directory.CreateTempSubdirectory("selftune-opencode-runner-").FullName;
    private readonly OpenCodeAgentRunner runner;

    public AgentRunnerTests()
    {
        bin = Directory.CreateDirectory(Path.Combine(home, "bin")).FullName;
        FakeCli.WriteScript(Path.Combine(bin, "opencode"), """
            dir="$(dirname "$0")"
            printf '%s\n' "$@" > "$dir/args.txt"
            pwd -P > "$dir/cwd.txt"
            printf '%s' "$PWD" > "$dir/pwd.txt"
            cat > "$dir/stdin.txt"
            if [ -f "$dir/sleep" ]; then sleep 60 & echo $! > "$dir/child.pid"; wait; fi
            if [ -f "$dir/stderr.txt" ]; then cat "$dir/stderr.txt" >&2; fi
            if [ -f "$dir/stdout.jsonl" ]; then cat "$dir/stdout.jsonl"; fi
            exit "$(cat "$dir/exitcode" 2>/dev/null || echo 0)"
            """);
        runner = new OpenCodeAgentRunner(Context);
    }

    private PlatformContext Context => new(home, home, name => name == "PATH" ? $"{bin}:/usr/bin:/bin" : null);

    [Fact]
    public async Task CompletionIsTheLastMessagesTextWithSummedUsage()
    {
        Events(
            """{"type":"step_start","timestamp":1,"sessionID":"ses_r","part":{"id":"prt_1","messageID":"msg_1","type":"step-start"}}""",
            """{"type":"text","timestamp":2,"sessionID":"ses_r","part":{"id":"prt_2","messageID":"msg_1","type":"text","text":"Let me check the notes."}}""",
            """{"type":"tool_use","timestamp":3,"sessionID":"ses_r","part":{"id":"prt_3","messageID":"msg_1","type":"tool","callID":"c1","tool":"read","state":{"status":"completed","input":{"filePath":"/ws/notes.md"},"output":"42"}}}""",
            """{"type":"step_finish","timestamp":4,"sessionID":"ses_r","part":{"type":"step-finish","reason":"tool-calls","cost":0.01,"tokens":{"input":100,"output":20,"reasoning":5,"cache":{"read":1000,"write":50}}}}""",
            "! agent \"grader\" not found. Falling back to default agent",
            """{"type":"text","timestamp":5,"sessionID":"ses_r","part":{"id":"prt_5","messageID":"msg_2","type":"text","text":"The answer is 42."}}""",
            """{"type":"text","timestamp":6,"sessionID":"ses_r","part":{"id":"prt_6","messageID":"msg_2","type":"text","text":"Second paragraph."}}""",
            """{"type":"step_finish","timestamp":7,"sessionID":"ses_r","part":{"type":"step-finish","reason":"stop","cost":0.002,"tokens":{"input":30,"output":10,"reasoning":0,"cache":{"read":1100,"write":0}}}}""");

        var answer = await runner.CompleteAsync(new AgentCompletionRequest("You grade sessions.", "Grade this one.", "anthropic/claude-haiku-4-5", Generous), CancellationToken.None);

        Assert.Equal(("The answer is 42.\nSecond paragraph.", "anthropic/claude-haiku-4-5"), (answer.Text, answer.Model));
        Assert.Equal((2_280L, 35L, 0.012m), (answer.InputTokens!.Value, answer.OutputTokens!.Value, answer.CostUsd!.Value));
        Assert.Equal(["run", "--format", "json", "--model", "anthropic/claude-haiku-4-5"], File.ReadAllLines(Recorded("args.txt")));
        Assert.Equal("[selftune] You grade sessions.\n\nGrade this one.", File.ReadAllText(Recorded("stdin.txt")));
        var folder = File.ReadAllText(Recorded("cwd.txt")).Trim();
        Assert.Equal(folder, File.ReadAllText(Recorded("pwd.txt")));
        Assert.NotEqual(Path.GetFullPath(Directory.GetCurrentDirectory()), folder);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task ReplayReportsSkillCallsAndSkillFilesReadInTheWorkspace()
    {
        var workspace = Directory.CreateDirectory(Path.Combine(home, "workspace")).FullName;
        Events(
            """{"type":"tool_use","sessionID":"s","part":{"type":"tool","callID":"c1","tool":"read","state":{"status":"completed","input":{"filePath":"/ws/.opencode/skills/docx/SKILL.md"}}}}""",
            """{"type":"tool_use","sessionID":"s","part":{"type":"tool","callID":"c2","tool":"skill","state":{"status":"completed","input":{"name":"pdf"},"metadata":{"name":"pdf","dir":"/ws/.opencode/skills/pdf"}}}}""",
            """{"type":"tool_use","sessionID":"s","part":{"type":"tool","callID":"c3","tool":"read","state":{"status":"completed","input":{"filePath":"/ws/.opencode/skills/pdf/SKILL.md"}}}}""",
            """{"type":"tool_use","sessionID":"s","part":{"type":"tool","callID":"c4","tool":"skill","state":{"status":"error","input":{"name":"xlsx"},"error":"The user rejected permission to use this specific tool call."}}}""",
            """{"type":"tool_use","sessionID":"s","part":{"type":"tool","callID":"c5","tool":"skill","state":{"status":"completed","input":{"name":"pdf"}}}}""",
            """{"type":"text","sessionID":"s","part":{"messageID":"m","type":"text","text":"Filled."}}""");

        var result = await runner.ReplayAsync(new ReplayRequest("fill in the lease form", workspace, Generous), CancellationToken.None);

        Assert.Equal(["pdf", "xlsx"], result.SkillsInvoked);
        Assert.Equal(["docx"], result.SkillsRead);
        Assert.Null(result.InputTokens);
        Assert.Equal((workspace, workspace), (File.ReadAllText(Recorded("cwd.txt")).Trim(), File.ReadAllText(Recorded("pwd.txt"))));
        Assert.Equal("[selftune] fill in the lease form", File.ReadAllText(Recorded("stdin.txt")));
        Assert.Equal(["run", "--format", "json"], File.ReadAllLines(Recorded("args.txt")));
        Assert.Equal(".opencode/skills", runner.ProjectSkillFolder);
    }

    [Theory]
    [InlineData("""{"type":"error","sessionID":"s","error":{"name":"APIError","data":{"message":"Overloaded","statusCode":529,"isRetryable":true}}}""", 1, "", "APIError: Overloaded", true)]
    [InlineData("""{"type":"error","sessionID":"s","error":{"name":"ProviderAuthError","data":{"message":"No API key for anthropic"}}}""", 1, "", "ProviderAuthError: No API key for anthropic", false)]
    [InlineData("", 1, "Error: rate limit exceeded, retry later", "exited with code 1: Error: rate limit exceeded", true)]
    [InlineData("", 2, "Error: Model not found: nope/nope", "exited with code 2: Error: Model not found", false)]
    public async Task FailuresAreAgentRunnerExceptionsThatSayWhetherToRetry(string stdout, int exitCode, string stderr, string message, bool transient)
    {
        Events(stdout);
        File.WriteAllText(Recorded("exitcode"), exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.WriteAllText(Recorded("stderr.txt"), stderr);

        var error = await Assert.ThrowsAsync<AgentRunnerException>(() => runner.CompleteAsync(new AgentCompletionRequest("", "hi there", null, Generous), CancellationToken.None));

        Assert.Contains(message, error.Message);
        Assert.Equal(transient, error.Transient);
    }

    [Fact]
    public async Task TimeoutKillsTheProcessTreeAndIsTransient()
    {
        File.WriteAllText(Recorded("sleep"), string.Empty);

        var error = await Assert.ThrowsAsync<AgentRunnerException>(() =>
            runner.ReplayAsync(new ReplayRequest("q", home, TimeSpan.FromSeconds(2)), CancellationToken.None));

        Assert.True(error.Transient);
        Assert.Contains("timed out", error.Message);
        var child = int.Parse(File.ReadAllText(Recorded("child.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (IsRunning(child) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Assert.False(IsRunning(child), "the agent's child process outlived the timeout");
    }

    [Fact]
    public async Task CancellationStopsTheRun()
    {
        File.WriteAllText(Recorded("sleep"), string.Empty);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            runner.CompleteAsync(new AgentCompletionRequest("", "q", null, Generous), cancel.Token));
    }

    [Fact]
    public async Task MissingExecutableIsReportedNotStarted()
    {
        var elsewhere = new PlatformContext(home, home, name => name == "PATH" ? Path.Combine(home, "nothing-here") : null);
        var missing = new OpenCodeAgentRunner(elsewhere);

        Assert.True(runner.IsAvailable(Context));
        Assert.False(missing.IsAvailable(elsewhere));
        var error = await Assert.ThrowsAsync<AgentRunnerException>(() => missing.CompleteAsync(new AgentCompletionRequest("", "q", null, Generous), CancellationToken.None));
        Assert.False(error.Transient);
        Assert.Contains("not found on PATH", error.Message);
    }

    public void Dispose() => Directory.Delete(home, recursive: true);

    private string Recorded(string name) => Path.Combine(bin, name);

    private void Events(params string[] lines) => File.WriteAllText(Recorded("stdout.jsonl"), string.Join("\n", lines) + "\n");

    private static bool IsRunning(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z";
}
