using Selftune.Plugin.Codex.Skills;

namespace Selftune.Plugin.Codex.Tests;

public sealed class SkillReadDetectorTests
{
    [Theory]
    [InlineData("cat /home/u/.codex/skills/pdf/SKILL.md", "pdf", "/home/u/.codex/skills/pdf/SKILL.md")]
    [InlineData("sed -n '1,200p' ~/.agents/skills/deploy-app/SKILL.md", "deploy-app", "~/.agents/skills/deploy-app/SKILL.md")]
    [InlineData("head -n 40 \"/Users/a b/.codex/skills/web search/SKILL.md\"", "web search", "/Users/a b/.codex/skills/web search/SKILL.md")]
    [InlineData("nl -ba .agents/skills/gh-fix-ci/SKILL.md | sed -n '1,120p'", "gh-fix-ci", "/repo/.agents/skills/gh-fix-ci/SKILL.md")]
    [InlineData("cd .agents/skills && cat ../skills/lint/./SKILL.md", "lint", "/repo/.agents/skills/lint/SKILL.md")]
    [InlineData("bash -lc \"cat /etc/codex/skills/audit/SKILL.md\"", "audit", "/etc/codex/skills/audit/SKILL.md")]
    [InlineData("Get-Content C:\\Users\\u\\.codex\\skills\\pdf\\SKILL.md", "pdf", "C:/Users/u/.codex/skills/pdf/SKILL.md")]
    [InlineData("cat /home/u/.codex/skills/.system/skill-creator/SKILL.md", "skill-creator", "/home/u/.codex/skills/.system/skill-creator/SKILL.md")]
    public void ReadsOfASkillsSkillMdAreFound(string command, string skill, string path)
    {
        var read = Assert.Single(SkillReadDetector.Find([command], "/repo"));
        Assert.Equal((skill, path), (read.SkillName, read.SkillPath));
    }

    [Theory]
    [InlineData("rg -n description ~/.codex/skills/*/SKILL.md")]
    [InlineData("grep name ~/.codex/skills/pdf/SKILL.md")]
    [InlineData("sed -i 's/old/new/' ~/.codex/skills/pdf/SKILL.md")]
    [InlineData("cat notes.txt > ~/.codex/skills/pdf/SKILL.md")]
    [InlineData("cat docs/guide/SKILL.md")]
    [InlineData("cat ~/.codex/skills/*/SKILL.md")]
    [InlineData("vim ~/.codex/skills/pdf/SKILL.md")]
    [InlineData("cat ~/.codex/skills/pdf/SKILL.md.bak")]
    public void OtherUsesAreNotReads(string command) => Assert.Empty(SkillReadDetector.Find([command], "/repo"));

    [Fact]
    public void ArgvFormsAreRead()
    {
        Assert.Equal("pdf", Assert.Single(SkillReadDetector.Find(["bash", "-lc", "cat skills/pdf/SKILL.md"], "/repo")).SkillName);
        Assert.Equal("pdf", Assert.Single(SkillReadDetector.Find(["cat", "/x/skills/pdf/SKILL.md"], null)).SkillName);
        Assert.Empty(SkillReadDetector.Find(["ls", "/x/skills/pdf/SKILL.md"], null));
    }
}
