using System.Text.Json;
using NSubstitute;
using Selftune.Core.Configuration;
using Selftune.Core.Llm;
using Selftune.Core.Store;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests;

/// <summary>The API backends, through the real factory and the official SDKs, against loopback servers speaking the
/// Anthropic Messages and OpenAI chat-completions protocols: requests, usage, retries, timeouts, bad answers, budgets,
/// and the llm_calls record.</summary>
public sealed class LlmBackendTests : IDisposable
{
    private const string Key = "sk-test-key";
    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-llm-").FullName;
    private readonly LoopbackHttpServer _server = new();
    private readonly Dictionary<string, string?> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _env = new(StringComparer.Ordinal) { ["ANTHROPIC_API_KEY"] = Key };

    private SelftuneHome Home => new(_dir);

    [Fact]
    public async Task AnthropicBackendSendsAMessagesRequestAndRecordsTheCall()
    {
        UseAnthropic();
        _server.Reply(200, AnthropicMessage("Paris", 21, 7));
        var client = Factory().Create("run-1");

        var text = await client.CompleteAsync(new LlmRequest("llm-test", "Be brief.", "Capital of France?", 100), CancellationToken.None);

        Assert.Equal("Paris", text);
        Assert.Equal("anthropic", client.Backend);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("/v1/messages", request.Path);
        Assert.Contains(request.Headers, h => h.Key is "x-api-key" or "Authorization" && h.Value.EndsWith(Key, StringComparison.Ordinal)); // 13.x sends it as a bearer token
        Assert.Contains(request.Headers, h => h.Key == "anthropic-version");
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("claude-test", body.RootElement.GetProperty("model").GetString());
        Assert.Equal(100, body.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.Contains("Be brief.", body.RootElement.GetProperty("system").ToString());
        Assert.Contains("Capital of France?", body.RootElement.GetProperty("messages").ToString());
        Assert.Equal(new LlmUsage(1, 21, 7, 0m, client.Usage.ElapsedMs), client.Usage);
        var call = Assert.Single(Calls("run-1"));
        Assert.Equal(("llm-test", "anthropic", "claude-haiku-4-5-20251001", 21L, 7L, 1, (string?)null), (call.Purpose, call.Backend, call.Model, call.InputTokens, call.OutputTokens, call.Attempts, call.ErrorCode));
    }

    [Fact]
    public async Task RateLimitAndServerErrorsAreRetriedUntilTheAnswerComes()
    {
        UseAnthropic();
        _server.Reply(429, AnthropicError("rate_limit_error", "slow down"))
            .Reply(529, AnthropicError("overloaded_error", "overloaded"))
            .Reply(500, AnthropicError("api_error", "oops"))
            .Reply(200, AnthropicMessage("done", 3, 1));
        var client = Factory().Create("run-2");

        Assert.Equal("done", await client.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(4, _server.Requests.Count);
        Assert.Equal(4, Assert.Single(Calls("run-2")).Attempts);
        Assert.Equal(1, client.Usage.Calls);
    }

    [Fact]
    public async Task AnUnauthorizedKeyIsNotRetriedAndSaysWhereTheKeyComesFrom()
    {
        UseAnthropic();
        _server.Reply(401, AnthropicError("authentication_error", "invalid x-api-key"));
        var client = Factory().Create("run-3");

        var error = await Assert.ThrowsAsync<SelftuneException>(() => client.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.LlmUnavailable, error.Code);
        Assert.Contains("401", error.Message);
        Assert.Contains("api_key_env", error.NextCommand);
        Assert.Single(_server.Requests);
        Assert.Equal(ErrorCodes.LlmUnavailable, Assert.Single(Calls("run-3")).ErrorCode);
    }

    [Fact]
    public async Task OpenAiCompatibleBackendSendsAChatCompletionWithTheBearerKey()
    {
        UseOpenAi();
        _env["OPENAI_API_KEY"] = "local-key";
        _server.Reply(200, LoopbackHttpServer.ChatCompletion("hello from llama", 12, 4));
        var client = Factory().Create("run-4");

        Assert.Equal("hello from llama", await client.CompleteAsync(Request(), CancellationToken.None));

        var request = Assert.Single(_server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer local-key", request.Headers["Authorization"]);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("llama3", body.RootElement.GetProperty("model").GetString());
        Assert.Equal(2, body.RootElement.GetProperty("messages").GetArrayLength());
        Assert.Equal(("openai-compatible", 12L, 4L), (client.Backend, client.Usage.InputTokens, client.Usage.OutputTokens));
    }

    [Fact]
    public async Task AnAttemptThatTimesOutIsAbandonedAndRetried()
    {
        UseOpenAi();
        _flags[ConfigKeys.LlmTimeoutSeconds.Key] = "1";
        _server.Reply(200, LoopbackHttpServer.ChatCompletion("too late", 1, 1), delay: TimeSpan.FromSeconds(20)).Reply(200, LoopbackHttpServer.ChatCompletion("in time", 1, 1));
        var client = Factory().Create("run-5");

        Assert.Equal("in time", await client.CompleteAsync(Request(), CancellationToken.None));

        // The first attempt was abandoned; on a loaded machine a later one may time out too, so count, don't pin.
        Assert.InRange(_server.Requests.Count, 2, 4);
        Assert.InRange(Assert.Single(Calls("run-5")).Attempts, 2, 4);
    }

    [Fact]
    public async Task ABackendThatKeepsFailingIsReportedAfterTheRetries()
    {
        UseOpenAi();
        _server.Reply(503, """{"error":{"message":"model loading","type":"server_error"}}""");
        var client = Factory().Create("run-6");

        var error = await Assert.ThrowsAsync<SelftuneException>(() => client.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.LlmUnavailable, error.Code);
        Assert.Contains("after 4 attempt(s)", error.Message);
        Assert.Contains("503", error.Message);
        Assert.Equal(4, _server.Requests.Count);
    }

    [Fact]
    public void WhatNeedsAnLlmGetsItsClientOrWhyTheBackendCannotBeUsedAndTheOfflineBackendPasses()
    {
        UseAnthropic();
        Assert.Equal("anthropic", Factory().CreateRequired("run-r1", "A baseline").Backend);

        _env.Remove("ANTHROPIC_API_KEY");
        var error = Assert.Throws<SelftuneException>(() => Factory().CreateRequired("run-r2", "Evolve", "selftune evolve --skill x --llm offline", "Or try it offline."));
        Assert.Equal(ErrorCodes.LlmUnavailable, error.Code);
        Assert.Equal("Evolve needs an LLM: the anthropic backend needs an API key in the environment variable ANTHROPIC_API_KEY, which is not set. Or try it offline.", error.Message);
        Assert.Equal("selftune evolve --skill x --llm offline", error.NextCommand);
        Assert.Equal("selftune llm test", Assert.Throws<SelftuneException>(() => Factory().CreateRequired("run-r3", "A baseline")).NextCommand);

        _flags[ConfigKeys.LlmBackend.Key] = "offline";
        Assert.Equal("offline", Factory().CreateRequired("run-r4", "Evolve").Backend);
    }

    [Fact]
    public async Task JsonIsReadThroughFencesAndProse()
    {
        UseOpenAi();
        _server.Reply(200, LoopbackHttpServer.ChatCompletion("Sure! Here it is:\n```json\n{\"verdict\": \"yes\", \"score\": 0.8}\n```\nAnything else?", 5, 5));
        var client = Factory().Create("run-7");

        var answer = await client.CompleteJsonAsync<JudgeAnswer>(Request(), CancellationToken.None);

        Assert.Equal(new JudgeAnswer("yes", 0.8), answer);
    }

    [Fact]
    public async Task AnAnswerWithoutTheJsonIsABadAnswerQuotingIt()
    {
        UseOpenAi();
        _server.Reply(200, LoopbackHttpServer.ChatCompletion("I cannot answer that in JSON, sorry.", 5, 5));
        var client = Factory().Create("run-8");

        var error = await Assert.ThrowsAsync<SelftuneException>(() => client.CompleteJsonAsync<JudgeAnswer>(Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.LlmBadAnswer, error.Code);
        Assert.Contains("I cannot answer that in JSON", error.Message);
        Assert.Contains("JudgeAnswer", error.Message);
    }

    [Fact]
    public async Task AMalformedProtocolBodyFailsTheCallClearly()
    {
        UseOpenAi();
        _server.Reply(200, "<html>proxy error</html>", contentType: "text/html");
        var client = Factory().Create("run-9");

        var error = await Assert.ThrowsAsync<SelftuneException>(() => client.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.LlmUnavailable, error.Code);
        Assert.Contains("openai-compatible", error.Message);
        Assert.Equal(ErrorCodes.LlmUnavailable, Assert.Single(Calls("run-9")).ErrorCode);
    }

    [Fact]
    public async Task TheCallBudgetStopsTheRunBeforeTheNextRequest()
    {
        UseOpenAi();
        _flags[ConfigKeys.LlmMaxCalls.Key] = "2";
        _server.Reply(200, LoopbackHttpServer.ChatCompletion("ok", 10, 2));
        var client = Factory().Create("run-10");
        await client.CompleteAsync(Request(), CancellationToken.None);
        await client.CompleteAsync(Request(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<SelftuneException>(() => client.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.BudgetExhausted, error.Code);
        Assert.Contains("llm.max_calls", error.NextCommand);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(2, client.Usage.Calls);
    }

    [Fact]
    public async Task TheTokenBudgetStopsTheRunOnceSpent()
    {
        UseOpenAi();
        _flags[ConfigKeys.LlmMaxTokens.Key] = "100";
        _server.Reply(200, LoopbackHttpServer.ChatCompletion("ok", 90, 20));
        var client = Factory().Create("run-11");
        await client.CompleteAsync(Request(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<SelftuneException>(() => client.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.BudgetExhausted, error.Code);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task AMissingKeyMakesTheBackendUnavailableWithTheFix()
    {
        UseAnthropic();
        _env.Remove("ANTHROPIC_API_KEY");
        var factory = Factory();

        Assert.False(factory.IsAvailable(out var reason));
        Assert.Contains("ANTHROPIC_API_KEY", reason);
        var error = await Assert.ThrowsAsync<SelftuneException>(() => factory.Create("run-12").CompleteAsync(Request(), CancellationToken.None));
        Assert.Equal(ErrorCodes.LlmUnavailable, error.Code);
        Assert.Equal("export ANTHROPIC_API_KEY=<key>", error.NextCommand);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task OfflineMakesNoCallAndSaysHowToTurnAnLlmOn()
    {
        _flags[ConfigKeys.LlmBackend.Key] = "offline";
        var client = Factory().Create("run-13");

        Assert.Equal("offline", client.Backend);
        var error = await Assert.ThrowsAsync<SelftuneException>(() => client.CompleteAsync(Request(), CancellationToken.None));
        Assert.Equal(ErrorCodes.LlmUnavailable, error.Code);
        Assert.Equal("selftune config set llm.backend agent", error.NextCommand);
    }

    /// <summary>Which agent answers when <c>llm.agent</c> is unset is the runners' own preference, not a list of platforms.</summary>
    [Fact]
    public void TheAgentBackendAsksTheInstalledRunnerThePluginsPreferFirst()
    {
        _flags[ConfigKeys.LlmBackend.Key] = "agent";
        var config = SelftuneConfig.Load(Home.ConfigPath, name => _env.GetValueOrDefault(name), _flags);
        var context = new Abstractions.PlatformContext(_dir, _dir, name => _env.GetValueOrDefault(name));
        Abstractions.IAgentRunner Runner(string platform, int preference, bool available)
        {
            var runner = Substitute.For<Abstractions.IAgentRunner>();
            runner.Platform.Returns(platform);
            runner.Executable.Returns(platform + "-cli");
            runner.Preference.Returns(preference);
            runner.IsAvailable(Arg.Any<Abstractions.PlatformContext>()).Returns(available);
            return runner;
        }

        var factory = new LlmClientFactory(config, Home, context, [Runner("aardvark", 100, true), Runner("zed", 5, true), Runner("yak", 1, false)], TimeProvider.System);

        Assert.True(factory.IsAvailable(out var reason));
        Assert.Contains("zed-cli (zed)", reason);
    }

    [Fact]
    public void TheAgentBackendWithoutAnyRunnerNamesThePluginsCommand()
    {
        var factory = Factory();
        Assert.False(factory.IsAvailable(out var reason));
        Assert.Contains("runner", reason);
        Assert.Equal("agent", factory.Create("run-14").Backend);
    }

    [Fact]
    public void AnUnknownBackendIsAConfigError()
    {
        _flags[ConfigKeys.LlmBackend.Key] = "gpt";
        var error = Assert.Throws<SelftuneException>(() => Factory().Create("run-15"));
        Assert.Equal(ErrorCodes.ConfigInvalid, error.Code);
        Assert.Equal(error.Message, Assert.Throws<SelftuneException>(() => Factory().IsAvailable(out _)).Message);
        Assert.StartsWith("Setting 'llm.backend' cannot be 'gpt': it must be one of agent, anthropic, openai-compatible, offline (set in ", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static LlmRequest Request() => new("test", "system", "user");

    private void UseAnthropic()
    {
        _flags[ConfigKeys.LlmBackend.Key] = "anthropic";
        _flags[ConfigKeys.LlmModel.Key] = "claude-test";
        _flags[ConfigKeys.LlmBaseUrl.Key] = _server.BaseUrl.TrimEnd('/');
    }

    private void UseOpenAi()
    {
        _flags[ConfigKeys.LlmBackend.Key] = "openai-compatible";
        _flags[ConfigKeys.LlmModel.Key] = "llama3";
        _flags[ConfigKeys.LlmBaseUrl.Key] = _server.BaseUrl + "v1";
    }

    private LlmClientFactory Factory()
    {
        var config = SelftuneConfig.Load(Home.ConfigPath, name => _env.GetValueOrDefault(name), _flags);
        var context = new Abstractions.PlatformContext(_dir, _dir, name => _env.GetValueOrDefault(name));
        return new LlmClientFactory(config, Home, context, [], TimeProvider.System) { RetryBaseDelay = TimeSpan.FromMilliseconds(5) };
    }

    private IReadOnlyList<LlmCallRecord> Calls(string runId)
    {
        using var store = SelftuneStore.Open(Home.DatabasePath);
        return LlmCallLog.ForRun(store, runId);
    }

    private static string AnthropicMessage(string text, int input, int output) => JsonSerializer.Serialize(new
    {
        id = "msg_01",
        type = "message",
        role = "assistant",
        model = "claude-haiku-4-5-20251001",
        content = new[] { new { type = "text", text } },
        stop_reason = "end_turn",
        stop_sequence = (string?)null,
        usage = new { input_tokens = input, output_tokens = output },
    });

    private static string AnthropicError(string type, string message) => JsonSerializer.Serialize(new { type = "error", error = new { type, message } });

    private sealed record JudgeAnswer(string Verdict, double Score);
}
