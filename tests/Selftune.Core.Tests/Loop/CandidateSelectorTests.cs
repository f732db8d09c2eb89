using Selftune.Core.Loop;

namespace Selftune.Core.Tests.Loop;

public sealed class CandidateSelectorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly SelectionRules Rules = new(MaxSkills: 2, Cooldown: TimeSpan.FromHours(24), MinRealQueries: 3);

    private static CandidateEvidence E(int misses = 0, int signals = 0, int failures = 0, int real = 10, string trend = "flat", DateTimeOffset? deployed = null) =>
        new(Triggers: 5, misses, MissesBefore: null, trend, signals, failures, real, deployed, Health: null);

    [Fact]
    public void SkillsAreOrderedByEvidenceAndCappedByMaxSkills()
    {
        var picked = CandidateSelector.Select(new Dictionary<string, CandidateEvidence>
        {
            ["few-misses"] = E(misses: 2),
            ["many-misses"] = E(misses: 20),
            ["rising"] = E(misses: 10, trend: "down"),
            ["asked-for"] = E(misses: 1, signals: 1),
        }, Rules, Now);

        Assert.Equal(["asked-for", "rising", "many-misses", "few-misses"], picked.Select(c => c.Skill));
        Assert.Equal([CandidateAction.Evolve, CandidateAction.Evolve, CandidateAction.Skip, CandidateAction.Skip], picked.Select(c => c.Action));
        Assert.StartsWith("capped by --max-skills 2", picked[2].Reason, StringComparison.Ordinal);
        Assert.Equal("1 improvement signal; 1 missed prompt", picked[0].Reason);
        Assert.Equal("10 missed prompts, rising", picked[1].Reason);
    }

    [Fact]
    public void ARecentDeployIsLeftToWatchEvenWithSignals()
    {
        var picked = CandidateSelector.Select(new Dictionary<string, CandidateEvidence> { ["pdf"] = E(misses: 30, signals: 2, deployed: Now.AddHours(-3)) }, Rules, Now);
        Assert.Equal(CandidateAction.Skip, picked[0].Action);
        Assert.StartsWith("cooldown: deployed 3 h ago", picked[0].Reason, StringComparison.Ordinal);

        var later = CandidateSelector.Select(new Dictionary<string, CandidateEvidence> { ["pdf"] = E(misses: 30, deployed: Now.AddHours(-25)) }, Rules, Now);
        Assert.Equal(CandidateAction.Evolve, later[0].Action);
    }

    [Fact]
    public void UninstalledHealthyOrThinlyEvidencedSkillsAreSkippedUnlessTheUserAskedForThem()
    {
        var picked = CandidateSelector.Select(new Dictionary<string, CandidateEvidence>
        {
            ["thin"] = E(misses: 5, real: 2),
            ["thin-but-asked"] = E(misses: 0, signals: 1, real: 0),
            ["healthy"] = E(),
            ["plugin:seen-only"] = E(misses: 9) with { Installed = false },
        }, Rules, Now);

        var byName = picked.ToDictionary(c => c.Skill);
        Assert.Equal("not enough real evidence: 2 real prompts (needs 3) and no improvement signal", byName["thin"].Reason);
        Assert.Equal(CandidateAction.Evolve, byName["thin-but-asked"].Action);
        Assert.StartsWith("nothing to fix", byName["healthy"].Reason, StringComparison.Ordinal);
        Assert.StartsWith("not installed on this machine", byName["plugin:seen-only"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SkillFilterConsidersOnlyThatSkill()
    {
        var picked = CandidateSelector.Select(new Dictionary<string, CandidateEvidence> { ["a"] = E(misses: 9), ["b"] = E(misses: 9) }, Rules with { Skill = "B" }, Now);
        Assert.Equal("b", Assert.Single(picked).Skill);
    }

    [Fact]
    public void SignalsOutweighMissesButAreCapped()
    {
        Assert.True(CandidateSelector.Priority(E(signals: 1)) > CandidateSelector.Priority(E(misses: 50)));
        Assert.Equal(CandidateSelector.Priority(E(signals: 3)), CandidateSelector.Priority(E(signals: 9)));
        Assert.Equal(CandidateSelector.Priority(E(misses: 50)), CandidateSelector.Priority(E(misses: 80)));
    }
}
