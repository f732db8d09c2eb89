using Selftune.Abstractions;
using Selftune.AdapterKit;
using Selftune.Plugin.Claude;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>The Claude runner against a fake <c>claude</c> on PATH printing what the real CLI prints for
/// <c>-p --output-format json</c> and <c>-p --output-format stream-json --verbose</c>.</summary>
public sealed class ClaudeAgentRunnerTests : IDisposable
{
    private const string Result = """
        {"type":"result","subtype":"success","is_error":false,"duration_ms":2834,"duration_api_ms":2701,"num_turns":1,"result":"{\"ok\": true}","session_id":"9f1c2a7e-0b1d-4c55-9a53-6c0d1e7f4b21","total_cost_usd":0.01234,"usage":{"input_tokens":4,"cache_creation_input_tokens":1234,"cache_read_input_tokens":100,"output_tokens":12,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard"},"modelUsage":{"claude-haiku-4-5-20251001":{"inputTokens":4,"outputTokens":2,"cacheReadInputTokens":0,"cacheCreationInputTokens":0,"webSearchRequests":0,"costUSD":0.0005,"contextWindow":200000},"claude-sonnet-4-5-20250929":{"inputTokens":4,"outputTokens":10,"cacheReadInputTokens":100,"cacheCreationInputTokens":1234,"webSearchRequests":0,"costUSD":0.01184,"contextWindow":200000}},"permission_denials":[],"uuid":"5b6c7d8e-1111-2222-3333-444455556666"}
        """;

    private readonly FakeAgentCli _claude = new FakeAgentCli("claude").Install();
    private readonly string _workspace = Directory.CreateTempSubdirectory("selftune-replay-").FullName;

    private PlatformContext Context => new(_workspace, _workspace, name => name == "PATH" ? _claude.Folder + Path.PathSeparator + "/usr/bin:/bin" : null);

    [Fact]
    public async Task CompletionReadsTheAnswerUsageCostAndModelAndMarksThePrompt()
    {
        _claude.Stdout = Result + "\n";
        var runner = new ClaudeAgentRunner(Context);

        var completion = await runner.CompleteAsync(new AgentCompletionRequest("Answer in JSON.", "Is this ok?", "haiku", TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.Equal(new AgentCompletion("{\"ok\": true}", "claude-sonnet-4-5-20250929", 4 + 1234 + 100, 12, 0.01234m), completion);
        Assert.Equal(["-p", "--output-format", "json", "--system-prompt", "Answer in JSON.", "--model", "haiku"], _claude.Arguments);
        Assert.StartsWith(PromptClassifier.SelftuneMarker, _claude.Stdin, StringComparison.Ordinal);
        Assert.Contains("Is this ok?", _claude.Stdin);
        Assert.Equal(PromptKind.Selftune, PromptClassifier.Classify(_claude.Stdin));
        Assert.True(_claude.SawEmptyClaudeCode);
    }

    [Theory]
    [InlineData("API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}", true)]
    [InlineData("Invalid API key · Please run /login", false)]
    public async Task AnErrorResultIsAnExceptionThatSaysWhetherToRetry(string message, bool transient)
    {
        _claude.Stdout = $$$"""{"type":"result","subtype":"success","is_error":true,"result":{{{System.Text.Json.JsonSerializer.Serialize(message)}}},"total_cost_usd":0,"usage":{"input_tokens":0,"output_tokens":0}}""";
        var runner = new ClaudeAgentRunner(Context);

        var error = await Assert.ThrowsAsync<AgentRunnerException>(() => runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromSeconds(30)), CancellationToken.None));

        Assert.Equal(transient, error.Transient);
        Assert.Contains(message[..10], error.Message);
    }

    [Fact]
    public async Task AFailedProcessReportsItsExitCodeAndStderr()
    {
        _claude.Stderr = "Error: connect ECONNRESET api.anthropic.com\n";
        _claude.ExitCode = 1;
        var runner = new ClaudeAgentRunner(Context);

        var error = await Assert.ThrowsAsync<AgentRunnerException>(() => runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromSeconds(30)), CancellationToken.None));

        Assert.Contains("exited with code 1", error.Message);
        Assert.Contains("ECONNRESET", error.Message);
        Assert.True(error.Transient);
    }

    [Fact]
    public async Task AProcessThatOverrunsItsTimeoutIsKilled()
    {
        _claude.SleepSeconds = 60;
        _claude.Stdout = Result;
        var runner = new ClaudeAgentRunner(Context);

        var error = await Assert.ThrowsAsync<AgentRunnerException>(() => runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromSeconds(1)), CancellationToken.None));

        Assert.True(error.Transient);
        Assert.Contains("did not finish within 1 s", error.Message);
        var pid = _claude.LastPid;
        for (var i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++)
        {
            await Task.Delay(50);
        }

        Assert.False(Directory.Exists($"/proc/{pid}"), "the timed-out process is still running");
    }

    [Fact]
    public async Task ACancelledCompletionStopsTheProcess()
    {
        _claude.SleepSeconds = 60;
        var runner = new ClaudeAgentRunner(Context);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.CompleteAsync(new AgentCompletionRequest("s", "u", null, TimeSpan.FromMinutes(1)), cts.Token));
    }

    [Fact]
    public async Task ReplayCountsASkillInvokedAnywhereInTheTurnNotOnlyFirst()
    {
        var skillMd = Path.Combine(_workspace, ".claude", "skills", "other-skill", "SKILL.md");
        _claude.Stdout = string.Join('\n',
            """{"type":"system","subtype":"init","cwd":"/w","session_id":"s-1","tools":["Bash","Read","Skill"],"model":"claude-sonnet-4-5-20250929","permissionMode":"default"}""",
            """{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"git status"}}],"usage":{"input_tokens":3,"output_tokens":20}},"session_id":"s-1"}""",
            """{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"clean","is_error":false}]},"session_id":"s-1"}""",
            $$$"""{"type":"assistant","message":{"id":"msg_2","type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_2","name":"Read","input":{"file_path":"{{{skillMd}}}"}}]},"session_id":"s-1"}""",
            """{"type":"assistant","message":{"id":"msg_3","type":"message","role":"assistant","content":[{"type":"text","text":"Using the skill."},{"type":"tool_use","id":"toolu_3","name":"Skill","input":{"skill":"pdf-tools"}}]},"session_id":"s-1"}""",
            """{"type":"result","subtype":"success","is_error":false,"num_turns":4,"result":"Done.","session_id":"s-1","total_cost_usd":0.02,"usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":500,"output_tokens":80}}""") + "\n";
        var runner = new ClaudeAgentRunner(Context);

        var replay = await runner.ReplayAsync(new ReplayRequest("merge these PDFs", _workspace, TimeSpan.FromSeconds(30), "sonnet"), CancellationToken.None);

        Assert.Equal(["pdf-tools"], replay.SkillsInvoked);
        Assert.Equal(["other-skill"], replay.SkillsRead);
        Assert.Equal((510L, 80L, 0.02m), (replay.InputTokens!.Value, replay.OutputTokens!.Value, replay.CostUsd!.Value));
        Assert.Equal(["-p", "--output-format", "stream-json", "--verbose", "--model", "sonnet"], _claude.Arguments);
        Assert.Equal(Path.GetFullPath(_workspace), _claude.WorkingDirectory);
        Assert.Equal(PromptKind.Selftune, PromptClassifier.Classify(_claude.Stdin));
        Assert.EndsWith("merge these PDFs", _claude.Stdin.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(".claude/skills", runner.ProjectSkillFolder);
    }

    [Fact]
    public void IsAvailableOnlyWhenClaudeIsOnPath()
    {
        var runner = new ClaudeAgentRunner(Context);
        Assert.True(runner.IsAvailable(Context));
        Assert.False(runner.IsAvailable(new PlatformContext(_workspace, _workspace, name => name == "PATH" ? _workspace : null)));
    }

    public void Dispose()
    {
        _claude.Dispose();
        Directory.Delete(_workspace, recursive: true);
    }
}
