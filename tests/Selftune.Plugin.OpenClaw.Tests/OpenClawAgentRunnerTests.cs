using Selftune.Abstractions;

namespace Selftune.Plugin.OpenClaw.Tests;

/// <summary>The runner against a fake <c>openclaw</c> script on a temporary PATH.</summary>
public sealed class OpenClawAgentRunnerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "selftune-openclaw-runner-" + Guid.NewGuid().ToString("N"));

    public OpenClawAgentRunnerTests() => Directory.CreateDirectory(_dir);

    private string Bin => Path.Combine(_dir, "bin");

    private OpenClawAgentRunner Runner => new(new PlatformContext(_dir, _dir, name => name == "PATH" ? $"{Bin}:/usr/bin:/bin" : null));

    private static AgentCompletionRequest Request(TimeSpan? timeout = null) =>
        new("You grade skills. Answer YES or NO.", "Would 'deploy' trigger for: ship it?", "anthropic/claude-sonnet-4.5", timeout ?? TimeSpan.FromSeconds(60));

    [Fact]
    public async Task CompletionReadsTheJsonAnswerAndSendsAMarkedMessage()
    {
        // Prints a log line before the JSON, as the CLI may; `cat` proves stdin is closed (it would block otherwise).
        Fake($$"""
            cat > /dev/null
            for a in "$@"; do echo "$a"; done > '{{_dir}}/args'
            while [ $# -gt 0 ]; do [ "$1" = "--message-file" ] && cp "$2" '{{_dir}}/message' && echo "$2" > '{{_dir}}/message-path'; shift; done
            echo "[plugins] registry loaded"
            cat <<'JSON'
            {
              "payloads": [{ "text": "YES", "mediaUrl": null }, { "text": "because it ships" }],
              "meta": { "durationMs": 812, "agentMeta": { "sessionId": "x", "provider": "openrouter", "model": "anthropic/claude-sonnet-4.5",
                "usage": { "input": 1200, "output": 9, "cacheRead": 300, "cacheWrite": 50, "total": 1559 } } }
            }
            JSON
            """);

        var answer = await Runner.CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(new AgentCompletion("YES\n\nbecause it ships", "anthropic/claude-sonnet-4.5", 1550, 9, null), answer);
        var args = File.ReadAllLines(Path.Combine(_dir, "args"));
        Assert.Equal(["agent", "--local", "--session-id"], args[..3]);
        Assert.StartsWith("selftune-", args[3]);
        Assert.Equal(["--message-file", File.ReadAllText(Path.Combine(_dir, "message-path")).Trim(), "--json", "--timeout", "60", "--model", "anthropic/claude-sonnet-4.5"], args[4..]);
        Assert.Equal("[selftune] You grade skills. Answer YES or NO.\n\nWould 'deploy' trigger for: ship it?", File.ReadAllText(Path.Combine(_dir, "message")));
        Assert.False(File.Exists(File.ReadAllText(Path.Combine(_dir, "message-path")).Trim()), "the message file is deleted afterwards");
        Assert.Equal(PromptKind.Selftune, PromptClassifier.Classify(File.ReadAllText(Path.Combine(_dir, "message"))));
    }

    [Theory]
    [InlineData("echo 'Error: 429 rate limit exceeded' >&2; exit 1", true)]
    [InlineData("echo 'error: unknown option --message-file' >&2; exit 1", false)]
    [InlineData("echo '{\"payloads\":[],\"meta\":{\"aborted\":true}}'", true)]
    [InlineData("echo '{\"payloads\":[],\"meta\":{\"error\":{\"kind\":\"context_overflow\"}}}'", false)]
    [InlineData("echo 'not json at all'", false)]
    public async Task FailuresSayWhetherARetryMayHelp(string body, bool transient)
    {
        Fake(body);

        var error = await Assert.ThrowsAsync<AgentRunnerException>(() => Runner.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(transient, error.Transient);
    }

    [Fact]
    public async Task ATimeoutKillsTheProcessTreeAndIsTransient()
    {
        Fake($"sleep 300 &\necho $! > '{_dir}/child'\nwait\n");

        var error = await Assert.ThrowsAsync<AgentRunnerException>(() => Runner.CompleteAsync(Request(TimeSpan.FromSeconds(2)), CancellationToken.None));

        Assert.True(error.Transient);
        var child = File.ReadAllText(Path.Combine(_dir, "child")).Trim();
        var stat = Path.Combine("/proc", child, "stat");
        Assert.True(!File.Exists(stat) || File.ReadAllText(stat).Split(' ')[2] == "Z", "the script's child was killed with it");
    }

    [Fact]
    public async Task WithoutOpenClawOnPathThereIsNoRunnerAndNoReplay()
    {
        var runner = Runner;

        Assert.False(runner.IsAvailable(new PlatformContext(_dir, _dir, name => name == "PATH" ? Bin : null)));
        var error = await Assert.ThrowsAsync<AgentRunnerException>(() => runner.CompleteAsync(Request(), CancellationToken.None));
        Assert.False(error.Transient);
        Assert.Null(runner.ProjectSkillFolder);
        await Assert.ThrowsAsync<NotSupportedException>(() => runner.ReplayAsync(new ReplayRequest("q", _dir, TimeSpan.FromSeconds(1)), CancellationToken.None));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Fake(string body) => Scripts.Write(Path.Combine(Bin, "openclaw"), body + "\n");
}
