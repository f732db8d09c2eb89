using System.CommandLine;
using System.Text.RegularExpressions;
using Selftune.Host.Cli;
using Selftune.Host.Tests.Support;
using YamlDotNet.RepresentationModel;

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

    /// <summary>Every <c>selftune …</c> command the skill tells the agent to run exists, with the options it names.</summary>
    [Fact]
    public void EveryCommandTheSkillNamesExists()
    {
        var root = CommandTree.Build(() => null!);
        var checkedCount = 0;
        foreach (var file in Directory.EnumerateFiles(SkillFolder, "*.md", SearchOption.AllDirectories).Where(f => !f.EndsWith("cli.md", StringComparison.Ordinal)))
        {
            foreach (Match span in CodeSpan().Matches(File.ReadAllText(file)))
            {
                foreach (var line in span.Groups[1].Value.Split(["&&", "\n"], StringSplitOptions.TrimEntries).Where(l => l.StartsWith("selftune ", StringComparison.Ordinal)))
                {
                    var where = $"{Path.GetRelativePath(SkillFolder, file)}: `{line}`";
                    var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
                    Command command = root;
                    var i = 0;
                    for (; i < tokens.Length && command.Subcommands.FirstOrDefault(c => c.Name == tokens[i] || c.Aliases.Contains(tokens[i])) is { } sub; i++)
                    {
                        command = sub;
                    }

                    Assert.True(command != root || tokens.Length == 0 || tokens[0].StartsWith('-') || tokens[0].StartsWith('<'), $"{where}: no command '{tokens.FirstOrDefault()}'");
                    foreach (var option in tokens[i..].Where(t => t.StartsWith("--", StringComparison.Ordinal)).Select(t => t.Split('=')[0]))
                    {
                        Assert.True(
                            command.Options.Any(o => o.Name == option || o.Aliases.Contains(option)) || root.Options.Any(o => o.Recursive && o.Name == option) || option == "--help",
                            $"{where}: '{string.Join(' ', tokens[..i])}' has no option {option}");
                    }

                    checkedCount++;
                }
            }
        }

        Assert.True(checkedCount > 30, $"only {checkedCount} commands found in skill/");
    }

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\A---\n(.*?)\n---\n", RegexOptions.Singleline)]
    private static partial Regex Frontmatter();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
