using NSubstitute;
using Selftune.Abstractions;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests.Evolution;

public sealed class ReplayValidatorTests
{
    private const string SkillMd = "---\nname: research\ndescription: Research libraries.\n---\nbody\n";

    [Fact]
    public async Task Each_query_runs_in_a_workspace_with_the_candidate_staged_siblings_beside_it_and_the_users_copy_shadowed()
    {
        using var f = new EvolutionFixture(SkillMd);
        var skillsFolder = Path.GetDirectoryName(Path.GetDirectoryName(f.SkillPath))!;
        Directory.CreateDirectory(Path.Combine(skillsFolder, "pdf"));
        File.WriteAllText(Path.Combine(skillsFolder, "pdf", "SKILL.md"), "---\nname: pdf\ndescription: Read PDFs.\n---\n");
        var userRoot = Path.Combine(f.Root, "user-skills");
        var userCopy = Path.Combine(userRoot, "research", "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(userCopy)!);
        File.WriteAllText(userCopy, SkillMd);
        var workspaces = new List<string>();
        var runner = Runner((request, runs) =>
        {
            var staged = Path.Combine(request.WorkspaceDirectory, ".claude", "skills");
            Assert.True(Directory.Exists(Path.Combine(request.WorkspaceDirectory, ".git")));
            Assert.Equal("Research and compare libraries.", SkillFile.Load(Path.Combine(staged, "research", "SKILL.md")).Description);
            Assert.Equal("Read PDFs.", SkillFile.Load(Path.Combine(staged, "pdf", "SKILL.md")).Description);
            Assert.False(File.Exists(userCopy));
            Assert.True(File.Exists(userCopy + ReplayValidator.ShadowSuffix));
            workspaces.Add(request.WorkspaceDirectory);
            return request.Query switch
            {
                "uses it late in the turn" => new ReplayResult(["pdf", "research"], [], 10, 5, 0.01m),
                "uses a plugin's skill of the same name" => new ReplayResult(["tools:research"], [], null, null, null),
                "only reads it" => new ReplayResult([], ["research"], null, null, 0.02m),
                _ => new ReplayResult(["pdf"], [], null, null, null),
            };
        });
        var validator = new ReplayValidator(runner, [userRoot, Path.Combine(f.Root, "missing-root")], Path.Combine(f.Home.Root, "replay-shadowed.json"), TimeSpan.FromSeconds(30));
        var entries = new[] { "uses it late in the turn", "uses a plugin's skill of the same name", "only reads it", "uses another skill" }
            .Select(q => new EvalEntry(q, true, InvocationType.Implicit, null, null, false, "validation")).ToList();

        var triggered = await validator.TriggersAsync(SkillFile.Load(f.SkillPath), "Research and compare libraries.", entries, null, default);

        Assert.Equal([true, false, false, false], triggered);
        Assert.Equal(4, validator.Runs);
        Assert.Equal(0.03m, validator.CostUsd);
        Assert.Single(workspaces.Distinct());
        Assert.False(Directory.Exists(workspaces[0]));
        Assert.Equal(SkillMd, File.ReadAllText(userCopy));
        Assert.False(File.Exists(Path.Combine(f.Home.Root, "replay-shadowed.json")));
    }

    [Fact]
    public async Task A_failing_agent_is_retried_once_when_transient_and_the_users_skill_is_restored_anyway()
    {
        using var f = new EvolutionFixture(SkillMd);
        var userCopy = Path.Combine(f.Root, "user-skills", "research", "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(userCopy)!);
        File.WriteAllText(userCopy, SkillMd);
        var runner = Runner((_, runs) => throw new AgentRunnerException($"overloaded (attempt {runs})", transient: runs == 1));
        var validator = new ReplayValidator(runner, [Path.Combine(f.Root, "user-skills")], Path.Combine(f.Home.Root, "replay-shadowed.json"), TimeSpan.FromSeconds(30));
        var entries = new[] { new EvalEntry("q", true, InvocationType.Implicit, null, null, false, "validation") };

        var ex = await Assert.ThrowsAsync<SelftuneException>(() => validator.TriggersAsync(SkillFile.Load(f.SkillPath), "New.", entries, null, default));

        Assert.Equal(ErrorCodes.LlmUnavailable, ex.Code);
        Assert.Contains("attempt 2", ex.Message, StringComparison.Ordinal);
        Assert.Equal(SkillMd, File.ReadAllText(userCopy));
    }

    [Fact]
    public void Skills_left_shadowed_by_a_crash_are_restored_from_the_journal()
    {
        using var f = new EvolutionFixture(SkillMd);
        var userCopy = Path.Combine(f.Root, "user-skills", "research", "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(userCopy)!);
        File.WriteAllText(userCopy + ReplayValidator.ShadowSuffix, SkillMd);
        var journal = Path.Combine(f.Home.Root, "replay-shadowed.json");
        File.WriteAllText(journal, System.Text.Json.JsonSerializer.Serialize(new[] { userCopy }));

        Assert.Equal([userCopy], ReplayValidator.RecoverShadowed(journal));
        Assert.Equal(SkillMd, File.ReadAllText(userCopy));
        Assert.False(File.Exists(journal));
    }

    /// <summary>An agent runner whose replays answer from <paramref name="replay"/> (given the request and the run's 1-based number).</summary>
    private static IAgentRunner Runner(Func<ReplayRequest, int, ReplayResult> replay)
    {
        var runner = Substitute.For<IAgentRunner>();
        runner.Platform.Returns(Platforms.ClaudeCode);
        runner.Executable.Returns("claude");
        runner.ProjectSkillFolder.Returns(".claude/skills");
        runner.IsAvailable(Arg.Any<PlatformContext>()).Returns(true);
        var runs = 0;
        runner.ReplayAsync(Arg.Any<ReplayRequest>(), Arg.Any<CancellationToken>()).Returns(call => Task.FromResult(replay(call.Arg<ReplayRequest>(), ++runs)));
        return runner;
    }
}
