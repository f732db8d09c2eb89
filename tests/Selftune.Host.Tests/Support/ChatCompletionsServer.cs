using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Selftune.Host.Tests.Support;

/// <summary>
/// A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol (<c>POST /v1/chat/completions</c>), for
/// the <c>openai-compatible</c> LLM backend: each request's system and user messages go to a responder whose text
/// becomes the answer. Every request is recorded.
/// </summary>
public sealed class ChatCompletionsServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, string, string> _respond;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Starts the server.</summary>
    /// <param name="respond">Answers (system, user) with the assistant's text.</param>
    public ChatCompletionsServer(Func<string, string, string> respond)
    {
        _respond = respond;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = $"http://127.0.0.1:{port}/v1";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    /// <summary>The base URL to configure (<c>llm.base_url</c>).</summary>
    public string BaseUrl { get; }

    /// <summary>(system, user) of every request, in arrival order.</summary>
    public ConcurrentQueue<(string System, string User)> Requests { get; } = new();

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var request = JsonNode.Parse(await reader.ReadToEndAsync())!;
        var messages = request["messages"]!.AsArray();
        string Content(string role) => messages.Where(m => (string?)m!["role"] == role).Select(m => m!["content"] is JsonArray parts ? string.Concat(parts.Select(p => (string?)p!["text"])) : (string?)m!["content"]).FirstOrDefault() ?? string.Empty;
        var system = Content("system");
        var user = Content("user");
        Requests.Enqueue((system, user));
        string body;
        int status;
        try
        {
            var text = _respond(system, user);
            status = 200;
            body = JsonSerializer.Serialize(new
            {
                id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..8],
                @object = "chat.completion",
                created = 1_767_225_600,
                model = (string?)request["model"] ?? "fake",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
                usage = new { prompt_tokens = user.Length / 4, completion_tokens = text.Length / 4, total_tokens = (user.Length + text.Length) / 4 },
            });
        }
        catch (Exception ex)
        {
            status = 500;
            body = JsonSerializer.Serialize(new { error = new { message = ex.Message, type = "server_error" } });
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }
}
