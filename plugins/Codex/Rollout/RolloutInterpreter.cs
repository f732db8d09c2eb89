using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Codex.Rollout;

/// <summary>
/// Turns the lines of one Codex rollout into canonical records, one line at a time, keeping what it must remember
/// in a <see cref="RolloutState"/>. Formats (cli 0.45 → 0.146) are described in corpus/codex/FORMAT.md; the
/// choices made here are documented in docs/codex-adapter.md.
/// </summary>
internal sealed partial class RolloutInterpreter
{
    /// <summary>Confidence of an implicit trigger seen as a SKILL.md read (the read is how Codex loads a skill, but
    /// an agent may also read one to inspect or edit it).</summary>
    public const double SkillReadConfidence = 0.8;

    /// <summary>Confidence of a <c>$name</c> mention (verbatim, but a <c>$word</c> may be something else).</summary>
    public const double ExplicitMentionConfidence = 0.9;

    private readonly string _path;
    private readonly IRecordSink _sink;
    private readonly RolloutState _s;

    /// <summary>Creates an interpreter for the rollout at <paramref name="path"/>.</summary>
    public RolloutInterpreter(string path, RolloutState state, IRecordSink sink)
    {
        _path = path;
        _s = state;
        _sink = sink;
    }

    /// <summary>Processes one complete line (without its newline).</summary>
    public void Process(ReadOnlyMemory<byte> line)
    {
        var lineNumber = ++_s.Line;
        var span = line.Span;
        if (span.Trim(" \t\r"u8).IsEmpty)
        {
            return;
        }

        var peek = EnvelopePeek.Read(span);
        if (peek.CanSkip)
        {
            Touch(peek.Timestamp);
            if (peek.IsModelOutput)
            {
                _s.TwinHash = null;
            }

            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            _sink.Malformed(_path, lineNumber, $"Not valid JSON ({e.Message}); the line was skipped.");
            return;
        }

        using (document)
        {
            Dispatch(document.RootElement, lineNumber);
        }
    }

    /// <summary>Emits the session record with everything known so far (call after the last line of a read).</summary>
    public void Finish()
    {
        if (!_s.HasContent || _s.SessionId is null)
        {
            return;
        }

        if (_s.IsSubagent && _s.ParentSessionId is null && !_s.ParentSearched && _s.StartedAt is { } start)
        {
            _s.ParentSearched = true;
            _s.ParentSessionId = ReviewParentLocator.Find(_path, _s.SessionId, start, _s.Cwd);
        }

        _sink.Session(new SessionRecord(
            _s.SessionId,
            Provenance(null),
            _s.ParentSessionId,
            _s.StartedAt,
            _s.LastAt,
            _s.Cwd,
            _s.GitBranch,
            _s.AgentVersion,
            [.. _s.Models],
            _s.Status));
    }

    private void Dispatch(JsonElement root, long line)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            _sink.Malformed(_path, line, $"Expected a JSON object, found {root.ValueKind}; the line was skipped.");
            return;
        }

        var parsed = Time(root, "timestamp");
        Touch(parsed);
        var at = parsed ?? _s.LastAt ?? DateTimeOffset.UnixEpoch;
        var type = JsonFields.Text(root, "type");
        var hasPayload = root.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object;

        if (type is null)
        {
            if (root.TryGetProperty("record_type", out _))
            {
                return; // pre-0.3x state line
            }

            if (JsonFields.Text(root, "id") is not null && root.TryGetProperty("timestamp", out _) && !_s.HeaderSeen)
            {
                OnSessionMeta(root, at); // pre-0.3x header line: {id, timestamp, instructions}
                return;
            }

            _sink.Malformed(_path, line, "No \"type\": not a Codex rollout record; the line was skipped.");
            return;
        }

        var inherited = _s.HasInheritedHistory && parsed is { } t && _s.StartedAt is { } start && t < start;
        switch (type)
        {
            case "session_meta" when hasPayload:
                OnSessionMeta(payload, at);
                break;
            case "turn_context" when hasPayload:
                if (!inherited)
                {
                    OnTurnContext(payload);
                }

                break;
            case "response_item" when hasPayload:
                OnResponseItem(payload, at, line, inherited);
                break;
            case "event_msg" when hasPayload:
                OnEvent(payload, at, line, inherited);
                break;
            case "session_meta" or "turn_context" or "response_item" or "event_msg":
                _sink.Malformed(_path, line, $"A \"{type}\" line without a payload object; the line was skipped.");
                break;
            case "message" or "function_call" or "function_call_output" or "custom_tool_call" or "custom_tool_call_output"
                or "local_shell_call" or "web_search_call" when !hasPayload:
                OnResponseItem(root, at, line, inherited); // pre-0.3x: response items were not wrapped
                break;
            default:
                if (!hasPayload)
                {
                    _sink.Malformed(_path, line, $"Unknown record \"{type}\" without a payload; the line was skipped.");
                }

                break; // an envelope kind this adapter does not use (world_state, compacted, …)
        }
    }

    private void OnSessionMeta(JsonElement meta, DateTimeOffset at)
    {
        var id = JsonFields.Text(meta, "id") ?? JsonFields.Text(meta, "session_id");
        if (_s.HeaderSeen)
        {
            if (id is not null && id != _s.SessionId)
            {
                _s.HasInheritedHistory = true; // a fork or resume copies another thread's history after its own header
            }

            return;
        }

        _s.HeaderSeen = true;
        _s.HasContent = true;
        _s.SessionId ??= id ?? FallbackSessionId(_path);
        _s.StartedAt = Time(meta, "timestamp") ?? _s.StartedAt ?? at;
        _s.Cwd = JsonFields.Text(meta, "cwd") ?? _s.Cwd;
        _s.AgentVersion = JsonFields.Text(meta, "cli_version");
        if (meta.TryGetProperty("git", out var git) && git.ValueKind == JsonValueKind.Object)
        {
            _s.GitBranch = JsonFields.Text(git, "branch");
        }

        var source = meta.TryGetProperty("source", out var s) ? s : default;
        var subagent = source.ValueKind == JsonValueKind.Object && source.TryGetProperty("subagent", out var sub) ? sub : default;
        var spawn = subagent.ValueKind == JsonValueKind.Object && subagent.TryGetProperty("thread_spawn", out var ts) ? ts : default;
        _s.ParentSessionId = JsonFields.Text(meta, "parent_thread_id") ?? (spawn.ValueKind == JsonValueKind.Object ? JsonFields.Text(spawn, "parent_thread_id") : null);
        _s.IsSubagent = _s.ParentSessionId is not null || subagent.ValueKind != JsonValueKind.Undefined || JsonFields.Text(meta, "thread_source") == "subagent";
        if (JsonFields.Text(meta, "forked_from_id") is not null)
        {
            _s.HasInheritedHistory = true;
        }
    }

    private void OnTurnContext(JsonElement context)
    {
        EnsureSession();
        _s.HasContent = true;
        _s.Cwd ??= JsonFields.Text(context, "cwd");
        if (JsonFields.Text(context, "model") is { } model)
        {
            _s.Model = model;
            AddModel(model);
        }

        SetTurn(JsonFields.Text(context, "turn_id"));
    }

    private void OnResponseItem(JsonElement item, DateTimeOffset at, long line, bool inherited)
    {
        var type = JsonFields.Text(item, "type");
        switch (type)
        {
            case "message":
                var role = JsonFields.Text(item, "role");
                if (role == "user" && !inherited)
                {
                    OnUserText(MessageText(item), fromEvent: false, eventKind: null, at, line);
                }
                else if (role == "assistant")
                {
                    _s.TwinHash = null;
                }

                break;
            case "function_call" or "custom_tool_call":
                var name = JsonFields.Text(item, "name");
                var callId = JsonFields.Text(item, "call_id");
                if (name is null || callId is null)
                {
                    _sink.Malformed(_path, line, $"A {type} without a name or call_id; the line was skipped.");
                    return;
                }

                OnToolCall(callId, name, item.TryGetProperty(type == "function_call" ? "arguments" : "input", out var input) ? input : default, at, line, inherited);
                break;
            case "local_shell_call":
                OnToolCall(JsonFields.Text(item, "call_id") ?? JsonFields.Text(item, "id") ?? $"L{line}", "local_shell", item.TryGetProperty("action", out var action) ? action : default, at, line, inherited);
                break;
            case "web_search_call":
                OnToolCall(JsonFields.Text(item, "call_id") ?? JsonFields.Text(item, "id") ?? $"L{line}", "web_search", item.TryGetProperty("action", out var search) ? search : default, at, line, inherited);
                break;
            case "tool_search_call":
                OnToolCall(JsonFields.Text(item, "call_id") ?? JsonFields.Text(item, "id") ?? $"L{line}", "tool_search", item.TryGetProperty("arguments", out var query) ? query : default, at, line, inherited);
                break;
            case "image_generation_call":
                OnToolCall(JsonFields.Text(item, "call_id") ?? JsonFields.Text(item, "id") ?? $"L{line}", "image_generation", default, at, line, inherited);
                break;
            case "function_call_output" or "custom_tool_call_output":
                if (JsonFields.Text(item, "call_id") is not { } outputOf)
                {
                    _sink.Malformed(_path, line, $"A {type} without a call_id; the line was skipped.");
                    return;
                }

                var known = _s.PendingCalls.Remove(outputOf, out var call);
                if (known && !inherited && item.TryGetProperty("output", out var output) && ToolOutputs.IsError(output))
                {
                    MarkFailed(outputOf, call!, line);
                }
                else if (known && !inherited && call!.LinesAdded is not null)
                {
                    // A patch that applied: its lines count (one that failed verification changed nothing).
                    _sink.ToolCall(new ToolCallRecord(outputOf, EnsureSession(), call.At, call.Name, Provenance(line), PromptId: call.PromptId, Detail: call.Detail)
                    {
                        LinesAdded = call.LinesAdded,
                        LinesRemoved = call.LinesRemoved,
                    });
                }

                break;
        }
    }

    private void OnEvent(JsonElement payload, DateTimeOffset at, long line, bool inherited)
    {
        var type = JsonFields.Text(payload, "type");
        if (type == "token_count")
        {
            OnTokenCount(payload, at, line, inherited);
            return;
        }

        if (inherited)
        {
            return;
        }

        switch (type)
        {
            case "user_message":
                OnUserText(JsonFields.Text(payload, "message") ?? string.Empty, fromEvent: true, JsonFields.Text(payload, "kind"), at, line);
                break;
            case "task_started":
                SetTurn(JsonFields.Text(payload, "turn_id"));
                _s.Status = CompletionStatus.Unknown;
                break;
            case "task_complete":
                _s.TwinHash = null;
                if (payload.TryGetProperty("error", out var failure) && failure.ValueKind == JsonValueKind.Object)
                {
                    Error(line, at, "turn_failed", JsonFields.Text(failure, "message") ?? "The turn failed.");
                    _s.Status = CompletionStatus.Failed;
                }
                else
                {
                    _s.Status = CompletionStatus.Completed;
                }

                break;
            case "turn_aborted":
                Error(line, at, "interrupted", "Turn aborted: " + (JsonFields.Text(payload, "reason") ?? "unknown reason"));
                _s.Status = CompletionStatus.Interrupted;
                break;
            case "error":
                Error(line, at, JsonFields.Text(payload, "codex_error_info") is { Length: <= 40 } info && SafeKind().IsMatch(info) ? info : "error", JsonFields.Text(payload, "message") ?? "error");
                _s.Status = CompletionStatus.Failed;
                break;
            case "stream_error":
                Error(line, at, "stream_error", JsonFields.Text(payload, "message") ?? "stream error");
                break;
            case "exec_command_end" when payload.TryGetProperty("exit_code", out var exit) && exit.ValueKind == JsonValueKind.Number && exit.TryGetInt32(out var code) && code != 0:
            case "patch_apply_end" when payload.TryGetProperty("success", out var success) && success.ValueKind == JsonValueKind.False:
            case "mcp_tool_call_end" when IsMcpFailure(payload):
                if (JsonFields.Text(payload, "call_id") is { } failed && _s.PendingCalls.TryGetValue(failed, out var pending))
                {
                    MarkFailed(failed, pending, line);
                }

                break;
        }
    }

    private void OnUserText(string text, bool fromEvent, string? eventKind, DateTimeOffset at, long line)
    {
        var sessionId = EnsureSession();
        _s.HasContent = true;
        var hash = Hash(text);
        if (_s.TwinHash == hash && _s.TwinFromEvent != fromEvent)
        {
            _s.TwinHash = null; // the same message, logged once as a response_item and once as an event_msg
            return;
        }

        _s.TwinHash = hash;
        _s.TwinFromEvent = fromEvent;
        var kind = eventKind is { } k && k != "plain" ? PromptKind.System : CodexPrompts.Classify(text, _s.IsSubagent);
        string promptId;
        if (kind == PromptKind.User && _s.TurnId is { } turn && !_s.TurnIdUsed)
        {
            promptId = $"{sessionId}:turn:{turn}";
            _s.TurnIdUsed = true;
        }
        else
        {
            promptId = $"{sessionId}:L{line}";
        }

        _sink.Prompt(new PromptRecord(promptId, sessionId, at, text, kind, Provenance(line)));
        if (kind == PromptKind.Selftune)
        {
            (_s.PromptId, _s.SelftuneTurn, _s.PromptExplicitSkills) = (null, true, []);
        }

        if (kind != PromptKind.User)
        {
            return;
        }

        _s.PromptId = promptId;
        _s.SelftuneTurn = false;
        _s.PromptExplicitSkills = [.. CodexPrompts.ExplicitSkills(text)];
        foreach (var skill in _s.PromptExplicitSkills)
        {
            _sink.SkillInvocation(new SkillInvocationRecord(
                $"{promptId}:${skill}", sessionId, at, skill, InvocationKind.Explicit, Provenance(line, ExplicitMentionConfidence), promptId));
        }
    }

    private void OnToolCall(string callId, string name, JsonElement input, DateTimeOffset at, long line, bool inherited)
    {
        var sessionId = EnsureSession();
        _s.HasContent = true;
        _s.TwinHash = null;
        if (inherited)
        {
            return;
        }

        var parsed = ToolInput.Read(name, input, _s.Cwd);
        _sink.ToolCall(new ToolCallRecord(callId, sessionId, at, name, Provenance(line), PromptId: _s.PromptId, Detail: parsed.Detail));
        foreach (var read in parsed.SkillReads.DistinctBy(r => r.SkillName))
        {
            if (_s.SelftuneTurn || _s.PromptExplicitSkills.Contains(read.SkillName))
            {
                continue; // selftune's own run, or read because the user named it (already an explicit use)
            }

            var id = _s.PromptId is { } prompt ? $"{prompt}:skill:{read.SkillName}" : $"{sessionId}:{callId}:skill:{read.SkillName}";
            _sink.SkillInvocation(new SkillInvocationRecord(
                id, sessionId, at, read.SkillName, InvocationKind.Implicit, Provenance(line, SkillReadConfidence), _s.PromptId, read.SkillPath, callId));
        }

        if (_s.PendingCalls.Count >= RolloutState.MaxPendingCalls)
        {
            _s.PendingCalls.Remove(_s.PendingCalls.MinBy(p => p.Value.Line).Key);
        }

        var patch = name == "apply_patch" && input.ValueKind == JsonValueKind.String ? PatchLines.Count(input.GetString()!) : null;
        _s.PendingCalls[callId] = new PendingCall(name, at, parsed.Detail, _s.PromptId, line, patch?.Added, patch?.Removed);
    }

    private void MarkFailed(string callId, PendingCall call, long line) =>
        _sink.ToolCall(new ToolCallRecord(callId, EnsureSession(), call.At, call.Name, Provenance(line), IsError: true, call.PromptId, call.Detail));

    /// <summary>
    /// <c>token_count.info.total_token_usage</c> is cumulative per session, so a record's usage is the difference from
    /// the previous total (identical repeats give nothing). A total that goes down (a new thread's counter) restarts:
    /// the usage is then <c>last_token_usage</c>. <c>input_tokens</c> includes <c>cached_input_tokens</c> and
    /// <c>output_tokens</c> includes <c>reasoning_output_tokens</c> (total = input + output in every sample), so:
    /// input = input − cached, cache read = cached, output = output, cache write = 0.
    /// </summary>
    private void OnTokenCount(JsonElement payload, DateTimeOffset at, long line, bool inherited)
    {
        if (!payload.TryGetProperty("info", out var info) || info.ValueKind != JsonValueKind.Object)
        {
            return; // rate-limit-only update
        }

        var total = Usage(info, "total_token_usage");
        var last = Usage(info, "last_token_usage");
        long[] delta;
        if (total is not null)
        {
            var prev = _s.Totals;
            delta = total[0] >= prev[0] && total[1] >= prev[1] && total[2] >= prev[2]
                ? [total[0] - prev[0], total[1] - prev[1], total[2] - prev[2]]
                : last ?? total;
            _s.Totals = total;
        }
        else if (last is not null)
        {
            delta = last;
            _s.Totals = [_s.Totals[0] + last[0], _s.Totals[1] + last[1], _s.Totals[2] + last[2]];
        }
        else
        {
            return;
        }

        if (inherited || (delta[0] == 0 && delta[1] == 0 && delta[2] == 0))
        {
            return;
        }

        var sessionId = EnsureSession();
        _s.HasContent = true;
        var model = JsonFields.Text(info, "model") ?? _s.Model ?? "unknown";
        AddModel(model);
        _sink.Usage(new TokenUsageRecord(
            $"{sessionId}:tc{line}", string.Empty, sessionId, at, model,
            InputTokens: Math.Max(0, delta[0] - delta[1]), OutputTokens: delta[2], CacheWriteTokens: 0, CacheReadTokens: delta[1],
            Provenance(line)));
    }

    private static long[]? Usage(JsonElement info, string name)
    {
        if (!info.TryGetProperty(name, out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return [(JsonFields.Number(usage, "input_tokens") ?? 0), (JsonFields.Number(usage, "cached_input_tokens") ?? 0), (JsonFields.Number(usage, "output_tokens") ?? 0)];
    }

    private static bool IsMcpFailure(JsonElement payload)
    {
        if (!payload.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        return result.TryGetProperty("Err", out _)
            || (result.TryGetProperty("Ok", out var ok) && ok.ValueKind == JsonValueKind.Object && ok.TryGetProperty("isError", out var isError) && isError.ValueKind == JsonValueKind.True);
    }

    private void Error(long line, DateTimeOffset at, string kind, string message)
    {
        var sessionId = EnsureSession();
        _s.HasContent = true;
        _sink.Error(new ErrorRecord($"L{line}", sessionId, at, kind, message, Provenance(line)));
    }

    private void SetTurn(string? turnId)
    {
        if (turnId is not null && turnId != _s.TurnId)
        {
            _s.TurnId = turnId;
            _s.TurnIdUsed = false;
        }
    }

    private void AddModel(string model)
    {
        if (!_s.Models.Contains(model))
        {
            _s.Models.Add(model);
        }
    }

    private void Touch(DateTimeOffset? at)
    {
        if (at is { } t)
        {
            _s.StartedAt ??= t;
            if (_s.LastAt is null || t > _s.LastAt)
            {
                _s.LastAt = t;
            }
        }
    }

    private string EnsureSession() => _s.SessionId ??= FallbackSessionId(_path);

    private Provenance Provenance(long? line, double confidence = 1.0) =>
        new(Platforms.Codex, CaptureMode.Transcript, confidence, _path, line);

    /// <summary>The session id of a rollout without a header: the thread id at the end of its name
    /// (<c>rollout-2025-12-10T04-55-16-&lt;uuid&gt;.jsonl</c>), else the name without <c>rollout-</c>.</summary>
    internal static string FallbackSessionId(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var uuid = TrailingUuid().Match(name);
        return uuid.Success ? uuid.Value : name.StartsWith("rollout-", StringComparison.Ordinal) ? name["rollout-".Length..] : name;
    }

    private static string MessageText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return string.Empty;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                if (text.Length > 0)
                {
                    text.Append('\n');
                }

                text.Append(t.GetString());
            }
        }

        return text.ToString();
    }

    private static string Hash(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.Trim())).AsSpan(0, 8));

    private static DateTimeOffset? Time(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var at) ? at.ToUniversalTime() : null;

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TrailingUuid();

    [GeneratedRegex("^[a-z_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeKind();
}
