using Selftune.Core.Signals;

namespace Selftune.Core.Tests.Signals;

public sealed class ImprovementSignalDetectorTests
{
    private readonly ImprovementSignalDetector _detector = new(() => new HashSet<string> { "pdf-tools", "Deploy", "git" });

    [Theory]
    [InlineData("why didn't you use the pdf-tools skill?", "pdf-tools")]
    [InlineData("Why didnt you use pdf-tools here", "pdf-tools")]
    [InlineData("You should have used the deploy skill for this.", "Deploy")]
    [InlineData("you forgot to run /deploy again", "Deploy")]
    [InlineData("next time, use pdf-tools first", "pdf-tools")]
    [InlineData("Why didn’t you call the plugin:pdf-tools skill", "pdf-tools")]
    public void CorrectionsNameTheSkill(string prompt, string? skill)
    {
        var signals = _detector.Detect(prompt);

        if (skill is null)
        {
            Assert.Empty(signals);
        }
        else
        {
            Assert.Equal(new ImprovementSignal(skill, SignalType.Correction), Assert.Single(signals));
        }
    }

    [Theory]
    [InlineData("please use the pdf-tools skill to read report.pdf", "pdf-tools")]
    [InlineData("Use the deploy skill.", "Deploy")]
    [InlineData("use /deploy for the staging box", "Deploy")]
    [InlineData("try the pdf-tools skill", "pdf-tools")]
    public void RequestsNameTheSkill(string prompt, string skill) =>
        Assert.Equal(new ImprovementSignal(skill, SignalType.ExplicitRequest), Assert.Single(_detector.Detect(prompt)));

    [Theory]
    [InlineData("don't use the pdf-tools skill for this")]
    [InlineData("do not use /deploy yet")]
    [InlineData("please use the unknown-thing skill")]
    [InlineData("use the git command to rebase")]
    [InlineData("the pdf-tools skill is great")]
    [InlineData("")]
    public void OtherWordsAreNoSignal(string prompt) => Assert.Empty(_detector.Detect(prompt));

    [Fact]
    public void ACorrectionWinsOverARequestForTheSameSkillAndEachSkillCountsOnce()
    {
        var signals = _detector.Detect("Why didn't you use the pdf-tools skill? Please use the pdf-tools skill, then use /deploy.");

        Assert.Equal(
            [new ImprovementSignal("Deploy", SignalType.ExplicitRequest), new ImprovementSignal("pdf-tools", SignalType.Correction)],
            signals.OrderBy(s => s.SkillName, StringComparer.Ordinal));
    }

    [Fact]
    public void NoInstalledSkillsMeansNoSignals() =>
        Assert.Empty(new ImprovementSignalDetector(() => new HashSet<string>()).Detect("please use the pdf-tools skill"));
}
