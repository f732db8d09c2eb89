using System.IO.Compression;
using Selftune.Abstractions;
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
    public void A_workflow_that_skills_interplay_found_is_scaffolded_by_its_id_and_an_unknown_id_names_interplay()
    {
        // Three sessions run tdd, then review a minute later: the sequence recurs 3 times, so interplay lists it.
        var start = DateTimeOffset.UtcNow.AddDays(-3);
        var sessions = Enumerable.Range(0, 3).Select(i => (Id: $"s{i}", At: start.AddHours(i))).ToList();
        StoredSessions.Write(_cli.SelftuneHome, "tdd", sessions.Select(s => (s.Id, s.At, "add the feature test first", (InvocationKind?)InvocationKind.Implicit)));
        StoredSessions.Write(_cli.SelftuneHome, "review", sessions.Select(s => (s.Id, s.At.AddMinutes(1), "add the feature test first", (InvocationKind?)InvocationKind.Implicit)));
        var skills = Directory.CreateDirectory(Path.Combine(_cli.Root, "skills")).FullName;
        _cli.WorkingDirectory = skills;

        var interplay = _cli.Run("skills", "interplay", "--json");
        Assert.True(interplay.ExitCode == 0, interplay.ToString());
        var workflow = Assert.Single(interplay.Json.GetProperty("workflows").EnumerateArray());
        Assert.Equal(["tdd", "review"], workflow.GetProperty("skills").EnumerateArray().Select(s => s.GetString()));
        var id = workflow.GetProperty("id").GetString()!;

        var created = _cli.Run("create", "--from-workflow", id, "--json");

        Assert.True(created.ExitCode == 0, created.ToString());
        var folder = Path.Combine(skills, "tdd-to-review-workflow");
        Assert.Equal("tdd-to-review-workflow", created.Json.GetProperty("skill").GetString());
        Assert.Equal(id, created.Json.GetProperty("workflow").GetProperty("id").GetString());
        Assert.Equal($"selftune verify --skill tdd-to-review-workflow --skill-path {folder}", created.Json.GetProperty("next_command").GetString());
        var text = File.ReadAllText(Path.Combine(folder, "SKILL.md"));
        Assert.Contains("1. Use the `tdd` skill.\n2. Use the `review` skill on what the previous step produced.", text, StringComparison.Ordinal);
        Assert.Contains($"workflow `{id}`", text, StringComparison.Ordinal);
        var verified = _cli.Run("verify", "--skill", "tdd-to-review-workflow", "--skill-path", folder, "--llm", "offline", "--json");
        Assert.True(verified.ExitCode == 0, verified.ToString());

        var named = _cli.Run("create", "--from-workflow", id, "--name", "test-then-review", "--json");
        Assert.True(named.ExitCode == 0, named.ToString());
        Assert.StartsWith("---\nname: test-then-review\n", File.ReadAllText(Path.Combine(skills, "test-then-review", "SKILL.md")), StringComparison.Ordinal);

        var unknown = _cli.Run("create", "--from-workflow", "wf-0000000000", "--json");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("NOT_FOUND", unknown.Error.GetProperty("code").GetString());
        Assert.Contains("selftune skills interplay", unknown.Error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("selftune skills interplay", unknown.Error.GetProperty("next_command").GetString());
        Assert.Equal(2, _cli.Run("create", "--json").ExitCode);
        Assert.Equal(["tdd-to-review-workflow", "test-then-review"], Directory.EnumerateDirectories(skills).Select(Path.GetFileName).Order(StringComparer.Ordinal));
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
