using Selftune.Core.Store;

namespace Selftune.Core.Llm;

/// <summary>The <c>llm_calls</c> table: every LLM request selftune made, for cost accounting and <c>status</c>.</summary>
internal static class LlmCallLog
{
    /// <summary>Inserts one request.</summary>
    public static void Insert(SelftuneStore store, LlmCallRecord call) => store.Execute(
        """
        INSERT INTO llm_calls (run_id, purpose, backend, model, input_tokens, output_tokens, cost_usd, duration_ms, attempts, error_code, occurred_at)
        VALUES ($run, $purpose, $backend, $model, $in, $out, $cost, $ms, $attempts, $error, $at)
        """,
        ("$run", call.RunId), ("$purpose", call.Purpose), ("$backend", call.Backend), ("$model", call.Model), ("$in", call.InputTokens),
        ("$out", call.OutputTokens), ("$cost", call.CostUsd is { } c ? (double)c : null), ("$ms", call.DurationMs), ("$attempts", call.Attempts),
        ("$error", call.ErrorCode), ("$at", call.OccurredAt.ToUnixTimeMilliseconds()));

    /// <summary>The requests of one run, oldest first.</summary>
    public static IReadOnlyList<LlmCallRecord> ForRun(SelftuneStore store, string runId) => store.Query(
        "SELECT run_id, purpose, backend, model, input_tokens, output_tokens, cost_usd, duration_ms, attempts, error_code, occurred_at FROM llm_calls WHERE run_id = $run ORDER BY id",
        r => new LlmCallRecord(
            r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4), r.GetInt64(5),
            r.IsDBNull(6) ? null : (decimal)r.GetDouble(6), r.GetInt64(7), r.GetInt32(8), r.IsDBNull(9) ? null : r.GetString(9),
            DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10))),
        ("$run", runId));
}

/// <summary>Records each LLM request into the store file, on its own short-lived connection (calls last seconds; a
/// connection opens in about a millisecond), so a command may hold its own connection while it waits for the LLM.</summary>
internal sealed class StoreLlmCallRecorder : ILlmCallRecorder
{
    private readonly string _databasePath;

    /// <summary>Creates the recorder.</summary>
    /// <param name="databasePath">The store file.</param>
    public StoreLlmCallRecorder(string databasePath) => _databasePath = databasePath;

    /// <inheritdoc />
    /// <exception cref="SelftuneException">The store cannot be opened or written.</exception>
    public void Record(LlmCallRecord call)
    {
        using var store = SelftuneStore.Open(_databasePath);
        LlmCallLog.Insert(store, call);
    }
}
