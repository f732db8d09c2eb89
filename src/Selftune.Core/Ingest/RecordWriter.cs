using System.Security.Cryptography;
using System.Text;
using Selftune.Abstractions;
using Selftune.Core.Privacy;
using Selftune.Core.Signals;
using Selftune.Core.Store;

namespace Selftune.Core.Ingest;

/// <summary>
/// Writes canonical records into the store: redacts text, prices usage, de-duplicates by id, and applies the
/// source-truth rule — a transcript record supersedes the hook record of the same event (same session and prompt
/// text; same session, skill and kind), and a hook record is not stored when the transcript already has the event.
/// The caller owns the transaction (<see cref="SelftuneStore.BeginTransaction"/>). Not thread-safe; the work that needs
/// no store (<see cref="Preparer"/>) is, so a sync's parse thread can do it and hand the writer
/// <see cref="PreparedRecord"/>s (<see cref="Write"/>).
/// </summary>
internal sealed class RecordWriter : IRecordSink, IDisposable
{
    private const string SessionSql = """
        INSERT INTO sessions (session_id, platform, capture_mode, parent_session_id, started_at, ended_at, cwd, git_branch, agent_version, models, status, source_path, updated_at, lines_added, lines_removed)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
        ON CONFLICT(session_id) DO UPDATE SET
          capture_mode = CASE WHEN excluded.capture_mode = 'transcript' OR sessions.capture_mode = 'hook' THEN excluded.capture_mode ELSE sessions.capture_mode END,
          parent_session_id = coalesce(excluded.parent_session_id, sessions.parent_session_id),
          started_at = CASE WHEN sessions.started_at IS NULL OR excluded.started_at < sessions.started_at THEN coalesce(excluded.started_at, sessions.started_at) ELSE sessions.started_at END,
          ended_at = CASE WHEN sessions.ended_at IS NULL OR excluded.ended_at > sessions.ended_at THEN coalesce(excluded.ended_at, sessions.ended_at) ELSE sessions.ended_at END,
          cwd = coalesce(excluded.cwd, sessions.cwd),
          git_branch = coalesce(excluded.git_branch, sessions.git_branch),
          agent_version = coalesce(excluded.agent_version, sessions.agent_version),
          models = coalesce(excluded.models, sessions.models),
          status = CASE WHEN excluded.status = 'unknown' THEN sessions.status ELSE excluded.status END,
          source_path = CASE WHEN excluded.capture_mode = 'transcript' THEN coalesce(excluded.source_path, sessions.source_path) ELSE coalesce(sessions.source_path, excluded.source_path) END,
          updated_at = excluded.updated_at,
          lines_added = coalesce(excluded.lines_added, sessions.lines_added),
          lines_removed = coalesce(excluded.lines_removed, sessions.lines_removed)
        """;

    private const string SupersedeHookPromptSql = "DELETE FROM prompts WHERE session_id = ?1 AND text_hash = ?2 AND capture_mode = 'hook'";

    private const string PromptColumns =
        "INSERT INTO prompts (prompt_id, session_id, platform, occurred_at, text, text_hash, kind, actionable, capture_mode, confidence, source_path, source_line) ";

    private const string PromptSql = PromptColumns + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(prompt_id) DO NOTHING";

    private const string HookPromptSql = PromptColumns +
        "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 WHERE NOT EXISTS (SELECT 1 FROM prompts WHERE session_id = ?2 AND text_hash = ?6 AND capture_mode <> 'hook') " +
        "ON CONFLICT(prompt_id) DO NOTHING";

    private const string SupersedeHookInvocationSql =
        "DELETE FROM skill_invocations WHERE session_id = ?1 AND skill_name = ?2 AND kind = ?3 AND capture_mode = 'hook' AND (tool_use_id IS NULL OR ?4 IS NULL OR tool_use_id = ?4)";

    private const string InvocationColumns =
        "INSERT INTO skill_invocations (invocation_id, session_id, platform, occurred_at, skill_name, kind, prompt_id, skill_path, tool_use_id, capture_mode, confidence, source_path, source_line) ";

    private const string InvocationUpsert =
        "ON CONFLICT(invocation_id) DO UPDATE SET prompt_id = coalesce(skill_invocations.prompt_id, excluded.prompt_id), skill_path = coalesce(excluded.skill_path, skill_invocations.skill_path)";

    private const string InvocationSql = InvocationColumns + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) " + InvocationUpsert;

    private const string HookInvocationSql = InvocationColumns +
        "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 " +
        "WHERE NOT EXISTS (SELECT 1 FROM skill_invocations WHERE session_id = ?2 AND skill_name = ?5 AND kind = ?6 AND capture_mode <> 'hook' AND (tool_use_id IS NULL OR ?9 IS NULL OR tool_use_id = ?9)) " +
        InvocationUpsert;

    private const string InsertToolCallSql = """
        INSERT INTO tool_calls (session_id, tool_use_id, platform, occurred_at, name, is_error, prompt_id, detail, capture_mode, lines_added, lines_removed)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
        ON CONFLICT(session_id, tool_use_id) DO NOTHING
        """;

    private const string MarkToolErrorSql = "UPDATE tool_calls SET is_error = 1 WHERE session_id = ?1 AND tool_use_id = ?2 AND is_error = 0";

    private const string MergeToolCallSql = """
        UPDATE tool_calls SET
          prompt_id = coalesce(prompt_id, ?3),
          detail = coalesce(detail, ?4),
          capture_mode = CASE WHEN ?5 = 'transcript' THEN 'transcript' ELSE capture_mode END,
          lines_added = coalesce(?6, lines_added),
          lines_removed = coalesce(?7, lines_removed)
        WHERE session_id = ?1 AND tool_use_id = ?2
          AND ((prompt_id IS NULL AND ?3 IS NOT NULL) OR (detail IS NULL AND ?4 IS NOT NULL) OR (?5 = 'transcript' AND capture_mode <> 'transcript')
            OR ?6 IS NOT NULL OR ?7 IS NOT NULL)
        """;

    private const string UsageSql = """
        INSERT INTO token_usage (platform, message_id, request_id, session_id, occurred_at, model, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cache_write_1h_tokens, cost_usd)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
        ON CONFLICT(platform, message_id, request_id) DO UPDATE SET
          input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
          cache_write_tokens = excluded.cache_write_tokens, cache_read_tokens = excluded.cache_read_tokens,
          cache_write_1h_tokens = excluded.cache_write_1h_tokens, cost_usd = excluded.cost_usd
        WHERE excluded.input_tokens + excluded.output_tokens + excluded.cache_write_tokens + excluded.cache_read_tokens >
              token_usage.input_tokens + token_usage.output_tokens + token_usage.cache_write_tokens + token_usage.cache_read_tokens
        """;

    private const string ErrorSql =
        "INSERT INTO session_errors (session_id, error_id, platform, occurred_at, kind, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING";

    private const string CommitSql = """
        INSERT INTO commits (session_id, sha, platform, occurred_at, command, branch, repository, title, tool_use_id, capture_mode)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
        ON CONFLICT(session_id, sha) DO UPDATE SET
          branch = coalesce(excluded.branch, commits.branch), repository = coalesce(excluded.repository, commits.repository),
          title = coalesce(excluded.title, commits.title), tool_use_id = coalesce(excluded.tool_use_id, commits.tool_use_id),
          capture_mode = CASE WHEN excluded.capture_mode = 'transcript' THEN 'transcript' ELSE commits.capture_mode END
        """;

    private const string InsertSignalSql =
        "INSERT INTO improvement_signals (session_id, text_hash, skill_name, signal_type, prompt_id, platform, occurred_at, capture_mode) " +
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING";

    private const string UpdateSignalSql =
        "UPDATE improvement_signals SET prompt_id = ?5, capture_mode = ?8, occurred_at = ?7, platform = ?6 " +
        "WHERE session_id = ?1 AND text_hash = ?2 AND skill_name = ?3 AND signal_type = ?4";

    private const string CursorSql = """
        INSERT INTO source_cursors (path, platform, byte_offset, length, last_write_utc, state, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT(path) DO UPDATE SET platform = excluded.platform, byte_offset = excluded.byte_offset, length = excluded.length,
          last_write_utc = excluded.last_write_utc, state = excluded.state, updated_at = excluded.updated_at
        """;

    private readonly SelftuneStore _store;
    private readonly Redactor _redactor;
    private readonly IUsagePricer? _pricer;
    private readonly Func<string, IngestCounters> _counters;
    private readonly Dictionary<string, PreparedStatement> _statements = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sessionsSeen = new(StringComparer.Ordinal);
    private readonly long _now;
    private RecordPreparer? _preparer;

    /// <summary>Creates a writer.</summary>
    /// <param name="store">The store.</param>
    /// <param name="redactor">Applied to prompt text, tool call details, error messages and skill paths, before any of
    /// them is shortened.</param>
    /// <param name="pricer">Prices usage that does not state its cost; null leaves cost unknown.</param>
    /// <param name="counters">The counters of a platform (created on first use by the caller).</param>
    /// <param name="now">The time stamped on updated rows.</param>
    public RecordWriter(SelftuneStore store, Redactor redactor, IUsagePricer? pricer, Func<string, IngestCounters> counters, DateTimeOffset now)
    {
        _store = store;
        _redactor = redactor;
        _pricer = pricer;
        _counters = counters;
        _now = now.ToUnixTimeMilliseconds();
    }

    /// <summary>Finds improvement signals in each newly stored actionable prompt (null: none are looked for). A signal
    /// is keyed by session, prompt text and skill, so the hook's and the transcript's copy of a prompt make one signal,
    /// which then points at the transcript's prompt.</summary>
    public ImprovementSignalDetector? Signals { get; init; }

    /// <summary>Redacts, shortens, hashes, prices and finds signals for records, as this writer does before storing them
    /// (thread-safe).</summary>
    public RecordPreparer Preparer => _preparer ??= new RecordPreparer(_redactor, _pricer, Signals);

    /// <summary>Stores a record <see cref="Preparer"/> prepared (on any thread).</summary>
    /// <param name="record">The prepared record.</param>
    public void Write(PreparedRecord record)
    {
        switch (record.Record)
        {
            case PromptRecord p: Prompt(p, record); break;
            case SkillInvocationRecord i: SkillInvocation(i, record); break;
            case ToolCallRecord t: ToolCall(t, record); break;
            case TokenUsageRecord u: Usage(u, record); break;
            case ErrorRecord e: Error(e, record); break;
            case CommitRecord c: Commit(c, record); break;
        }
    }

    /// <inheritdoc />
    public void Session(SessionRecord s)
    {
        var c = Counters(s.Provenance);
        if (_sessionsSeen.Add(s.SessionId))
        {
            c.Sessions++;
        }

        Statement(SessionSql)
            .Bind(1, s.SessionId).Bind(2, s.Provenance.Platform).Bind(3, Mode(s.Provenance)).Bind(4, s.ParentSessionId)
            .Bind(5, Ms(s.StartedAt)).Bind(6, Ms(s.EndedAt)).Bind(7, s.Cwd).Bind(8, NullIfEmpty(s.GitBranch))
            .Bind(9, s.AgentVersion).Bind(10, s.Models is { Count: > 0 } m ? Json.StringArray(m) : null)
            .Bind(11, Status(s.Status)).Bind(12, s.Provenance.SourcePath).Bind(13, _now).Bind(14, s.LinesAdded).Bind(15, s.LinesRemoved)
            .Execute();
    }

    /// <inheritdoc />
    public void Prompt(PromptRecord p) => Prompt(p, Preparer.Prompt(p));

    private void Prompt(PromptRecord p, PreparedRecord prepared)
    {
        var c = Counters(p.Provenance);
        c.Redactions += prepared.Redactions;
        var text = prepared.Text!;
        var hash = prepared.Hash!;
        var hook = p.Provenance.Mode == CaptureMode.Hook;
        if (!hook)
        {
            c.Superseded += Statement(SupersedeHookPromptSql).Bind(1, p.SessionId).Bind(2, hash).Execute();
        }

        var added = Statement(hook ? HookPromptSql : PromptSql)
            .Bind(1, p.PromptId).Bind(2, p.SessionId).Bind(3, p.Provenance.Platform).Bind(4, p.OccurredAt.ToUnixTimeMilliseconds())
            .Bind(5, text).Bind(6, hash).Bind(7, Kind(p.Kind)).Bind(8, p.IsActionable ? 1 : 0).Bind(9, Mode(p.Provenance))
            .Bind(10, p.Provenance.Confidence).Bind(11, p.Provenance.SourcePath).Bind(12, p.Provenance.SourceLine)
            .Execute();
        if (added > 0)
        {
            c.Prompts++;
            c.ActionablePrompts += p.IsActionable ? 1 : 0;
            if (p.IsActionable)
            {
                foreach (var signal in prepared.Signals)
                {
                    StoreSignal(p, hash, signal, c);
                }
            }
        }
    }

    /// <inheritdoc />
    public void SkillInvocation(SkillInvocationRecord i) => SkillInvocation(i, Preparer.SkillInvocation(i));

    private void SkillInvocation(SkillInvocationRecord i, PreparedRecord prepared)
    {
        var c = Counters(i.Provenance);
        c.Redactions += prepared.Redactions;
        var hook = i.Provenance.Mode == CaptureMode.Hook;
        var kind = Kind(i.Kind);
        if (!hook)
        {
            c.Superseded += Statement(SupersedeHookInvocationSql).Bind(1, i.SessionId).Bind(2, i.SkillName).Bind(3, kind).Bind(4, i.ToolUseId).Execute();
        }

        var existed = Statement("SELECT 1 FROM skill_invocations WHERE invocation_id = ?1").Bind(1, i.InvocationId).ScalarInt64() is not null;
        var changed = Statement(hook ? HookInvocationSql : InvocationSql)
            .Bind(1, i.InvocationId).Bind(2, i.SessionId).Bind(3, i.Provenance.Platform).Bind(4, i.OccurredAt.ToUnixTimeMilliseconds())
            .Bind(5, i.SkillName).Bind(6, kind).Bind(7, i.PromptId).Bind(8, prepared.Text).Bind(9, i.ToolUseId)
            .Bind(10, Mode(i.Provenance)).Bind(11, i.Provenance.Confidence).Bind(12, i.Provenance.SourcePath).Bind(13, i.Provenance.SourceLine)
            .Execute();
        c.SkillInvocations += !existed && changed > 0 ? 1 : 0;
    }

    /// <inheritdoc />
    public void ToolCall(ToolCallRecord t) => ToolCall(t, Preparer.ToolCall(t));

    private void ToolCall(ToolCallRecord t, PreparedRecord prepared)
    {
        var c = Counters(t.Provenance);
        c.Redactions += prepared.Redactions;
        var detail = prepared.Text;
        var mode = Mode(t.Provenance);
        var inserted = Statement(InsertToolCallSql)
            .Bind(1, t.SessionId).Bind(2, t.ToolUseId).Bind(3, t.Provenance.Platform).Bind(4, t.OccurredAt.ToUnixTimeMilliseconds())
            .Bind(5, t.Name).Bind(6, t.IsError ? 1 : 0).Bind(7, t.PromptId).Bind(8, detail).Bind(9, mode).Bind(10, t.LinesAdded).Bind(11, t.LinesRemoved)
            .Execute() > 0;
        if (inserted)
        {
            c.ToolCalls++;
            c.ToolErrors += t.IsError ? 1 : 0;
            return;
        }

        if (t.IsError)
        {
            c.ToolErrors += Statement(MarkToolErrorSql).Bind(1, t.SessionId).Bind(2, t.ToolUseId).Execute();
        }

        Statement(MergeToolCallSql).Bind(1, t.SessionId).Bind(2, t.ToolUseId).Bind(3, t.PromptId).Bind(4, detail).Bind(5, mode)
            .Bind(6, t.LinesAdded).Bind(7, t.LinesRemoved).Execute();
    }

    /// <inheritdoc />
    public void Usage(TokenUsageRecord u) => Usage(u, Preparer.Usage(u));

    private void Usage(TokenUsageRecord u, PreparedRecord prepared)
    {
        var c = Counters(u.Provenance);
        var cost = prepared.Cost;
        var changed = Statement(UsageSql)
            .Bind(1, u.Provenance.Platform).Bind(2, u.MessageId).Bind(3, u.RequestId).Bind(4, u.SessionId).Bind(5, u.OccurredAt.ToUnixTimeMilliseconds())
            .Bind(6, u.Model).Bind(7, u.InputTokens).Bind(8, u.OutputTokens).Bind(9, u.CacheWriteTokens).Bind(10, u.CacheReadTokens)
            .Bind(11, u.CacheWrite1hTokens).Bind(12, cost is null ? null : (double)cost.Value)
            .Execute();
        c.UsageRecords += changed > 0 ? 1 : 0;
    }

    /// <inheritdoc />
    public void Error(ErrorRecord e) => Error(e, Preparer.Error(e));

    private void Error(ErrorRecord e, PreparedRecord prepared)
    {
        var c = Counters(e.Provenance);
        c.Redactions += prepared.Redactions;
        var message = prepared.Text;
        c.Errors += Statement(ErrorSql)
            .Bind(1, e.SessionId).Bind(2, e.ErrorId).Bind(3, e.Provenance.Platform).Bind(4, e.OccurredAt.ToUnixTimeMilliseconds()).Bind(5, e.Kind).Bind(6, message)
            .Execute();
    }

    /// <inheritdoc />
    /// <remarks>One row per (session, sha): a hook's record and the transcript's of the same commit merge (the subject is
    /// redacted like every text).</remarks>
    public void Commit(CommitRecord commit) => Commit(commit, Preparer.Commit(commit));

    private void Commit(CommitRecord commit, PreparedRecord prepared)
    {
        var c = Counters(commit.Provenance);
        c.Redactions += prepared.Redactions;
        var title = prepared.Text;
        c.Commits += Statement(CommitSql)
            .Bind(1, commit.SessionId).Bind(2, commit.Sha).Bind(3, commit.Provenance.Platform).Bind(4, commit.OccurredAt.ToUnixTimeMilliseconds())
            .Bind(5, commit.Command).Bind(6, commit.Branch).Bind(7, commit.Repository).Bind(8, title).Bind(9, commit.ToolUseId).Bind(10, Mode(commit.Provenance))
            .Execute() > 0 ? 1 : 0;
    }

    /// <inheritdoc />
    /// <remarks>Malformed records carry no platform; they are counted against the platform whose source it is by the caller
    /// (<see cref="SyncService"/>), which wraps this sink. Called directly, they go to the <c>unknown</c> platform.</remarks>
    public void Malformed(string path, long line, string reason) => _counters("unknown").AddMalformed(path, line, reason);

    /// <summary>Stores where a source was read up to.</summary>
    /// <param name="platform">The platform whose source it is.</param>
    /// <param name="path">The source path.</param>
    /// <param name="cursor">The cursor to resume from.</param>
    public void SaveCursor(string platform, string path, SourceCursor cursor) =>
        Statement(CursorSql)
            .Bind(1, path).Bind(2, platform).Bind(3, cursor.Offset).Bind(4, cursor.Length).Bind(5, cursor.LastWriteUtc.Ticks).Bind(6, cursor.State).Bind(7, _now)
            .Execute();

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }

        _statements.Clear();
    }

    /// <summary>The 16-hex-digit SHA-256 prefix used to match prompts across capture modes.</summary>
    public static string Hash(string text)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return Convert.ToHexStringLower(digest[..8]);
    }

    private IngestCounters Counters(Provenance provenance) => _counters(provenance.Platform);

    private void StoreSignal(PromptRecord p, string hash, ImprovementSignal signal, IngestCounters c)
    {
        PreparedStatement Bind(string sql) => Statement(sql)
            .Bind(1, p.SessionId).Bind(2, hash).Bind(3, signal.SkillName).Bind(4, signal.Type == SignalType.Correction ? "correction" : "explicit_request")
            .Bind(5, p.PromptId).Bind(6, p.Provenance.Platform).Bind(7, p.OccurredAt.ToUnixTimeMilliseconds()).Bind(8, Mode(p.Provenance));
        if (Bind(InsertSignalSql).Execute() > 0)
        {
            c.ImprovementSignals++;
        }
        else if (p.Provenance.Mode != CaptureMode.Hook)
        {
            Bind(UpdateSignalSql).Execute();
        }
    }

    private PreparedStatement Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = _store.Prepare(sql);
            _statements[sql] = statement;
        }

        return statement;
    }

    private static string Mode(Provenance p) => p.Mode switch
    {
        CaptureMode.Transcript => "transcript",
        CaptureMode.Hook => "hook",
        _ => "repair",
    };

    private static string Kind(PromptKind kind) => kind switch
    {
        PromptKind.User => "user",
        PromptKind.ToolOutput => "tooloutput",
        PromptKind.Command => "command",
        PromptKind.Continuation => "continuation",
        PromptKind.SkillBody => "skillbody",
        PromptKind.System => "system",
        PromptKind.Notification => "notification",
        _ => "selftune",
    };

    private static string Kind(InvocationKind kind) => kind switch
    {
        InvocationKind.Implicit => "implicit",
        InvocationKind.Explicit => "explicit",
        _ => "read",
    };

    private static string Status(CompletionStatus status) => status switch
    {
        CompletionStatus.Completed => "completed",
        CompletionStatus.Failed => "failed",
        CompletionStatus.Interrupted => "interrupted",
        _ => "unknown",
    };

    private static long? Ms(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds();

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
