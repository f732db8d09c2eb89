namespace Selftune.Abstractions;

/// <summary>One live hook event as the agent delivered it.</summary>
/// <param name="EventName">The event (<c>UserPromptSubmit</c>, <c>PostToolUse</c>, <c>Stop</c>, …) as given on the command line or in the payload.</param>
/// <param name="Payload">The raw payload (JSON text, normally from stdin).</param>
/// <param name="ReceivedAt">When selftune received it (UTC).</param>
public sealed record HookEvent(string EventName, string Payload, DateTimeOffset ReceivedAt);

/// <summary>What a hook handler made of an event.</summary>
/// <param name="SessionId">The session the event belongs to, when the payload names one.</param>
/// <param name="TranscriptPath">The session's transcript, when the payload names one and the event ends a turn or a
/// session: the core then ingests it incrementally so source truth lands without waiting for a sync.</param>
public sealed record HookOutcome(string? SessionId, string? TranscriptPath = null);

/// <summary>
/// Turns one live hook payload into canonical records (hints: <see cref="CaptureMode.Hook"/>). Hook handling
/// happens after the hook process has already stored the raw payload, so a handler may take its time, but it
/// must not throw for malformed payloads: report them through <see cref="IRecordSink.Malformed"/>.
/// </summary>
public interface IHookHandler
{
    /// <summary>The platform id whose hooks this handles.</summary>
    string Platform { get; }

    /// <summary>True when <paramref name="payload"/> looks like this platform's hook payload (used when the
    /// hook command was not told its platform).</summary>
    bool Recognizes(string payload);

    /// <summary>Emits the records an event implies.</summary>
    /// <param name="hookEvent">The event.</param>
    /// <param name="sink">Receives hint records.</param>
    HookOutcome Handle(HookEvent hookEvent, IRecordSink sink);
}
