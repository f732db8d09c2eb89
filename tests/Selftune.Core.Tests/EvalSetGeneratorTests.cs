using Microsoft.Extensions.Time.Testing;
using Selftune.Abstractions;
using Selftune.Core.Eval;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests;

/// <summary>Eval-set generation from a store written through the real record writer.</summary>
public sealed class EvalSetGeneratorTests : IDisposable
{
    private const string Skill = "pdf-tools";
    private static readonly string[] Filler =
    [
        "rename the variable foo to bar everywhere", "run the unit tests and tell me what fails", "why is the build failing on main",
        "add a dark mode toggle to settings", "bump all dependencies to their latest minor versions", "explain what this regex matches",
        "deploy the api to staging", "fix the flaky test in the orders module", "draft a short changelog entry", "add logging to the retry loop",
        "write a migration that adds an index on users.email", "profile the startup path",
    ];

    private readonly TestStore _db = new();
    private readonly EvalSetGenerator _generator = new(new FakeTimeProvider(TestStore.T0.AddDays(1)));

    public EvalSetGeneratorTests()
    {
        var s1 = _db.Session("s1", 0, "extract the tables from report.pdf into csv", "thanks, now commit it");
        _db.Invocation("i1", "s1", 0, Skill, s1[0]);
        var s2 = _db.Session("s2", 10, "merge these two PDF files into one", "improve the pdf-tools skill description so it triggers more");
        _db.Invocation("i2", "s2", 10, Skill, s2[0]);
        _db.Invocation("i3", "s2", 11, Skill, s2[1]);
        var s3 = _db.Session("s3", 20, "fill in the form fields of the application", "use pdf-tools to rotate page 3 of the scan");
        _db.Invocation("i4", "s3", 20, Skill, s3[0], provenance: TestStore.Repair);
        _db.Invocation("i5", "s3", 21, Skill, s3[1], InvocationKind.Explicit);

        // A trigger known only from a hook, whose hook prompt was superseded (dangling id): not a positive, never a negative.
        _db.Session("s4", 30, "split the slides into separate pages");
        _db.Invocation("i6", "s4", 30, Skill, "hook-prompt-gone", provenance: TestStore.Hook);
        _db.Session("s4b", 35, "split the slides into separate pages");

        var s5 = _db.Session("s5", 40, "convert the spreadsheet to charts", "write release notes for v2", "make the pdf export look nicer on the docs page");
        _db.Invocation("i7", "s5", 40, "office:xlsx", s5[0]);

        var s6 = _db.Session("s6", 50, ["summarize the meeting notes in notes.md", .. Filler]);
        _db.Invocation("i8", "s6", 50, Skill, s6[0], InvocationKind.Read);

        // selftune's own replay: the prompt is not actionable, so its trigger is no positive.
        _db.Write(w => w.Prompt(new PromptRecord("s7:p0", "s7", TestStore.T0.AddMinutes(60), "[selftune] merge the quarterly PDFs", PromptKind.Selftune, TestStore.Transcript)));
        _db.Invocation("i9", "s7", 60, Skill, "s7:p0");
    }

    [Fact]
    public void PositivesAreActionablePromptsThatTriggeredTheSkillPerSourceTruth()
    {
        var set = _generator.Generate(_db.Store, new EvalGenerateOptions(Skill)).Set;

        var positives = set.Entries.Where(e => e.ShouldTrigger).ToDictionary(e => e.Query);
        Assert.Equal(
            ["extract the tables from report.pdf into csv", "fill in the form fields of the application", "merge these two PDF files into one", "use pdf-tools to rotate page 3 of the scan"],
            positives.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(InvocationType.Explicit, positives["use pdf-tools to rotate page 3 of the scan"].Type);
        Assert.Equal(InvocationType.Contextual, positives["extract the tables from report.pdf into csv"].Type);
        Assert.Equal(InvocationType.Implicit, positives["fill in the form fields of the application"].Type);
        Assert.Equal(("s2", "s2:p0"), (positives["merge these two PDF files into one"].SessionId, positives["merge these two PDF files into one"].PromptId));
        Assert.All(set.Entries, e => Assert.False(e.Synthetic));
        Assert.Equal(set.Entries.Where(e => e.ShouldTrigger), set.Entries.Take(4));
    }

    [Fact]
    public void APromptKnownToHaveTriggeredOrReadTheSkillIsNeverANegative()
    {
        var generation = _generator.Generate(_db.Store, new EvalGenerateOptions(Skill));

        var negatives = generation.Set.Entries.Where(e => !e.ShouldTrigger).Select(e => e.Query).ToList();
        Assert.DoesNotContain("split the slides into separate pages", negatives);
        Assert.DoesNotContain("improve the pdf-tools skill description so it triggers more", negatives);
        Assert.DoesNotContain("summarize the meeting notes in notes.md", negatives);
        Assert.DoesNotContain(negatives, q => q.Contains("quarterly", StringComparison.Ordinal));
        Assert.Equal(negatives.Count, negatives.Distinct().Count());
        Assert.Equal(10, negatives.Count);
        Assert.Equal(3, generation.Counts.TriggeredExcluded);
        Assert.Equal(1, generation.Counts.MaintenanceExcluded);
    }

    [Fact]
    public void NearMissesComeFirstSiblingTriggersThenDomainMatches()
    {
        var generation = _generator.Generate(_db.Store, new EvalGenerateOptions(Skill));

        var negatives = generation.Set.Entries.Where(e => !e.ShouldTrigger).ToList();
        Assert.Equal("convert the spreadsheet to charts", negatives[0].Query);
        Assert.Equal("make the pdf export look nicer on the docs page", negatives[1].Query);
        Assert.Equal(2, generation.Counts.NearMissNegatives);
        Assert.All(negatives, n => Assert.Equal(InvocationType.Negative, n.Type));
    }

    [Fact]
    public void TheSplitIsStratifiedAndTheSameUnderTheSameSeed()
    {
        var a = _generator.Generate(_db.Store, new EvalGenerateOptions(Skill, Seed: 7)).Set;
        var b = _generator.Generate(_db.Store, new EvalGenerateOptions(Skill, Seed: 7)).Set;
        var c = _generator.Generate(_db.Store, new EvalGenerateOptions(Skill, Seed: 8)).Set;

        Assert.Equal(a.Entries, b.Entries);
        Assert.Equal(a.Id, b.Id);
        Assert.NotEqual(a.Entries.Select(e => (e.Query, e.Split)), c.Entries.Select(e => (e.Query, e.Split)));
        foreach (var set in new[] { a, c })
        {
            Assert.Contains(set.Validation, e => e.ShouldTrigger);
            Assert.Contains(set.Train, e => e.ShouldTrigger);
            Assert.Equal(4, set.Validation.Count(e => !e.ShouldTrigger)); // 40 % of 10
            Assert.Equal(6, set.Train.Count(e => !e.ShouldTrigger));
        }
    }

    [Fact]
    public void MaxLimitsEachSide()
    {
        var set = _generator.Generate(_db.Store, new EvalGenerateOptions(Skill, MaxPerSide: 2)).Set;
        Assert.Equal(2, set.Entries.Count(e => e.ShouldTrigger));
        Assert.Equal(2, set.Entries.Count(e => !e.ShouldTrigger));
    }

    [Fact]
    public void ASkillWithoutRealTriggersPointsToTheSyntheticColdStart()
    {
        var error = Assert.Throws<SelftuneException>(() => _generator.Generate(_db.Store, new EvalGenerateOptions("docx")));
        Assert.Equal(ErrorCodes.NotEnoughData, error.Code);
        Assert.Equal("selftune eval generate --skill docx --synthetic", error.NextCommand);
    }

    [Fact]
    public void APluginPrefixedSkillIsFoundByItsBareName()
    {
        var set = _generator.Generate(_db.Store, new EvalGenerateOptions("xlsx")).Set;
        Assert.Equal("convert the spreadsheet to charts", Assert.Single(set.Entries, e => e.ShouldTrigger).Query);
    }

    [Fact]
    public async Task SyntheticQueriesAreMarkedPlacedAfterRealOnesAndNeverRepeatThem()
    {
        var chat = new ScriptedChatClient("""
            ```json
            {"should_trigger": [
              {"query": "merge these two PDF files into one"},
              {"query": "Merge these two pdf files into one!"},
              {"query": "turn scan_0042.pdf into searchable text"},
              {"query": "add page numbers to the contract"}],
             "should_not_trigger": [{"query": "turn the slides into a video"}]}
            ```
            """);
        var llm = new LlmClient(chat, "test", null);
        var skill = SkillDocument.Parse("/skills/pdf-tools/SKILL.md", "---\nname: pdf-tools\ndescription: \"Work with PDF files: extract text and tables, merge, split, fill forms.\"\n---\n# PDF tools\nUse pypdf.\n");
        InstalledSkill[] installed =
        [
            new(Skill, "/skills/pdf-tools", "/skills", skill.DescriptionOneLine, []),
            new("pptx", "/skills/pptx", "/skills", "Create and edit slide decks.", []),
        ];

        var generation = await _generator.GenerateAsync(_db.Store, new EvalGenerateOptions(Skill, Synthetic: true), skill, installed, llm, CancellationToken.None);

        var synthetic = generation.Set.Entries.Where(e => e.Synthetic).ToList();
        // Real negatives are plenty (10), so the synthetic negative is not wanted; 4 real positives need 6 more.
        Assert.Equal(["turn scan_0042.pdf into searchable text", "add page numbers to the contract"], synthetic.Select(e => e.Query));
        Assert.All(synthetic, e => Assert.True(e.ShouldTrigger && e.SessionId is null));
        Assert.Equal(generation.Set.Entries.Count - 2, generation.Set.Entries.TakeWhile(e => !e.Synthetic).Count());
        Assert.Equal((2, 0), (generation.Counts.SyntheticPositives, generation.Counts.SyntheticNegatives));
        var asked = chat.Received.Single().Last().Text;
        Assert.Contains("Work with PDF files", asked);
        Assert.Contains("pptx: Create and edit slide decks.", asked);
        Assert.Contains("Write 6 prompts that should load the skill", asked);
        Assert.DoesNotContain("should not load it", asked);
        Assert.Equal(1, llm.Usage.Calls);
    }

    [Fact]
    public async Task SyntheticGenerationWithoutTheSkillMdSaysWhereToPointIt()
    {
        var llm = new LlmClient(new ScriptedChatClient("{}"), "test", null);
        var error = await Assert.ThrowsAsync<SelftuneException>(() => _generator.GenerateAsync(_db.Store, new EvalGenerateOptions("docx", Synthetic: true), null, [], llm, CancellationToken.None));
        Assert.Equal(ErrorCodes.NotFound, error.Code);
        Assert.Contains("--skill-path", error.NextCommand);
    }

    [Fact]
    public void AStoredSetReadsBackWhole()
    {
        var store = new EvalSetStore();
        var first = _generator.Generate(_db.Store, new EvalGenerateOptions(Skill, Seed: 1)).Set;
        var later = new EvalSetGenerator(new FakeTimeProvider(TestStore.T0.AddDays(2))).Generate(_db.Store, new EvalGenerateOptions(Skill, Seed: 2)).Set;
        store.Save(_db.Store, first);
        store.Save(_db.Store, later);
        store.Save(_db.Store, later);

        Assert.Equal(later.Entries, store.Latest(_db.Store, Skill)!.Entries);
        Assert.Equal(first.Entries, store.Get(_db.Store, first.Id)!.Entries);
        Assert.Equal(first.CreatedAt, store.Get(_db.Store, first.Id)!.CreatedAt);
        Assert.Null(store.Latest(_db.Store, "docx"));

        var xlsx = _generator.Generate(_db.Store, new EvalGenerateOptions("xlsx")).Set;
        store.Save(_db.Store, xlsx);
        Assert.Equal(xlsx.Id, store.Latest(_db.Store, "office:xlsx")!.Id);
        Assert.Equal(xlsx.Id, EvalEvidence.Summarize(_db.Store).Single(e => e.Skill == "office:xlsx").LatestEvalSetId);
    }

    [Fact]
    public void EvidenceSaysWhichSkillsAreReadyToEvolve()
    {
        _db.Invocation("i10", "s6", 52, "pptx", "s6:p2", provenance: TestStore.Hook);
        var evidence = EvalEvidence.Summarize(_db.Store, ["docx", "pdf-tools"]).ToDictionary(e => e.Skill);

        Assert.Equal(("ready", 4, 1, true, true), (evidence[Skill].Readiness, evidence[Skill].RealPositives, evidence[Skill].ExplicitPositives, evidence[Skill].EnoughToEvolve, evidence[Skill].Installed));
        Assert.Equal(1, evidence[Skill].HookOnlyTriggers);
        Assert.Equal(1, evidence[Skill].Reads);
        Assert.Equal(("cold_start", 1), (evidence["office:xlsx"].Readiness, evidence["office:xlsx"].RealPositives));
        Assert.Equal(("hints_only", "selftune sync"), (evidence["pptx"].Readiness, evidence["pptx"].NextCommand));
        Assert.Equal(("cold_start", 0, true), (evidence["docx"].Readiness, evidence["docx"].RealPositives, evidence["docx"].Installed));
        Assert.Equal(4, EvalEvidence.For(_db.Store, Skill).RealPositives);
    }

    public void Dispose() => _db.Dispose();
}
