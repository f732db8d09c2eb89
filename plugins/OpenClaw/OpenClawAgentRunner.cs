using System.Globalization;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.OpenClaw;

/// <summary>
/// Calls OpenClaw as an LLM through its documented non-interactive mode (docs.openclaw.ai/cli/agent):
/// <c>openclaw agent --local --session-id selftune-&lt;guid&gt; --message-file &lt;file&gt; --json --timeout &lt;s&gt; [--model &lt;id&gt;]</c>,
/// which runs one turn of the default agent embedded (no gateway needed) in a fresh session and prints
/// <c>{"payloads":[{"text"}], "meta":{"aborted"?, "agentMeta":{"model", "usage":{"input","output","cacheRead","cacheWrite"}}}}</c>.
/// OpenClaw has no system-prompt option, so the system prompt is sent first in the message, which starts with
/// <see cref="PromptClassifier.SelftuneMarker"/> so the session is never mistaken for the user's own when ingested.
/// </summary>
/// <remarks>Replay is not supported: OpenClaw discovers skills in the agent's configured workspace, not in a folder
/// selftune could stage per query, so <see cref="ProjectSkillFolder"/> is null.</remarks>
public sealed class OpenClawAgentRunner : IAgentRunner
{
    private readonly PlatformContext _context;

    /// <summary>Creates a runner for this process's machine (<see cref="PlatformContext.FromProcess"/>).</summary>
    public OpenClawAgentRunner()
        : this(PlatformContext.FromProcess())
    {
    }

    /// <summary>Creates a runner that finds <c>openclaw</c> on <paramref name="context"/>'s <c>PATH</c>.</summary>
    public OpenClawAgentRunner(PlatformContext context) => _context = context;

    /// <inheritdoc />
    public string Platform => Platforms.OpenClaw;

    /// <inheritdoc />
    public int Preference => 40;

    /// <inheritdoc />
    public string Executable => OpenClawPaths.Executable;

    /// <inheritdoc />
    public string? ProjectSkillFolder => null;

    /// <inheritdoc />
    public bool IsAvailable(PlatformContext context) => ExecutableSearch.FindOnPath(context, Executable) is not null;

    /// <inheritdoc />
    /// <exception cref="AgentRunnerException">openclaw is not on PATH, exited with an error (transient when its output
    /// mentions a rate limit, overload or timeout), reported an aborted run (transient), timed out (transient; the process
    /// tree is killed) or printed no readable JSON.</exception>
    public async Task<AgentCompletion> CompleteAsync(AgentCompletionRequest request, CancellationToken cancellationToken)
    {
        var exe = ExecutableSearch.FindOnPath(_context, Executable)
            ?? throw new AgentRunnerException($"{Executable} was not found on PATH; install OpenClaw or choose another agent.", transient: false);
        var message = Path.Combine(Path.GetTempPath(), $"selftune-openclaw-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(message, Message(request), cancellationToken).ConfigureAwait(false);
        try
        {
            List<string> arguments =
            [
                "agent", "--local", "--session-id", $"selftune-{Guid.NewGuid():N}", "--message-file", message, "--json",
                "--timeout", Math.Max(1, (int)Math.Ceiling(request.Timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            ];
            if (request.Model is { Length: > 0 } model)
            {
                arguments.AddRange(["--model", model]);
            }

            var run = await ChildProcess.RunAsync(
                new ChildProcessRequest(exe, arguments, Path.GetTempPath(), request.Timeout) { Environment = ChildProcess.PathOf(_context) }, cancellationToken).ConfigureAwait(false);
            var (exit, stdout, stderr) = (run.ExitCode, run.Output, run.ErrorTail);
            if (exit != 0)
            {
                var tail = Tail(stderr.Length > 0 ? stderr : stdout);
                throw new AgentRunnerException($"{Executable} agent exited with code {exit}: {tail}", IsTransient(tail));
            }

            return Parse(stdout, stderr);
        }
        finally
        {
            try
            {
                File.Delete(message);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Always: OpenClaw cannot replay against staged skills.</exception>
    public Task<ReplayResult> ReplayAsync(ReplayRequest request, CancellationToken cancellationToken) =>
        throw new NotSupportedException("OpenClaw cannot replay queries: it loads skills from the agent's configured workspace, where selftune cannot stage candidates.");

    private static string Message(AgentCompletionRequest request)
    {
        var text = string.IsNullOrWhiteSpace(request.SystemPrompt) ? request.UserPrompt : $"{request.SystemPrompt.Trim()}\n\n{request.UserPrompt}";
        return text.StartsWith(PromptClassifier.SelftuneMarker, StringComparison.Ordinal) ? text : $"{PromptClassifier.SelftuneMarker} {text}";
    }

    private AgentCompletion Parse(string stdout, string stderr)
    {
        // Logs may precede the JSON document on stdout; the document is the outermost {...}.
        var first = stdout.IndexOf('{', StringComparison.Ordinal);
        var last = stdout.LastIndexOf('}');
        if (first < 0 || last < first)
        {
            throw new AgentRunnerException($"{Executable} agent printed no JSON: {Tail(stdout.Length > 0 ? stdout : stderr)}", transient: false);
        }

        try
        {
            using var document = JsonDocument.Parse(stdout.AsMemory(first, last - first + 1));
            var root = document.RootElement;
            var meta = JsonFields.Child(root, "meta");
            var agentMeta = JsonFields.Child(meta, "agentMeta");
            var usage = JsonFields.Child(agentMeta, "usage");
            var text = string.Join("\n\n", Elements(JsonFields.Child(root, "payloads"))
                .Select(p => JsonFields.Text(p, "text"))
                .Where(t => !string.IsNullOrEmpty(t)));
            if (JsonFields.Bool(meta, "aborted"))
            {
                throw new AgentRunnerException($"{Executable} aborted the run: {Tail(text.Length > 0 ? text : stderr)}", transient: true);
            }

            if (text.Length == 0)
            {
                var error = JsonFields.Child(meta, "error");
                var reason = error.ValueKind == JsonValueKind.Undefined ? Tail(stderr) : Tail(error.GetRawText());
                throw new AgentRunnerException($"{Executable} answered with no text: {reason}", IsTransient(reason));
            }

            long? Tokens(params string[] names) => usage.ValueKind == JsonValueKind.Object && names.Any(n => JsonFields.Child(usage, n).ValueKind == JsonValueKind.Number)
                ? names.Sum(n => JsonFields.Child(usage, n) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var x) ? x : 0)
                : null;
            var model = JsonFields.Text(agentMeta, "model");
            return new AgentCompletion(text, model, Tokens("input", "cacheRead", "cacheWrite"), Tokens("output"), null);
        }
        catch (JsonException ex)
        {
            throw new AgentRunnerException($"{Executable} agent's JSON could not be read ({ex.Message}): {Tail(stdout)}", transient: false);
        }
    }

    private static IEnumerable<JsonElement> Elements(JsonElement array) =>
        array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    private static bool IsTransient(string text) =>
        new[] { "rate limit", "rate_limit", "429", "overloaded", "529", "timeout", "timed out", "ETIMEDOUT", "ECONNRESET", "503" }
            .Any(t => text.Contains(t, StringComparison.OrdinalIgnoreCase));

    private static string Tail(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length == 0 ? "(no output)" : trimmed.Length > 800 ? "…" + trimmed[^800..] : trimmed;
    }
}
