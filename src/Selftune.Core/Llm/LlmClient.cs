using Microsoft.Extensions.AI;
using Selftune.Core.Ingest;

namespace Selftune.Core.Llm;

/// <summary>
/// The one way selftune talks to an LLM: a backend <see cref="IChatClient"/> (agent CLI, Anthropic, OpenAI-compatible)
/// wrapped by <see cref="ChatClientBuilder"/> middleware — the run's budget (<see cref="LlmBudget"/>), the recording of
/// every request with tokens, cost and duration (<see cref="LlmCallRecording"/>), and a per-attempt timeout with retries
/// on transient failures (<see cref="LlmResilience"/>). Safe to use from several tasks at once.
/// </summary>
internal sealed class LlmClient
{
    private readonly IChatClient? _chat;
    private LlmCallRecording? _recording;
    private readonly string? _unavailableReason;
    private readonly string? _unavailableNext;

    /// <summary>Creates a client over <paramref name="chatClient"/>.</summary>
    /// <param name="chatClient">The backend.</param>
    /// <param name="backend">The backend's name as recorded (see <see cref="LlmBackends"/>; agents as <c>agent:&lt;platform&gt;</c>).</param>
    /// <param name="model">The model to ask for; null for the backend's default.</param>
    /// <param name="options">Budget, timeout and retries; null for the defaults.</param>
    /// <param name="recorder">Receives every request; null records nothing.</param>
    /// <param name="pricer">Prices a call whose backend does not report its cost; null leaves it unknown.</param>
    /// <param name="time">The clock; null for the system clock.</param>
    public LlmClient(IChatClient chatClient, string backend, string? model, LlmClientOptions? options = null, ILlmCallRecorder? recorder = null, IUsagePricer? pricer = null, TimeProvider? time = null)
        : this(backend, model, options)
    {
        var clock = time ?? TimeProvider.System;
        _chat = new ChatClientBuilder(chatClient)
            .Use(inner => new LlmBudget(inner, Options.MaxCalls, Options.MaxTokens))
            .Use(inner => _recording = new LlmCallRecording(inner, Options.RunId, backend, model, recorder, pricer, clock))
            .Use(inner => new LlmResilience(inner, backend, Options, clock))
            .Build();
    }

    private LlmClient(string backend, string? model, LlmClientOptions? options, string? reason = null, string? next = null)
    {
        Backend = backend;
        Model = model;
        Options = options ?? new LlmClientOptions();
        _unavailableReason = reason;
        _unavailableNext = next;
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
    public LlmUsage Usage => _recording?.Usage ?? new LlmUsage(0, 0, 0, 0m, 0);

    /// <summary>A client that makes no calls: each throws <see cref="ErrorCodes.LlmUnavailable"/> with
    /// <paramref name="reason"/> and <paramref name="nextCommand"/>. <see cref="LlmBackends.Offline"/> is the configured
    /// no-LLM mode; any other backend name means the configured backend was not found.</summary>
    /// <param name="backend">The backend name reported.</param>
    /// <param name="reason">Why no call can be made.</param>
    /// <param name="nextCommand">The command that fixes it.</param>
    /// <param name="options">Options (for the run id).</param>
    public static LlmClient Unavailable(string backend, string reason, string nextCommand, LlmClientOptions? options = null) =>
        new(backend, null, options, reason, nextCommand);

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

        var messages = new List<ChatMessage> { new(ChatRole.System, request.System), new(ChatRole.User, request.User) };
        var options = new ChatOptions
        {
            ModelId = request.Model ?? Model,
            MaxOutputTokens = request.MaxOutputTokens,
            AdditionalProperties = new AdditionalPropertiesDictionary { [LlmCall.Key] = new LlmCall(request.Purpose) },
        };
        var response = await _chat.GetResponseAsync(messages, options, ct).ConfigureAwait(false);
        var text = response.Text?.Trim() ?? string.Empty;
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
}
