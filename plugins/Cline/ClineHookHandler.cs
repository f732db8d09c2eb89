using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Cline;

/// <summary>
/// Handles Cline's hook payloads (<see cref="ClineHooks"/>): <c>{clineVersion?, hookName, timestamp, taskId,
/// workspaceRoots, postToolUse?{toolName, parameters, result, success}, taskComplete?, taskCancel?}</c>. Each yields a
/// session hint (<see cref="CaptureMode.Hook"/>, the first workspace root as its folder); a <c>git commit|merge|cherry-pick|revert</c>
/// run by <c>execute_command</c> whose result names the new commit yields a <see cref="CommitRecord"/>; <c>TaskComplete</c>
/// and <c>TaskCancel</c> return the task's file, so the core reads it (the source of truth) at once.
/// </summary>
public sealed class ClineHookHandler : IHookHandler
{
    private static readonly HashSet<string> HookNames = new(
        ["TaskStart", "TaskResume", "TaskCancel", "TaskComplete", "PreToolUse", "PostToolUse", "UserPromptSubmit", "PreCompact"], StringComparer.Ordinal);

    private readonly PlatformContext? _context;

    /// <summary>Creates a handler that cannot locate task files (the catalog's probe).</summary>
    public ClineHookHandler()
    {
    }

    /// <summary>Creates a handler that locates task files through <paramref name="context"/>.</summary>
    public ClineHookHandler(PlatformContext context) => _context = context;

    /// <inheritdoc />
    public string Platform => ClinePaths.Platform;

    /// <inheritdoc />
    /// <remarks>True for an object with a string <c>taskId</c> and a <c>hookName</c> Cline defines.</remarks>
    public bool Recognizes(string payload) =>
        payload.Contains("\"hookName\"", StringComparison.Ordinal)
        && HookPayload.Matches(payload, root => JsonFields.Text(root, "taskId") is { Length: > 0 } && JsonFields.Text(root, "hookName") is { } name && HookNames.Contains(name));

    /// <inheritdoc />
    public HookOutcome Handle(HookEvent hookEvent, IRecordSink sink)
    {
        var source = $"cline hook {hookEvent.EventName}";
        if (HookPayload.Open(hookEvent, sink, source) is not { } document)
        {
            return new HookOutcome(null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (JsonFields.Text(root, "taskId") is not { Length: > 0 } task)
            {
                sink.Malformed(source, 0, "not a Cline hook payload (no \"taskId\"); reinstall the hooks with `selftune install --agent cline`");
                return new HookOutcome(null);
            }

            var cwd = JsonFields.Child(root, "workspaceRoots") is { ValueKind: JsonValueKind.Array } roots
                ? roots.EnumerateArray().Select(r => r.ValueKind == JsonValueKind.String ? r.GetString() : null).FirstOrDefault(r => r is { Length: > 0 })
                : null;
            var provenance = new Provenance(ClinePaths.Platform, CaptureMode.Hook);
            sink.Session(new SessionRecord(task, provenance, Cwd: cwd));
            var hook = JsonFields.Text(root, "hookName") ?? hookEvent.EventName;
            if (hook == "PostToolUse" && JsonFields.Child(root, "postToolUse") is { ValueKind: JsonValueKind.Object } tool
                && JsonFields.Text(tool, "toolName") == "execute_command"
                && GitCommits.Parse(JsonFields.Text(JsonFields.Child(tool, "parameters"), "command"), JsonFields.Text(tool, "result")) is { } commit)
            {
                sink.Commit(new CommitRecord(task, commit.Sha, hookEvent.ReceivedAt, commit.Command, provenance, commit.Branch, cwd, commit.Title));
            }

            return new HookOutcome(task, ClineHooks.TurnEnd.Contains(hook) ? Locate(task) : null);
        }
    }

    /// <summary>The task's source file (classic <c>ui_messages.json</c> or SDK <c>&lt;id&gt;.messages.json</c>) in the first data
    /// folder that has it; null without a context or when none has.</summary>
    private string? Locate(string task)
    {
        if (_context is null || task.Contains('/', StringComparison.Ordinal) || task.Contains('\\', StringComparison.Ordinal) || task.Contains("..", StringComparison.Ordinal))
        {
            return null;
        }

        return ClinePaths.DataDirs(_context)
            .SelectMany(d => new[] { Path.Combine(d, "tasks", task, ClineIngestor.UiMessages), Path.Combine(d, "sessions", task, task + ClineIngestor.SdkMessagesSuffix) })
            .FirstOrDefault(File.Exists);
    }
}
