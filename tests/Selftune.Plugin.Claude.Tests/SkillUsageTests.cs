using System.Text.Json.Nodes;
using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>How skill usage is read from turns: triggers, reads, explicit uses and their prompts and paths.</summary>
public sealed class SkillUsageTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-skills-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void ASkillFileReadFollowedByItsSkillCallIsNotAReadSignal()
    {
        var sink = Ingest(new TranscriptBuilder("s1")
            .User("draft the changelog for v2")
            .ToolUse("toolu_r", "Read", new JsonObject { ["file_path"] = "/home/dev/.claude/skills/release-notes/SKILL.md" })
            .ToolResult("toolu_r")
            .ToolUse("toolu_s", "Skill", new JsonObject { ["skill"] = "release-notes" }, "msg_2")
            .ToolResult("toolu_s"));
        var trigger = Assert.Single(sink.Invocations);
        Assert.Equal((InvocationKind.Implicit, "release-notes", "s1:u1"), (trigger.Kind, trigger.SkillName, trigger.PromptId));
    }

    [Theory]
    [InlineData("use the release-notes skill for v2", InvocationKind.Explicit)]
    [InlineData("write the Release Notes for v2", InvocationKind.Explicit)]
    [InlineData("draft the changelog for v2", InvocationKind.Implicit)]
    [InlineData("write the release-notes-v2 file", InvocationKind.Implicit)]
    public void ASkillCallAfterAPromptThatNamesTheSkillIsExplicit(string prompt, InvocationKind expected)
    {
        var sink = Ingest(new TranscriptBuilder("s1")
            .User(prompt)
            .ToolUse("toolu_s", "Skill", new JsonObject { ["skill"] = "elixir:release-notes" }, "msg_2")
            .ToolResult("toolu_s"));
        Assert.Equal((expected, "s1:u1"), (Assert.Single(sink.Invocations).Kind, Assert.Single(sink.Invocations).PromptId));
    }

    [Fact]
    public void ReadsAreSignalledPerTurnAndEachTurnLinksItsOwnPrompt()
    {
        var sink = Ingest(new TranscriptBuilder("s1")
            .User("summarize the pdf")
            .ToolUse("toolu_1", "Read", new JsonObject { ["file_path"] = "/home/dev/.claude/skills/pdf/SKILL.md" })
            .ToolResult("toolu_1")
            .User("now fill the form in it")
            .ToolUse("toolu_2", "Skill", new JsonObject { ["skill"] = "pdf" }, "msg_2"));
        Assert.Equal(
            [("s1:toolu_1:read", InvocationKind.Read, "s1:u1", "/home/dev/.claude/skills/pdf"), ("s1:toolu_2", InvocationKind.Implicit, "s1:u4", null)],
            sink.Invocations.Select(i => (i.InvocationId, i.Kind, i.PromptId, i.SkillPath)).OrderBy(i => i.Item1));
    }

    [Fact]
    public void TheInjectedBaseDirectoryGivesTheTriggerItsPath()
    {
        var sink = Ingest(new TranscriptBuilder("s1")
            .User("look up the docs of req")
            .ToolUse("toolu_s", "Skill", new JsonObject { ["skill"] = "elixir:hex-docs-search" })
            .ToolResult("toolu_s")
            .User("Base directory for this skill: /home/dev/.claude/plugins/cache/elixir/elixir/1.2.0/skills/hex-docs-search\n\n# Hex docs", isMeta: true));
        Assert.Equal("/home/dev/.claude/plugins/cache/elixir/elixir/1.2.0/skills/hex-docs-search", sink.Invocations.Last().SkillPath);
        Assert.Equal(PromptKind.SkillBody, sink.Prompts.Last().Kind);
    }

    [Fact]
    public void ASlashCommandFollowedByItsSkillBodyIsAnExplicitUse()
    {
        var sink = Ingest(new TranscriptBuilder("s1")
            .User("<command-message>release-notes</command-message>\n<command-name>/release-notes</command-name>\n<command-args>for 2.0</command-args>")
            .User("Base directory for this skill: /home/dev/.claude/skills/release-notes\n\nWrite release notes.", isMeta: true)
            .User("<command-name>/compact</command-name>"));
        var use = Assert.Single(sink.Invocations);
        Assert.Equal((InvocationKind.Explicit, "release-notes", "s1:u1", "/home/dev/.claude/skills/release-notes"), (use.Kind, use.SkillName, use.PromptId, use.SkillPath));
    }

    [Fact]
    public void ASlashCommandNamingAnInstalledSkillIsAnExplicitUse()
    {
        var skill = Path.Combine(_home, ".claude", "skills", "deploy");
        Directory.CreateDirectory(skill);
        File.WriteAllText(Path.Combine(skill, "SKILL.md"), "---\nname: deploy\ndescription: Deploys.\n---\n");
        var sink = Ingest(new TranscriptBuilder("s1").User("<command-name>/deploy</command-name>\n<command-args>staging</command-args>"));
        var use = Assert.Single(sink.Invocations);
        Assert.Equal((InvocationKind.Explicit, skill), (use.Kind, use.SkillPath));
    }

    [Fact]
    public void AGitCommitInABashResultIsLinkedToTheSession()
    {
        const string result = """{"type":"user","uuid":"u9","sessionId":"s1","timestamp":"2026-01-01T00:00:09Z","message":{"role":"user","content":[{"tool_use_id":"toolu_g","type":"tool_result","content":"[feature/notes 9abc123] Add release notes\n 1 file changed","is_error":false}]}}""";
        var sink = Ingest(new TranscriptBuilder("s1")
            .User("commit the release notes")
            .ToolUse("toolu_g", "Bash", new JsonObject { ["command"] = "git add NOTES.md && git commit -m \"Add release notes\"" })
            .Raw(result)
            .ToolUse("toolu_l", "Bash", new JsonObject { ["command"] = "git log -1" }, "msg_2")
            .Raw(result.Replace("toolu_g", "toolu_l", StringComparison.Ordinal)));

        var commit = Assert.Single(sink.Commits);
        Assert.Equal(("s1", "9abc123", "feature/notes", "Add release notes", "commit", "toolu_g"), (commit.SessionId, commit.Sha, commit.Branch, commit.Title, commit.Command, commit.ToolUseId));
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private RecordingSink Ingest(TranscriptBuilder transcript)
    {
        transcript.WriteTo(Path.Combine(_home, ".claude", "projects", "-home-dev-project", "s1.jsonl"));
        var ingestor = new ClaudeTranscriptIngestor();
        var sink = new RecordingSink();
        foreach (var source in ingestor.Discover(new PlatformContext(_home, _home, _ => null), (_, _) => { }))
        {
            ingestor.Ingest(source, null, sink, CancellationToken.None);
        }

        return sink;
    }
}
