using System.ClientModel;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Selftune.Abstractions;
using Selftune.Core.Ingest;

namespace Selftune.Core.Llm;

/// <summary>
/// The one way selftune talks to an LLM: wraps a <see cref="IChatClient"/> with a per-attempt timeout, retries with
/// exponential backoff and jitter on transient failures (Polly), a per-run budget (requests and tokens), and records
/// every request (backend, model, tokens, cost, duration, purpose, run id) through an <see cref="ILlmCallRecorder"/>.
/// Safe to use from several tasks at once.
/// </summary>
public sealed class LlmClient
{
    private readonly IChatClient? _chat;
    private readonly string? _unavailableReason;
    private readonly string? _unavailableNext;
    private readonly ILlmCallRecorder? _recorder;
    private readonly IUsagePricer? _pricer;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _pipeline;
    private readonly Lock _gate = new();
    private int _calls;
    private long _inputTokens;
    private long _outputTokens;
    private decimal _costUsd;
    private long _elapsedMs;

    /// <summary>Creates a client over <paramref name="chatClient"/>.</summary>
    /// <param name="chatClient">The backend.</param>
    /// <param name="backend">The backend's name as recorded (see <see cref="LlmBackends"/>; agents as <c>agent:&lt;platform&gt;</c>).</param>
    /// <param name="model">The model to ask for; null for the backend's default.</param>
    /// <param name="options">Budget, timeout and retries; null for the defaults.</param>
    /// <param name="recorder">Receives every request; null records nothing.</param>
    /// <param name="pricer">Prices a call whose backend does not report its cost; null leaves it unknown.</param>
    /// <param name="time">The clock; null for the system clock.</param>
    public LlmClient(IChatClient chatClient, string backend, string? model, LlmClientOptions? options = null, ILlmCallRecorder? recorder = null, IUsagePricer? pricer = null, TimeProvider? time = null)
        : this(backend, model, options, recorder, pricer, time)
    {
        _chat = chatClient;
    }

    private LlmClient(string backend, string? model, LlmClientOptions? options, ILlmCallRecorder? recorder, IUsagePricer? pricer, TimeProvider? time, string? reason = null, string? next = null)
    {
        Backend = backend;
        Model = model;
        Options = options ?? new LlmClientOptions();
        _recorder = recorder;
        _pricer = pricer;
        _time = time ?? TimeProvider.System;
        _unavailableReason = reason;
        _unavailableNext = next;
        _pipeline = BuildPipeline(Options, _time);
    }

    /// <summary>The backend: <c>agent:&lt;platform&gt;</c>, <c>anthropic</c>, <c>openai-compatible</c> or <c>offline</c>.</summary>
    public string Backend { get; }

    /// <summary>The model asked for; null for the backend's default.</summary>
    public string? Model { get; }

    /// <summary>Budget, timeout and retry settings, and the run id.</summary>
    public LlmClientOptions Options { get; }

    /// <summary>True when calls can be made (not offline, backend found).</summary>
    public bool IsAvailable => _chat is not null;

    /// <summary>Totals so far.</summary>
    public LlmUsage Usage
    {
        get
        {
            lock (_gate)
            {
                return new LlmUsage(_calls, _inputTokens, _outputTokens, _costUsd, _elapsedMs);
            }
        }
    }

    /// <summary>A client that makes no calls: each throws <see cref="ErrorCodes.LlmUnavailable"/> with
    /// <paramref name="reason"/> and <paramref name="nextCommand"/>. <see cref="LlmBackends.Offline"/> is the configured
    /// no-LLM mode; any other backend name means the configured backend was not found.</summary>
    /// <param name="backend">The backend name reported.</param>
    /// <param name="reason">Why no call can be made.</param>
    /// <param name="nextCommand">The command that fixes it.</param>
    /// <param name="options">Options (for the run id).</param>
    public static LlmClient Unavailable(string backend, string reason, string nextCommand, LlmClientOptions? options = null) =>
        new(backend, null, options, null, null, null, reason, nextCommand);

    /// <summary>Sends <paramref name="request"/> and returns the answer's text.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.LlmUnavailable"/> when there is no backend or it kept failing
    /// (after the retries), <see cref="ErrorCodes.BudgetExhausted"/> when the run's budget is spent (no call is made), or
    /// <see cref="ErrorCodes.LlmBadAnswer"/> when the answer is empty.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public async Task<string> CompleteAsync(LlmRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_chat is null)
        {
            throw new SelftuneException(ErrorCodes.LlmUnavailable, _unavailableReason ?? "No LLM backend is configured.", _unavailableNext ?? "selftune llm test");
        }

        Reserve();
        var started = _time.GetUtcNow();
        var timestamp = _time.GetTimestamp();
        var attempts = 0;
        var messages = new List<ChatMessage> { new(ChatRole.System, request.System), new(ChatRole.User, request.User) };
        var chatOptions = new ChatOptions { ModelId = Model, MaxOutputTokens = request.MaxOutputTokens };
        ChatResponse response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                async token =>
                {
                    Interlocked.Increment(ref attempts);
                    return await _chat.GetResponseAsync(messages, chatOptions, token).ConfigureAwait(false);
                },
                ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            var error = Translate(ex, attempts);
            Finish(request, null, 0, 0, null, timestamp, started, attempts, error.Code);
            throw error;
        }

        var input = response.Usage?.InputTokenCount ?? 0;
        var output = response.Usage?.OutputTokenCount ?? 0;
        var model = response.ModelId ?? Model;
        var cost = ReportedCost(response) ?? (model is null ? null : _pricer?.Price(model, input, output, 0, 0));
        var text = response.Text?.Trim() ?? string.Empty;
        Finish(request, model, input, output, cost, timestamp, started, attempts, text.Length == 0 ? ErrorCodes.LlmBadAnswer : null);
        return text.Length > 0
            ? text
            : throw new SelftuneException(ErrorCodes.LlmBadAnswer, $"The {Backend} LLM returned an empty answer to the '{request.Purpose}' request.", "selftune llm test");
    }

    /// <summary>Sends <paramref name="request"/> and reads the answer as JSON of type <typeparamref name="T"/> (snake_case
    /// names), tolerating code fences and prose around the JSON (see <see cref="JsonAnswer"/>).</summary>
    /// <exception cref="SelftuneException">As <see cref="CompleteAsync"/>; <see cref="ErrorCodes.LlmBadAnswer"/> with an excerpt of
    /// the raw answer when no JSON of the expected shape is found in it.</exception>
    public async Task<T> CompleteJsonAsync<T>(LlmRequest request, CancellationToken ct)
    {
        var text = await CompleteAsync(request, ct).ConfigureAwait(false);
        return JsonAnswer.Parse<T>(text, $"{Backend} answer to the '{request.Purpose}' request");
    }

    private void Reserve()
    {
        lock (_gate)
        {
            var tokens = _inputTokens + _outputTokens;
            if (_calls >= Options.MaxCalls || tokens >= Options.MaxTokens)
            {
                var which = _calls >= Options.MaxCalls ? $"{Options.MaxCalls} requests" : $"{Options.MaxTokens} tokens";
                throw new SelftuneException(
                    ErrorCodes.BudgetExhausted,
                    $"The run's LLM budget of {which} is spent ({_calls} requests, {tokens} tokens, ${_costUsd:0.####}). Work stopped cleanly; what was done so far is kept.",
                    _calls >= Options.MaxCalls ? "selftune config set llm.max_calls <more>" : "selftune config set llm.max_tokens <more>");
            }

            _calls++;
        }
    }

    private void Finish(LlmRequest request, string? model, long input, long output, decimal? cost, long timestamp, DateTimeOffset started, int attempts, string? errorCode)
    {
        var elapsed = (long)_time.GetElapsedTime(timestamp).TotalMilliseconds;
        lock (_gate)
        {
            _inputTokens += input;
            _outputTokens += output;
            _costUsd += cost ?? 0m;
            _elapsedMs += elapsed;
        }

        _recorder?.Record(new LlmCallRecord(Options.RunId, request.Purpose, Backend, model, input, output, cost, elapsed, Math.Max(1, attempts), errorCode, started));
    }

    private static decimal? ReportedCost(ChatResponse response) =>
        response.AdditionalProperties?.TryGetValue(AgentChatClient.CostProperty, out var value) == true
            ? value switch { decimal d => d, double x => (decimal)x, _ => null }
            : null;

    private SelftuneException Translate(Exception ex, int attempts)
    {
        if (ex is SelftuneException selftune)
        {
            return selftune;
        }

        var transient = IsTransient(ex);
        var what = Describe(ex);
        var message = transient
            ? $"The {Backend} LLM did not answer after {attempts} attempt(s): {what}."
            : $"The {Backend} LLM call failed: {what}.";
        var next = Status(ex) is 401 or 403 ? "selftune config get llm.api_key_env" : "selftune llm test";
        return new SelftuneException(ErrorCodes.LlmUnavailable, message, next, inner: ex);
    }

    private string Describe(Exception ex) => ex switch
    {
        TimeoutRejectedException => $"no answer within {Options.Timeout.TotalSeconds:0} s (llm.timeout_seconds)",
        AnthropicApiException a => $"HTTP {(int)a.StatusCode} {a.ApiMessage ?? a.Message}",
        ClientResultException c when c.Status > 0 => $"HTTP {c.Status} {c.Message}",
        _ => ex.Message,
    };

    private static int Status(Exception ex) => ex switch
    {
        AnthropicApiException a => (int)a.StatusCode,
        ClientResultException c => c.Status,
        _ => 0,
    };

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

    private static ResiliencePipeline BuildPipeline(LlmClientOptions options, TimeProvider time)
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
