using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Selftune.Core.Tests.Support;

namespace Selftune.Host.Tests.Support;

/// <summary>
/// A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol (<c>POST /v1/chat/completions</c>), for
/// the <c>openai-compatible</c> LLM backend: each request's system and user messages go to a responder whose text
/// becomes the answer. Every request is recorded.
/// </summary>
public sealed class ChatCompletionsServer : IDisposable
{
    private readonly Func<string, string, string> _respond;
    private readonly LoopbackHttpServer _server;

    /// <summary>Starts the server.</summary>
    /// <param name="respond">Answers (system, user) with the assistant's text.</param>
    public ChatCompletionsServer(Func<string, string, string> respond)
    {
        _respond = respond;
        _server = new LoopbackHttpServer(Answer);
    }

    /// <summary>The base URL to configure (<c>llm.base_url</c>).</summary>
    public string BaseUrl => _server.BaseUrl + "v1";

    /// <summary>(system, user) of every request, in arrival order.</summary>
    public ConcurrentQueue<(string System, string User)> Requests { get; } = new();

    /// <inheritdoc />
    public void Dispose() => _server.Dispose();

    private (int Status, string Body) Answer(LoopbackHttpServer.Received received)
    {
        var request = JsonNode.Parse(received.Body)!;
        var messages = request["messages"]!.AsArray();
        string Content(string role) => messages.Where(m => (string?)m!["role"] == role).Select(m => m!["content"] is JsonArray parts ? string.Concat(parts.Select(p => (string?)p!["text"])) : (string?)m!["content"]).FirstOrDefault() ?? string.Empty;
        var system = Content("system");
        var user = Content("user");
        Requests.Enqueue((system, user));
        try
        {
            var text = _respond(system, user);
            return (200, JsonSerializer.Serialize(new
            {
                id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..8],
                @object = "chat.completion",
                created = 1_767_225_600,
                model = (string?)request["model"] ?? "fake",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
                usage = new { prompt_tokens = user.Length / 4, completion_tokens = text.Length / 4, total_tokens = (user.Length + text.Length) / 4 },
            }));
        }
        catch (Exception ex)
        {
            return (500, JsonSerializer.Serialize(new { error = new { message = ex.Message, type = "server_error" } }));
        }
    }
}
