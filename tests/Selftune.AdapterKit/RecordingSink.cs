using Selftune.Abstractions;

namespace Selftune.AdapterKit;

/// <summary>An <see cref="IRecordSink"/> that keeps every record in memory, for tests.</summary>
public sealed class RecordingSink : IRecordSink
{
    /// <summary>Reads <paramref name="path"/>, as <paramref name="ingestor"/> discovers it in <paramref name="context"/>,
    /// from its start.</summary>
    /// <returns>What it yielded.</returns>
    public static RecordingSink Ingest(IIngestor ingestor, PlatformContext context, string path)
    {
        var sink = new RecordingSink();
        var source = ingestor.Discover(context, (_, _) => { }).Single(s => s.Path == path);
        ingestor.Ingest(source, null, sink, CancellationToken.None);
        return sink;
    }

    /// <summary>Sessions, in emission order (a session may be emitted more than once).</summary>
    public List<SessionRecord> Sessions { get; } = [];
    /// <summary>Prompts.</summary>
    public List<PromptRecord> Prompts { get; } = [];
    /// <summary>Skill invocations.</summary>
    public List<SkillInvocationRecord> Invocations { get; } = [];
    /// <summary>Tool calls (a call may be emitted again when its result is an error).</summary>
    public List<ToolCallRecord> ToolCalls { get; } = [];
    /// <summary>Token usage.</summary>
    public List<TokenUsageRecord> UsageRecords { get; } = [];
    /// <summary>Session errors.</summary>
    public List<ErrorRecord> Errors { get; } = [];
    /// <summary>Malformed input reports: (path, line, reason).</summary>
    public List<(string Path, long Line, string Reason)> MalformedLines { get; } = [];

    /// <summary>Git commits received.</summary>
    public List<CommitRecord> Commits { get; } = [];

    /// <inheritdoc />
    public void Session(SessionRecord session) => Sessions.Add(session);
    /// <inheritdoc />
    public void Prompt(PromptRecord prompt) => Prompts.Add(prompt);
    /// <inheritdoc />
    public void SkillInvocation(SkillInvocationRecord invocation) => Invocations.Add(invocation);
    /// <inheritdoc />
    public void ToolCall(ToolCallRecord call) => ToolCalls.Add(call);
    /// <inheritdoc />
    public void Usage(TokenUsageRecord usage) => UsageRecords.Add(usage);
    /// <inheritdoc />
    public void Error(ErrorRecord error) => Errors.Add(error);
    /// <inheritdoc />
    public void Commit(CommitRecord commit) => Commits.Add(commit);

    /// <inheritdoc />
    public void Malformed(string path, long line, string reason) => MalformedLines.Add((path, line, reason));

    /// <summary>Distinct ids of every record kind, for comparing two ingests.</summary>
    public SortedSet<string> Keys()
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        keys.UnionWith(Sessions.Select(s => "session:" + s.SessionId));
        keys.UnionWith(Prompts.Select(p => "prompt:" + p.PromptId));
        keys.UnionWith(Invocations.Select(i => "invocation:" + i.InvocationId));
        keys.UnionWith(ToolCalls.Select(t => $"tool:{t.SessionId}:{t.ToolUseId}:{t.IsError}"));
        keys.UnionWith(UsageRecords.Select(u => $"usage:{u.MessageId}:{u.RequestId}:{u.InputTokens}:{u.OutputTokens}:{u.CacheWriteTokens}:{u.CacheReadTokens}"));
        keys.UnionWith(Errors.Select(e => $"error:{e.SessionId}:{e.ErrorId}"));
        keys.UnionWith(Commits.Select(c => $"commit:{c.SessionId}:{c.Sha}"));
        return keys;
    }
}
