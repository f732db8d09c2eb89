using System.IO.Compression;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary><c>selftune create → verify → publish</c> through the real executable.</summary>
public sealed class AuthoringCommandTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void A_new_skill_is_created_verified_and_published_as_a_zip()
    {
        var skills = Directory.CreateDirectory(Path.Combine(_cli.Root, "skills")).FullName;
        _cli.WorkingDirectory = skills;

        var created = _cli.Run("create", "--name", "release-notes", "--description", "Use this skill when the user asks to write release notes from merged pull requests.", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var folder = Path.Combine(skills, "release-notes");
        Assert.Equal(Path.Combine(folder, "SKILL.md"), created.Json.GetProperty("skill_path").GetString());
        Assert.Equal($"selftune verify --skill release-notes --skill-path {folder}", created.Json.GetProperty("next_command").GetString());

        var unverified = _cli.Run("publish", "--skill", "release-notes", "--skill-path", "release-notes", "--to", "dist", "--json");
        Assert.Equal(1, unverified.ExitCode);
        Assert.Equal("SKILL_INVALID", unverified.Error.GetProperty("code").GetString());

        var verified = _cli.Run("verify", "--skill", "release-notes", "--skill-path", "release-notes", "--llm", "offline", "--json");
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.True(verified.Json.GetProperty("verified").GetBoolean());
        Assert.Equal("skipped", verified.Json.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "baseline").GetProperty("status").GetString());

        var published = _cli.Run("publish", "--skill", "release-notes", "--skill-path", "release-notes", "--to", "dist", "--zip", "--json");
        Assert.True(published.ExitCode == 0, published.ToString());
        var zip = published.Json.GetProperty("output").GetString()!;
        Assert.StartsWith(Path.Combine(skills, "dist", "release-notes-0.0.0+"), zip, StringComparison.Ordinal);
        using var archive = ZipFile.OpenRead(zip);
        Assert.Contains(archive.Entries, e => e.FullName == "release-notes/manifest.json");
    }

    [Fact]
    public void A_broken_skill_fails_verify_with_exit_1_and_selftunes_own_skill_verifies()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_cli.Root, "skills", "broken")).FullName;
        File.WriteAllText(Path.Combine(folder, "SKILL.md"), "---\nname: broken\ndescription: Use for things.\n---\n# Broken\n\nSee [guide](references/guide.md).\n");

        var broken = _cli.Run("verify", "--skill", "broken", "--skill-path", folder, "--llm", "offline", "--json");
        Assert.Equal(1, broken.ExitCode);
        var links = broken.Json.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "links");
        Assert.Equal("failed", links.GetProperty("status").GetString());
        Assert.Contains("SKILL.md:7: links to 'references/guide.md', which does not exist.", links.GetProperty("message").GetString(), StringComparison.Ordinal);

        // the repository keeps it in skill/; installed, it lives in a folder named like the skill
        var installed = Path.Combine(_cli.Root, "installed", "selftune");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repository.Root, "skill"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(installed, Path.GetRelativePath(Path.Combine(Repository.Root, "skill"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var own = _cli.Run("verify", "--skill", "selftune", "--skill-path", installed, "--llm", "offline", "--json");
        Assert.True(own.ExitCode == 0, own.ToString());
    }
}
