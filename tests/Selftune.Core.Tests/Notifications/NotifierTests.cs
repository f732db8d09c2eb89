using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Notifications;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests.Notifications;

/// <summary>Notifications against a real HTTP server on 127.0.0.1 and a real shell command.</summary>
public sealed class NotifierTests : IDisposable
{
    private static readonly Notification Message = new("test", "selftune test", "details");
    private readonly TempHome _home = new();

    [Fact]
    public async Task AWebhookGetsOneSlackAndDiscordCompatibleJsonPost()
    {
        using var server = new LoopbackHttpServer().Reply(200, "ok");
        var results = await Notifier(webhook: server.BaseUrl + "hook").SendAsync(Message, CancellationToken.None);
        Assert.Equal([new NotifyResult("webhook", true, 1)], results);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("POST", "/hook"), (request.Method, request.Path));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Contains("selftune test", body.RootElement.GetProperty("text").GetString());
        Assert.Equal(body.RootElement.GetProperty("text").GetString(), body.RootElement.GetProperty("content").GetString());
    }

    [Fact]
    public async Task AWebhookAnswering500IsRetriedTwiceThenLoggedNotThrown()
    {
        using var server = new LoopbackHttpServer().Reply(500, "boom");
        var result = Assert.Single(await Notifier(webhook: server.BaseUrl).SendAsync(Message, CancellationToken.None));
        Assert.Equal(("webhook", false, 3, "HTTP 500"), (result.Channel, result.Sent, result.Attempts, result.Error));
        Assert.Equal(3, server.Requests.Count);
        Assert.Contains("test via webhook failed after 3 attempt(s): HTTP 500", File.ReadAllText(Path.Combine(_home.Home.LogsPath, "notify.log")));
    }

    [Fact]
    public async Task AWebhookThatHangsIsAbandonedAfterTheTimeoutOfEachAttempt()
    {
        using var server = new LoopbackHttpServer().Reply(200, "late", TimeSpan.FromSeconds(30));
        var result = Assert.Single(await Notifier(webhook: server.BaseUrl).SendAsync(Message, CancellationToken.None));
        Assert.False(result.Sent);
        Assert.Equal(3, result.Attempts);
        Assert.Contains("no answer within 1 s", result.Error);
    }

    [Fact]
    public async Task ARefusingWebhookIsNotRetried()
    {
        using var server = new LoopbackHttpServer().Reply(404, "no such hook");
        var result = Assert.Single(await Notifier(webhook: server.BaseUrl).SendAsync(Message, CancellationToken.None));
        Assert.Equal((false, 1, "HTTP 404"), (result.Sent, result.Attempts, result.Error));
    }

    [Fact]
    public async Task TheCommandGetsTheTitleAndTextAsItsLastTwoArguments()
    {
        var output = Path.Combine(_home.Root, "args.txt");
        var results = await Notifier(command: $"printf '%s|%s' >{output}").SendAsync(Message, CancellationToken.None);
        Assert.Equal([new NotifyResult("command", true, 1)], results);
        Assert.Equal("selftune test|details", File.ReadAllText(output));
        var failed = Assert.Single(await Notifier(command: "exit 3").SendAsync(Message, CancellationToken.None));
        Assert.Equal((false, "exit code 3: "), (failed.Sent, failed.Error));
    }

    public void Dispose() => _home.Dispose();

    private Notifier Notifier(string? webhook = null, string? command = null)
    {
        var flags = new Dictionary<string, string?>
        {
            [ConfigKeys.NotifyWebhookUrl.Key] = webhook,
            [ConfigKeys.NotifyCommand.Key] = command,
            [ConfigKeys.NotifyTimeoutSeconds.Key] = "1",
        };
        var config = SelftuneConfig.Load(_home.Home.ConfigPath, Environment.GetEnvironmentVariable, flags);
        var context = new PlatformContext(_home.Root, _home.Root, Environment.GetEnvironmentVariable);
        return new Notifier(config, _home.Home, context, TimeProvider.System) { RetryDelay = TimeSpan.FromMilliseconds(10) };
    }
}
