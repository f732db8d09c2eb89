using System.ClientModel;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Selftune.Abstractions;
using Selftune.Core.Ingest;

namespace Selftune.Core.Llm;

/// <summary>What one logical LLM request carries through the middleware (in <see cref="ChatOptions.AdditionalProperties"/>
/// under <see cref="Key"/>; the resilience layer removes it before the backend sees the options).</summary>
internal sealed class LlmCall(string purpose)
{
    /// <summary>The key in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string Key = "selftune.call";

    /// <summary>The request's purpose (recorded).</summary>
    public string Purpose { get; } = purpose;

    /// <summary>Attempts made so far (retries included).</summary>
    public int Attempts { get; set; }

    /// <summary>The call of <paramref name="options"/>, or a new one with purpose <c>unknown</c>.</summary>
    public static LlmCall Of(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Key, out var value) == true && value is LlmCall call ? call : new LlmCall("unknown");
}

/// <summary>
/// The run's LLM budget (<c>llm.max_calls</c>, <c>llm.max_tokens</c>) as chat-client middleware: a request is refused,
/// with no call made, once the run has made its maximum of requests or spent its maximum of tokens. Thread-safe.
/// </summary>
/// <param name="inner">The next client.</param>
/// <param name="maxCalls">Most requests of the run.</param>
/// <param name="maxTokens">Most input plus output tokens of the run.</param>
internal sealed class LlmBudget(IChatClient inner, int maxCalls, long maxTokens) : DelegatingChatClient(inner)
{
    private readonly Lock _gate = new();
    private int _calls;
    private long _tokens;

    /// <inheritdoc />
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.BudgetExhausted"/> when the budget is spent.</exception>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_calls >= maxCalls || _tokens >= maxTokens)
            {
                var which = _calls >= maxCalls ? $"{maxCalls} requests" : $"{maxTokens} tokens";
                throw new SelftuneException(
                    ErrorCodes.BudgetExhausted,
                    $"The run's LLM budget of {which} is spent ({_calls} requests, {_tokens} tokens). Work stopped cleanly; what was done so far is kept.",
                    _calls >= maxCalls ? "selftune config set llm.max_calls <more>" : "selftune config set llm.max_tokens <more>");
            }

            _calls++;
        }

        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _tokens, (response.Usage?.InputTokenCount ?? 0) + (response.Usage?.OutputTokenCount ?? 0));
        return response;
    }
}

/// <summary>
/// Records every request as chat-client middleware: backend, model, tokens, cost (as the backend reports it, else priced
/// by model), duration, attempts, error code, purpose and run id, through an <see cref="ILlmCallRecorder"/>, and keeps the
/// run's totals (<see cref="Usage"/>). An answer with no text is recorded as <see cref="ErrorCodes.LlmBadAnswer"/>.
/// </summary>
/// <param name="inner">The next client.</param>
/// <param name="runId">The run the calls belong to.</param>
/// <param name="backend">The backend's name as recorded.</param>
/// <param name="model">The model asked for, or null.</param>
/// <param name="recorder">Receives each record, or null.</param>
/// <param name="pricer">Prices a call whose backend reports no cost, or null.</param>
/// <param name="time">The clock.</param>
internal sealed class LlmCallRecording(IChatClient inner, string runId, string backend, string? model, ILlmCallRecorder? recorder, IUsagePricer? pricer, TimeProvider time) : DelegatingChatClient(inner)
{
    private readonly Lock _gate = new();
    private LlmUsage _usage = new(0, 0, 0, 0m, 0);

    /// <summary>The totals of the calls recorded so far.</summary>
    public LlmUsage Usage
    {
        get
        {
            lock (_gate)
            {
                return _usage;
            }
        }
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = LlmCall.Of(options);
        var started = time.GetUtcNow();
        var timestamp = time.GetTimestamp();
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            Record(call, model, 0, 0, null, timestamp, started, ex is SelftuneException s ? s.Code : ErrorCodes.LlmUnavailable);
            throw;
        }

        var input = response.Usage?.InputTokenCount ?? 0;
        var output = response.Usage?.OutputTokenCount ?? 0;
        var answeredBy = response.ModelId ?? model;
        var cost = ReportedCost(response) ?? (answeredBy is null ? null : pricer?.Price(answeredBy, input, output, 0, 0));
        Record(call, answeredBy, input, output, cost, timestamp, started, string.IsNullOrWhiteSpace(response.Text) ? ErrorCodes.LlmBadAnswer : null);
        return response;
    }

    private void Record(LlmCall call, string? answeredBy, long input, long output, decimal? cost, long timestamp, DateTimeOffset started, string? errorCode)
    {
        var elapsed = (long)time.GetElapsedTime(timestamp).TotalMilliseconds;
        lock (_gate)
        {
            _usage = new LlmUsage(_usage.Calls + 1, _usage.InputTokens + input, _usage.OutputTokens + output, _usage.CostUsd + (cost ?? 0m), _usage.ElapsedMs + elapsed);
        }

        recorder?.Record(new LlmCallRecord(runId, call.Purpose, backend, answeredBy, input, output, cost, elapsed, Math.Max(1, call.Attempts), errorCode, started));
    }

    private static decimal? ReportedCost(ChatResponse response) =>
        response.AdditionalProperties?.TryGetValue(AgentChatClient.CostProperty, out var value) == true
            ? value switch { decimal d => d, double x => (decimal)x, _ => null }
            : null;
}

/// <summary>
/// A per-attempt timeout and retries with exponential backoff and jitter on transient failures (Polly), as chat-client
/// middleware; a failure that outlasts the retries becomes <see cref="ErrorCodes.LlmUnavailable"/> with what went wrong.
/// The backends' own retries are off: this is the one retry layer.
/// </summary>
/// <param name="inner">The backend.</param>
/// <param name="backend">The backend's name (in messages).</param>
/// <param name="options">Timeout and retries.</param>
/// <param name="time">The clock of timeouts and delays.</param>
internal sealed class LlmResilience(IChatClient inner, string backend, LlmClientOptions options, TimeProvider time) : DelegatingChatClient(inner)
{
    private readonly ResiliencePipeline _pipeline = Build(options, time);

    /// <inheritdoc />
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.LlmUnavailable"/> when the backend kept failing or failed
    /// for good.</exception>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = LlmCall.Of(options);
        var forBackend = options?.Clone();
        forBackend?.AdditionalProperties?.Remove(LlmCall.Key);
        if (forBackend?.AdditionalProperties is { Count: 0 })
        {
            forBackend.AdditionalProperties = null;
        }

        try
        {
            return await _pipeline.ExecuteAsync(
                async token =>
                {
                    call.Attempts++;
                    return await base.GetResponseAsync(messages, forBackend, token).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not SelftuneException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw Translate(ex, call.Attempts);
        }
    }

    /// <summary>True for failures a retry may cure: timeouts, rate limits, overload, 5xx, network errors, and agent
    /// failures the runner marks transient.</summary>
    internal static bool IsTransient(Exception ex) => ex switch
    {
        SelftuneException => false,
        TimeoutRejectedException => true,
        AgentRunnerException a => a.Transient,
        AnthropicIOException => true,
        AnthropicApiException or ClientResultException => Status(ex) is 0 or 408 or 409 or 429 or >= 500,
        HttpRequestException or IOException or TimeoutException => true,
        OperationCanceledException => true, // an HTTP client's own timeout (the caller's cancellation never reaches here)
        _ => false,
    };

    private SelftuneException Translate(Exception ex, int attempts)
    {
        var what = ex switch
        {
            TimeoutRejectedException => $"no answer within {options.Timeout.TotalSeconds:0} s (llm.timeout_seconds)",
            AnthropicApiException a => $"HTTP {(int)a.StatusCode} {a.ApiMessage ?? a.Message}",
            ClientResultException c when c.Status > 0 => $"HTTP {c.Status} {c.Message}",
            _ => ex.Message,
        };
        var message = IsTransient(ex)
            ? $"The {backend} LLM did not answer after {attempts} attempt(s): {what}."
            : $"The {backend} LLM call failed: {what}.";
        var next = Status(ex) is 401 or 403 ? "selftune config get llm.api_key_env" : "selftune llm test";
        return new SelftuneException(ErrorCodes.LlmUnavailable, message, next, inner: ex);
    }

    private static int Status(Exception ex) => ex switch
    {
        AnthropicApiException a => (int)a.StatusCode,
        ClientResultException c => c.Status,
        _ => 0,
    };

    private static ResiliencePipeline Build(LlmClientOptions options, TimeProvider time)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && IsTransient(e)),
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        return builder.AddTimeout(options.Timeout).Build();
    }
}
