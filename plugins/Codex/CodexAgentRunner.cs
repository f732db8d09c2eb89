using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;
using Selftune.Plugin.Codex.Skills;

namespace Selftune.Plugin.Codex;

/// <summary>
/// Calls the Codex CLI non-interactively: <c>codex exec --json --skip-git-repo-check --sandbox read-only --cd
/// &lt;dir&gt; [--model m] "&lt;prompt&gt;"</c>. Its stdout is JSONL (openai/codex <c>codex-rs/exec/src/exec_events.rs</c>):
/// <c>thread.started</c>, <c>turn.started</c>, <c>item.started|updated|completed</c> (items <c>agent_message {text}</c>,
/// <c>command_execution {command, aggregated_output, exit_code, status}</c>, <c>reasoning</c>, <c>file_change</c>,
/// <c>mcp_tool_call</c>, …), <c>turn.completed {usage{input_tokens, cached_input_tokens, output_tokens}}</c>,
/// <c>turn.failed {error{message}}</c>, <c>error {message}</c>. The answer is the last <c>agent_message</c>; the
/// tokens are the sum of the turns' usage (input includes cached input). Every prompt starts with
/// <see cref="PromptClassifier.SelftuneMarker"/>, so the rollouts these runs leave are never read as the user's prompts.
/// A replay runs in the workspace, where Codex discovers project skills in <c>.agents/skills</c> (from the working
/// directory up to the repository root; developers.openai.com/codex/skills); a skill counts as invoked when the agent
/// reads its SKILL.md, which is how Codex loads a skill (it has no Skill tool).
/// </summary>
public sealed class CodexAgentRunner : IAgentRunner
{
    private readonly PlatformContext _context;

    /// <summary>Creates a runner for this process's environment.</summary>
    public CodexAgentRunner()
        : this(PlatformContext.FromProcess())
    {
    }

    /// <summary>Creates a runner that finds <c>codex</c> on the PATH <paramref name="context"/> gives.</summary>
    public CodexAgentRunner(PlatformContext context) => _context = context ?? throw new ArgumentNullException(nameof(context));

    /// <inheritdoc />
    public string Platform => Platforms.Codex;

    /// <inheritdoc />
    public int Preference => 20;

    /// <inheritdoc />
    public string Executable => CodexLocations.Executable;

    /// <inheritdoc />
    public string? ProjectSkillFolder => ".agents/skills";

    /// <inheritdoc />
    public bool IsAvailable(PlatformContext context) => ExecutableSearch.FindOnPath(context ?? throw new ArgumentNullException(nameof(context)), Executable) is not null;

    /// <inheritdoc />
    public async Task<AgentCompletion> CompleteAsync(AgentCompletionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var workspace = Directory.CreateTempSubdirectory("selftune-codex-");
        try
        {
            var prompt = string.IsNullOrWhiteSpace(request.SystemPrompt) ? request.UserPrompt : request.SystemPrompt + "\n\n" + request.UserPrompt;
            var run = await RunAsync(prompt, workspace.FullName, request.Model, request.Timeout, cancellationToken).ConfigureAwait(false);
            return run.LastMessage is { } text
                ? new AgentCompletion(text, request.Model, run.InputTokens, run.OutputTokens, null)
                : throw new AgentRunnerException("codex exec finished without an agent message.", transient: false);
        }
        finally
        {
            try
            {
                workspace.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <inheritdoc />
    public async Task<ReplayResult> ReplayAsync(ReplayRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var run = await RunAsync(request.Query, request.WorkspaceDirectory, request.Model, request.Timeout, cancellationToken).ConfigureAwait(false);
        return new ReplayResult(run.SkillsLoaded, [], run.InputTokens, run.OutputTokens, null);
    }

    private async Task<ExecRun> RunAsync(string prompt, string workingDirectory, string? model, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var executable = ExecutableSearch.FindOnPath(_context, Executable)
            ?? throw new AgentRunnerException("`codex` was not found on PATH: install the Codex CLI (npm i -g @openai/codex) or put it on PATH.", transient: false);
        List<string> arguments = ["exec", "--json", "--skip-git-repo-check", "--sandbox", "read-only", "--cd", workingDirectory];
        if (!string.IsNullOrWhiteSpace(model))
        {
            arguments.AddRange(["--model", model]);
        }

        arguments.Add(prompt.StartsWith(PromptClassifier.SelftuneMarker, StringComparison.Ordinal) ? prompt : PromptClassifier.SelftuneMarker + " " + prompt);
        var run = new ExecRun(workingDirectory);
        var (exitCode, _, stderr) = await ChildProcess.RunAsync(
            new ChildProcessRequest(executable, arguments, workingDirectory, timeout) { OnOutputLine = run.Read }, cancellationToken).ConfigureAwait(false);
        if (run.Failure is { } failure)
        {
            throw new AgentRunnerException($"codex exec failed: {failure}", IsTransient(failure));
        }

        if (exitCode != 0)
        {
            throw new AgentRunnerException($"codex exec exited with code {exitCode}: {stderr.Trim()}", IsTransient(stderr));
        }

        return run;
    }

    private static bool IsTransient(string message) =>
        new[] { "rate limit", "429", "overloaded", "502", "503", "timed out", "timeout", "temporarily", "stream disconnected", "connection reset" }
            .Any(m => message.Contains(m, StringComparison.OrdinalIgnoreCase));

    /// <summary>What one <c>codex exec --json</c> run printed.</summary>
    private sealed class ExecRun(string workingDirectory)
    {
        private readonly List<string> _skills = [];

        public string? LastMessage { get; private set; }
        public long? InputTokens { get; private set; }
        public long? OutputTokens { get; private set; }
        public string? Failure { get; private set; }
        public IReadOnlyList<string> SkillsLoaded => _skills;

        public void Read(string line)
        {
            if (!line.StartsWith('{'))
            {
                return; // not an event (a warning printed before the stream)
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                switch (JsonFields.Text(root, "type"))
                {
                    case "item.started" or "item.updated" or "item.completed" when root.TryGetProperty("item", out var item) && item.ValueKind == JsonValueKind.Object:
                        OnItem(JsonFields.Text(root, "type")!, item);
                        break;
                    case "turn.completed" when root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object:
                        InputTokens = (InputTokens ?? 0) + (JsonFields.Number(usage, "input_tokens") ?? 0);
                        OutputTokens = (OutputTokens ?? 0) + (JsonFields.Number(usage, "output_tokens") ?? 0);
                        break;
                    case "turn.failed":
                        Failure = root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object ? JsonFields.Text(error, "message") ?? "turn failed" : "turn failed";
                        break;
                    case "error":
                        Failure ??= JsonFields.Text(root, "message") ?? "error";
                        break;
                }
            }
            catch (JsonException)
            {
                // a partial or foreign line: ignored
            }
        }

        private void OnItem(string eventType, JsonElement item)
        {
            var type = JsonFields.Text(item, "type") ?? JsonFields.Text(item, "item_type");
            if (type == "agent_message" && eventType == "item.completed" && JsonFields.Text(item, "text") is { } text)
            {
                LastMessage = text;
            }
            else if (type == "command_execution" && JsonFields.Text(item, "command") is { } command)
            {
                foreach (var read in SkillReadDetector.Find([command], workingDirectory))
                {
                    if (!_skills.Contains(read.SkillName))
                    {
                        _skills.Add(read.SkillName);
                    }
                }
            }
        }

    }
}
