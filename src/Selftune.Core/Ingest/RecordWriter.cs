using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Selftune.Abstractions;
using Selftune.Core.Privacy;
using Selftune.Core.Signals;
using Selftune.Core.Store;

namespace Selftune.Core.Ingest;

/// <summary>
/// Writes canonical records into the store: redacts text, prices usage, de-duplicates by id, and applies the
/// source-truth rule — a transcript record supersedes the hook record of the same event (same session and prompt
/// text; same session, skill and kind), and a hook record is not stored when the transcript already has the event.
/// The caller owns the transaction (<see cref="SelftuneStore.BeginTransaction"/>). Not thread-safe.
/// </summary>
public sealed class RecordWriter : IRecordSink, IDisposable
{
    private readonly SelftuneStore _store;
    private readonly Redactor _redactor;
    private readonly IUsagePricer? _pricer;
    private readonly Func<string, IngestCounters> _counters;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sessionsSeen = new(StringComparer.Ordinal);
    private readonly long _now;

    /// <summary>Creates a writer.</summary>
    /// <param name="store">The store.</param>
    /// <param name="redactor">Applied to prompt text, tool call details and error messages.</param>
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

    /// <summary>The transaction new commands enlist in; set by the caller after each <c>BeginTransaction</c>.</summary>
    public SqliteTransaction? Transaction { get; set; }

    /// <summary>Finds improvement signals in each newly stored actionable prompt (null: none are looked for). A signal
    /// is keyed by session, prompt text and skill, so the hook's and the transcript's copy of a prompt make one signal,
    /// which then points at the transcript's prompt.</summary>
    public ImprovementSignalDetector? Signals { get; init; }

    /// <inheritdoc />
    public void Session(SessionRecord s)
    {
        var c = Counters(s.Provenance);
        if (_sessionsSeen.Add(s.SessionId))
        {
            c.Sessions++;
        }

        Run("""
            INSERT INTO sessions (session_id, platform, capture_mode, parent_session_id, started_at, ended_at, cwd, git_branch, agent_version, models, status, source_path, updated_at)
            VALUES ($id, $platform, $mode, $parent, $started, $ended, $cwd, $branch, $version, $models, $status, $path, $now)
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
              updated_at = excluded.updated_at
            """,
            ("$id", s.SessionId), ("$platform", s.Provenance.Platform), ("$mode", Mode(s.Provenance)), ("$parent", s.ParentSessionId),
            ("$started", Ms(s.StartedAt)), ("$ended", Ms(s.EndedAt)), ("$cwd", s.Cwd), ("$branch", NullIfEmpty(s.GitBranch)),
            ("$version", s.AgentVersion), ("$models", s.Models is { Count: > 0 } m ? JsonSerializer.Serialize(m) : null),
            ("$status", s.Status.ToString().ToLowerInvariant()), ("$path", s.Provenance.SourcePath), ("$now", _now));
    }

    /// <inheritdoc />
    public void Prompt(PromptRecord p)
    {
        var c = Counters(p.Provenance);
        var text = Redact(p.Text, c);
        var hash = Hash(PromptClassifier.StripWrappers(text));
        var hook = p.Provenance.Mode == CaptureMode.Hook;
        if (!hook)
        {
            c.Superseded += Run("DELETE FROM prompts WHERE session_id = $s AND text_hash = $h AND capture_mode = 'hook'", ("$s", p.SessionId), ("$h", hash));
        }

        var added = Run(
            "INSERT INTO prompts (prompt_id, session_id, platform, occurred_at, text, text_hash, kind, actionable, capture_mode, confidence, source_path, source_line) " +
            "SELECT $id, $s, $platform, $at, $text, $h, $kind, $actionable, $mode, $conf, $path, $line " +
            (hook ? "WHERE NOT EXISTS (SELECT 1 FROM prompts WHERE session_id = $s AND text_hash = $h AND capture_mode <> 'hook') " : string.Empty) +
            "ON CONFLICT(prompt_id) DO NOTHING",
            ("$id", p.PromptId), ("$s", p.SessionId), ("$platform", p.Provenance.Platform), ("$at", p.OccurredAt.ToUnixTimeMilliseconds()),
            ("$text", text), ("$h", hash), ("$kind", Kind(p.Kind)), ("$actionable", p.IsActionable ? 1 : 0), ("$mode", Mode(p.Provenance)),
            ("$conf", p.Provenance.Confidence), ("$path", p.Provenance.SourcePath), ("$line", p.Provenance.SourceLine));
        if (added > 0)
        {
            c.Prompts++;
            c.ActionablePrompts += p.IsActionable ? 1 : 0;
            if (p.IsActionable && Signals is not null)
            {
                foreach (var signal in Signals.Detect(text))
                {
                    StoreSignal(p, hash, signal, c);
                }
            }
        }
    }

    /// <inheritdoc />
    public void SkillInvocation(SkillInvocationRecord i)
    {
        var c = Counters(i.Provenance);
        var hook = i.Provenance.Mode == CaptureMode.Hook;
        var kind = i.Kind.ToString().ToLowerInvariant();
        if (!hook)
        {
            c.Superseded += Run(
                "DELETE FROM skill_invocations WHERE session_id = $s AND skill_name = $n AND kind = $k AND capture_mode = 'hook' AND (tool_use_id IS NULL OR $t IS NULL OR tool_use_id = $t)",
                ("$s", i.SessionId), ("$n", i.SkillName), ("$k", kind), ("$t", i.ToolUseId));
        }

        var added = Run(
            "INSERT INTO skill_invocations (invocation_id, session_id, platform, occurred_at, skill_name, kind, prompt_id, skill_path, tool_use_id, capture_mode, confidence, source_path, source_line) " +
            "SELECT $id, $s, $platform, $at, $n, $k, $prompt, $skillPath, $t, $mode, $conf, $path, $line " +
            (hook ? "WHERE NOT EXISTS (SELECT 1 FROM skill_invocations WHERE session_id = $s AND skill_name = $n AND kind = $k AND capture_mode <> 'hook' AND (tool_use_id IS NULL OR $t IS NULL OR tool_use_id = $t)) " : string.Empty) +
            "ON CONFLICT(invocation_id) DO UPDATE SET prompt_id = coalesce(skill_invocations.prompt_id, excluded.prompt_id), skill_path = coalesce(excluded.skill_path, skill_invocations.skill_path)",
            ("$id", i.InvocationId), ("$s", i.SessionId), ("$platform", i.Provenance.Platform), ("$at", i.OccurredAt.ToUnixTimeMilliseconds()),
            ("$n", i.SkillName), ("$k", kind), ("$prompt", i.PromptId), ("$skillPath", i.SkillPath), ("$t", i.ToolUseId),
            ("$mode", Mode(i.Provenance)), ("$conf", i.Provenance.Confidence), ("$path", i.Provenance.SourcePath), ("$line", i.Provenance.SourceLine));
        c.SkillInvocations += added;
    }

    /// <inheritdoc />
    public void ToolCall(ToolCallRecord t)
    {
        var c = Counters(t.Provenance);
        var detail = t.Detail is null ? null : Redact(t.Detail.Length > 200 ? t.Detail[..200] : t.Detail, c);
        var existing = Prepared("SELECT is_error FROM tool_calls WHERE session_id = $s AND tool_use_id = $id", ("$s", t.SessionId), ("$id", t.ToolUseId)).ExecuteScalar();
        Run("""
            INSERT INTO tool_calls (session_id, tool_use_id, platform, occurred_at, name, is_error, prompt_id, detail, capture_mode)
            VALUES ($s, $id, $platform, $at, $name, $err, $prompt, $detail, $mode)
            ON CONFLICT(session_id, tool_use_id) DO UPDATE SET
              is_error = max(tool_calls.is_error, excluded.is_error),
              prompt_id = coalesce(tool_calls.prompt_id, excluded.prompt_id),
              detail = coalesce(tool_calls.detail, excluded.detail),
              capture_mode = CASE WHEN excluded.capture_mode = 'transcript' THEN 'transcript' ELSE tool_calls.capture_mode END
            """,
            ("$s", t.SessionId), ("$id", t.ToolUseId), ("$platform", t.Provenance.Platform), ("$at", t.OccurredAt.ToUnixTimeMilliseconds()),
            ("$name", t.Name), ("$err", t.IsError ? 1 : 0), ("$prompt", t.PromptId), ("$detail", detail), ("$mode", Mode(t.Provenance)));
        if (existing is null)
        {
            c.ToolCalls++;
        }

        if (t.IsError && existing is not 1L)
        {
            c.ToolErrors++;
        }
    }

    /// <inheritdoc />
    public void Usage(TokenUsageRecord u)
    {
        var c = Counters(u.Provenance);
        var cost = u.CostUsd ?? _pricer?.Price(u.Model, u.InputTokens, u.OutputTokens, u.CacheWriteTokens, u.CacheReadTokens);
        var changed = Run("""
            INSERT INTO token_usage (platform, message_id, request_id, session_id, occurred_at, model, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_usd)
            VALUES ($platform, $m, $r, $s, $at, $model, $in, $out, $cw, $cr, $cost)
            ON CONFLICT(platform, message_id, request_id) DO UPDATE SET
              input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
              cache_write_tokens = excluded.cache_write_tokens, cache_read_tokens = excluded.cache_read_tokens, cost_usd = excluded.cost_usd
            WHERE excluded.input_tokens + excluded.output_tokens + excluded.cache_write_tokens + excluded.cache_read_tokens >
                  token_usage.input_tokens + token_usage.output_tokens + token_usage.cache_write_tokens + token_usage.cache_read_tokens
            """,
            ("$platform", u.Provenance.Platform), ("$m", u.MessageId), ("$r", u.RequestId), ("$s", u.SessionId), ("$at", u.OccurredAt.ToUnixTimeMilliseconds()),
            ("$model", u.Model), ("$in", u.InputTokens), ("$out", u.OutputTokens), ("$cw", u.CacheWriteTokens), ("$cr", u.CacheReadTokens),
            ("$cost", cost is null ? null : (double)cost.Value));
        c.UsageRecords += changed > 0 ? 1 : 0;
    }

    /// <inheritdoc />
    public void Error(ErrorRecord e)
    {
        var c = Counters(e.Provenance);
        var message = Redact(e.Message.Length > 500 ? e.Message[..500] : e.Message, c);
        c.Errors += Run(
            "INSERT INTO session_errors (session_id, error_id, platform, occurred_at, kind, message) VALUES ($s, $id, $platform, $at, $kind, $msg) ON CONFLICT DO NOTHING",
            ("$s", e.SessionId), ("$id", e.ErrorId), ("$platform", e.Provenance.Platform), ("$at", e.OccurredAt.ToUnixTimeMilliseconds()), ("$kind", e.Kind), ("$msg", message));
    }

    /// <inheritdoc />
    /// <remarks>Malformed records carry no platform; they are counted against the platform whose source it is by the caller
    /// (<see cref="SyncService"/>), which wraps this sink. Called directly, they go to the <c>unknown</c> platform.</remarks>
    public void Malformed(string path, long line, string reason) => _counters("unknown").AddMalformed(path, line, reason);

    /// <summary>Stores where a source was read up to.</summary>
    /// <param name="platform">The platform whose source it is.</param>
    /// <param name="path">The source path.</param>
    /// <param name="cursor">The cursor to resume from.</param>
    public void SaveCursor(string platform, string path, SourceCursor cursor) => Run("""
        INSERT INTO source_cursors (path, platform, byte_offset, length, last_write_utc, state, updated_at)
        VALUES ($path, $platform, $offset, $length, $mtime, $state, $now)
        ON CONFLICT(path) DO UPDATE SET platform = excluded.platform, byte_offset = excluded.byte_offset, length = excluded.length,
          last_write_utc = excluded.last_write_utc, state = excluded.state, updated_at = excluded.updated_at
        """,
        ("$path", path), ("$platform", platform), ("$offset", cursor.Offset), ("$length", cursor.Length),
        ("$mtime", cursor.LastWriteUtc.Ticks), ("$state", cursor.State), ("$now", _now));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
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
        (string, object?)[] parameters =
        [
            ("$s", p.SessionId), ("$h", hash), ("$skill", signal.SkillName), ("$type", signal.Type == SignalType.Correction ? "correction" : "explicit_request"),
            ("$prompt", p.PromptId), ("$platform", p.Provenance.Platform), ("$at", p.OccurredAt.ToUnixTimeMilliseconds()), ("$mode", Mode(p.Provenance)),
        ];
        var added = Run(
            "INSERT INTO improvement_signals (session_id, text_hash, skill_name, signal_type, prompt_id, platform, occurred_at, capture_mode) " +
            "VALUES ($s, $h, $skill, $type, $prompt, $platform, $at, $mode) ON CONFLICT DO NOTHING",
            parameters);
        if (added > 0)
        {
            c.ImprovementSignals++;
        }
        else if (p.Provenance.Mode != CaptureMode.Hook)
        {
            Run(
                "UPDATE improvement_signals SET prompt_id = $prompt, capture_mode = $mode, occurred_at = $at, platform = $platform " +
                "WHERE session_id = $s AND text_hash = $h AND skill_name = $skill AND signal_type = $type",
                parameters);
        }
    }

    private string Redact(string text, IngestCounters counters)
    {
        var redacted = _redactor.Redact(text, out var n);
        counters.Redactions += n;
        return redacted;
    }

    private int Run(string sql, params (string Name, object? Value)[] parameters) => Prepared(sql, parameters).ExecuteNonQuery();

    private SqliteCommand Prepared(string sql, params (string Name, object? Value)[] parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _store.Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, _) in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            command.Prepare();
            _commands[sql] = command;
        }

        command.Transaction = Transaction;
        for (var i = 0; i < parameters.Length; i++)
        {
            command.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
        }

        return command;
    }

    private static string Mode(Provenance p) => p.Mode.ToString().ToLowerInvariant();

    private static string Kind(PromptKind kind) => kind.ToString().ToLowerInvariant();

    private static long? Ms(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds();

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
