using Selftune.Abstractions;
using NSubstitute;
using Selftune.AdapterKit;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests;

public sealed class SkillCatalogTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-catalog-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void FindsSkillsNestedOrNotAndReportsBrokenOnes()
    {
        var root = IngestorContractTests.CorpusPath("skills", "pi-mono-edge-cases", "skills");
        var skills = SkillCatalog.Discover([root]).ToDictionary(s => Path.GetFileName(s.Folder));
        Assert.Contains("child-skill", skills.Keys);          // nested/child-skill: a folder without SKILL.md is searched
        Assert.DoesNotContain("nested-child", skills.Keys);   // root-skill-preferred: a skill's subfolders are not
        Assert.Equal("different-name", skills["name-mismatch"].Name);
        Assert.Contains(skills["no-frontmatter"].Problems, p => p.Contains("no YAML frontmatter", StringComparison.Ordinal));
        Assert.Contains(skills["invalid-yaml"].Problems, p => p.Contains("invalid YAML", StringComparison.Ordinal));
        Assert.Empty(skills["valid-skill"].Problems);
        Assert.Equal(13, skills.Count);
    }

    [Fact]
    public void TheFirstRootWinsANameCollision()
    {
        var collision = IngestorContractTests.CorpusPath("skills", "pi-mono-edge-cases", "skills-collision");
        var skills = SkillCatalog.Discover([Path.Combine(collision, "first"), Path.Combine(collision, "second")]);
        Assert.Equal(2, skills.Count);
        Assert.Null(skills[0].ShadowedBy);
        Assert.Equal("First calendar skill.", skills[0].Description);
        Assert.Equal(skills[0].Folder, skills[1].ShadowedBy);
    }

    [Fact]
    public void RootsAreThePluginsProjectFoldersFromTheProjectUpToTheGitRootThenTheirUserFolders()
    {
        var repo = Path.Combine(_home, "repo");
        var work = Path.Combine(repo, "src", "app");
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(Path.Combine(repo, ".git"));
        var first = Substitute.For<IInstaller>();
        first.ProjectSkillFolders.Returns([Path.Combine(".zed-agent", "skills")]);
        first.Detect(Arg.Any<PlatformContext>()).Returns(new AgentDetection(true, "x", null, [Path.Combine(_home, ".zed-agent", "skills")]));
        var second = Substitute.For<IInstaller>();
        second.ProjectSkillFolders.Returns([Path.Combine(".shared", "skills")]);
        second.Detect(Arg.Any<PlatformContext>()).Returns(new AgentDetection(true, "y", null, [Path.Combine(_home, ".shared", "skills"), Path.Combine(_home, ".zed-agent", "skills")]));

        var roots = SkillCatalog.Roots(new PlatformContext(_home, work, _ => null), [first, second]);
        Assert.Equal(
            [
                Path.Combine(work, ".zed-agent", "skills"), Path.Combine(work, ".shared", "skills"),
                Path.Combine(repo, "src", ".zed-agent", "skills"), Path.Combine(repo, "src", ".shared", "skills"),
                Path.Combine(repo, ".zed-agent", "skills"), Path.Combine(repo, ".shared", "skills"),
                Path.Combine(_home, ".zed-agent", "skills"),
                Path.Combine(_home, ".shared", "skills"),
            ],
            roots);
    }

    public void Dispose()
    {
        if (Directory.Exists(_home))
        {
            Directory.Delete(_home, recursive: true);
        }
    }
}

public sealed class SkillMentionTests
{
    [Theory]
    [InlineData("elixir:hex-docs-search", "use hex-docs-search for plug", true)]
    [InlineData("elixir:hex-docs-search", "search the hex docs search index", true)]
    [InlineData("hex-docs-search", "use hex-docs-searcher", false)]
    [InlineData("pdf", "merge the pdf files", true)]
    [InlineData("pdf", "merge the pdfs", false)]
    [InlineData("ui", "fix the ui", false)] // too short to tell
    public void MatchesTheNameAsWholeWords(string skill, string prompt, bool expected) =>
        Assert.Equal(expected, new SkillMention(skill).IsInLowerCase(prompt));
}
