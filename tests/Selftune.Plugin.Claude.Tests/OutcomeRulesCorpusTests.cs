using Selftune.Core;
using Selftune.Core.Analysis;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>The outcome rules on real transcripts of the corpus (classified by the sync itself), each with the expected
/// label and why it is right beside it.</summary>
public sealed class OutcomeRulesCorpusTests(SyncedCorpus corpus) : IClassFixture<SyncedCorpus>
{
    [Theory]
    // Ran `mix test` last with success and committed the work: done.
    [InlineData("spotter/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl", "success", "end", "tests_passed", "commit")]
    // The user's last words begin "Thanks!": done.
    [InlineData("claude-code-viewer/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl", "success", "end", "thanks")]
    // The last turn finished normally and no tool call failed: done, at lower confidence.
    [InlineData("claude-code-viewer/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl", "success", "end")]
    // The user interrupted after saying scrolling "still does not work": failed.
    [InlineData("spotter/tool_heavy.jsonl", "failed", "end", "frustration")]
    // Interrupted, with the last tool call (a Glob) failed and not retried: partly done.
    [InlineData("spotter/short.jsonl", "partial", "end", "unresolved_tool_error")]
    // Tests passed and a first commit landed, but the last command (a second commit) failed and the log stops there: partly done.
    [InlineData("claude-reliability/coverage-test-fix.jsonl", "partial", "end", "tests_passed", "commit", "unresolved_tool_error")]
    // No prompt a person typed and no tool call: nothing to judge.
    [InlineData("swordintel/-home-ubuntu-Documents-livecd-gen/6cf7db75-091b-4b27-9f73-7ca1979e06b7.jsonl", "unknown", "no_prompts")]
    // The log states no end and shows no test, build, commit, error or last words either way: left for the LLM.
    [InlineData("selftune-fixtures/session-003.jsonl", "unknown", "end")]
    public void TheRulesGiveTheExpectedOutcomeForTheReasonStated(string file, string expected, params string[] signals)
    {
        var outcome = OutcomeStore.Read(corpus.Store)[corpus.SessionOf(file)];
        Assert.Equal(expected, Json.Name(outcome.Value));
        Assert.Equal(OutcomeMethod.Rules, outcome.Method);
        Assert.Equal(signals, outcome.Evidence.Select(e => e.Signal));
    }

    [Theory]
    // Three Edit results: their structuredPatch hunks hold 20 "+" lines and one "-" line (counted by hand from the file).
    [InlineData("claude-reliability/coverage-test-fix.jsonl", 20, 1)]
    // One Write of a new file ("type":"create", an empty patch): its content "print(1+1)\n" is one line added.
    [InlineData("agtrace/-Users-zawakin-agent-sample/7f2abd2d-7cfc-4447-9ddd-3ca8d14e02e9.jsonl", 1, 0)]
    // One Edit whose patch adds 64 lines and removes 36.
    [InlineData("claude-code-viewer/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl", 64, 36)]
    public void LinesAddedAndRemovedAreCountedFromTheEditResultsPatches(string file, int added, int removed)
    {
        var outcome = OutcomeStore.Read(corpus.Store)[corpus.SessionOf(file)];
        Assert.Equal((added, removed), (outcome.LinesAdded, outcome.LinesRemoved));
    }

    [Fact]
    public void ASessionWithNoEditResultHasNoLineCounts()
    {
        // spotter/short.jsonl: a Glob and reads, no Edit, MultiEdit or Write: the log does not say, so null, not zero.
        var outcome = OutcomeStore.Read(corpus.Store)[corpus.SessionOf("spotter/short.jsonl")];
        Assert.Null(outcome.LinesAdded);
        Assert.Null(outcome.LinesRemoved);
    }

    [Fact]
    public void EveryTopLevelSessionGetsAnOutcomeAndCommitsAreCountedFromCommands()
    {
        var topLevel = corpus.Store.Query("SELECT count(*) FROM sessions WHERE parent_session_id IS NULL OR parent_session_id NOT IN (SELECT session_id FROM sessions)", r => r.GetInt32(0))[0];
        var outcomes = OutcomeStore.Read(corpus.Store);
        Assert.Equal(topLevel, outcomes.Count);
        // Six `git … commit` commands succeeded; the attempts a pre-commit hook refused (tool errors) are not counted.
        Assert.Equal(6, outcomes[corpus.SessionOf("spotter/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl")].Commits);
    }
}
