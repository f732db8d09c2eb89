using Selftune.Abstractions;

namespace Selftune.Plugin.Codex.Tests;

/// <summary>Runs the runner against a fake <c>codex</c> script on a temporary PATH. The script records its arguments,
/// reads stdin to its end (it would hang if stdin were left open) and prints <c>codex exec --json</c> events shaped
/// after openai/codex <c>codex-rs/exec/src/exec_events.rs</c>.</summary>
public sealed class CodexAgentRunnerTests : IDisposable
{
    private const string CompletionEvents = """
        {"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}
        {"type":"turn.started"}
        {"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Considering the request**"}}
        {"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"draft"}}
        {"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"{\"verdict\":\"YES\"}"}}
        {"type":"turn.completed","usage":{"input_tokens":1200,"cached_input_tokens":200,"output_tokens":345}}
        """;

    private const string ReplayEvents = """
        {"type":"thread.started","thread_id":"t"}
        {"type":"turn.started"}
        {"type":"item.started","item":{"id":"item_0","type":"command_execution","command":"bash -lc 'ls .agents/skills'","aggregated_output":"","exit_code":null,"status":"in_progress"}}
        {"type":"item.completed","item":{"id":"item_0","type":"command_execution","command":"bash -lc 'ls .agents/skills'","aggregated_output":"pdf\nslides\n","exit_code":0,"status":"completed"}}
        {"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc \"sed -n '1,200p' .agents/skills/pdf/SKILL.md\"","aggregated_output":"","exit_code":null,"status":"in_progress"}}
        {"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc \"sed -n '1,200p' .agents/skills/pdf/SKILL.md\"","aggregated_output":"---\nname: pdf\n","exit_code":0,"status":"completed"}}
        {"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"Done."}}
        {"type":"turn.completed","usage":{"input_tokens":900,"cached_input_tokens":0,"output_tokens":40}}
        """;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "selftune-codex-runner-" + Guid.NewGuid().ToString("N"));
    private readonly string _bin;

    public CodexAgentRunnerTests()
    {
        _bin = Path.Combine(_root, "bin");
        Directory.CreateDirectory(_bin);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string ArgsFile => Path.Combine(_root, "args.txt");

    private CodexAgentRunner Runner => new(new PlatformContext(_root, _root, v => v == "PATH" ? "/nonexistent" + Path.PathSeparator + _bin : null));

    private void FakeCodex(string events, string tail = "")
    {
        var eventsFile = Path.Combine(_root, "events.jsonl");
        File.WriteAllText(eventsFile, events + "\n");
        var script = Path.Combine(_bin, "codex");
        File.WriteAllText(script, $"""
            #!/bin/sh
            for a in "$@"; do printf '%s\n' "$a"; done > '{ArgsFile}'
            pwd >> '{ArgsFile}'
            cat > /dev/null
            cat '{eventsFile}'
            {tail}
            """.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task CompletionReturnsTheLastAgentMessageAndUsage()
    {
        FakeCodex(CompletionEvents);

        var completion = await Runner.CompleteAsync(new AgentCompletionRequest("You are a judge.", "Would it trigger?", "gpt-5.2-codex", TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.Equal(new AgentCompletion("{\"verdict\":\"YES\"}", "gpt-5.2-codex", 1200, 345, null), completion);
        var args = File.ReadAllLines(ArgsFile);
        Assert.Equal(["exec", "--json", "--skip-git-repo-check", "--sandbox", "read-only", "--cd"], args[..6]);
        Assert.Equal(["--model", "gpt-5.2-codex", "[selftune] You are a judge.", "", "Would it trigger?"], args[7..12]);
        Assert.Equal(args[6], args[^1]); // runs in the folder it names
        Assert.False(Directory.Exists(args[6])); // a temporary folder, removed afterwards
    }

    [Fact]
    public async Task ReplayReportsTheSkillsWhoseSkillMdTheAgentRead()
    {
        FakeCodex(ReplayEvents);
        var workspace = Path.Combine(_root, "ws");
        Directory.CreateDirectory(workspace);

        var result = await Runner.ReplayAsync(new ReplayRequest("make a pdf of notes.md", workspace, TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.Equal(["pdf"], result.SkillsInvoked);
        Assert.Empty(result.SkillsRead);
        Assert.Equal((900L, 40L), (result.InputTokens!.Value, result.OutputTokens!.Value));
        var args = File.ReadAllLines(ArgsFile);
        Assert.Equal(workspace, args[6]);
        Assert.Equal("[selftune] make a pdf of notes.md", args[7]);
        Assert.Equal(workspace, args[^1]);
        Assert.Equal(".agents/skills", Runner.ProjectSkillFolder);
    }

    [Fact]
    public async Task ATimeoutKillsTheProcessTreeAndIsTransient()
    {
        var pidFile = Path.Combine(_root, "sleep.pid");
        FakeCodex(CompletionEvents, $"sleep 60 & echo $! > '{pidFile}'; wait");

        var error = await Assert.ThrowsAsync<AgentRunnerException>(() =>
            Runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromSeconds(2)), CancellationToken.None));

        Assert.True(error.Transient);
        Assert.Contains("did not finish within 2 s", error.Message);
        var pid = File.ReadAllText(pidFile).Trim();
        for (var i = 0; i < 50 && Directory.Exists("/proc/" + pid); i++)
        {
            await Task.Delay(100);
        }

        Assert.False(Directory.Exists("/proc/" + pid), "the grandchild sleep was not killed");
    }

    [Fact]
    public async Task FailuresAreReportedWithTheirCause()
    {
        FakeCodex("""{"type":"turn.failed","error":{"message":"stream error: 429 Too Many Requests (rate limit)"}}""");
        var limited = await Assert.ThrowsAsync<AgentRunnerException>(() =>
            Runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromSeconds(30)), CancellationToken.None));
        Assert.True(limited.Transient);

        FakeCodex(string.Empty, "echo 'error: unexpected argument --sandbox' >&2; exit 2");
        var crashed = await Assert.ThrowsAsync<AgentRunnerException>(() =>
            Runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromSeconds(30)), CancellationToken.None));
        Assert.False(crashed.Transient);
        Assert.Contains("exited with code 2: error: unexpected argument --sandbox", crashed.Message);

        FakeCodex("""{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1}}""");
        Assert.Contains("without an agent message", (await Assert.ThrowsAsync<AgentRunnerException>(() =>
            Runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromSeconds(30)), CancellationToken.None))).Message);
    }

    [Fact]
    public async Task AMissingExecutableIsNotTransient()
    {
        var runner = Runner;
        Assert.False(runner.IsAvailable(new PlatformContext(_root, _root, v => v == "PATH" ? _bin : null)));

        var error = await Assert.ThrowsAsync<AgentRunnerException>(() =>
            runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromSeconds(5)), CancellationToken.None));

        Assert.False(error.Transient);
        Assert.Contains("not found on PATH", error.Message);
    }

    [Fact]
    public async Task CancellationStopsTheRun()
    {
        FakeCodex(CompletionEvents, "sleep 60");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromSeconds(60)), cancel.Token));
    }
}
