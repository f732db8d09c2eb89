using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Selftune.Abstractions;
using Selftune.Core.Analysis;
using Selftune.Core.Configuration;
using Selftune.Core.Ingest;
using Selftune.Core.Llm;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests.Analysis;

/// <summary>The LLM pass of <c>sessions classify --llm</c> against an OpenAI-compatible server on 127.0.0.1, through the real
/// factory and budget: each session's prompt holds a word the fake model answers by (its verdict per model).</summary>
public sealed partial class OutcomeJudgeTests : IDisposable
{
    private const string Cheap = "cheap-model";
    private const string Strong = "strong-model";
    private readonly TestStore _db = new();
    private readonly LoopbackHttpServer _server;
    private readonly Dictionary<string, string?> _flags = new(StringComparer.Ordinal);

    /// <summary>Per model, per word: the answer entry's outcome and confidence (absent: "unknown", 0.9).</summary>
    private readonly Dictionary<(string Model, string Word), (string Outcome, double Confidence)> _verdicts = new();

    /// <summary>Words whose batch the fake model answers with prose instead of JSON.</summary>
    private readonly HashSet<string> _garbled = new(StringComparer.Ordinal);

    public OutcomeJudgeTests()
    {
        _server = new LoopbackHttpServer(Respond);
        _flags[ConfigKeys.LlmBackend.Key] = "openai-compatible";
        _flags[ConfigKeys.LlmModel.Key] = "default-model";
        _flags[ConfigKeys.LlmBaseUrl.Key] = _server.BaseUrl + "v1";
    }

    [Fact]
    public async Task UnknownSessionsAreDecidedAndOnlyTheAmbiguousOnesGoToTheSecondModel()
    {
        Unknown("u1", "alpha");
        Unknown("u2", "beta");
        Unknown("u3", "gamma");
        _db.Session("done", 30, "fix the build, thanks");
        _db.Write(w => w.Session(new SessionRecord("empty", TestStore.Transcript, StartedAt: TestStore.T0, Status: CompletionStatus.Unknown))); // nothing to judge: not sent
        _verdicts[(Cheap, "alpha")] = ("success", 0.9);
        _verdicts[(Cheap, "beta")] = ("partial", 0.3);
        _verdicts[(Strong, "beta")] = ("failed", 0.85);
        _verdicts[(Cheap, "gamma")] = ("blocked", 0.7);
        Classify();
        Assert.All(new[] { "u1", "u2", "u3" }, id => Assert.Equal(Outcome.Unknown, OutcomeStore.Read(_db.Store)[id].Value));

        var report = await JudgeAsync();

        Assert.Equal((3, 3, 3, 1, 0, false), (report.Unknown, report.Asked, report.Decided, report.Escalated, report.BadAnswers, report.BudgetExhausted));
        var outcomes = OutcomeStore.Read(_db.Store);
        Assert.Equal((Outcome.Success, OutcomeMethod.Llm, Cheap), (outcomes["u1"].Value, outcomes["u1"].Method, outcomes["u1"].Model));
        Assert.Equal((Outcome.Failed, OutcomeMethod.Llm, Strong, 0.85), (outcomes["u2"].Value, outcomes["u2"].Method, outcomes["u2"].Model, outcomes["u2"].Confidence));
        Assert.Equal((Outcome.Blocked, Cheap), (outcomes["u3"].Value, outcomes["u3"].Model));
        Assert.Equal("llm", outcomes["u1"].Evidence[0].Signal);
        Assert.Equal(OutcomeMethod.Rules, outcomes["done"].Method);

        var requests = Requests();
        Assert.Equal(2, requests.Count);
        Assert.Equal(Cheap, requests[0].Model);
        Assert.Contains("alpha", requests[0].User);
        Assert.DoesNotContain("thanks", requests[0].User); // decided by the rules: never sent
        Assert.Equal(Strong, requests[1].Model);
        Assert.Contains("beta", requests[1].User);
        Assert.DoesNotContain("alpha", requests[1].User);

        Assert.Equal(
            OutcomeStore.Read(_db.Store).Values.GroupBy(o => Json.Name(o.Value)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count())),
            OutcomeStore.CountByOutcome(_db.Store).Select(c => (c.Key, c.Value)));
        Assert.Equal(["blocked", "failed", "success", "unknown"], OutcomeStore.CountByOutcome(_db.Store).Keys);

        // The rules deciding again keep the LLM's decisions.
        Classify();
        Assert.Equal(OutcomeMethod.Llm, OutcomeStore.Read(_db.Store)["u1"].Method);
        Assert.Equal(0, (await JudgeAsync()).Unknown);
    }

    [Fact]
    public async Task TheBudgetStopsThePassAndKeepsWhatWasDecided()
    {
        foreach (var (id, word) in new[] { ("u1", "alpha"), ("u2", "beta"), ("u3", "gamma") })
        {
            Unknown(id, word);
            _verdicts[(Cheap, word)] = ("success", 0.9);
        }

        Classify();
        _flags[ConfigKeys.LlmMaxCalls.Key] = "1";

        var report = await JudgeAsync(batchSize: 2);

        Assert.True(report.BudgetExhausted);
        Assert.Equal((3, 2, 2), (report.Unknown, report.Asked, report.Decided));
        Assert.Single(Requests());
        Assert.Contains(report.Notes, n => n.Contains("1 session(s) were not asked", StringComparison.Ordinal));
        Assert.Equal(1, OutcomeStore.Read(_db.Store).Values.Count(o => o.Value == Outcome.Unknown));
    }

    [Fact]
    public async Task AMalformedAnswerLeavesItsSessionsUnknownAndThePassGoesOn()
    {
        Unknown("u1", "alpha");
        Unknown("u2", "beta");
        Unknown("u3", "gamma");
        Unknown("u4", "delta");
        _garbled.Add("delta"); // u4 and u3 (newest first) share the first batch: prose, no JSON
        _verdicts[(Cheap, "beta")] = ("great", 0.9); // not an outcome
        _verdicts[(Cheap, "alpha")] = ("success", 0.9);
        Classify();

        var report = await JudgeAsync(batchSize: 2);

        Assert.Equal((4, 4, 1, 3), (report.Unknown, report.Asked, report.Decided, report.BadAnswers));
        var outcomes = OutcomeStore.Read(_db.Store);
        Assert.Equal(Outcome.Success, outcomes["u1"].Value);
        Assert.All(new[] { "u2", "u3", "u4" }, id => Assert.Equal((Outcome.Unknown, OutcomeMethod.Rules), (outcomes[id].Value, outcomes[id].Method)));
        Assert.Contains(report.Notes, n => n.Contains("LLM_BAD_ANSWER", StringComparison.Ordinal) || n.Contains("not the JSON expected", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _server.Dispose();
        _db.Dispose();
    }

    /// <summary>A session whose end the log does not state, with one prompt and no other evidence: the rules say unknown.</summary>
    private void Unknown(string id, string word)
    {
        var minute = int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture) * 10;
        _db.Write(w =>
        {
            w.Session(new SessionRecord(id, TestStore.Transcript, StartedAt: TestStore.T0.AddMinutes(minute), EndedAt: TestStore.T0.AddMinutes(minute + 5), Status: CompletionStatus.Unknown));
            w.Prompt(new PromptRecord(id + ":p0", id, TestStore.T0.AddMinutes(minute), $"please look at the {word} module", PromptKind.User, TestStore.Transcript));
        });
    }

    private void Classify() => OutcomeStore.ClassifyChanged(_db.Store, null, TestStore.T0.ToUnixTimeMilliseconds());

    private Task<OutcomeJudgeReport> JudgeAsync(int batchSize = OutcomeJudge.DefaultBatchSize)
    {
        var home = new SelftuneHome(_db.Folder);
        var config = SelftuneConfig.Load(home.ConfigPath, _ => null, _flags);
        var context = new PlatformContext(_db.Folder, _db.Folder, _ => null);
        var llm = new LlmClientFactory(config, home, context, [], TimeProvider.System) { RetryBaseDelay = TimeSpan.FromMilliseconds(5) }.Create("classify-test");
        return OutcomeJudge.ClassifyUnknownAsync(_db.Store, llm, new OutcomeJudgeOptions(Cheap, Strong, batchSize), TestStore.T0.ToUnixTimeMilliseconds(), CancellationToken.None);
    }

    private List<(string Model, string User)> Requests() => _server.Requests.Select(r =>
    {
        var body = JsonNode.Parse(r.Body)!;
        return ((string)body["model"]!, User(body));
    }).ToList();

    private static string User(JsonNode body) => string.Concat(body["messages"]!.AsArray().Where(m => (string?)m!["role"] == "user").Select(m => m!["content"] is JsonArray parts ? string.Concat(parts.Select(p => (string?)p!["text"])) : (string?)m!["content"]));

    private (int Status, string Body) Respond(LoopbackHttpServer.Received received)
    {
        var body = JsonNode.Parse(received.Body)!;
        var model = (string)body["model"]!;
        var user = User(body);
        var keys = SessionKey().Matches(user).Select(m => (Key: m.Groups[1].Value, Word: m.Groups[2].Value)).ToList();
        if (keys.Any(k => _garbled.Contains(k.Word)))
        {
            return (200, LoopbackHttpServer.ChatCompletion("I looked at these sessions and they seem fine overall."));
        }

        var entries = keys.Select(k => _verdicts.TryGetValue((model, k.Word), out var v)
            ? new { key = k.Key, outcome = v.Outcome, confidence = v.Confidence, reason = "the user asked about " + k.Word }
            : new { key = k.Key, outcome = "unknown", confidence = 0.9, reason = "no evidence" });
        return (200, LoopbackHttpServer.ChatCompletion(JsonSerializer.Serialize(new { sessions = entries })));
    }

    [GeneratedRegex(@"^(S\d+): .*\n  user: please look at the (\w+) module", RegexOptions.Multiline)]
    private static partial Regex SessionKey();
}
