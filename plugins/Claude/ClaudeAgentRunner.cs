using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Claude;

/// <summary>
/// Runs Claude Code non-interactively. As an LLM: <c>claude -p --output-format json --system-prompt &lt;system&gt;
/// [--model &lt;m&gt;]</c> with the prompt on stdin, in an empty scratch folder, reading the final <c>result</c> object
/// (<c>result</c>, <c>is_error</c>, <c>total_cost_usd</c>, <c>usage</c>, <c>modelUsage</c>). As a replay:
/// <c>claude -p --output-format stream-json --verbose [--model &lt;m&gt;]</c> in the prepared workspace, counting a trigger
/// when a <c>Skill</c> tool_use appears anywhere in the turn (not only first: skill-creator's early-return bug,
/// peers-and-formats §3) and a read when a <c>Read</c> of a <c>…/&lt;skill&gt;/SKILL.md</c> appears.
/// Every prompt starts with <see cref="PromptClassifier.SelftuneMarker"/>, so selftune never ingests its own calls as the
/// user's prompts; <c>CLAUDECODE</c> is emptied so the CLI runs even when selftune itself runs inside Claude Code.
/// </summary>
public sealed class ClaudeAgentRunner : IAgentRunner
{
    private const int StderrTail = 600;

    private static readonly string[] TransientMarkers =
    [
        "rate limit", "rate_limit", "429", "overloaded", "529", "500", "502", "503", "504", "timed out", "timeout",
        "econnreset", "etimedout", "socket hang up", "network", "temporarily",
    ];

    private readonly PlatformContext _context;

    /// <summary>Creates a runner for the current process's machine.</summary>
    public ClaudeAgentRunner()
        : this(PlatformContext.FromProcess())
    {
    }

    /// <summary>Creates a runner that finds <c>claude</c> on <paramref name="context"/>'s PATH.</summary>
    public ClaudeAgentRunner(PlatformContext context) => _context = context;

    /// <inheritdoc />
    public string Platform => Platforms.ClaudeCode;

    /// <inheritdoc />
    public int Preference => 10;

    /// <inheritdoc />
    public string Executable => "claude";

    /// <inheritdoc />
    public string? ProjectSkillFolder => ".claude/skills";

    /// <inheritdoc />
    public bool IsAvailable(PlatformContext context) => ExecutableSearch.FindOnPath(context, Executable) is not null;

    /// <inheritdoc />
    public async Task<AgentCompletion> CompleteAsync(AgentCompletionRequest request, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), "selftune-agent");
        Directory.CreateDirectory(scratch);
        var args = new List<string> { "-p", "--output-format", "json" };
        if (!string.IsNullOrWhiteSpace(request.SystemPrompt))
        {
            args.AddRange(["--system-prompt", request.SystemPrompt]);
        }

        AddModel(args, request.Model);
        var (exit, stdout, stderr) = await RunAsync(args, PromptClassifier.SelftuneMarker + "\n" + request.UserPrompt, scratch, request.Timeout, cancellationToken).ConfigureAwait(false);
        var result = LastResult(stdout.Split('\n'));
        if (result is not { } r)
        {
            throw Failure(exit, stderr, stdout);
        }

        using (r)
        {
            var root = r.RootElement;
            var text = root.TryGetProperty("result", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : string.Empty;
            if (IsError(root))
            {
                var what = text.Length > 0 ? text : Subtype(root);
                throw new AgentRunnerException($"claude -p answered with an error: {what}", IsTransient(what));
            }

            var (input, output, cost, model) = Usage(root);
            return new AgentCompletion(text, model ?? request.Model, input, output, cost);
        }
    }

    /// <inheritdoc />
    public async Task<ReplayResult> ReplayAsync(ReplayRequest request, CancellationToken cancellationToken)
    {
        var args = new List<string> { "-p", "--output-format", "stream-json", "--verbose" };
        AddModel(args, request.Model);
        var (exit, stdout, stderr) = await RunAsync(args, PromptClassifier.SelftuneMarker + " " + request.Query, request.WorkspaceDirectory, request.Timeout, cancellationToken).ConfigureAwait(false);
        var lines = stdout.Split('\n');
        var invoked = new List<string>();
        var read = new List<string>();
        foreach (var line in lines)
        {
            if (!line.Contains("\"tool_use\"", StringComparison.Ordinal) || Parse(line) is not { } doc)
            {
                continue;
            }

            using (doc)
            {
                foreach (var (name, input) in ToolUses(doc.RootElement))
                {
                    if (name == "Skill" && input.TryGetProperty("skill", out var s) && s.GetString() is { Length: > 0 } skill && !invoked.Contains(skill))
                    {
                        invoked.Add(skill);
                    }
                    else if (name == "Read" && input.TryGetProperty("file_path", out var f) && SkillNames.FolderOfSkillFile(f.GetString()) is { } folder
                        && SkillNames.FromFolder(folder) is { Length: > 0 } readSkill && !read.Contains(readSkill))
                    {
                        read.Add(readSkill);
                    }
                }
            }
        }

        var result = LastResult(lines);
        if (result is null)
        {
            if (invoked.Count > 0 || read.Count > 0)
            {
                return new ReplayResult(invoked, read.Where(r => !invoked.Contains(r)).ToList(), null, null, null);
            }

            throw Failure(exit, stderr, stdout);
        }

        using (result)
        {
            var root = result.RootElement;
            if (IsError(root) && invoked.Count == 0 && Subtype(root) == "success")
            {
                var what = root.TryGetProperty("result", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "error";
                throw new AgentRunnerException($"claude -p answered with an error: {what}", IsTransient(what));
            }

            var (input, output, cost, _) = Usage(root);
            return new ReplayResult(invoked, read.Where(r => !invoked.Contains(r)).ToList(), input, output, cost);
        }
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(List<string> args, string stdin, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var executable = ExecutableSearch.FindOnPath(_context, Executable) ?? throw new AgentRunnerException($"'{Executable}' was not found on PATH.", transient: false);
        var environment = new Dictionary<string, string?> { ["CLAUDECODE"] = string.Empty };
        var run = await ChildProcess.RunAsync(
            new ChildProcessRequest(executable, args, workingDirectory, timeout) { Input = stdin, Environment = environment }, cancellationToken).ConfigureAwait(false);
        return (run.ExitCode, run.Output, run.ErrorTail);
    }

    private static void AddModel(List<string> args, string? model)
    {
        if (!string.IsNullOrWhiteSpace(model))
        {
            args.AddRange(["--model", model]);
        }
    }

    private static JsonDocument? LastResult(string[] lines)
    {
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            var line = lines[i].Trim();
            if (line.StartsWith('{') && line.Contains("\"result\"", StringComparison.Ordinal) && Parse(line) is { } doc)
            {
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("type", out var type) && type.ValueEquals("result"))
                {
                    return doc;
                }

                doc.Dispose();
            }
        }

        return null;
    }

    private static JsonDocument? Parse(string line)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<(string Name, JsonElement Input)> ToolUses(JsonElement root)
    {
        if (!root.TryGetProperty("type", out var type) || !type.ValueEquals("assistant")
            || !root.TryGetProperty("message", out var message) || !message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var block in content.EnumerateArray())
        {
            if (block.TryGetProperty("type", out var t) && t.ValueEquals("tool_use") && block.TryGetProperty("name", out var n)
                && block.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object)
            {
                yield return (n.GetString() ?? string.Empty, input);
            }
        }
    }

    private static bool IsError(JsonElement root) =>
        (root.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True) || Subtype(root) != "success";

    private static string Subtype(JsonElement root) =>
        root.TryGetProperty("subtype", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "success";

    private static (long? Input, long? Output, decimal? Cost, string? Model) Usage(JsonElement root)
    {
        long? input = null;
        long? output = null;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            input = (JsonFields.Number(usage, "input_tokens") ?? 0) + (JsonFields.Number(usage, "cache_creation_input_tokens") ?? 0) + (JsonFields.Number(usage, "cache_read_input_tokens") ?? 0);
            output = (JsonFields.Number(usage, "output_tokens") ?? 0);
        }

        decimal? cost = root.TryGetProperty("total_cost_usd", out var c) && c.TryGetDecimal(out var d) ? d : null;
        string? model = null;
        if (root.TryGetProperty("modelUsage", out var models) && models.ValueKind == JsonValueKind.Object)
        {
            model = models.EnumerateObject()
                .OrderByDescending(m => m.Value.ValueKind == JsonValueKind.Object && m.Value.TryGetProperty("outputTokens", out var o) && o.TryGetInt64(out var n) ? n : 0)
                .Select(m => m.Name)
                .FirstOrDefault();
        }

        return (input, output, cost, model);
    }

    private static bool IsTransient(string text) => TransientMarkers.Any(m => text.Contains(m, StringComparison.OrdinalIgnoreCase));

    private AgentRunnerException Failure(int exit, string stderr, string stdout)
    {
        var tail = (stderr.Trim().Length > 0 ? stderr : stdout).Trim();
        tail = tail.Length <= StderrTail ? tail : "…" + tail[^StderrTail..];
        return exit == 0
            ? new AgentRunnerException($"'{Executable}' printed no result object (output: {(tail.Length == 0 ? "empty" : tail)}).", IsTransient(tail))
            : new AgentRunnerException($"'{Executable}' exited with code {exit}. stderr: {(tail.Length == 0 ? "empty" : tail)}", IsTransient(tail));
    }
}
