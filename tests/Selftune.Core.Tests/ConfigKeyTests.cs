using Selftune.Core.Configuration;

namespace Selftune.Core.Tests;

/// <summary>Each setting declares what it accepts (one place, <see cref="ConfigKeys"/>), and its own default is accepted.</summary>
public sealed class ConfigKeyTests
{
    public static TheoryData<string> Keys() => [.. ConfigKeys.All.Select(k => k.Key)];

    [Theory]
    [MemberData(nameof(Keys))]
    public void EveryDefaultIsAcceptedByItsOwnDeclaration(string key) =>
        Assert.Null(ConfigKeys.Find(key)!.Problem(ConfigKeys.Find(key)!.Default));

    [Theory]
    [InlineData("llm.max_calls", "100", true)]
    [InlineData("llm.max_calls", "0", false)]
    [InlineData("llm.max_calls", "1.5", false)]
    [InlineData("run.max_grade", "0", true)]
    [InlineData("watch.threshold", "0.25", true)]
    [InlineData("watch.threshold", "NaN", false)]
    [InlineData("llm.backend", "openai-compatible", true)]
    [InlineData("llm.backend", "", false)]
    [InlineData("redaction.enabled", "off", true)]
    [InlineData("llm.base_url", "https://api.example.test/v1", true)]
    [InlineData("llm.base_url", "file:///etc/passwd", false)]
    [InlineData("llm.model", "anything at all", true)]
    public void ProblemSaysWhetherAValueIsAccepted(string key, string value, bool accepted) =>
        Assert.Equal(accepted, ConfigKeys.Find(key)!.Problem(value) is null);
}
