using System.Text;
using Selftune.Abstractions;

namespace Selftune.Plugin.OpenCode.Storage;

/// <summary>
/// Turns one stored session (from the database or the legacy JSON tree) into canonical records. A session is a list
/// of turns: a user message and the assistant messages that answer it (assistant <c>parentID</c> = the user message).
/// Only turns holding a changed message are emitted (their parts are loaded on demand), so an incremental read
/// re-emits what changed, never the whole history; the session record is always re-emitted (models, end, status).
/// </summary>
internal sealed class SessionEmitter(IRecordSink sink)
{

    /// <summary>Emits the session and its changed turns.</summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="session">The session row, when there is one.</param>
    /// <param name="sessionLocation">Where the session record comes from.</param>
    /// <param name="messages">Every message of the session, ordered by creation.</param>
    /// <param name="changed">True for a message whose turn must be (re-)emitted.</param>
    /// <param name="loadParts">Reads a message's parts, ordered.</param>
    public void Emit(
        string sessionId,
        StoredSession? session,
        RowLocation sessionLocation,
        IReadOnlyList<StoredMessage> messages,
        Func<StoredMessage, bool> changed,
        Func<StoredMessage, IReadOnlyList<StoredPart>> loadParts)
    {
        sink.Session(BuildSession(sessionId, session, sessionLocation, messages));
        var inSubAgentSession = session?.ParentId is { Length: > 0 };
        foreach (var turn in Turns(messages))
        {
            if (turn.Any(changed))
            {
                EmitTurn(sessionId, inSubAgentSession, turn, loadParts);
            }
        }
    }

    /// <summary>Converts a stored time (epoch ms; epoch seconds are recognized and scaled) to UTC.</summary>
    public static DateTimeOffset Time(long value) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Math.Abs(value) < 100_000_000_000 ? value * 1000 : value);

    /// <summary>Provenance of a transcript record read at <paramref name="location"/>.</summary>
    public static Provenance Transcript(RowLocation location) =>
        new(Platforms.OpenCode, CaptureMode.Transcript, 1.0, location.Path, location.Row);

    private static SessionRecord BuildSession(string sessionId, StoredSession? session, RowLocation location, IReadOnlyList<StoredMessage> messages)
    {
        var models = messages.Where(m => m.IsAssistant && !string.IsNullOrEmpty(m.ModelId)).Select(m => m.ModelId!).Distinct(StringComparer.Ordinal).ToList();
        long? end = messages.Count > 0 ? messages.Max(m => m.Completed ?? m.Created) : session?.Updated;
        long? start = session?.Created ?? (messages.Count > 0 ? messages[0].Created : null);
        var last = messages.Count > 0 ? messages[^1] : null;
        var status = last switch
        {
            null or { IsAssistant: false } => CompletionStatus.Unknown,
            { ErrorName: "MessageAbortedError" } => CompletionStatus.Interrupted,
            { ErrorName: not null } => CompletionStatus.Failed,
            { Completed: not null } or { Finish: not null } => CompletionStatus.Completed,
            _ => CompletionStatus.Unknown,
        };
        return new SessionRecord(
            sessionId,
            Transcript(location),
            ParentSessionId: NonEmpty(session?.ParentId),
            StartedAt: start is { } s ? Time(s) : null,
            EndedAt: end is { } e ? Time(e) : null,
            Cwd: NonEmpty(session?.Directory) ?? messages.FirstOrDefault(m => !string.IsNullOrEmpty(m.Cwd))?.Cwd,
            AgentVersion: NonEmpty(session?.Version),
            Models: models.Count > 0 ? models : null,
            Status: status)
        {
            // The session's own summary: the plugin reads no per-call counts from OpenCode's tool parts.
            LinesAdded = Lines(session?.Additions),
            LinesRemoved = Lines(session?.Deletions),
        };
    }

    private static List<List<StoredMessage>> Turns(IReadOnlyList<StoredMessage> messages)
    {
        var turns = new List<List<StoredMessage>>();
        var byUserMessage = new Dictionary<string, List<StoredMessage>>(StringComparer.Ordinal);
        List<StoredMessage>? current = null;
        foreach (var message in messages)
        {
            if (message.IsUser)
            {
                current = [message];
                turns.Add(current);
                byUserMessage[message.Id] = current;
                continue;
            }

            var turn = message.ParentId is { } parent && byUserMessage.TryGetValue(parent, out var owner) ? owner : current;
            if (turn is null)
            {
                turn = current = [];
                turns.Add(turn);
            }

            turn.Add(message);
        }

        return turns;
    }

    private void EmitTurn(string sessionId, bool inSubAgentSession, List<StoredMessage> turn, Func<StoredMessage, IReadOnlyList<StoredPart>> loadParts)
    {
        var promptId = turn[0].IsUser ? EmitPrompt(sessionId, inSubAgentSession, turn[0], loadParts(turn[0])) : null;
        var invoked = new HashSet<string>(StringComparer.Ordinal);
        var reads = new List<SkillInvocationRecord>();
        foreach (var message in turn)
        {
            if (message.IsUser)
            {
                continue;
            }

            var steps = 0;
            foreach (var part in loadParts(message))
            {
                if (part.Tool is { } tool)
                {
                    var toolUseId = tool.CallId ?? $"{message.Id}/{part.Id}";
                    var at = Time(tool.Start ?? part.Start ?? message.Created);
                    var provenance = Transcript(part.Location);
                    sink.ToolCall(new ToolCallRecord(toolUseId, sessionId, at, tool.Name, provenance, tool.IsError, promptId, tool.Detail));
                    if (tool.Status == "error")
                    {
                        continue;
                    }

                    if (tool.SkillName is { Length: > 0 } skill)
                    {
                        invoked.Add(skill);
                        sink.SkillInvocation(new SkillInvocationRecord(
                            RecordIds.SkillCall(sessionId, toolUseId), sessionId, at, skill, InvocationKind.Implicit, provenance, promptId, tool.SkillDirectory, toolUseId));
                    }
                    else if (ToolInputs.SkillOfSkillFile(tool.ReadPath) is { } read)
                    {
                        reads.Add(new SkillInvocationRecord(
                            RecordIds.SkillRead(sessionId, toolUseId), sessionId, at, read, InvocationKind.Read, provenance, promptId, tool.ReadPath, toolUseId));
                    }
                }
                else if (part.Tokens is { IsEmpty: false } tokens)
                {
                    steps++;
                    sink.Usage(Usage(sessionId, message, part.Id, tokens, part.Cost, part.Location));
                }
                else if (part.Type == "retry")
                {
                    sink.Error(new ErrorRecord(
                        part.Id, sessionId, Time(part.Start ?? message.Created), "api_retry", part.ErrorMessage ?? part.ErrorName!, Transcript(part.Location)));
                }
            }

            if (steps == 0 && message.Tokens is { IsEmpty: false } total)
            {
                sink.Usage(Usage(sessionId, message, string.Empty, total, message.Cost, message.Location));
            }

            if (message.ErrorName is { } error)
            {
                sink.Error(new ErrorRecord(
                    message.Id, sessionId, Time(message.Completed ?? message.Created), ErrorKind(error), message.ErrorMessage ?? error, Transcript(message.Location)));
            }
        }

        // A SKILL.md read is a "read, not invoked" signal only when the turn did not also invoke that skill.
        foreach (var read in reads.Where(r => !invoked.Contains(r.SkillName)))
        {
            sink.SkillInvocation(read);
        }
    }

    private string? EmitPrompt(string sessionId, bool inSubAgentSession, StoredMessage user, IReadOnlyList<StoredPart> parts)
    {
        var typed = JoinText(parts, synthetic: false);
        var text = typed.Length > 0 ? typed : JoinText(parts, synthetic: true);
        if (text.Length == 0)
        {
            return null;
        }

        var kind = typed.Length > 0 ? OpenCodePrompts.Classify(typed, inSubAgentSession) : PromptKind.System;
        var id = RecordIds.Message(sessionId, user.Id);
        sink.Prompt(new PromptRecord(id, sessionId, Time(user.Created), text, kind, Transcript(user.Location)));
        return kind == PromptKind.User ? id : null;
    }

    private static string JoinText(IReadOnlyList<StoredPart> parts, bool synthetic)
    {
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            if (part.Type == "text" && part.Synthetic == synthetic && !string.IsNullOrWhiteSpace(part.Text))
            {
                text.Append(text.Length > 0 ? "\n" : string.Empty).Append(part.Text);
            }
        }

        return text.ToString();
    }

    /// <summary>Usage of one model response. OpenCode's <c>output</c> excludes reasoning (billed at the output price), so
    /// reasoning is added to <see cref="TokenUsageRecord.OutputTokens"/>. A zero cost (subscription plans) is left for
    /// the core to price.</summary>
    private static TokenUsageRecord Usage(string sessionId, StoredMessage message, string requestId, TokenCounts tokens, decimal? cost, RowLocation location) =>
        new(
            RecordIds.Message(sessionId, message.Id),
            requestId,
            sessionId,
            Time(message.Completed ?? message.Created),
            message.ModelId ?? string.Empty,
            tokens.Input,
            tokens.Output + tokens.Reasoning,
            tokens.CacheWrite,
            tokens.CacheRead,
            Transcript(location),
            cost > 0 ? cost : null);

    private static string ErrorKind(string name) => name switch
    {
        "MessageAbortedError" => "interrupted",
        "APIError" => "api_error",
        "ProviderAuthError" => "auth_error",
        "MessageOutputLengthError" => "output_length",
        _ => SnakeCase(name),
    };

    private static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }


    private static int? Lines(long? value) => value is { } v ? (int)Math.Clamp(v, 0, int.MaxValue) : null;

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
