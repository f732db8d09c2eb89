using Selftune.Core.Analysis;

namespace Selftune.Core.Tests.Analysis;

/// <summary>The walls and endings the corpus has no transcript of (its real transcripts: Plugin.Claude.Tests' OutcomeRulesCorpusTests).</summary>
public sealed class OutcomeRulesTests
{
    private static readonly Step Edit = new(1, "Edit", false, "/src/a.cs");

    [Theory]
    [InlineData("API Error: 429 {\"type\":\"rate_limit_error\"}", "rate_limit")]
    [InlineData("Claude AI usage limit reached|1760000000", "rate_limit")]
    [InlineData("API Error: 400 prompt is too long: 210000 tokens > 200000 maximum", "context_limit")]
    [InlineData("API Error: 403 permission_error: your key does not have access", "permission")]
    public void AWallAfterTheLastSuccessfulToolCallIsBlocked(string message, string signal)
    {
        var outcome = OutcomeRules.Classify(Facts("s", "failed", 1, "fix it", [Edit], [new SessionError(2, "api_error", message)]));
        Assert.Equal(Outcome.Blocked, outcome.Value);
        Assert.Equal(signal, outcome.Evidence[0].Signal);
    }

    [Fact]
    public void AWallTheAgentGotPastIsNotBlocking()
    {
        var outcome = OutcomeRules.Classify(Facts("s", "completed", 1, "fix it", [Edit with { At = 5 }], [new SessionError(2, "api_error", "API Error: 529 overloaded")]));
        Assert.Equal(Outcome.Success, outcome.Value);
    }

    [Fact]
    public void AnErrorAtTheEndIsFailed()
    {
        var outcome = OutcomeRules.Classify(Facts("s", "failed", 1, "fix it", [Edit], [new SessionError(2, "api_error", "API Error: 500 internal server error")]));
        Assert.Equal((Outcome.Failed, "end"), (outcome.Value, outcome.Evidence[0].Signal));
    }

    [Fact]
    public void TestsFailingLastAreFailedEvenWhenTheTurnCompleted()
    {
        var outcome = OutcomeRules.Classify(Facts("s", "completed", 1, "make the tests pass", [new(1, "Bash", false, "dotnet test"), Edit, new(3, "Bash", true, "dotnet test --no-build")], []));
        Assert.Equal(Outcome.Failed, outcome.Value);
        Assert.Contains(outcome.Evidence, e => e is { Signal: "tests_failed", Detail: "dotnet test --no-build" });
    }

    [Fact]
    public void TheCheapCheckLetsThroughEverythingTheExpressionsCouldMatch()
    {
        // The cheap check must pass everything the expressions could match: their words in any case, anything beyond ASCII.
        Assert.Equal(CommandKinds.Tests, ToolTrail.Commands("cd x && DOTNET TEST"u8));
        Assert.Equal(CommandKinds.Build | CommandKinds.Tests, ToolTrail.Commands("make test"u8));
        Assert.Equal(CommandKinds.Commit, ToolTrail.Commands("git -C repo Commit -m x"u8));
        Assert.Equal(CommandKinds.All, ToolTrail.Commands("ma\u212Ae"u8)); // the Kelvin sign, which the expressions take for k
        Assert.Equal(CommandKinds.None, ToolTrail.Commands("/src/build/test_a.cs"u8));
        Assert.Equal(CommandKinds.None, ToolTrail.Commands("ls -la /tmp"u8));
    }

    [Fact]
    public void ARefusedCommitIsNotCountedAndNoCommandsMeansCommitsAreNotKnown()
    {
        var commits = OutcomeRules.Classify(Facts("s", "completed", 1, "commit", [new(1, "Bash", true, "git commit -m x"), new(2, "Bash", false, "git commit -m x")], []));
        Assert.Equal((Outcome.Success, 1), (commits.Value, commits.Commits));
        Assert.Null(OutcomeRules.Classify(Facts("s", "completed", 1, "hi", [], [])).Commits);
    }

    /// <summary>The facts of a session whose tool calls are <paramref name="steps"/>, folded as the store folds them.</summary>
    private static OutcomeFacts Facts(string id, string status, int prompts, string? lastWords, Step[] steps, SessionError[] errors)
    {
        var tools = new ToolTrail();
        foreach (var s in steps)
        {
            tools.Add(s.At, s.IsError, s.Detail is not null, s.Name, s.Detail, s.Detail is null ? CommandKinds.None : ToolTrail.Commands(System.Text.Encoding.UTF8.GetBytes(s.Detail)));
        }

        return new OutcomeFacts(id, status, prompts, lastWords, tools, errors);
    }

    private sealed record Step(long At, string Name, bool IsError, string? Detail);
}
