using Microsoft.Extensions.Time.Testing;
using Selftune.Abstractions;
using Selftune.Core.Eval;
using Selftune.Core.Grading;
using Selftune.Core.Llm;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests;

/// <summary>Session grading from a store written through the real record writer: pre-gates, the LLM grader's full
/// answer, storage, failure feedback for evolution, and the queries <c>grade auto</c> and <c>status</c> use.</summary>
public sealed class SessionGraderTests : IDisposable
{
    private const string Skill = "pdf-tools";

    private const string GraderAnswer = """
        Here is my grading.
        {"expectations": [
           {"id": "E1", "passed": true, "score": 0.9, "evidence": "P1 led to pdf-tools and a CSV was written"},
           {"id": "E2", "passed": false, "score": 0.3, "evidence": "P2 asks again for the header row"}],
         "claims": [{"claim": "The tables were extracted with a script", "type": "process", "verified": true, "evidence": "[tool] Bash: python extract.py"}],
         "failure_feedback": [{"prompt": "P2", "failure_reason": "The CSV lost its header row", "improvement_hint": "Say the skill keeps table headers", "invocation_type": "implicit"}],
         "summary": "Worked, but the user had to ask twice."}
        """;

    private readonly TestStore _db = new();
    private readonly SessionGrader _grader = new(new FakeTimeProvider(TestStore.T0.AddDays(1)));
    private readonly GradingStore _gradings = new();

    public SessionGraderTests()
    {
        var g1 = _db.Session("g1", 0, "extract the tables from report.pdf into csv", "the csv is missing the header row, fix it");
        _db.Invocation("gi1", "g1", 0, Skill, g1[0]);
        _db.Write(w =>
        {
            w.ToolCall(new ToolCallRecord("t1", "g1", TestStore.T0.AddMinutes(0.7), "Bash", TestStore.Transcript, Detail: "python extract.py report.pdf"));
            w.ToolCall(new ToolCallRecord("t2", "g1", TestStore.T0.AddMinutes(1.2), "Bash", TestStore.Transcript, IsError: true, Detail: "head out.csv"));
            w.ToolCall(new ToolCallRecord("t3", "g1", TestStore.T0.AddMinutes(1.5), "Edit", TestStore.Transcript, Detail: "extract.py"));
        });
        var g2 = _db.Session("g2", 100, "merge these two PDF files into one");
        _db.Invocation("gi2", "g2", 100, Skill, g2[0]);
        _db.Invocation("gi3", "g2", 100, "office:xlsx", g2[0]);
        _db.Write(w => w.Prompt(new PromptRecord("g3:p0", "g3", TestStore.T0.AddMinutes(200), "[selftune] merge the PDFs", PromptKind.Selftune, TestStore.Transcript)));
        _db.Write(w => w.Session(new SessionRecord("g3", TestStore.Transcript, StartedAt: TestStore.T0.AddMinutes(200))));
        _db.Invocation("gi4", "g3", 200, Skill, "g3:p0");
    }

    [Fact]
    public async Task PreGatesDecideWhatTheStoreShowsAndTheLlmGradesTheRestKeepingItsWholeAnswer()
    {
        var chat = new ScriptedChatClient(GraderAnswer);
        var llm = new LlmClient(chat, "test-backend", "m1");

        var result = await _grader.GradeAsync(_db.Store, new GradeRequest(Skill, "g1", SessionGrader.DeriveExpectations(Skill, null), "generic"), llm, CancellationToken.None);

        Assert.Equal(["pre-gate:skill_triggered", "llm", "llm", "pre-gate:error_bound", "pre-gate:session_completed"], result.Expectations.Select(e => e.Source));
        Assert.Equal([true, true, false, true, true], result.Expectations.Select(e => e.Passed));
        Assert.Equal(0.3, result.Expectations[2].Score);
        Assert.Equal("P2 asks again for the header row", result.Expectations[2].Evidence);
        Assert.Contains("1 tool error(s)", result.Expectations[3].Evidence);
        Assert.Equal(new GradingSummary(4, 1, 5, 0.8, 0.84), result.Summary);
        var failure = Assert.Single(result.FailureFeedback);
        Assert.Equal(new GradingFailure("the csv is missing the header row, fix it", "g1:p1", "The CSV lost its header row", "Say the skill keeps table headers", InvocationType.Implicit), failure);
        Assert.Equal("The tables were extracted with a script", Assert.Single(result.Claims).Claim);
        Assert.Equal("Worked, but the user had to ask twice.", result.Overall);
        Assert.Equal(("test-backend", "m1"), (result.Backend, result.Model));
        var m = result.Metrics;
        Assert.Equal(("completed", 2, 3, 1, 0, 180_000L), (m.Status, m.ActionablePrompts, m.ToolCalls, m.ToolErrors, m.SessionErrors, m.DurationMs));
        Assert.Equal([Skill], m.SkillsTriggered);

        var asked = chat.Received.Single()[1].Text;
        Assert.Contains("E1. The skill's work served what the user asked for", asked);
        Assert.Contains("E2. The user did not have to repeat", asked);
        Assert.DoesNotContain("E3.", asked);
        Assert.Contains("[P2] user: the csv is missing the header row", asked);
        Assert.Contains("[tool] Bash: head out.csv  → ERROR", asked);
        Assert.Contains("[skill] pdf-tools invoked (implicit)", asked);
    }

    [Fact]
    public async Task WhenThePreGatesDecideEverythingNoLlmIsAsked()
    {
        var file = Path.Combine(_db.Folder, "expectations.txt");
        File.WriteAllText(file, "# gates only\n- The pdf-tools skill was triggered\nTools were called\nNo more than 0 errors were encountered\n");
        var offline = LlmClient.Unavailable("offline", "no LLM", "selftune llm test");

        var result = await _grader.GradeAsync(_db.Store, new GradeRequest(Skill, "g1", SessionGrader.LoadExpectations(file), "file:" + file), offline, CancellationToken.None);

        Assert.Equal([true, true, false], result.Expectations.Select(e => e.Passed));
        Assert.Null(result.Backend);
        Assert.Equal(0, offline.Usage.Calls);
    }

    [Fact]
    public async Task AnAnswerThatSkipsAnExpectationIsABadAnswer()
    {
        var llm = new LlmClient(new ScriptedChatClient("""{"expectations":[{"id":"E1","passed":true}]}"""), "test", null);
        var error = await Assert.ThrowsAsync<SelftuneException>(() =>
            _grader.GradeAsync(_db.Store, new GradeRequest(Skill, "g1", SessionGrader.DeriveExpectations(Skill, null), "generic"), llm, CancellationToken.None));
        Assert.Equal(ErrorCodes.LlmBadAnswer, error.Code);
        Assert.Contains("E2", error.Message);
    }

    [Fact]
    public async Task ASessionOfUnknownOutcomeLeavesCompletionToTheLlm()
    {
        var llm = new LlmClient(new ScriptedChatClient("""{"expectations":[{"id":"E1","passed":false,"evidence":"no final turn"}]}"""), "test", null);
        var result = await _grader.GradeAsync(_db.Store, new GradeRequest(Skill, "g3", [new Expectation("The session completed")], "test"), llm, CancellationToken.None);
        Assert.Equal("llm", Assert.Single(result.Expectations).Source);
    }

    [Fact]
    public async Task GradingsAreStoredWholeAndFeedEvolutionAndStatus()
    {
        var llm = new LlmClient(new ScriptedChatClient(GraderAnswer), "test", null);
        var result = await _grader.GradeAsync(_db.Store, new GradeRequest(Skill, "g1", SessionGrader.DeriveExpectations(Skill, null), "generic"), llm, CancellationToken.None);
        _gradings.Save(_db.Store, result);

        var back = _gradings.Latest(_db.Store, Skill)!;
        Assert.Equal(result.FailureFeedback, back.FailureFeedback);
        Assert.Equal(result.Expectations, back.Expectations);
        Assert.Equal(result.Claims, back.Claims);
        Assert.Equal(
            ["The CSV lost its header row (prompt: \"the csv is missing the header row, fix it\") Hint: Say the skill keeps table headers"],
            _gradings.FailureFeedback(_db.Store, Skill, 5));
        Assert.Empty(_gradings.FailureFeedback(_db.Store, "office:xlsx", 5));
        var summary = Assert.Single(_gradings.Summaries(_db.Store));
        Assert.Equal((Skill, 1, 0.8, 0.8, "g1", 1), (summary.Skill, summary.Graded, summary.RecentPassRate, summary.LastPassRate, summary.LastSessionId, summary.OpenFailures));
    }

    [Fact]
    public async Task AutoGradingPicksUngradedSessionsNewestFirstAndSkipsSelftunesOwn()
    {
        Assert.Equal([("g2", "office:xlsx"), ("g2", Skill), ("g1", Skill)], SessionGrader.UngradedSessions(_db.Store, 10));
        Assert.Equal("g2", SessionGrader.LatestSession(_db.Store, Skill));
        Assert.Equal("g2", SessionGrader.LatestSession(_db.Store, "xlsx"));

        var llm = new LlmClient(new ScriptedChatClient("""{"expectations":[{"id":"E1","passed":true}]}"""), "test", null);
        _gradings.Save(_db.Store, await _grader.GradeAsync(_db.Store, new GradeRequest(Skill, "g2", [new Expectation("It worked", LlmOnly: true)], "test"), llm, CancellationToken.None));

        Assert.Equal([("g2", "office:xlsx"), ("g1", Skill)], SessionGrader.UngradedSessions(_db.Store, 10));
        Assert.Equal([("g2", "office:xlsx")], SessionGrader.UngradedSessions(_db.Store, 1));
    }

    [Fact]
    public void ExpectationFilesMayBeJsonArraysObjectsOrLines()
    {
        var dir = _db.Folder;
        File.WriteAllText(Path.Combine(dir, "a.json"), """["one", "two"]""");
        File.WriteAllText(Path.Combine(dir, "b.json"), """{"expectations": ["three"], "note": "x"}""");
        File.WriteAllText(Path.Combine(dir, "c.json"), "{\n  \"expectations\": [\"x\",,]\n}");

        Assert.Equal(["one", "two"], SessionGrader.LoadExpectations(Path.Combine(dir, "a.json")).Select(e => e.Text));
        Assert.Equal(["three"], SessionGrader.LoadExpectations(Path.Combine(dir, "b.json")).Select(e => e.Text));
        var error = Assert.Throws<SelftuneException>(() => SessionGrader.LoadExpectations(Path.Combine(dir, "c.json")));
        Assert.Equal(ErrorCodes.InvalidArgument, error.Code);
        Assert.Contains("line 2", error.Message);
        Assert.Equal(ErrorCodes.FileNotFound, Assert.Throws<SelftuneException>(() => SessionGrader.LoadExpectations(Path.Combine(dir, "none.txt"))).Code);
    }

    public void Dispose() => _db.Dispose();
}
