using System.Text.Json;
using System.Text.RegularExpressions;
using Selftune.Abstractions;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary><c>sessions classify [--llm [BACKEND]]</c> and the outcomes in <c>status</c>, through the real executable with an
/// OpenAI-compatible server on 127.0.0.1 as the LLM.</summary>
public sealed partial class SessionClassifyCommandTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 10, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly SelftuneCli _cli = new();
    private readonly ChatCompletionsServer _llm;

    public SessionClassifyCommandTests()
    {
        // Every session: one prompt, no end state, no tool call: the rules leave it unknown.
        _llm = new ChatCompletionsServer((_, user) => JsonSerializer.Serialize(new
        {
            sessions = Key().Matches(user).Select(m => new { key = m.Value, outcome = "success", confidence = 0.9, reason = "the user asked for a small change" }),
        }));
        _cli.Environment["SELFTUNE_LLM_BACKEND"] = "openai-compatible";
        _cli.Environment["SELFTUNE_LLM_BASE_URL"] = _llm.BaseUrl;
        _cli.Environment["SELFTUNE_LLM_MODEL"] = "loopback";
        _cli.Environment["SELFTUNE_OUTCOMES_ESCALATION_MODEL"] = "loopback-strong";
        _cli.Environment["OPENAI_API_KEY"] = "test-key";
        StoredSessions.Write(_cli.SelftuneHome, "pdf-tools", [
            ("s1", T0, "turn this report into a PDF", InvocationKind.Implicit),
            ("s2", T0.AddHours(1), "merge the two PDFs", InvocationKind.Explicit),
            ("s3", T0.AddHours(2), "rename the variable", null),
        ]);
    }

    public void Dispose()
    {
        _llm.Dispose();
        _cli.Dispose();
    }

    [Fact]
    public void TheRulesAloneLeaveUnknownsAndNameTheLlmPass()
    {
        var rules = _cli.Run("sessions", "classify");

        Assert.True(rules.ExitCode == 0, rules.Stderr);
        Assert.Equal(3, rules.Json.GetProperty("outcomes").GetProperty("unknown").GetInt32());
        Assert.False(rules.Json.TryGetProperty("llm", out _)); // no LLM pass asked for
        Assert.Equal("selftune sessions classify --llm", rules.Json.GetProperty("next_command").GetString());
        Assert.Equal(0, _cli.Run("sessions", "classify", "--llm", "offline").Json.GetProperty("classified").GetInt32() - 3);
        Assert.Empty(_llm.Requests);
    }

    [Fact]
    public void TheLlmPassDecidesTheUnknownsAndStatusCountsThemPerSkill()
    {
        var classify = _cli.Run("sessions", "classify", "--llm", "--model", "loopback-cheap");

        Assert.True(classify.ExitCode == 0, classify.Stderr);
        var llm = classify.Json.GetProperty("llm");
        Assert.Equal((3, 3, 0), (llm.GetProperty("decided").GetInt32(), llm.GetProperty("asked").GetInt32(), llm.GetProperty("escalated").GetInt32()));
        Assert.Equal(["loopback-cheap", "loopback-strong"], llm.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(3, classify.Json.GetProperty("outcomes").GetProperty("success").GetInt32());
        Assert.Single(_llm.Requests); // one batch

        var status = _cli.Run("status", "--json");
        var pdf = status.Json.GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "pdf-tools");
        Assert.Equal((2, 2), (pdf.GetProperty("outcomes").GetProperty("sessions").GetInt32(), pdf.GetProperty("outcomes").GetProperty("success").GetInt32()));

        var last = _cli.Run("last", "--json").Json.GetProperty("session").GetProperty("outcome");
        Assert.Equal(("success", "llm", "loopback-cheap"), (last.GetProperty("value").GetString(), last.GetProperty("method").GetString(), last.GetProperty("model").GetString()));
    }

    [GeneratedRegex(@"^S\d+(?=:)", RegexOptions.Multiline)]
    private static partial Regex Key();
}
