using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Claude;

/// <summary>
/// Turns the lines of one Claude Code transcript into canonical records (corpus FORMAT.md):
/// <list type="bullet">
/// <item>Sessions: the file's own conversation, plus one sub-agent session per inline sidechain of 1.0.x files
/// (<c>&lt;session&gt;:sidechain-&lt;root uuid&gt;</c>); agent files are sub-agent sessions
/// <c>&lt;parent&gt;:agent-&lt;agentId&gt;</c> linked to the parent (the folder above <c>subagents/</c>, or the lines'
/// <c>sessionId</c> for flat <c>agent-*.jsonl</c>).</item>
/// <item>Prompts: user text, classified by <see cref="PromptClassifier"/> plus the structure (<c>isCompactSummary</c> →
/// continuation, <c>isMeta</c> → never actionable, sub-agent prompts come from the parent agent → notification).
/// <c>tool_result</c> blocks are tool output: they mark the tool call failed when <c>is_error</c> (and its string <c>content</c> becomes a <c>tool_error</c> error record), and are not prompts.</item>
/// <item>A turn starts at an actionable prompt (or a <c>/command</c>); tool calls and skill usage link to the turn's
/// actionable prompt, whatever tool results come between.</item>
/// <item>Skill usage: a <c>Skill</c> tool call is an implicit trigger, or an explicit use when the turn's prompt names the skill
/// (its bare name, or its name's words, as whole words, case-insensitive; names under three letters never match); a <c>Read</c> of a <c>…/SKILL.md</c> with no
/// Skill call for that skill in the same turn is a "read, not invoked" signal; <c>&lt;command-name&gt;/x</c> is an
/// explicit use when the skill body is injected after it or <c>x</c> is an installed skill. The skill's folder comes
/// from the injected "Base directory for this skill:" text, the SKILL.md path, or the installed skill folders.</item>
/// <item>Usage: one record per assistant response (lines of one response are merged, keeping the largest usage).</item>
/// </list>
/// </summary>
internal sealed class TranscriptInterpreter
{
    private const string BaseDirectoryPrefix = "Base directory for this skill:";
    private const int MaxRememberedTools = 512;

    private readonly string _path;
    private readonly IRecordSink _sink;
    private readonly InstalledSkills _installed;
    private readonly DateTimeOffset _fallbackTime;
    private readonly TranscriptState _state;
    private readonly string? _agentId;
    private readonly string? _nestedParent;
    private readonly Dictionary<string, string> _toolNames = new(StringComparer.Ordinal);

    /// <summary>Edit tool calls awaiting their result (<see cref="TranscriptLine.PendingEdits"/>), at most
    /// <see cref="MaxRememberedTools"/>.</summary>
    public HashSet<string> PendingEdits { get; } = new(StringComparer.Ordinal);

    // Shell commands that run git commit|merge|cherry-pick|revert, by tool use id, until their result arrives (within one read).
    private readonly Dictionary<string, string> _gitCommands = new(StringComparer.Ordinal);
    private PendingUsage? _usage;
    private DateTimeOffset? _lastTime;

    /// <summary>Creates an interpreter for one read of <paramref name="path"/>.</summary>
    public TranscriptInterpreter(string path, TranscriptState state, IRecordSink sink, InstalledSkills installed, DateTimeOffset fallbackTime)
    {
        _path = path;
        _state = state;
        _sink = sink;
        _installed = installed;
        _fallbackTime = fallbackTime;
        var file = Path.GetFileNameWithoutExtension(path);
        if (file.StartsWith("agent-", StringComparison.Ordinal))
        {
            _agentId = file["agent-".Length..];
            var folder = Path.GetDirectoryName(path);
            if (Path.GetFileName(folder) == "subagents")
            {
                _nestedParent = Path.GetFileName(Path.GetDirectoryName(folder));
            }
        }

        _lastTime = state.Main?.EndedAt;
    }

    /// <summary>Record types Claude Code writes that carry nothing selftune stores (FORMAT.md).</summary>
    public static bool IsKnownIgnoredType(string type) => type is
        "summary" or "progress" or "file-history-snapshot" or "queue-operation" or "attachment" or "permission-mode" or "mode"
        or "agent-name" or "custom-title" or "ai-title" or "last-prompt" or "pr-link" or "frame-link" or "worktree-state"
        or "relocated" or "bridge-session" or "started" or "result" or "atis-latch";

    /// <summary>Handles one parsed line.</summary>
    public void Handle(TranscriptLine line, long lineNumber)
    {
        var type = line.Type ?? (line.Role is "user" or "assistant" ? line.Role : null);
        switch (type)
        {
            case "user":
            case "assistant":
            case "system":
                break;
            case null:
                _sink.Malformed(_path, lineNumber, "not a Claude Code transcript record: it has no \"type\"");
                return;
            default:
                if (!IsKnownIgnoredType(type))
                {
                    _sink.Malformed(_path, lineNumber, $"unknown record type '{type}' (skipped)");
                }

                return;
        }

        var conversation = Resolve(line);
        var at = line.At ?? _lastTime ?? _fallbackTime;
        _lastTime = at;
        Touch(conversation, line, at);
        switch (type)
        {
            case "user":
                User(conversation, line, at, lineNumber);
                break;
            case "assistant":
                Assistant(conversation, line, at, lineNumber);
                break;
            default:
                System(conversation, line, at, lineNumber);
                break;
        }
    }

    /// <summary>Emits what the read leaves: the last usage, finished turns' reads, and the session records.</summary>
    public void Finish()
    {
        FlushUsage();
        foreach (var conversation in Conversations())
        {
            if (!conversation.Touched)
            {
                continue;
            }

            FlushReads(conversation);
            EmitSession(conversation);
        }
    }

    private IEnumerable<Conversation> Conversations() =>
        _state.Main is { } main ? [main, .. _state.Sidechains] : _state.Sidechains;

    private Conversation Resolve(TranscriptLine line)
    {
        var main = _state.Main ??= NewMain(line);
        if (!line.IsSidechain || main.IsSubagent)
        {
            return main;
        }

        // A sub-agent's lines inside this file: named by their agentId (2.x), else (1.0.x) a chain of lines linked by
        // parentUuid, started by a root line.
        if (line.AgentId is { Length: > 0 } agent)
        {
            var id = $"{main.SessionId}:agent-{agent}";
            return _state.Sidechains.Find(s => s.SessionId == id) ?? NewSidechain(main, id, null);
        }

        Conversation? sidechain = null;
        if (line.ParentUuid is { } parent)
        {
            sidechain = _state.Sidechains.FindLast(s => s.TipUuid == parent || s.RootUuid == parent);
        }

        if (sidechain is null && (line.ParentUuid is null || _state.Sidechains.Count == 0))
        {
            var root = line.Uuid ?? $"L{_state.Lines}";
            sidechain = NewSidechain(main, $"{main.SessionId}:sidechain-{root}", root);
        }

        sidechain ??= _state.Sidechains[^1];
        sidechain.TipUuid = line.Uuid ?? sidechain.TipUuid;
        return sidechain;
    }

    private Conversation NewSidechain(Conversation main, string sessionId, string? root)
    {
        var sidechain = new Conversation
        {
            SessionId = sessionId,
            ParentSessionId = main.SessionId,
            IsSubagent = true,
            RootUuid = root,
            TurnPromptId = main.TurnPromptId,
        };
        _state.Sidechains.Add(sidechain);
        if (_state.Sidechains.Count > TranscriptState.MaxSidechains)
        {
            var evicted = _state.Sidechains[0];
            _state.Sidechains.RemoveAt(0);
            if (evicted.Touched)
            {
                FlushReads(evicted);
                EmitSession(evicted);
            }
        }

        return sidechain;
    }

    private Conversation NewMain(TranscriptLine line)
    {
        if (_agentId is null)
        {
            return new Conversation { SessionId = line.SessionId is { Length: > 0 } id ? id : Path.GetFileNameWithoutExtension(_path) };
        }

        var parent = _nestedParent ?? (line.SessionId is { Length: > 0 } sid && !sid.StartsWith("agent-", StringComparison.Ordinal) ? sid : null);
        var agent = line.AgentId is { Length: > 0 } a ? a : _agentId;
        return new Conversation
        {
            SessionId = parent is null ? $"agent-{agent}" : $"{parent}:agent-{agent}",
            ParentSessionId = parent,
            IsSubagent = true,
        };
    }

    private static void Touch(Conversation c, TranscriptLine line, DateTimeOffset at)
    {
        c.Touched = true;
        if (c.StartedAt is null || at < c.StartedAt)
        {
            c.StartedAt = at;
        }

        if (c.EndedAt is null || at > c.EndedAt)
        {
            c.EndedAt = at;
        }

        if (c.Cwd is null && line.Cwd is { Length: > 0 } cwd)
        {
            c.Cwd = cwd;
        }

        if (c.GitBranch is null && line.GitBranch is { Length: > 0 } branch)
        {
            c.GitBranch = branch;
        }

        if (line.Version is { Length: > 0 } version && char.IsAsciiDigit(version[0]))
        {
            c.Version = version;
        }
    }

    private void User(Conversation c, TranscriptLine line, DateTimeOffset at, long lineNumber)
    {
        foreach (var result in line.ToolResults)
        {
            if (_gitCommands.Remove(result.ToolUseId, out var command) && GitCommits.Parse(command, result.Output) is { } commit)
            {
                _sink.Commit(new CommitRecord(c.SessionId, commit.Sha, at, commit.Command, Provenance(lineNumber), commit.Branch, c.Cwd, commit.Title, result.ToolUseId));
            }

            // Every result ends the wait (a failed edit's too, so the set stays small); an applied edit reports its lines.
            if (PendingEdits.Remove(result.ToolUseId) && line.EditLines is { } edit)
            {
                _sink.ToolCall(new ToolCallRecord(result.ToolUseId, c.SessionId, at, _toolNames.GetValueOrDefault(result.ToolUseId, "unknown"), Provenance(lineNumber), PromptId: c.TurnPromptId)
                {
                    LinesAdded = edit.Added,
                    LinesRemoved = edit.Removed,
                });
            }

            if (result.IsError)
            {
                var name = _toolNames.GetValueOrDefault(result.ToolUseId, "unknown");
                _sink.ToolCall(new ToolCallRecord(result.ToolUseId, c.SessionId, at, name, Provenance(lineNumber), IsError: true, PromptId: c.TurnPromptId));
                if (result.ErrorText is { Length: > 0 } message)
                {
                    _sink.Error(new ErrorRecord(result.ToolUseId, c.SessionId, at, "tool_error", message, Provenance(lineNumber)));
                }
            }
        }

        if (string.IsNullOrWhiteSpace(line.Text))
        {
            return;
        }

        var text = line.Text;
        var kind = line.IsCompactSummary ? PromptKind.Continuation : PromptClassifier.Classify(text);
        if (kind == PromptKind.User && (line.IsMeta || c.IsSubagent))
        {
            kind = line.IsMeta ? PromptKind.System : PromptKind.Notification;
        }

        var promptId = $"{c.SessionId}:{line.Uuid ?? "L" + lineNumber}";
        _sink.Prompt(new PromptRecord(promptId, c.SessionId, at, text, kind, Provenance(lineNumber)));
        switch (kind)
        {
            case PromptKind.User:
                StartTurn(c, promptId);
                c.TurnPromptText = PromptClassifier.StripWrappers(text).ToLowerInvariant();
                c.Status = CompletionStatus.Unknown;
                break;
            case PromptKind.Command when CommandName(text) is { } command:
                StartTurn(c, null);
                c.Status = CompletionStatus.Unknown;
                var installedFolder = _installed.Find(command);
                var pending = new PendingInvocation($"{promptId}:explicit", command, at, lineNumber, promptId, null, installedFolder);
                if (installedFolder is not null)
                {
                    EmitExplicit(c, pending, installedFolder, 0.9);
                }
                else
                {
                    c.PendingCommand = pending;
                }

                break;
            case PromptKind.SkillBody:
                SkillBody(c, text);
                break;
            case PromptKind.System when PromptClassifier.StripWrappers(text).StartsWith("[Request interrupted by user", StringComparison.Ordinal):
                c.Status = CompletionStatus.Interrupted;
                _sink.Error(new ErrorRecord(line.Uuid ?? "L" + lineNumber, c.SessionId, at, "interrupted", "The user interrupted the turn.", Provenance(lineNumber)));
                break;
        }
    }

    private void SkillBody(Conversation c, string text)
    {
        var rest = PromptClassifier.StripWrappers(text)[BaseDirectoryPrefix.Length..];
        var newline = rest.IndexOf('\n');
        var folder = (newline >= 0 ? rest[..newline] : rest).Trim();
        if (folder.Length == 0)
        {
            return;
        }

        var named = SkillNames.FromFolder(folder);
        if (c.PendingCommand is { } command && SkillNames.Same(command.SkillName, named))
        {
            EmitExplicit(c, command, folder, 1.0);
        }
        else if (c.AwaitingBaseDirectory is { } skill && SkillNames.Same(skill.SkillName, named))
        {
            c.AwaitingBaseDirectory = null;
            _sink.SkillInvocation(new SkillInvocationRecord(skill.InvocationId, c.SessionId, skill.OccurredAt, skill.SkillName, skill.Explicit ? InvocationKind.Explicit : InvocationKind.Implicit,
                Provenance(skill.Line), skill.PromptId, folder, skill.ToolUseId));
        }
    }

    private void EmitExplicit(Conversation c, PendingInvocation command, string folder, double confidence)
    {
        c.PendingCommand = null;
        c.TurnSkills.Add(command.SkillName);
        _sink.SkillInvocation(new SkillInvocationRecord(command.InvocationId, c.SessionId, command.OccurredAt, command.SkillName, InvocationKind.Explicit,
            Provenance(command.Line, confidence), command.PromptId, folder));
    }

    private void Assistant(Conversation c, TranscriptLine line, DateTimeOffset at, long lineNumber)
    {
        if (line.Model is { Length: > 0 } model && model != "<synthetic>" && !c.Models.Contains(model))
        {
            c.Models.Add(model);
        }

        if (line.HasUsage)
        {
            AddUsage(c, line, at, lineNumber);
        }

        for (var i = 0; i < line.ToolUses.Count; i++)
        {
            var tool = line.ToolUses[i];
            var id = tool.Id ?? $"{line.Uuid ?? "L" + lineNumber}:{i}";
            Remember(id, tool.Name);
            if (tool.Name == "Bash" && GitCommits.Runs(tool.Detail) && _gitCommands.Count < MaxRememberedTools)
            {
                _gitCommands[id] = tool.Detail!;
            }
            else if (tool.Name is "Edit" or "MultiEdit" or "Write" && PendingEdits.Count < MaxRememberedTools)
            {
                PendingEdits.Add(id);
            }

            _sink.ToolCall(new ToolCallRecord(id, c.SessionId, at, tool.Name, Provenance(lineNumber), PromptId: c.TurnPromptId, Detail: tool.Detail));
            if (tool.Name == "Skill" && tool.Skill is { Length: > 0 } skill)
            {
                Trigger(c, skill, id, at, lineNumber);
            }
            else if (tool.Name is "Read" or "read" && SkillNames.FolderOfSkillFile(tool.FilePath) is { } folder)
            {
                var name = SkillNames.FromFolder(folder);
                if (!c.TurnSkills.Exists(s => SkillNames.Same(s, name)))
                {
                    c.PendingReads.Add(new PendingInvocation($"{c.SessionId}:{id}:read", name, at, lineNumber, c.TurnPromptId, id, folder));
                }
            }
        }

        if (line.IsApiErrorMessage)
        {
            c.Status = CompletionStatus.Failed;
            _sink.Error(new ErrorRecord(line.Uuid ?? "L" + lineNumber, c.SessionId, at, "api_error", line.Text ?? "API error", Provenance(lineNumber)));
        }
        else if (line.StopReason == "end_turn")
        {
            c.Status = CompletionStatus.Completed;
        }
    }

    private void Trigger(Conversation c, string skill, string toolUseId, DateTimeOffset at, long lineNumber)
    {
        c.TurnSkills.Add(skill);
        c.PendingReads.RemoveAll(r => SkillNames.Same(r.SkillName, skill));
        var folder = _installed.Find(skill);
        var named = c.TurnPromptText is { } prompt && Names(prompt, skill);
        var invocation = new PendingInvocation($"{c.SessionId}:{toolUseId}", skill, at, lineNumber, c.TurnPromptId, toolUseId, folder, named);
        c.AwaitingBaseDirectory = invocation;
        _sink.SkillInvocation(new SkillInvocationRecord(invocation.InvocationId, c.SessionId, at, skill, named ? InvocationKind.Explicit : InvocationKind.Implicit,
            Provenance(lineNumber), invocation.PromptId, folder, toolUseId));
    }

    private void System(Conversation c, TranscriptLine line, DateTimeOffset at, long lineNumber)
    {
        if (line.Subtype == "api_error" || (line.Subtype is null && line.Level == "error"))
        {
            c.Status = CompletionStatus.Failed;
            _sink.Error(new ErrorRecord(line.Uuid ?? "L" + lineNumber, c.SessionId, at, line.Subtype ?? "system_error", line.Text ?? "error", Provenance(lineNumber)));
        }
    }

    /// <summary>True when <paramref name="lowerPrompt"/> names <paramref name="skill"/>: its bare name (plugin prefix dropped),
    /// or its words with <c>-</c>/<c>_</c> read as spaces, as a whole word; names under three letters never match.</summary>
    internal static bool Names(string lowerPrompt, string skill)
    {
        var bare = skill[(skill.LastIndexOf(':') + 1)..].Trim().ToLowerInvariant();
        if (bare.Length < 3)
        {
            return false;
        }

        foreach (var phrase in new[] { bare, bare.Replace('-', ' ').Replace('_', ' ') }.Distinct())
        {
            for (var at = lowerPrompt.IndexOf(phrase, StringComparison.Ordinal); at >= 0; at = lowerPrompt.IndexOf(phrase, at + 1, StringComparison.Ordinal))
            {
                var end = at + phrase.Length;
                if ((at == 0 || !IsWordChar(lowerPrompt[at - 1])) && (end == lowerPrompt.Length || !IsWordChar(lowerPrompt[end])))
                {
                    return true;
                }
            }
        }

        return false;

        static bool IsWordChar(char ch) => char.IsLetterOrDigit(ch) || ch is '-' or '_';
    }

    private void StartTurn(Conversation c, string? promptId)
    {
        FlushReads(c);
        c.TurnPromptText = null;
        c.TurnPromptId = promptId;
        c.TurnSkills.Clear();
        c.PendingCommand = null;
        c.AwaitingBaseDirectory = null;
    }

    private void FlushReads(Conversation c)
    {
        foreach (var read in c.PendingReads)
        {
            _sink.SkillInvocation(new SkillInvocationRecord(read.InvocationId, c.SessionId, read.OccurredAt, read.SkillName, InvocationKind.Read,
                Provenance(read.Line), read.PromptId, read.SkillPath, read.ToolUseId));
        }

        c.PendingReads.Clear();
    }

    private void AddUsage(Conversation c, TranscriptLine line, DateTimeOffset at, long lineNumber)
    {
        var messageId = line.MessageId is { Length: > 0 } m ? m : $"{c.SessionId}:{line.Uuid ?? "L" + lineNumber}";
        var requestId = line.RequestId ?? string.Empty;
        var total = line.InputTokens + line.OutputTokens + line.CacheWriteTokens + line.CacheReadTokens;
        if (_usage is { } pending && pending.Record.MessageId == messageId && pending.Record.RequestId == requestId)
        {
            if (total > pending.Total)
            {
                _usage = pending with { Record = Usage(c, line, messageId, requestId, pending.Record.OccurredAt, pending.Record.Provenance.SourceLine ?? lineNumber), Total = total };
            }

            return;
        }

        FlushUsage();
        _usage = new PendingUsage(Usage(c, line, messageId, requestId, at, lineNumber), total);
    }

    private TokenUsageRecord Usage(Conversation c, TranscriptLine line, string messageId, string requestId, DateTimeOffset at, long lineNumber) =>
        new(messageId, requestId, c.SessionId, at, line.Model ?? "unknown", line.InputTokens, line.OutputTokens, line.CacheWriteTokens, line.CacheReadTokens,
            Provenance(lineNumber), line.CostUsd, Math.Min(line.CacheWrite1hTokens, line.CacheWriteTokens));

    private void FlushUsage()
    {
        if (_usage is { } pending)
        {
            _sink.Usage(pending.Record);
            _usage = null;
        }
    }

    private void EmitSession(Conversation c) =>
        _sink.Session(new SessionRecord(c.SessionId, new Provenance(Platforms.ClaudeCode, CaptureMode.Transcript, 1.0, _path), c.ParentSessionId,
            c.StartedAt, c.EndedAt, c.Cwd, c.GitBranch, c.Version, c.Models.ToArray(), c.Status));

    private void Remember(string toolUseId, string name)
    {
        if (_toolNames.Count >= MaxRememberedTools)
        {
            _toolNames.Clear();
        }

        _toolNames[toolUseId] = name;
    }

    private Provenance Provenance(long line, double confidence = 1.0) => new(Platforms.ClaudeCode, CaptureMode.Transcript, confidence, _path, line);

    /// <summary>The skill of a <c>&lt;command-name&gt;/x&lt;/command-name&gt;</c> prompt, or null.</summary>
    private static string? CommandName(string text)
    {
        const string open = "<command-name>";
        var start = text.IndexOf(open, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += open.Length;
        var end = text.IndexOf("</command-name>", start, StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }

        var name = text.AsSpan(start, end - start).Trim().TrimStart('/');
        return name.Length == 0 || name.ContainsAny(" \n\t") ? null : name.ToString();
    }


    private sealed record PendingUsage(TokenUsageRecord Record, long Total);
}
