using Selftune.Abstractions;
using Selftune.Core.Analysis;
using Selftune.Core.Reports;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests;

public sealed class SessionReportsTests : IDisposable
{
    private readonly TestStore _db = new();

    public SessionReportsTests()
    {
        _db.SessionDaysAgo("old", 10, cwd: "/home/dev/blog");
        _db.PromptDaysAgo("old", "old:p1", "write a post about caching", 10);
        _db.SessionDaysAgo("new", 1);
        _db.SessionDaysAgo("new:agent-a1", 1, parent: "new");
        var p1 = _db.PromptDaysAgo("new", "new:p1", "ship the checkout page", 1);
        _db.PromptDaysAgo("new", "new:p2", "and add a test for it", 1);
        _db.InvocationDaysAgo("new:agent-a1", "new:agent-a1:t1", "tdd", InvocationKind.Implicit, p1, 1);
        _db.Writer.ToolCall(new ToolCallRecord("toolu_1", "new", TestStore.T0.AddDays(-1), "Bash", TestStore.Transcript));
        _db.Writer.ToolCall(new ToolCallRecord("toolu_2", "new:agent-a1", TestStore.T0.AddDays(-1), "Read", TestStore.Transcript, IsError: true));
        Usage("new", "msg_1", 1_000, 100);
        Usage("new:agent-a1", "msg_2", 2_000, 200);
        Usage("new", "msg_3", 10, 10, model: "unknown-model");
    }

    [Fact]
    public void ListsTopLevelSessionsNewestFirstWithTheirSubAgentsRolledIn()
    {
        var sessions = SessionReports.List(_db.Store, new SessionFilter());
        Assert.Equal(["new", "old"], sessions.Select(s => s.SessionId));
        var latest = sessions[0];
        Assert.Equal((2, 2, 1, 1), (latest.ActionablePrompts, latest.ToolCalls, latest.ToolErrors, latest.Subagents));
        Assert.Equal((3_010L, 310L, 1), (latest.Tokens.Input, latest.Tokens.Output, latest.Tokens.UnpricedResponses));
        Assert.Equal(3_000 * 5m / 1_000_000 + 300 * 25m / 1_000_000, latest.Tokens.CostUsd);
        Assert.Equal([new SessionSkill("tdd", "implicit", 1)], latest.Skills);
    }

    [Theory]
    [InlineData("blog", null, null, new[] { "old" })]
    [InlineData(null, "2026-09-25", null, new[] { "new" })]
    [InlineData(null, null, "tdd", new[] { "new" })]
    [InlineData("shop", null, "tdd", new[] { "new" })]
    [InlineData("nowhere", null, null, new string[0])]
    public void FiltersByProjectDateAndSkill(string? project, string? since, string? skill, string[] expected) =>
        Assert.Equal(expected, SessionReports.List(_db.Store, new SessionFilter(project, since is null ? null : DateTimeOffset.Parse(since, System.Globalization.CultureInfo.InvariantCulture), skill)).Select(s => s.SessionId));

    [Fact]
    public void LastIsTheLatestSessionWithItsUnmatchedPrompts()
    {
        var last = SessionReports.Last(_db.Store)!;
        Assert.Equal("new", last.Session.SessionId);
        Assert.Equal(["ship the checkout page", "and add a test for it"], last.Prompts.Select(p => p.Text));
        Assert.Equal(["and add a test for it"], last.UnmatchedPrompts.Select(p => p.Text));
        Assert.Equal([new KeyValuePair<string, int>("Bash", 1), new KeyValuePair<string, int>("Read", 1)], last.TopTools);
        Assert.Equal("selftune status", last.NextCommand);
    }

    /// <summary>A log that states lines per session only (OpenCode's <c>summary</c>) shows them in <c>sessions</c>; a session
    /// whose tool calls carry lines shows the calls' sum instead; a later record of the session without lines keeps them.</summary>
    [Fact]
    public void SessionLevelLinesShowWhenNoToolCallCarriesLines()
    {
        // "old" (10 days ago): 12 added / 3 removed stated for the session, no tool call with lines → 12/3.
        _db.Writer.Session(new SessionRecord("old", TestStore.Transcript) { LinesAdded = 12, LinesRemoved = 3 });
        _db.Writer.Session(new SessionRecord("old", TestStore.Transcript, EndedAt: TestStore.T0.AddDays(-9)));
        // "new": the session states 100/100 but an edit call shows 5/1 → the calls' 5/1 wins.
        _db.Writer.Session(new SessionRecord("new", TestStore.Transcript) { LinesAdded = 100, LinesRemoved = 100 });
        _db.Writer.ToolCall(new ToolCallRecord("toolu_3", "new", TestStore.T0.AddDays(-1), "Edit", TestStore.Transcript) { LinesAdded = 5, LinesRemoved = 1 });

        OutcomeStore.ClassifyChanged(_db.Store, null, TestStore.T0.ToUnixTimeMilliseconds());

        var lines = SessionReports.List(_db.Store, new SessionFilter()).ToDictionary(s => s.SessionId, s => (s.Outcome?.LinesAdded, s.Outcome?.LinesRemoved));
        Assert.Equal((12, 3), lines["old"]);
        Assert.Equal((5, 1), lines["new"]);
    }

    public void Dispose() => _db.Dispose();

    private void Usage(string session, string message, long input, long output, string model = "claude-opus-4-6") =>
        _db.Writer.Usage(new TokenUsageRecord(message, "req", session, TestStore.T0.AddDays(-1), model, input, output, 0, 0, TestStore.Transcript));
}
