using System.Text;
using Selftune.AdapterKit;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests.Skills;

public sealed class DescriptionEditorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("selftune-editor-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("---\nname: pdf\ndescription: Extract text from PDFs.\nlicense: MIT\n---\n# PDF\nbody\n")]
    [InlineData("---\nname: pdf\ndescription: >\n  Extract text\n  from PDFs.\n\n# a comment\nlicense: MIT\n---\n# PDF\n")]
    [InlineData("---\nname: pdf\ndescription: |\n  Line one.\n  Line two.\nmetadata:\n  version: 1.0.0\n---\n")]
    [InlineData("---\nname: pdf\ndescription: 'it''s\n  multi'   # trailing comment\nlicense: MIT\n---\n")]
    [InlineData("---\nname: pdf\ndescription: \"double\\tquoted\n  more\"\nlicense: MIT\n---\n")]
    [InlineData("---\r\nname: pdf\r\ndescription: >-\r\n  Windows line\r\n  endings.\r\nlicense: MIT\r\n---\r\n# PDF\r\n")]
    [InlineData("\uFEFF---\nname: pdf\ndescription: with a BOM\n---\n")]
    [InlineData("---\nname: pdf\ndescription: plain text\n  continued here\nallowed-tools: [Read, Bash]\n---\n")]
    public void Only_the_description_value_changes(string original)
    {
        foreach (var replacement in new[]
        {
            "Use when the user wants PDFs read, merged or split.",
            "Use when: the user mentions #pdf, \"forms\" or 'tables' — also for scanned files",
            "true",
            "Line one\nline two",
            "A long description that needs folding because it is much longer than eighty characters, so a block scalar wraps it over lines.",
            "  leading and trailing spaces  ",
        })
        {
            var file = Write(original);
            var parsed = DescriptionEditor.Parse(original, file.Path);
            var edited = Encoding.UTF8.GetString(DescriptionEditor.Replace(file, replacement));

            Assert.StartsWith(original[..parsed.ValueStart], edited, StringComparison.Ordinal);
            Assert.EndsWith(original[parsed.ValueEnd..], edited, StringComparison.Ordinal);
            var reread = DescriptionEditor.Parse(edited, file.Path);
            Assert.Equal(replacement, reread.Description);
            Assert.Equal("pdf", reread.Name);
            Assert.Equal(parsed.Events, reread.Events);
            if (original.Contains("\r\n", StringComparison.Ordinal))
            {
                Assert.DoesNotContain("\n", edited.Replace("\r\n", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_block_description_stays_a_readable_folded_block_and_a_plain_one_stays_plain()
    {
        var folded = Write("---\nname: seo\ndescription: >\n  Old text.\nlicense: MIT\n---\n");
        var text = "Use when the user asks for an SEO audit, ranking drops, crawl errors or core web vitals on their site or pages.";
        var edited = Encoding.UTF8.GetString(DescriptionEditor.Replace(folded, text));
        Assert.Equal("---\nname: seo\ndescription: >-\n  Use when the user asks for an SEO audit, ranking drops, crawl errors or core\n  web vitals on their site or pages.\nlicense: MIT\n---\n", edited);

        var plain = Write("---\nname: seo\ndescription: Old text.\n---\nbody");
        Assert.Equal("---\nname: seo\ndescription: New text, with commas.\n---\nbody", Encoding.UTF8.GetString(DescriptionEditor.Replace(plain, "New text, with commas.")));
        Assert.Equal("---\nname: seo\ndescription: \"Use when: always\"\n---\nbody", Encoding.UTF8.GetString(DescriptionEditor.Replace(plain, "Use when: always")));
    }

    [Fact]
    public void Every_real_skill_in_the_corpus_is_edited_in_place_or_refused_with_a_reason()
    {
        var edited = 0;
        var refused = new List<string>();
        foreach (var path in Directory.EnumerateFiles(IngestorContractTests.CorpusPath("skills"), "SKILL.md", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(path);
            var text = Encoding.UTF8.GetString(bytes);
            DescriptionEditor.ParsedFrontmatter parsed;
            try
            {
                parsed = DescriptionEditor.Parse(text, path);
            }
            catch (SelftuneException ex)
            {
                Assert.Equal(ErrorCodes.UnsafeEdit, ex.Code);
                Assert.Contains(path, ex.Message, StringComparison.Ordinal);
                refused.Add(Path.GetFileName(Path.GetDirectoryName(path))!);
                continue;
            }

            var file = new SkillFile(path, bytes, DescriptionEditor.Hash(bytes), parsed.Name, parsed.Description);
            var result = Encoding.UTF8.GetString(DescriptionEditor.Replace(file, "Use when the user asks for this skill's job, by name or by describing the task."));
            Assert.Equal(text[..parsed.ValueStart], result[..parsed.ValueStart]);
            Assert.EndsWith(text[parsed.ValueEnd..], result, StringComparison.Ordinal);
            edited++;
        }

        Assert.True(edited >= 40, $"only {edited} corpus skills were editable");
        Assert.Equal(["invalid-yaml", "missing-description", "no-frontmatter"], refused.Order().ToArray());
    }

    [Theory]
    [InlineData("# No frontmatter\nbody\n", "has no YAML frontmatter")]
    [InlineData("---\nname: x\ndescription: never closed\n", "never closes it")]
    [InlineData("---\nname: x\ndescription: [unclosed bracket\n---\n", "not valid YAML")]
    [InlineData("---\nname: x\n---\n", "has no 'description'")]
    [InlineData("---\nname: x\ndescription: a\ndescription: b\n---\n", "given once")]
    [InlineData("---\nname: x\ndescription:\n  - a list\n---\n", "single text value")]
    [InlineData("---\n- a\n- b\n---\n", "must be a YAML mapping")]
    public void Unsafe_files_are_refused_and_left_untouched(string content, string reason)
    {
        var path = Path.Combine(_dir, "SKILL.md");
        File.WriteAllText(path, content);
        var ex = Assert.Throws<SelftuneException>(() => DescriptionEditor.Plan(path, DescriptionEditor.Hash(File.ReadAllBytes(path)), "new"));
        Assert.Equal(ErrorCodes.UnsafeEdit, ex.Code);
        Assert.True(ex.Message.Contains(reason, StringComparison.Ordinal), ex.Message);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllText(path));
    }

    [Fact]
    public void Invalid_yaml_is_reported_with_its_line_in_the_file()
    {
        var path = Path.Combine(_dir, "SKILL.md");
        File.WriteAllText(path, "---\nname: x\nlicense: MIT\ndescription: \"unterminated\n---\n");
        var ex = Assert.Throws<SelftuneException>(() => SkillFile.Load(path));
        Assert.Matches("line [45]", ex.Message);
    }

    [Fact]
    public void A_file_changed_since_validation_is_refused()
    {
        var file = Write("---\nname: x\ndescription: old\n---\n");
        File.AppendAllText(file.Path, "edited by the user\n");
        var ex = Assert.Throws<SelftuneException>(() => DescriptionEditor.Plan(file.Path, file.Sha256, "new"));
        Assert.Equal(ErrorCodes.UnsafeEdit, ex.Code);
        Assert.Contains("changed on disk since the proposal was validated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        var path = Path.Combine(_dir, "SKILL.md");
        File.WriteAllBytes(path, [.. "---\nname: x\ndescription: a"u8, 0xC3, 0x28, .. "\n---\n"u8]);
        Assert.Equal(ErrorCodes.UnsafeEdit, Assert.Throws<SelftuneException>(() => SkillFile.Load(path)).Code);
    }

    [Theory]
    [InlineData("---\nname: pdf\ndescription: Read and merge PDFs.\nlicense: MIT\n---\n# PDF\n\n## Workflow Routing\n\n| Trigger | Workflow |\n|---|---|\n| merge | merge.md |\n| split | split.md |\n", null)]
    [InlineData("---\nname: pdf\ndescription: Read and merge PDFs.\nlicense: Apache-2.0\n---\n# PDF\n\n## Workflow Routing\n\n| Trigger | Workflow |\n|---|---|\n| merge | merge.md |\n", "the frontmatter would change beyond its description")]
    [InlineData("---\nname: pdf\ndescription: Read <b>PDFs</b>.\nlicense: MIT\n---\n# PDF\n\n## Workflow Routing\n\n| Trigger | Workflow |\n|---|---|\n| merge | merge.md |\n", "angle bracket")]
    [InlineData("---\nname: pdf\ndescription: Read and merge PDFs.\nlicense: MIT\n---\n# PDF\n\nJust prose now.\n", "drops the '## Workflow Routing' table")]
    [InlineData("---\nname: pdf\ndescription: Read and merge PDFs.\nlicense: MIT\n---\n# Portable documents\n\n## Workflow Routing\n\n| Trigger | Workflow |\n|---|---|\n| merge | merge.md |\n", "the title would change")]
    public void A_package_variant_may_change_the_description_routing_and_body_but_nothing_else(string proposed, string? failure)
    {
        var file = Write("---\nname: pdf\ndescription: Read PDFs.\nlicense: MIT\n---\n# PDF\n\n## Workflow Routing\n\n| Trigger | Workflow |\n|---|---|\n| merge | merge.md |\n");

        var checks = SkillSections.Check(file, EvolveTarget.Package, "pdf", proposed);

        if (failure is null)
        {
            Assert.Empty(checks);
            Assert.Equal(proposed, Encoding.UTF8.GetString(SkillSections.Replace(file, EvolveTarget.Package, "pdf", proposed)));
        }
        else
        {
            Assert.Contains(checks, c => c.Contains(failure, StringComparison.Ordinal));
        }
    }

    private SkillFile Write(string content)
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.md");
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return SkillFile.Load(path);
    }
}
