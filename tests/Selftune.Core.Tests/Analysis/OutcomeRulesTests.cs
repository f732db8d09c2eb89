using Selftune.Core.Analysis;

namespace Selftune.Core.Tests.Analysis;

/// <summary>The walls and endings the corpus has no transcript of (its real transcripts: Plugin.Claude.Tests' OutcomeRulesCorpusTests).</summary>
public sealed class OutcomeRulesTests
{
    private static readonly ToolStep Edit = new(1, "Edit", false, "/src/a.cs");

    [Theory]
    [InlineData("API Error: 429 {\"type\":\"rate_limit_error\"}", "rate_limit")]
    [InlineData("Claude AI usage limit reached|1760000000", "rate_limit")]
    [InlineData("API Error: 400 prompt is too long: 210000 tokens > 200000 maximum", "context_limit")]
    [InlineData("API Error: 403 permission_error: your key does not have access", "permission")]
    public void AWallAfterTheLastSuccessfulToolCallIsBlocked(string message, string signal)
    {
        var outcome = OutcomeRules.Classify(new OutcomeFacts("s", "failed", 1, "fix it", [Edit], [new SessionError(2, "api_error", message)]));
        Assert.Equal(Outcome.Blocked, outcome.Value);
        Assert.Equal(signal, outcome.Evidence[0].Signal);
    }

    [Fact]
    public void AWallTheAgentGotPastIsNotBlocking()
    {
        var outcome = OutcomeRules.Classify(new OutcomeFacts("s", "completed", 1, "fix it", [Edit with { At = 5 }], [new SessionError(2, "api_error", "API Error: 529 overloaded")]));
        Assert.Equal(Outcome.Success, outcome.Value);
    }

    [Fact]
    public void AnErrorAtTheEndIsFailed()
    {
        var outcome = OutcomeRules.Classify(new OutcomeFacts("s", "failed", 1, "fix it", [Edit], [new SessionError(2, "api_error", "API Error: 500 internal server error")]));
        Assert.Equal((Outcome.Failed, "end"), (outcome.Value, outcome.Evidence[0].Signal));
    }

    [Fact]
    public void TestsFailingLastAreFailedEvenWhenTheTurnCompleted()
    {
        var outcome = OutcomeRules.Classify(new OutcomeFacts("s", "completed", 1, "make the tests pass", [new(1, "Bash", false, "dotnet test"), Edit, new(3, "Bash", true, "dotnet test --no-build")], []));
        Assert.Equal(Outcome.Failed, outcome.Value);
        Assert.Contains(outcome.Evidence, e => e is { Signal: "tests_failed", Detail: "dotnet test --no-build" });
    }

    [Fact]
    public void ARefusedCommitIsNotCountedAndNoCommandsMeansCommitsAreNotKnown()
    {
        var commits = OutcomeRules.Classify(new OutcomeFacts("s", "completed", 1, "commit", [new(1, "Bash", true, "git commit -m x"), new(2, "Bash", false, "git commit -m x")], []));
        Assert.Equal((Outcome.Success, 1), (commits.Value, commits.Commits));
        Assert.Null(OutcomeRules.Classify(new OutcomeFacts("s", "completed", 1, "hi", [], [])).Commits);
    }
}
