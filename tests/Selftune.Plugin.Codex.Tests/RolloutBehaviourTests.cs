using System.Text;
using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Codex.Tests;

/// <summary>Ingest behaviours no corpus rollout exercises, on small rollouts written in the corpus's shape.</summary>
public sealed class RolloutBehaviourTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-codex-rollout-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_home))
        {
            Directory.Delete(_home, recursive: true);
        }
    }

    [Fact]
    public void SkillMdReadsAreImplicitTriggersOfTheirTurnsPrompt()
    {
        var file = new RolloutFile(_home, "s1").Meta()
            .User("Please turn the quarterly report into a PDF")
            .Line("turn_context", new { cwd = "/work/proj", model = "gpt-5.2-codex" })
            .Shell("c1", "sed -n '1,200p' /home/u/.codex/skills/pdf/SKILL.md")
            .Line("response_item", new { type = "function_call", name = "shell", arguments = """{"command":["bash","-lc","cat .agents/skills/pdf/SKILL.md | head -50"],"workdir":"/work/proj"}""", call_id = "c2" })
            .Shell("c3", "rg -n description /home/u/.codex/skills/*/SKILL.md")
            .Shell("c4", "sed -i 's/a/b/' /home/u/.codex/skills/pdf/SKILL.md")
            .User("use $deploy-app to ship it, then clean up $HOME/tmp")
            .Shell("c5", "cat /home/u/.agents/skills/deploy-app/SKILL.md")
            .Shell("c6", "nl -ba ~/.codex/skills/.system/skill-creator/SKILL.md | sed -n '1,80p'")
            .Write();

        var (sink, _) = file.Ingest();

        var prompts = sink.Prompts.Where(p => p.IsActionable).ToList();
        Assert.Equal(2, prompts.Count);
        var invocations = sink.Invocations.DistinctBy(i => i.InvocationId).ToList();
        Assert.Collection(
            invocations,
            pdf =>
            {
                Assert.Equal(("pdf", InvocationKind.Implicit, prompts[0].PromptId, "c1"), (pdf.SkillName, pdf.Kind, pdf.PromptId, pdf.ToolUseId));
                Assert.Equal("/home/u/.codex/skills/pdf/SKILL.md", pdf.SkillPath);
                Assert.Equal(0.8, pdf.Provenance.Confidence);
                Assert.Equal($"{prompts[0].PromptId}:skill:pdf", pdf.InvocationId);
            },
            deploy => Assert.Equal(("deploy-app", InvocationKind.Explicit, prompts[1].PromptId), (deploy.SkillName, deploy.Kind, deploy.PromptId)),
            creator =>
            {
                Assert.Equal(("skill-creator", InvocationKind.Implicit, prompts[1].PromptId), (creator.SkillName, creator.Kind, creator.PromptId));
                Assert.Equal("~/.codex/skills/.system/skill-creator/SKILL.md", creator.SkillPath);
            });
        Assert.Contains(sink.Invocations, i => i.ToolUseId == "c2" && i.SkillPath == "/work/proj/.agents/skills/pdf/SKILL.md");
    }

    [Fact]
    public void SelftunesOwnRunsYieldNoTriggers()
    {
        var (sink, _) = new RolloutFile(_home, "s2").Meta()
            .User("[selftune] Would this query trigger the pdf skill?")
            .Shell("c1", "cat /home/u/.codex/skills/pdf/SKILL.md")
            .Write().Ingest();

        Assert.Equal(PromptKind.Selftune, Assert.Single(sink.Prompts).Kind);
        Assert.Empty(sink.Invocations);
        Assert.Null(Assert.Single(sink.ToolCalls).PromptId);
    }

    [Fact]
    public void InjectedContextIsNeverActionable()
    {
        var (sink, _) = new RolloutFile(_home, "s3").Meta()
            .Line("response_item", new { type = "message", role = "user", content = new[] { new { type = "input_text", text = "# AGENTS.md instructions for /work/proj\n\n<INSTRUCTIONS>be terse</INSTRUCTIONS>" } } })
            .Line("response_item", new { type = "message", role = "user", content = new[] { new { type = "input_text", text = "<user_instructions>\nalways run tests\n</user_instructions>" } } })
            .Line("response_item", new { type = "message", role = "user", content = new[] { new { type = "input_text", text = "<skill>\n<name>pdf</name>\n...</skill>" } } })
            .Line("response_item", new { type = "message", role = "developer", content = new[] { new { type = "input_text", text = "<permissions instructions>" } } })
            .Line("event_msg", new { type = "user_message", message = "<environment_context>x</environment_context>", kind = "environment_context" })
            .Write().Ingest();

        Assert.Equal([PromptKind.System, PromptKind.System, PromptKind.SkillBody, PromptKind.System], sink.Prompts.Select(p => p.Kind));
    }

    [Fact]
    public void ForkedHistoryIsNotCountedAgain()
    {
        var start = DateTimeOffset.Parse("2026-03-01T12:00:00Z");
        var (sink, _) = new RolloutFile(_home, "child")
            .Line("session_meta", new { id = "child", timestamp = "2026-03-01T12:00:00.000Z", cwd = "/work/proj", cli_version = "0.120.0", forked_from_id = "parent" }, start)
            .Line("session_meta", new { id = "parent", timestamp = "2026-03-01T09:00:00.000Z", cwd = "/work/proj" }, start.AddHours(-3))
            .Line("event_msg", new { type = "user_message", message = "the parent's own request" }, start.AddHours(-3).AddSeconds(1))
            .Line("event_msg", new { type = "token_count", info = new { total_token_usage = new { input_tokens = 100, cached_input_tokens = 0, output_tokens = 10 } } }, start.AddHours(-3).AddSeconds(2))
            .Line("event_msg", new { type = "user_message", message = "continue on a branch of that work" }, start.AddSeconds(1))
            .Line("event_msg", new { type = "token_count", info = new { total_token_usage = new { input_tokens = 150, cached_input_tokens = 40, output_tokens = 20 } } }, start.AddSeconds(2))
            .Write().Ingest();

        Assert.Equal("continue on a branch of that work", Assert.Single(sink.Prompts).Text);
        var usage = Assert.Single(sink.UsageRecords);
        Assert.Equal((10L, 40L, 10L), (usage.InputTokens, usage.CacheReadTokens, usage.OutputTokens));
        Assert.Equal(start, Assert.Single(sink.Sessions).StartedAt);
    }

    [Fact]
    public void ReadingResumesMidTurnFromTheCursor()
    {
        var file = new RolloutFile(_home, "s4").Meta().User("Add a changelog entry for the release").Tokens(100, 0, 5).Write();
        var bytes = File.ReadAllBytes(file.Path);
        var afterItem = Nth(bytes, 2) + 1; // the response_item is written, its event_msg twin not yet
        File.WriteAllBytes(file.Path, bytes[..afterItem]);
        var sink = new RecordingSink();
        var (_, first) = file.Ingest(sink: sink);

        File.WriteAllBytes(file.Path, [.. bytes, .. "{\"timestamp\":\"2026-03-01T10:00:09.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":\"token_count\",\"info\":{\"total_token_usage\":{\"input_tokens\":250,\"cached_input_tokens\":50,\"output_tokens\":9}}}}\n"u8.ToArray()]);
        var (_, second) = file.Ingest(first.Cursor, sink);

        Assert.Equal(afterItem, first.Cursor.Offset);
        Assert.Single(sink.Prompts);
        Assert.Equal([(100L, 0L, 5L), (100L, 50L, 4L)], sink.UsageRecords.Select(u => (u.InputTokens, u.CacheReadTokens, u.OutputTokens)));
        Assert.Equal(new FileInfo(file.Path).Length, second.Cursor.Offset);
        Assert.True(second.Cursor.State!.Length < 1024, second.Cursor.State);
    }

    [Fact]
    public void AnUnfinishedLastLineWaitsForItsNewline()
    {
        var file = new RolloutFile(_home, "s5").Meta().Write();
        var complete = new FileInfo(file.Path).Length;
        File.AppendAllText(file.Path, "{\"timestamp\":\"2026-03-01T10:00:05.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\"Summarize the open issues\"");
        var sink = new RecordingSink();
        var (_, first) = file.Ingest(sink: sink);
        File.AppendAllText(file.Path, "}}\n");
        file.Ingest(first.Cursor, sink);

        Assert.Equal(complete, first.Cursor.Offset);
        Assert.Empty(sink.MalformedLines);
        Assert.Equal("Summarize the open issues", Assert.Single(sink.Prompts).Text);
        Assert.Equal(2, Assert.Single(sink.Prompts).Provenance.SourceLine);
    }

    [Fact]
    public void LinesLongerThanTheReadBufferAreRead()
    {
        var output = "Exit code: 3\nOutput:\n" + new string('x', 600_000);
        var (sink, _) = new RolloutFile(_home, "s6").Meta()
            .User("Run the full integration suite")
            .Shell("c1", "make integration", output: output)
            .User("Now fix the first failure")
            .Write().Ingest();

        Assert.True(Assert.Single(sink.ToolCalls, t => t.IsError).IsError);
        Assert.Equal(2, sink.Prompts.Count(p => p.IsActionable));
    }

    [Fact]
    public void AShrunkFileIsReadAgainFromTheStart()
    {
        var file = new RolloutFile(_home, "s7").Meta().User("Explain the retry policy").Write();
        var (_, first) = file.Ingest();
        var stale = first.Cursor with { Offset = first.Cursor.Offset + 10_000 };

        var (sink, _) = file.Ingest(stale);

        Assert.Single(sink.Prompts);
    }

    [Fact]
    public void Pre03RolloutsWithoutEnvelopesAreRead()
    {
        var (sink, _) = new RolloutFile(_home, "legacy")
            .Raw("""{"id":"5973b6c0-94b8-487b-a530-2aeb6098ae0e","timestamp":"2025-05-01T08:00:00.000Z","instructions":null}""")
            .Raw("""{"type":"message","role":"user","content":[{"type":"input_text","text":"List the migrations"}]}""")
            .Raw("""{"record_type":"state"}""")
            .Raw("""{"type":"function_call","name":"shell","arguments":"{\"command\":[\"ls\",\"db/migrations\"]}","call_id":"c1"}""")
            .Raw("""{"type":"function_call_output","call_id":"c1","output":"{\"output\":\"\",\"metadata\":{\"exit_code\":2}}"}""")
            .Write().Ingest();

        var session = Assert.Single(sink.Sessions);
        Assert.Equal("5973b6c0-94b8-487b-a530-2aeb6098ae0e", session.SessionId);
        Assert.Equal(DateTimeOffset.Parse("2025-05-01T08:00:00Z"), session.StartedAt);
        Assert.Equal("List the migrations", Assert.Single(sink.Prompts).Text);
        Assert.Equal([false, true], sink.ToolCalls.Select(t => t.IsError));
        Assert.Equal("ls db/migrations", sink.ToolCalls[0].Detail);
        Assert.Empty(sink.MalformedLines);
    }

    [Fact]
    public void DiscoverFindsRolloutsUnderCodexHomeOnly()
    {
        var codexHome = Path.Combine(_home, "elsewhere");
        Directory.CreateDirectory(Path.Combine(codexHome, "sessions", "2026", "01", "02"));
        Directory.CreateDirectory(Path.Combine(codexHome, "archived_sessions"));
        File.WriteAllText(Path.Combine(codexHome, "sessions", "2026", "01", "02", "rollout-a.jsonl"), "{}\n");
        File.WriteAllText(Path.Combine(codexHome, "sessions", "2026", "01", "02", "notes.jsonl"), "{}\n");
        File.WriteAllText(Path.Combine(codexHome, "archived_sessions", "rollout-b.jsonl"), "{}\n");
        File.WriteAllText(Path.Combine(codexHome, "history.jsonl"), "{}\n");
        new RolloutFile(_home, "ignored").Meta().Write(); // under ~/.codex, not $CODEX_HOME

        var found = new CodexIngestor().Discover(new PlatformContext(_home, _home, v => v == "CODEX_HOME" ? codexHome : null), (_, _) => { }).ToList();

        Assert.Equal(["rollout-a.jsonl", "rollout-b.jsonl"], found.Select(f => Path.GetFileName(f.Path)).Order());
        Assert.All(found, f => Assert.True(f.AppendOnly));
        Assert.Equal(3, found[0].Length);
        Assert.Empty(new CodexIngestor().Discover(new PlatformContext(Path.Combine(_home, "nobody"), _home, _ => null), (_, _) => { }));
    }

    [Fact]
    public void DiscoveryDoesNotFollowALinkBackToAnAncestor()
    {
        // Issue 20 #1: links to the sessions root inside it made the walk endless.
        var codexHome = Path.Combine(_home, "loops");
        var day = Path.Combine(codexHome, "sessions", "2026", "01", "02");
        Directory.CreateDirectory(day);
        File.WriteAllText(Path.Combine(day, "rollout-a.jsonl"), "{}\n");
        Directory.CreateSymbolicLink(Path.Combine(day, "loop1"), Path.Combine(codexHome, "sessions"));
        Directory.CreateSymbolicLink(Path.Combine(day, "loop2"), Path.Combine(codexHome, "sessions"));

        var found = new CodexIngestor().Discover(new PlatformContext(_home, _home, v => v == "CODEX_HOME" ? codexHome : null), (_, _) => { }).Take(100).ToList();

        Assert.Equal([Path.Combine(day, "rollout-a.jsonl")], found.Select(f => f.Path));
    }

    private static int Nth(byte[] bytes, int n)
    {
        for (int i = 0, seen = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n' && ++seen == n)
            {
                return i;
            }
        }

        throw new InvalidOperationException("Not enough lines.");
    }
}
