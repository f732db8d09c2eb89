using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Ingest;

namespace Selftune.Core.Llm;

/// <summary>
/// Builds the <see cref="LlmClient"/> for the configured backend: <c>agent</c> (default: the platform plugin's
/// <see cref="IAgentRunner"/>, no API key needed), <c>anthropic</c> (the official Anthropic package; key from
/// <c>ANTHROPIC_API_KEY</c> or <c>llm.api_key_env</c>; <c>llm.base_url</c> overrides the endpoint),
/// <c>openai-compatible</c> (the official OpenAI package through Microsoft.Extensions.AI.OpenAI, against <c>llm.base_url</c>)
/// or <c>offline</c>. The SDKs' own retries are switched off: <see cref="LlmResilience"/> is the one retry layer.
/// </summary>
internal sealed class LlmClientFactory : ILlmClientFactory
{
    /// <summary>The model asked of the Anthropic API when <c>llm.model</c> is unset.</summary>
    public const string DefaultAnthropicModel = "claude-haiku-4-5";

    /// <summary>Output tokens asked of the Anthropic API when a request does not say (the API requires a bound).</summary>
    public const int DefaultMaxOutputTokens = 8192;

    private readonly SelftuneConfig _config;
    private readonly SelftuneHome _home;
    private readonly PlatformContext _context;
    private readonly IReadOnlyList<IAgentRunner> _runners;
    private readonly TimeProvider _time;
    private readonly IUsagePricer? _pricer;

    /// <summary>Creates the factory.</summary>
    /// <param name="config">The configuration (<c>llm.*</c> keys).</param>
    /// <param name="home">The selftune home (calls are recorded in its store).</param>
    /// <param name="context">The machine (environment for API keys, PATH for agents).</param>
    /// <param name="runners">The agent runners of the loaded plugins.</param>
    /// <param name="time">The clock.</param>
    /// <param name="pricer">Prices API calls by model; null leaves their cost unknown.</param>
    public LlmClientFactory(SelftuneConfig config, SelftuneHome home, PlatformContext context, IEnumerable<IAgentRunner> runners, TimeProvider time, IUsagePricer? pricer = null)
    {
        _config = config;
        _home = home;
        _context = context;
        _runners = runners.ToList();
        _time = time;
        _pricer = pricer;
    }

    /// <summary>First retry delay of the clients created (tests shorten it).</summary>
    internal TimeSpan RetryBaseDelay { get; set; } = new LlmClientOptions().RetryBaseDelay;

    /// <inheritdoc />
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> when an <c>llm.*</c> setting is malformed;
    /// <see cref="ErrorCodes.HomeUnwritable"/> when the home (where calls are recorded) cannot be written.</exception>
    public LlmClient Create(string runId)
    {
        var options = Options(runId);
        _home.EnsureExists();
        var model = _config.Get(ConfigKeys.LlmModel.Key) is { Length: > 0 } m ? m : null;
        var recorder = new StoreLlmCallRecorder(_home.DatabasePath);
        var backend = BackendName();
        if (!Resolve(backend, out var reason, out var next, out var runner, out var apiKey))
        {
            return LlmClient.Unavailable(backend, reason, next, options);
        }

        switch (backend)
        {
            case LlmBackends.Agent:
                return new LlmClient(new AgentChatClient(runner!, options.Timeout), $"{LlmBackends.Agent}:{runner!.Platform}", model, options, recorder, _pricer, _time);
            case LlmBackends.Anthropic:
                model ??= DefaultAnthropicModel;
                return new LlmClient(AnthropicBackend(model, apiKey, options.Timeout), backend, model, options, recorder, _pricer, _time);
            default:
                return new LlmClient(OpenAiCompatibleBackend(model!, apiKey, options.Timeout), backend, model, options, recorder, _pricer, _time);
        }
    }

    /// <summary>The Anthropic backend: the official Anthropic package (<c>llm.base_url</c> overrides its endpoint), in a method
    /// of its own so other backends never load its assemblies.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private IChatClient AnthropicBackend(string model, string? apiKey, TimeSpan timeout) => (BaseUrl() is { } url
        ? new AnthropicClient { ApiKey = apiKey, MaxRetries = 0, Timeout = timeout, BaseUrl = url }
        : new AnthropicClient { ApiKey = apiKey, MaxRetries = 0, Timeout = timeout }).AsIChatClient(model, DefaultMaxOutputTokens);

    /// <summary>The OpenAI-compatible backend: the official OpenAI package's chat client at <c>llm.base_url</c>, through
    /// Microsoft.Extensions.AI.OpenAI (in a method of its own, so other backends never load those assemblies).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private IChatClient OpenAiCompatibleBackend(string model, string? apiKey, TimeSpan timeout) =>
        new ChatClient(model, new ApiKeyCredential(apiKey ?? "none"), new OpenAIClientOptions
        {
            Endpoint = new Uri(BaseUrl()!),
            NetworkTimeout = timeout,
            RetryPolicy = new ClientRetryPolicy(0),
        }).AsIChatClient();

    /// <inheritdoc />
    public bool IsAvailable(out string reason)
    {
        var backend = BackendName();
        if (!Resolve(backend, out reason, out _, out var runner, out _))
        {
            return false;
        }

        reason = backend switch
        {
            LlmBackends.Agent => $"agent backend: {runner!.Executable} ({runner.Platform}) found on PATH",
            LlmBackends.Anthropic => $"anthropic backend: key in {ApiKeyEnv(backend)}, model {_config.Get(ConfigKeys.LlmModel.Key) ?? DefaultAnthropicModel}",
            _ => $"openai-compatible backend: {BaseUrl()}, model {_config.Get(ConfigKeys.LlmModel.Key)}",
        };
        return true;
    }

    /// <inheritdoc />
    public LlmClient CreateRequired(string runId, string needs, string? nextCommand = "selftune llm test", string? alternative = null)
    {
        var client = Create(runId);
        return client.Backend == LlmBackends.Offline || IsAvailable(out var reason)
            ? client
            : throw new SelftuneException(ErrorCodes.LlmUnavailable, $"{needs} needs an LLM: {reason.TrimEnd('.')}.{(alternative is null ? string.Empty : " " + alternative)}", nextCommand);
    }

    /// <summary>The configured backend, checked as every setting is (<see cref="SelftuneConfig.Checked"/>).</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/>: <c>llm.backend</c> is none of the backends,
    /// naming where it was set and what is accepted.</exception>
    private string BackendName() => _config.Checked(ConfigKeys.LlmBackend.Key) ?? LlmBackends.Agent;

    private bool Resolve(string backend, out string reason, out string next, out IAgentRunner? runner, out string? apiKey)
    {
        runner = null;
        apiKey = null;
        next = "selftune llm test";
        switch (backend)
        {
            case LlmBackends.Offline:
                reason = "llm.backend is offline: selftune makes no LLM calls, so commands that need one cannot run.";
                next = "selftune config set llm.backend agent";
                return false;
            case LlmBackends.Agent:
                runner = PickRunner(out reason);
                next = _runners.Count == 0 ? "selftune plugins" : "selftune config set llm.backend anthropic";
                return runner is not null;
            case LlmBackends.Anthropic:
                apiKey = _context.Environment(ApiKeyEnv(backend));
                reason = apiKey is { Length: > 0 } ? string.Empty : $"the anthropic backend needs an API key in the environment variable {ApiKeyEnv(backend)}, which is not set.";
                next = $"export {ApiKeyEnv(backend)}=<key>";
                return apiKey is { Length: > 0 };
            default:
                apiKey = _context.Environment(ApiKeyEnv(backend));
                if (BaseUrl() is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out _))
                {
                    reason = "the openai-compatible backend needs llm.base_url (an absolute URL such as http://localhost:11434/v1).";
                    next = "selftune config set llm.base_url http://localhost:11434/v1";
                    return false;
                }

                if (_config.Get(ConfigKeys.LlmModel.Key) is not { Length: > 0 })
                {
                    reason = "the openai-compatible backend needs llm.model (the model name the server knows).";
                    next = "selftune config set llm.model <model>";
                    return false;
                }

                reason = string.Empty;
                return true;
        }
    }

    private IAgentRunner? PickRunner(out string reason)
    {
        if (_runners.Count == 0)
        {
            reason = "the agent backend needs a platform plugin with an agent runner, and none is loaded.";
            return null;
        }

        if (_config.Get(ConfigKeys.LlmAgent.Key) is { Length: > 0 } wanted)
        {
            var named = _runners.FirstOrDefault(r => r.Platform.Equals(wanted, StringComparison.OrdinalIgnoreCase));
            reason = named is null
                ? $"llm.agent is '{wanted}', but no loaded plugin runs that agent (runners: {string.Join(", ", _runners.Select(r => r.Platform))})."
                : $"llm.agent is '{wanted}', but its CLI '{named.Executable}' is not on PATH.";
            return named is not null && named.IsAvailable(_context) ? named : null;
        }

        var ordered = _runners.OrderBy(r => r.Preference).ThenBy(r => r.Platform, StringComparer.Ordinal);
        var found = ordered.FirstOrDefault(r => r.IsAvailable(_context));
        reason = found is null ? $"no agent CLI was found on PATH ({string.Join(", ", _runners.Select(r => r.Executable))}); install one, or use an API backend." : string.Empty;
        return found;
    }

    private string? BaseUrl() => _config.Get(ConfigKeys.LlmBaseUrl.Key) is { Length: > 0 } url ? url : null;

    private string ApiKeyEnv(string backend) =>
        _config.Get(ConfigKeys.LlmApiKeyEnv.Key) is { Length: > 0 } env ? env : backend == LlmBackends.Anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";

    private LlmClientOptions Options(string runId)
    {
        long Positive(ConfigKey key) => _config.GetInt(key.Key) is var n and > 0
            ? n
            : throw new SelftuneException(ErrorCodes.ConfigInvalid, $"Setting '{key.Key}' must be a positive whole number.", ShellCommand.Line($"selftune config set {key.Key} {key.Default}"));
        return new LlmClientOptions
        {
            RunId = runId,
            Timeout = TimeSpan.FromSeconds(Positive(ConfigKeys.LlmTimeoutSeconds)),
            MaxCalls = (int)Math.Min(int.MaxValue, Positive(ConfigKeys.LlmMaxCalls)),
            MaxTokens = Positive(ConfigKeys.LlmMaxTokens),
            RetryBaseDelay = RetryBaseDelay,
        };
    }
}
