using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Selftune.Core.Tests.Support;

/// <summary>A real HTTP server on 127.0.0.1 answering from a script (each request takes the next scripted reply; the last
/// one repeats) or from a responder function. Records every request (method, path, headers, body) so tests can check
/// what the client sent.</summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ScriptedReply> _script = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<Received, (int Status, string Body)>? _respond;
    private ScriptedReply? _last;

    /// <summary>Starts a server that answers with a responder instead of a script.</summary>
    public LoopbackHttpServer(Func<Received, (int Status, string Body)> respond)
        : this() => _respond = respond;

    public LoopbackHttpServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    /// <summary>The server's address, ending in '/'.</summary>
    public string BaseUrl { get; }

    /// <summary>An OpenAI chat-completions response body whose answer is <paramref name="text"/>.</summary>
    /// <param name="text">The assistant's text.</param>
    /// <param name="prompt">Prompt tokens reported.</param>
    /// <param name="completion">Completion tokens reported.</param>
    public static string ChatCompletion(string text, int prompt = 100, int completion = 20) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-1",
        @object = "chat.completion",
        created = 1_700_000_000,
        model = "llama3",
        choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
        usage = new { prompt_tokens = prompt, completion_tokens = completion, total_tokens = prompt + completion },
    });

    /// <summary>Requests received, in order.</summary>
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Adds a reply to the script.</summary>
    public LoopbackHttpServer Reply(int status, string body, TimeSpan? delay = null, string contentType = "application/json")
    {
        _script.Enqueue(new ScriptedReply(status, body, delay ?? TimeSpan.Zero, contentType));
        return this;
    }

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

            var reply = _respond is not null ? null : _script.TryDequeue(out var next) ? _last = next : _last ?? new ScriptedReply(500, "{}", TimeSpan.Zero, "application/json");
            _ = Task.Run(() => AnswerAsync(context, reply));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context, ScriptedReply? scripted)
    {
        try
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var received = new Received(context.Request.HttpMethod, context.Request.Url!.AbsolutePath,
                context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase), body);
            Requests.Enqueue(received);
            var reply = scripted ?? Respond(received);
            if (reply.Delay > TimeSpan.Zero)
            {
                await Task.Delay(reply.Delay, _stop.Token);
            }

            var bytes = Encoding.UTF8.GetBytes(reply.Body);
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = reply.ContentType;
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes, _stop.Token);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The client gave up (a timeout test) or the server is shutting down.
        }
    }

    private ScriptedReply Respond(Received received)
    {
        var (status, body) = _respond!(received);
        return new ScriptedReply(status, body, TimeSpan.Zero, "application/json");
    }

    /// <summary>One request as received.</summary>
    public sealed record Received(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

    private sealed record ScriptedReply(int Status, string Body, TimeSpan Delay, string ContentType);
}
