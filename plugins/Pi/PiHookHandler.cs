using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Pi;

/// <summary>
/// Handles the payloads of selftune's Pi extension (<see cref="PiExtension"/>). Each event yields a session hint
/// (<see cref="CaptureMode.Hook"/>, with the working directory); <c>agent_end</c> and <c>session_shutdown</c> also return
/// the session file, so the core reads it (the source of truth) at once.
/// </summary>
public sealed class PiHookHandler : IHookHandler
{
    private static readonly HashSet<string> TurnEnding = new(PiExtension.TurnEndEvents, StringComparer.Ordinal);

    /// <inheritdoc />
    public string Platform => PiPaths.Platform;

    /// <inheritdoc />
    /// <remarks>True only for the payload selftune's Pi extension writes (<c>"selftune_hook": "pi/…"</c>).</remarks>
    public bool Recognizes(string payload) =>
        payload.Contains("\"selftune_hook\"", StringComparison.Ordinal)
        && HookPayload.Matches(payload, root => HookPayload.IsTagged(root, PiExtension.PayloadPrefix));

    /// <inheritdoc />
    public HookOutcome Handle(HookEvent hookEvent, IRecordSink sink)
    {
        var source = $"pi hook {hookEvent.EventName}";
        if (HookPayload.Open(hookEvent, sink, source) is not { } document)
        {
            return new HookOutcome(null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (!HookPayload.IsTagged(root, PiExtension.PayloadPrefix))
            {
                sink.Malformed(source, 0, "not a payload of selftune's Pi extension (no \"selftune_hook\": \"pi/…\" field); reinstall it with `selftune install --agent pi`");
                return new HookOutcome(null);
            }

            if (JsonFields.Text(root, "session_id") is not { Length: > 0 } sessionId)
            {
                return new HookOutcome(null);
            }

            sink.Session(new SessionRecord(sessionId, new Provenance(PiPaths.Platform, CaptureMode.Hook), Cwd: JsonFields.Text(root, "cwd")));
            var file = JsonFields.Text(root, "session_file");
            var eventName = JsonFields.Text(root, "event") ?? hookEvent.EventName;
            var transcript = TurnEnding.Contains(eventName) && file is { Length: > 0 } && Path.IsPathFullyQualified(file) && File.Exists(file) ? file : null;
            return new HookOutcome(sessionId, transcript);
        }
    }
}
