using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;
using Selftune.Plugin.OpenCode.Storage;

namespace Selftune.Plugin.OpenCode;

/// <summary>
/// Calls <c>opencode run --format json [--model provider/model]</c> non-interactively. The prompt goes on stdin, which
/// is then closed (<c>opencode run</c> takes piped stdin as the message; an argument would be re-quoted by OpenCode).
/// Every prompt starts with <see cref="PromptClassifier.SelftuneMarker"/>, so the session it leaves in OpenCode's store
/// is never taken for the user's own. With <c>--format json</c> OpenCode prints one JSON event per line
/// (<c>{"type","timestamp","sessionID","part"|"error"}</c>; types <c>text</c>, <c>tool_use</c> for a finished tool
/// call, <c>step_start</c>, <c>step_finish</c> with <c>part.tokens</c>/<c>part.cost</c>, <c>error</c>; source:
/// OpenCode <c>src/cli/cmd/run.ts</c>).
/// <para>
/// The executable is resolved on the context's <c>PATH</c> and started by full path, in a temporary folder for a
/// completion and in the workspace for a replay (with <c>PWD</c> set to it: OpenCode takes its project folder from
/// <c>PWD</c>). A timeout kills the whole process tree.
/// </para>
/// </summary>
public sealed class OpenCodeAgentRunner : IAgentRunner
{
    private readonly PlatformContext context;

    /// <summary>Creates a runner for the current process's environment.</summary>
    public OpenCodeAgentRunner()
        : this(PlatformContext.FromProcess())
    {
    }

    /// <summary>Creates a runner that finds <c>opencode</c> on <paramref name="context"/>'s <c>PATH</c> and passes that
    /// <c>PATH</c> to it.</summary>
    public OpenCodeAgentRunner(PlatformContext context) => this.context = context;

    /// <inheritdoc />
    public string Platform => Platforms.OpenCode;

    /// <inheritdoc />
    public int Preference => 30;

    /// <inheritdoc />
    public string Executable => OpenCodePaths.Executable;

    /// <summary><c>.opencode/skills</c>: OpenCode loads <c>{skill,skills}/**/SKILL.md</c> from each <c>.opencode</c> folder
    /// between the working directory and the project root (OpenCode <c>src/skill</c>).</summary>
    public string? ProjectSkillFolder => ".opencode/skills";

    /// <inheritdoc />
    public bool IsAvailable(PlatformContext context) => ExecutableSearch.FindOnPath(context, Executable) is not null;

    /// <inheritdoc />
    public async Task<AgentCompletion> CompleteAsync(AgentCompletionRequest request, CancellationToken cancellationToken)
    {
        var prompt = string.IsNullOrWhiteSpace(request.SystemPrompt)
            ? $"{PromptClassifier.SelftuneMarker} {request.UserPrompt}"
            : $"{PromptClassifier.SelftuneMarker} {request.SystemPrompt}\n\n{request.UserPrompt}";
        var folder = Directory.CreateTempSubdirectory("selftune-opencode-");
        try
        {
            var run = await RunAsync(prompt, folder.FullName, request.Model, request.Timeout, cancellationToken).ConfigureAwait(false);
            var text = run.FinalText() ?? throw new AgentRunnerException("opencode run printed no answer text (no \"text\" event on stdout).", transient: false);
            return new AgentCompletion(text, request.Model, run.InputTokens, run.OutputTokens, run.Cost);
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A temporary folder left behind is harmless.
            }
        }
    }

    /// <summary>Runs the query in the workspace and reports the skills the agent loaded with its <c>skill</c> tool (any
    /// call, even one the non-interactive run refused permission for: the agent chose the skill) and the skills whose
    /// SKILL.md it read without loading them.</summary>
    /// <inheritdoc />
    public async Task<ReplayResult> ReplayAsync(ReplayRequest request, CancellationToken cancellationToken)
    {
        var run = await RunAsync($"{PromptClassifier.SelftuneMarker} {request.Query}", request.WorkspaceDirectory, request.Model, request.Timeout, cancellationToken)
            .ConfigureAwait(false);
        var invoked = run.SkillsInvoked.Distinct(StringComparer.Ordinal).ToList();
        var read = run.SkillsRead.Distinct(StringComparer.Ordinal).Where(s => !invoked.Contains(s)).ToList();
        return new ReplayResult(invoked, read, run.InputTokens, run.OutputTokens, run.Cost);
    }

    private async Task<RunOutput> RunAsync(string prompt, string workingDirectory, string? model, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var executable = ExecutableSearch.FindOnPath(context, Executable)
            ?? throw new AgentRunnerException($"'{Executable}' was not found on PATH. Install OpenCode (opencode.ai) or put it on PATH.", transient: false);
        List<string> arguments = ["run", "--format", "json"];
        if (!string.IsNullOrEmpty(model))
        {
            arguments.AddRange(["--model", model]);
        }

        var environment = new Dictionary<string, string?>(ChildProcess.PathOf(context)) { ["PWD"] = workingDirectory };
        var result = await ChildProcess.RunAsync(
            new ChildProcessRequest(executable, arguments, workingDirectory, timeout) { Input = prompt, Environment = environment }, cancellationToken).ConfigureAwait(false);
        var (output, errors) = (result.Output, result.ErrorTail);
        var run = RunOutput.Parse(output);
        if (run.Error is { } error)
        {
            throw new AgentRunnerException($"opencode reported {error.Name}: {error.Message}", error.Retryable);
        }

        if (result.ExitCode != 0)
        {
            throw new AgentRunnerException($"opencode run exited with code {result.ExitCode}: {errors.Trim()}", IsTransient(errors));
        }

        return run;
    }

    private static bool IsTransient(string stderr) =>
        new[] { "rate limit", "rate_limit", "429", "overloaded", "503", "529", "timed out", "ECONNRESET" }
            .Any(s => stderr.Contains(s, StringComparison.OrdinalIgnoreCase));

    /// <summary>What one <c>opencode run --format json</c> printed.</summary>
    private sealed class RunOutput
    {
        private readonly List<(string? MessageId, string Text)> texts = [];

        public List<string> SkillsInvoked { get; } = [];
        public List<string> SkillsRead { get; } = [];
        public long? InputTokens { get; private set; }
        public long? OutputTokens { get; private set; }
        public decimal? Cost { get; private set; }
        public (string Name, string Message, bool Retryable)? Error { get; private set; }

        /// <summary>The text of the last message that wrote text (earlier messages are steps before tool calls).</summary>
        public string? FinalText()
        {
            if (texts.Count == 0)
            {
                return null;
            }

            var last = texts[^1].MessageId;
            return string.Join("\n", texts.Where(t => t.MessageId == last).Select(t => t.Text)).Trim();
        }

        public static RunOutput Parse(string stdout)
        {
            var run = new RunOutput();
            foreach (var raw in stdout.Split('\n'))
            {
                var line = raw.Trim();
                if (!line.StartsWith('{'))
                {
                    continue;
                }

                try
                {
                    using var document = JsonDocument.Parse(line);
                    run.Add(document.RootElement);
                }
                catch (JsonException)
                {
                    // Not an event (OpenCode may print other lines); skipped.
                }
            }

            return run;
        }

        private void Add(JsonElement e)
        {
            var part = JsonFields.Child(e, "part");
            switch (JsonFields.Text(e, "type"))
            {
                case "text" when JsonFields.Text(part, "text") is { } text:
                    texts.Add((JsonFields.Text(part, "messageID"), text));
                    break;
                case "step_finish" when TokenCounts.From(JsonFields.Child(part, "tokens")) is { } tokens:
                    InputTokens = (InputTokens ?? 0) + tokens.Input + tokens.CacheRead + tokens.CacheWrite;
                    OutputTokens = (OutputTokens ?? 0) + tokens.Output + tokens.Reasoning;
                    if (JsonFields.Decimal(part, "cost") is > 0 and var cost)
                    {
                        Cost = (Cost ?? 0) + cost;
                    }

                    break;
                case "tool_use" when ToolState.Parse(part) is { } tool:
                    if (tool.SkillName is { Length: > 0 } skill)
                    {
                        SkillsInvoked.Add(skill);
                    }
                    else if (tool.Status != "error" && ToolInputs.SkillOfSkillFile(tool.ReadPath) is { } read)
                    {
                        SkillsRead.Add(read);
                    }

                    break;
                case "error":
                    var error = JsonFields.Child(e, "error");
                    var data = JsonFields.Child(error, "data");
                    var status = JsonFields.Number(data, "statusCode");
                    Error = (
                        JsonFields.Text(error, "name") ?? "an error",
                        JsonFields.Text(data, "message") ?? error.ToString(),
                        JsonFields.Bool(data, "isRetryable") || status is 429 or >= 500);
                    break;
            }
        }
    }
}
