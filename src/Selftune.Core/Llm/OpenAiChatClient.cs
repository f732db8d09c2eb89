using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Selftune.Core.Llm;

/// <summary>
/// A thin <see cref="IChatClient"/> over the official OpenAI package's <see cref="ChatClient"/> (chat completions), for
/// any OpenAI-compatible endpoint: OpenAI, Ollama, vLLM, llama.cpp server, LM Studio. (Microsoft.Extensions.AI.OpenAI,
/// which ships such an adapter, is not available from this package mirror.) Text in, text out: no tools, no images.
/// </summary>
internal sealed class OpenAiChatClient : IChatClient
{
    private readonly ChatClient _client;

    public OpenAiChatClient(ChatClient client) => _client = client;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var converted = messages.Select(Convert).ToList();
        var completionOptions = new ChatCompletionOptions { MaxOutputTokenCount = options?.MaxOutputTokens };
        var result = await _client.CompleteChatAsync(converted, completionOptions, cancellationToken).ConfigureAwait(false);
        var completion = result.Value;
        var text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text));
        return new ChatResponse(new AiChatMessage(AiChatRole.Assistant, text))
        {
            ModelId = completion.Model,
            ResponseId = completion.Id,
            Usage = completion.Usage is { } usage
                ? new UsageDetails { InputTokenCount = usage.InputTokenCount, OutputTokenCount = usage.OutputTokenCount, TotalTokenCount = usage.TotalTokenCount }
                : null,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : serviceKey is null && serviceType.IsInstanceOfType(_client) ? _client : null;

    public void Dispose()
    {
    }

    private static OpenAI.Chat.ChatMessage Convert(AiChatMessage message) => message.Role == AiChatRole.System
        ? new SystemChatMessage(message.Text)
        : message.Role == AiChatRole.Assistant
            ? new AssistantChatMessage(message.Text)
            : new UserChatMessage(message.Text);
}
