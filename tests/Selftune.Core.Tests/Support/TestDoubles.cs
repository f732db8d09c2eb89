using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Selftune.Core.Tests.Support;

/// <summary>An in-process chat backend answering from a script (the last answer repeats) and recording what it was asked.</summary>
public sealed class ScriptedChatClient(params string[] answers) : IChatClient
{
    private int _next;

    public List<List<ChatMessage>> Received { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Received.Add(messages.ToList());
        var text = answers[Math.Min(_next++, answers.Length - 1)];
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20 } });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
