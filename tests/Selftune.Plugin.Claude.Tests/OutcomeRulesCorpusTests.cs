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
