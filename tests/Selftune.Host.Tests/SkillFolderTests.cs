using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary><c>skill/</c> is valid per the Agent Skills specification (agentskills.io/specification, and Anthropic's stricter
/// quick_validate rules), stays small enough for progressive disclosure, and every link in it resolves.</summary>
public sealed partial class SkillFolderTests
{
    private static readonly string[] AllowedKeys = ["name", "description", "license", "compatibility", "metadata", "allowed-tools"];

    private static string SkillFolder => Path.Combine(Repository.Root, "skill");

    [Fact]
    public void FrontmatterFollowsTheAgentSkillsSpecification()
    {
        var text = File.ReadAllText(Path.Combine(SkillFolder, "SKILL.md"));
        var match = Frontmatter().Match(text);
        Assert.True(match.Success, "SKILL.md must start with a --- delimited YAML frontmatter");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(match.Groups[1].Value));
        var map = (YamlMappingNode)yaml.Documents[0].RootNode;
        var keys = map.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        Assert.All(keys, k => Assert.Contains(k, AllowedKeys));

        var name = ((YamlScalarNode)map["name"]).Value!;
        Assert.Equal("selftune", name);
        Assert.Matches("^[a-z0-9]+(-[a-z0-9]+)*$", name);

        var description = ((YamlScalarNode)map["description"]).Value!;
        Assert.InRange(description.Length, 1, 1024);
        Assert.DoesNotContain('<', description);
        Assert.DoesNotContain('>', description);
        foreach (var phrase in new[] { "why didn't you use", "improve my skills", "skill health", "which skills are missing prompts", "set up selftune", "token cost of my sessions" })
        {
            Assert.Contains(phrase, description, StringComparison.OrdinalIgnoreCase);
        }

        if (map.Children.TryGetValue(new YamlScalarNode("compatibility"), out var compatibility))
        {
            Assert.InRange(((YamlScalarNode)compatibility).Value!.Length, 1, 500);
        }

        if (map.Children.TryGetValue(new YamlScalarNode("metadata"), out var metadata))
        {
            Assert.All(((YamlMappingNode)metadata).Children, kv => Assert.IsType<YamlScalarNode>(kv.Value));
        }

        Assert.True(text.Split('\n').Length < 500, "SKILL.md should stay under 500 lines (progressive disclosure)");
    }

    [Fact]
    public void EveryWorkflowTheBriefNamesExistsAndEveryLinkResolves()
    {
        foreach (var workflow in new[] { "setup", "status", "improve", "run", "watch-rollback", "schedule", "troubleshoot" })
        {
            Assert.True(File.Exists(Path.Combine(SkillFolder, "workflows", workflow + ".md")), $"workflows/{workflow}.md is missing");
        }

        foreach (var file in Directory.EnumerateFiles(SkillFolder, "*.md", SearchOption.AllDirectories))
        {
            foreach (Match link in MarkdownLink().Matches(File.ReadAllText(file)))
            {
                var target = link.Groups[1].Value;
                if (target.StartsWith('#') || target.Contains("://", StringComparison.Ordinal))
                {
                    continue;
                }

                var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, target.Split('#')[0]));
                Assert.True(File.Exists(path), $"{Path.GetRelativePath(SkillFolder, file)} links to '{target}', which does not exist");
                Assert.StartsWith(SkillFolder, path, StringComparison.Ordinal);
            }
        }
    }

    [GeneratedRegex(@"\A---\n(.*?)\n---\n", RegexOptions.Singleline)]
    private static partial Regex Frontmatter();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
