using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Core.Reports;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests;

/// <summary>The contribution bundle keeps counts and rates, hashes names unless kept, and only generalised prompts.</summary>
public sealed class ContributionBundleTests : IDisposable
{
    private readonly TestStore _db = new();

    [Theory]
    [InlineData("deploy https://git.example.com/acme/shop.git to prod-3", "deploy <url> to prod-<n>")]
    [InlineData("mail jane.doe@acme.io the file /home/jane/shop/report.pdf", "mail <email> the file <path>")]
    [InlineData("rename `OrderService` to \"Checkout\" in ~/shop", "rename <text> to <text> in <path>")]
    public void PromptsAreGeneralised(string prompt, string expected) => Assert.Equal(expected, ContributionBundle.Generalise(prompt));

    [Fact]
    public void TheBundleKeepsCountsAndRatesAndOnlyGeneralisedPrompts()
    {
        _db.SessionDaysAgo("s1", 1);
        var p1 = _db.PromptDaysAgo("s1", "s1:p1", "make slides from /home/jane/notes.md using key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH", 1);
        _db.InvocationDaysAgo("s1", "s1:i1", "slides", InvocationKind.Implicit, p1, 1);
        _db.Writer.ToolCall(new ToolCallRecord("t1", "s1", TestStore.T0.AddDays(-1), "Bash", TestStore.Transcript, IsError: true));
        _db.SessionDaysAgo("s2", 1);
        _db.InvocationDaysAgo("s2", "s2:i1", "slides", InvocationKind.Read, null, 1);
        var path = Path.Combine(_db.Folder, "bundle.json");

        var conservative = JsonDocument.Parse(ContributionBundle.Write(_db.Store, path, ContributionLevel.Conservative, keepSkillNames: false, TestStore.T0)).RootElement;
        var skill = Assert.Single(conservative.GetProperty("skills").EnumerateArray().ToList());
        Assert.StartsWith("sha256:", skill.GetProperty("skill").GetString(), StringComparison.Ordinal);
        Assert.Equal((1, 0, 1, 2, 1, 0.5), (skill.GetProperty("triggers").GetInt32(), skill.GetProperty("explicit_uses").GetInt32(), skill.GetProperty("reads").GetInt32(),
            skill.GetProperty("sessions").GetInt32(), skill.GetProperty("sessions_with_tool_errors").GetInt32(), skill.GetProperty("tool_error_session_rate").GetDouble()));
        Assert.False(conservative.TryGetProperty("prompts", out _));
        Assert.DoesNotContain("slides", File.ReadAllText(path), StringComparison.Ordinal);

        var aggressive = ContributionBundle.Write(_db.Store, path, ContributionLevel.Aggressive, keepSkillNames: true, TestStore.T0);
        var prompt = Assert.Single(JsonDocument.Parse(aggressive).RootElement.GetProperty("prompts").EnumerateArray().ToList());
        Assert.Equal("slides", prompt.GetProperty("skill").GetString());
        Assert.StartsWith("make slides from <path> using key", prompt.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-ant", aggressive, StringComparison.Ordinal);
        Assert.DoesNotContain("jane", aggressive, StringComparison.Ordinal);
    }

    public void Dispose() => _db.Dispose();
}
