using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.OpenClaw;

/// <summary>
/// Handles the payloads of selftune's OpenClaw hook (<see cref="HookFiles"/>): a JSON object
/// <c>{"selftune_hook":"openclaw/1", "event", "session_id", "session_key", "agent_id", "transcript_path", "workspace_dir", "timestamp"}</c>.
/// Each event yields a session hint (<see cref="CaptureMode.Hook"/>); <c>command:new</c>, <c>command:reset</c> (the
/// previous session ended) and <c>command:stop</c> (a run ended) also return the transcript path, so the core reads the
/// transcript (source truth) at once.
/// </summary>
public sealed class OpenClawHookHandler : IHookHandler
{
    private static readonly HashSet<string> TurnEnding = new(HookFiles.TurnEndEvents, StringComparer.Ordinal);

    /// <inheritdoc />
    public string Platform => Platforms.OpenClaw;

    /// <inheritdoc />
    /// <remarks>True only for the payload selftune's own OpenClaw hook writes (a <c>selftune_hook</c> field starting
    /// with <c>openclaw/</c>).</remarks>
    public bool Recognizes(string payload)
    {
        if (!payload.Contains("\"selftune_hook\"", StringComparison.Ordinal))
        {
            return false;
        }

        return HookPayload.Matches(payload, root => HookPayload.IsTagged(root, "openclaw/"));
    }

    /// <inheritdoc />
    public HookOutcome Handle(HookEvent hookEvent, IRecordSink sink)
    {
        var source = $"openclaw hook {hookEvent.EventName}";
        if (HookPayload.Open(hookEvent, sink, source) is not { } document)
        {
            return new HookOutcome(null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (!HookPayload.IsTagged(root, "openclaw/"))
            {
                sink.Malformed(source, 0, "not a payload of selftune's OpenClaw hook (no \"selftune_hook\": \"openclaw/…\" field); reinstall the hook with `selftune install`");
                return new HookOutcome(null);
            }

            if (JsonFields.Text(root, "session_id") is not { Length: > 0 } sessionId)
            {
                return new HookOutcome(null);
            }

            var eventName = JsonFields.Text(root, "event") ?? hookEvent.EventName;
            var cwd = eventName == "agent:bootstrap" ? JsonFields.Text(root, "workspace_dir") : null;
            sink.Session(new SessionRecord(sessionId, new Provenance(Platforms.OpenClaw, CaptureMode.Hook), Cwd: cwd));
            var transcript = TurnEnding.Contains(eventName) ? Locate(JsonFields.Text(root, "transcript_path")) : null;
            return new HookOutcome(sessionId, transcript);
        }
    }

    /// <summary>The transcript, or the archive OpenClaw renamed it to (<c>&lt;file&gt;.reset.&lt;time&gt;</c> or
    /// <c>.deleted.&lt;time&gt;</c>, newest first) when the hook fired just before a reset archived it; null when neither exists.</summary>
    internal static string? Locate(string? path)
    {
        if (string.IsNullOrEmpty(path) || !Path.IsPathFullyQualified(path))
        {
            return null;
        }

        try
        {
            if (File.Exists(path))
            {
                return path;
            }

            var dir = Path.GetDirectoryName(path);
            var name = Path.GetFileName(path);
            if (dir is null || !Directory.Exists(dir))
            {
                return null;
            }

            return Directory.EnumerateFiles(dir, name + ".*")
                .Where(f => Path.GetFileName(f)[(name.Length + 1)..] is var suffix && (suffix.StartsWith("reset.", StringComparison.Ordinal) || suffix.StartsWith("deleted.", StringComparison.Ordinal)))
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
