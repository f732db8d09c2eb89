namespace Selftune.Core.Llm;

/// <summary>One request to the LLM.</summary>
/// <param name="Purpose">A short tag recorded with the call (<c>judge</c>, <c>propose</c>, <c>grade</c>, <c>synthetic-evals</c>, <c>llm-test</c>).</param>
/// <param name="System">Instructions (the system prompt).</param>
/// <param name="User">The request itself.</param>
/// <param name="MaxOutputTokens">Most tokens the answer may have; null for the backend's default.</param>
/// <param name="Model">A model other than the client's for this request (e.g. a second model as quality judge); null: the client's.</param>
internal sealed record LlmRequest(string Purpose, string System, string User, int? MaxOutputTokens = null, string? Model = null);

/// <summary>Totals of one <see cref="LlmClient"/> (one run).</summary>
/// <param name="Calls">Requests made (each may have been retried; failed requests count).</param>
/// <param name="InputTokens">Input tokens reported by the backend (cached tokens included).</param>
/// <param name="OutputTokens">Output tokens reported by the backend.</param>
/// <param name="CostUsd">Cost in USD, where the backend reports it or the model is priced; 0 when unknown.</param>
/// <param name="ElapsedMs">Wall-clock time spent in calls, in ms.</param>
internal sealed record LlmUsage(int Calls, long InputTokens, long OutputTokens, decimal CostUsd, long ElapsedMs);

/// <summary>The backend names <see cref="LlmClient.Backend"/> reports.</summary>
internal static class LlmBackends
{
    /// <summary>The user's agent CLI; reported as <c>agent:&lt;platform&gt;</c>.</summary>
    public const string Agent = "agent";
    /// <summary>The Anthropic Messages API.</summary>
    public const string Anthropic = "anthropic";
    /// <summary>Any OpenAI chat-completions endpoint.</summary>
    public const string OpenAiCompatible = "openai-compatible";
    /// <summary>No LLM: calls throw <see cref="ErrorCodes.LlmUnavailable"/>; callers with a heuristic mode use it.</summary>
    public const string Offline = "offline";
}

/// <summary>Limits and retry settings of one <see cref="LlmClient"/>.</summary>
internal sealed record LlmClientOptions
{
    /// <summary>The run the calls belong to (recorded with each call).</summary>
    public string RunId { get; init; } = "adhoc";

    /// <summary>Wall-clock limit of one attempt; the attempt is abandoned (and retried) when it passes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most requests this client may make; the next one throws <see cref="ErrorCodes.BudgetExhausted"/>.</summary>
    public int MaxCalls { get; init; } = 100;

    /// <summary>Most tokens (input + output) this client may use; once reached, the next request throws <see cref="ErrorCodes.BudgetExhausted"/>.</summary>
    public long MaxTokens { get; init; } = 2_000_000;

    /// <summary>Retries after a transient failure (timeout, rate limit, overload, 5xx, network).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First retry delay; doubles each retry, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>One recorded LLM request (a row of <c>llm_calls</c>).</summary>
/// <param name="RunId">The run.</param>
/// <param name="Purpose">The request's purpose tag.</param>
/// <param name="Backend">The backend.</param>
/// <param name="Model">The model that answered (or was asked for).</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CostUsd">Cost in USD, when known.</param>
/// <param name="DurationMs">Wall-clock time including retries, in ms.</param>
/// <param name="Attempts">Attempts made (1 + retries).</param>
/// <param name="ErrorCode">The error code when the request failed; null on success.</param>
/// <param name="OccurredAt">When it started (UTC).</param>
internal sealed record LlmCallRecord(string RunId, string Purpose, string Backend, string? Model, long InputTokens, long OutputTokens, decimal? CostUsd, long DurationMs, int Attempts, string? ErrorCode, DateTimeOffset OccurredAt);

/// <summary>Receives every LLM request an <see cref="LlmClient"/> made.</summary>
internal interface ILlmCallRecorder
{
    /// <summary>Records one request.</summary>
    /// <exception cref="SelftuneException">The record could not be stored.</exception>
    void Record(LlmCallRecord call);
}

/// <summary>Builds the <see cref="LlmClient"/> for the configured backend (config keys <c>llm.*</c>; the <c>--llm</c> and
/// <c>--model</c> flags override <c>llm.backend</c> and <c>llm.model</c>).</summary>
internal interface ILlmClientFactory
{
    /// <summary>Creates the client for one run. Never throws for a missing backend: its calls throw
    /// <see cref="ErrorCodes.LlmUnavailable"/> with the reason and the command that fixes it.</summary>
    /// <param name="runId">The run the calls are recorded under.</param>
    LlmClient Create(string runId);

    /// <summary>True when the configured backend can be called (the agent CLI is on PATH, the API key is set, ...).</summary>
    /// <param name="reason">What was found, or why it cannot be used and what to do.</param>
    bool IsAvailable(out string reason);

    /// <summary>Creates the client for one run of something that cannot work without an LLM; the offline backend passes
    /// (what asked runs its heuristics on it).</summary>
    /// <param name="runId">The run the calls are recorded under.</param>
    /// <param name="needs">What needs the LLM, as the message's subject (e.g. "Evolve", "A baseline").</param>
    /// <param name="nextCommand">The command that helps (default <c>selftune llm test</c>; null when none can be named).</param>
    /// <param name="alternative">A sentence appended to the message: what can be done without an LLM.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.LlmUnavailable"/>: "<paramref name="needs"/> needs an LLM:
    /// why the configured backend cannot be used."</exception>
    LlmClient CreateRequired(string runId, string needs, string? nextCommand = "selftune llm test", string? alternative = null);
}
