using Selftune.AdapterKit;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests;

/// <summary>SKILL.md parsing over real skills and pi-mono's loader edge cases (shared corpus, skills/).</summary>
public sealed class SkillDocumentTests
{
    private static string EdgeCase(string name) => IngestorContractTests.CorpusPath("skills", "pi-mono-edge-cases", "skills", name, "SKILL.md");

    [Fact]
    public void AValidSkillHasNameDescriptionAndBody()
    {
        var skill = SkillDocument.Load(EdgeCase("valid-skill"));
        Assert.Equal("valid-skill", skill.Name);
        Assert.Equal("A valid skill for testing purposes.", skill.Description);
        Assert.StartsWith("\n# Valid Skill", skill.Body, StringComparison.Ordinal);
        Assert.Equal(5, skill.BodyLine);
        Assert.Empty(skill.Warnings);
    }

    [Fact]
    public void TheSkillFileOfALoadedDocumentComesFromTheSameReadByteForByte()
    {
        using var home = new TempHome();
        var path = Path.Combine(home.Root, "deck", "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. "---\r\nname: deck\r\ndescription: Make slide decks.\r\n---\r\n# Deck\r\n"u8];
        File.WriteAllBytes(path, bytes);

        var document = SkillDocument.Load(path);
        File.WriteAllText(path, "---\nname: deck\ndescription: Changed since.\n---\n");
        var file = SkillFile.Of(document);

        Assert.Equal("Make slide decks.", document.Description);
        Assert.Equal(bytes, file.Bytes);
        Assert.Equal((path, "deck", "Make slide decks.", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))), (file.Path, file.Name, file.Description, file.Sha256));
    }

    [Fact]
    public void AMultilineDescriptionKeepsItsLinesAndHasAOneLineForm()
    {
        var skill = SkillDocument.Load(EdgeCase("multiline-description"));
        Assert.Equal("This is a multiline description.\nIt spans multiple lines.\nAnd should be normalized.\n", skill.Description);
        Assert.Equal("This is a multiline description. It spans multiple lines. And should be normalized.", skill.DescriptionOneLine);
    }

    [Theory]
    [InlineData("consecutive-hyphens", "breaks the naming rule")]
    [InlineData("invalid-name-chars", "breaks the naming rule")]
    [InlineData("long-name", "the limit is 64")]
    [InlineData("name-mismatch", "differs from its folder")]
    [InlineData("missing-description", "no 'description'")]
    [InlineData("unknown-field", "unknown frontmatter key 'author'")]
    public void DeviationsFromTheSpecAreToleratedAsWarnings(string edgeCase, string warning)
    {
        var skill = SkillDocument.Load(EdgeCase(edgeCase));
        Assert.Contains(skill.Warnings, w => w.Contains(warning, StringComparison.Ordinal));
    }

    [Fact]
    public void OtherKeysAreKept()
    {
        var skill = SkillDocument.Load(EdgeCase("disable-model-invocation"));
        Assert.Equal("true", skill.Frontmatter["disable-model-invocation"]);
        Assert.Empty(skill.Warnings);
        var unknown = SkillDocument.Load(EdgeCase("unknown-field"));
        Assert.Equal(("someone", "1.0"), (unknown.Frontmatter["author"], unknown.Frontmatter["version"]));
    }

    [Fact]
    public void ASkillWithoutANameTakesItsFolderName()
    {
        var skill = SkillDocument.Load(EdgeCase("root-skill-preferred"));
        Assert.Equal("root-skill-preferred", skill.Name);
        Assert.Equal("Root skill should win.", skill.Description);
    }

    [Fact]
    public void MissingFrontmatterIsAnErrorAtLineOne()
    {
        var error = Assert.Throws<SkillDocumentException>(() => SkillDocument.Load(EdgeCase("no-frontmatter")));
        Assert.Equal((EdgeCase("no-frontmatter"), 1), (error.Path, error.Line));
        Assert.Equal(ErrorCodes.SkillInvalid, error.Code);
        Assert.StartsWith(EdgeCase("no-frontmatter") + ":1:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidYamlIsAnErrorWithTheFileLine()
    {
        var error = Assert.Throws<SkillDocumentException>(() => SkillDocument.Load(EdgeCase("invalid-yaml")));
        Assert.InRange(error.Line, 3, 4); // "description: [unclosed bracket" is line 3; the parser notices at the closing '---'
        Assert.Contains("invalid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnclosedFrontmatterIsAnError()
    {
        var error = Assert.Throws<SkillDocumentException>(() => SkillDocument.Parse("/x/SKILL.md", "---\nname: x\ndescription: y\n# Body"));
        Assert.Contains("never closed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryRealSkillInTheCorpusParses()
    {
        var files = Directory.EnumerateFiles(IngestorContractTests.CorpusPath("skills"), "SKILL.md", SearchOption.AllDirectories)
            .Where(f => !f.Contains("pi-mono-edge-cases", StringComparison.Ordinal))
            .ToList();
        Assert.True(files.Count >= 30);
        Assert.All(files, f => Assert.False(string.IsNullOrWhiteSpace(SkillDocument.Load(f).Description), f));
    }
}
