using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Selftune.Abstractions;

namespace Selftune.Core.Llm;

/// <summary>
/// Adapts a platform plugin's <see cref="IAgentRunner"/> (the user's agent CLI run non-interactively) to
/// <see cref="IChatClient"/>: system messages become the runner's system prompt, the other messages its user prompt.
/// The usage the agent reports is returned in <see cref="ChatResponse.Usage"/>, and its cost in USD (a
/// <see cref="decimal"/>) under <see cref="CostProperty"/> in <see cref="ChatResponse.AdditionalProperties"/>.
/// </summary>
internal sealed class AgentChatClient : IChatClient
{
    /// <summary>The additional-property key of the reported cost (USD, <see cref="decimal"/>).</summary>
    public const string CostProperty = "cost_usd";

    private readonly IAgentRunner _runner;
    private readonly TimeSpan _timeout;

    /// <summary>Creates the adapter.</summary>
    /// <param name="runner">The platform's runner.</param>
    /// <param name="timeout">Wall-clock limit of one agent process.</param>
    public AgentChatClient(IAgentRunner runner, TimeSpan timeout)
    {
        _runner = runner;
        _timeout = timeout;
    }

    /// <inheritdoc />
    /// <exception cref="AgentRunnerException">The agent failed; <see cref="AgentRunnerException.Transient"/> says whether a retry may help.</exception>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var system = string.Join("\n\n", list.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        var user = string.Join("\n\n", list.Where(m => m.Role != ChatRole.System).Select(m => m.Text));
        var completion = await _runner.CompleteAsync(new AgentCompletionRequest(system, user, options?.ModelId, _timeout), cancellationToken).ConfigureAwait(false);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, completion.Text))
        {
            ModelId = completion.Model,
            Usage = new UsageDetails
            {
                InputTokenCount = completion.InputTokens,
                OutputTokenCount = completion.OutputTokens,
                TotalTokenCount = completion.InputTokens + completion.OutputTokens,
            },
        };
        if (completion.CostUsd is { } cost)
        {
            response.AdditionalProperties = new AdditionalPropertiesDictionary { [CostProperty] = cost };
        }

        return response;
    }

    /// <inheritdoc />
    /// <remarks>Agents answer in one piece: this yields the whole answer as updates once it is complete.</remarks>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : serviceKey is null && serviceType.IsInstanceOfType(_runner) ? _runner : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
