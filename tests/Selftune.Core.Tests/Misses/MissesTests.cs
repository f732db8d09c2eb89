using Microsoft.Extensions.Time.Testing;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Grading;
using Selftune.Core.Llm;
using Selftune.Core.Loop;
using Selftune.Core.Misses;
using Selftune.Core.Reports;
using Selftune.Core.Skills;
using Selftune.Core.Tests.Support;
using Xunit.Abstractions;

namespace Selftune.Core.Tests.Misses;

/// <summary>The one definition of a miss, discovery (offline, and with an LLM on 127.0.0.1), review, and the labelled set.</summary>
public sealed partial class MissesTests(ITestOutputHelper output) : IDisposable
{
    private const string Slides = "slides";
    private readonly TestStore _db = new();
    private readonly string _skills = Directory.CreateTempSubdirectory("selftune-skills-").FullName;

    public void Dispose()
    {
        _db.Dispose();
        Directory.Delete(_skills, recursive: true);
    }

    /// <summary>A Claude Code-like store: the user named the skill (the agent then called it), used its slash command, and
    /// asked "why didn't you use the slides skill?" after a prompt that did not name it.</summary>
    private void NamedStore()
    {
        var s1 = _db.Session("s1", 0, "use the slides skill for a keynote about our Q3 numbers", "thanks");
        _db.Invocation("i1", "s1", 0, Slides, s1[0]); // a Skill call right after a prompt naming it, recorded as implicit
        _db.Write(w =>
        {
            w.Session(new SessionRecord("s2", TestStore.Transcript, StartedAt: TestStore.T0.AddMinutes(10)));
            w.Prompt(new PromptRecord("s2:c0", "s2", TestStore.T0.AddMinutes(10), "<command-message>slides</command-message>\n<command-name>/slides</command-name>\n<command-args>turn the roadmap into a deck for the board</command-args>", PromptKind.Command, TestStore.Transcript));
        });
        _db.Invocation("i2", "s2", 10, Slides, "s2:c0", InvocationKind.Explicit);
        var s3 = _db.Session("s3", 20, "prepare a presentation for friday", "why didn't you use the slides skill?");
        _db.Store.Execute(
            "INSERT INTO improvement_signals (session_id, text_hash, skill_name, signal_type, prompt_id, platform, occurred_at, capture_mode) VALUES ('s3', 'h', $s, 'correction', $p, 'agent', $at, 'transcript')",
            ("$s", Slides), ("$p", s3[1]), ("$at", TestStore.T0.AddMinutes(21).ToUnixTimeMilliseconds()));
        var s4 = _db.Session("s4", 30, "build a pitch deck from the sales figures in q4.csv", "rename the variable foo to bar everywhere", "run the unit tests and tell me what fails",
            "bump all dependencies to their latest minor versions", "add a dark mode toggle to settings", "explain what this regex matches", "deploy the api to staging",
            "fix the flaky test in the orders module", "draft a short changelog entry", "add logging to the retry loop", "profile the startup path", "write a migration that adds an index");
        _db.Invocation("i4", "s4", 30, Slides, s4[0]); // a real trigger: the description did its work
    }

    [Fact]
    public void StatusSelectionEvalGenerateAndEvolveSeeTheSameMisses()
    {
        NamedStore();
        var misses = MissFinder.Find(_db.Store, [Slides]).For(Slides);
        Assert.Equal(
            ["prepare a presentation for friday", "turn the roadmap into a deck for the board", "use the slides skill for a keynote about our Q3 numbers"],
            misses.Select(m => m.Text).Order(StringComparer.Ordinal));
        Assert.All(misses, m => Assert.Equal(MissKind.Named, m.Kind));
        Assert.DoesNotContain(misses, m => m.Text.StartsWith("why", StringComparison.Ordinal));
        var ids = misses.Select(m => m.PromptId).ToHashSet();

        // status
        var status = StatusReporter.Build(_db.Store, () => [], TestStore.T0.AddDays(1)).Skills.Single(s => s.Name == Slides);
        Assert.Equal(3, status.Misses);
        Assert.Equal(MissKind.Named, Assert.Single(status.MissesByKind!).Kind);
        Assert.Equal(0.25, status.TriggerRate);

        // selection: the evidence the run builds from status evolves the skill
        var evidence = EvalEvidence.For(_db.Store, Slides, installed: true);
        Assert.Equal(4, evidence.RealPositives);
        var candidate = CandidateSelector.Select(
            new Dictionary<string, CandidateEvidence> { [Slides] = new(status.Triggers, status.Misses, null, status.Trend, 0, 0, evidence.RealPositives, null, "warning") },
            new SelectionRules(3, TimeSpan.FromHours(24), 3), TestStore.T0.AddDays(1)).Single();
        Assert.Equal(CandidateAction.Evolve, candidate.Action);

        // eval generate: every miss is a positive, none a negative
        var set = new EvalSetGenerator(new FakeTimeProvider(TestStore.T0.AddDays(1))).Generate(_db.Store, new EvalGenerateOptions(Slides)).Set;
        Assert.Equal(ids.Append("s4:p0").Order(StringComparer.Ordinal), set.Entries.Where(e => e.ShouldTrigger).Select(e => e.PromptId!).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(set.Entries, e => !e.ShouldTrigger && (ids.Contains(e.PromptId!) || e.Query.Contains("slides", StringComparison.Ordinal)));

        // evolve's failure analysis: the same prompts are its missed queries (from the train split it sees), the real trigger passes
        var all = set.Entries.Select(e => e with { Split = EvalEntry.TrainSplit }).ToList();
        var failures = FailureAnalysis.Analyze(_db.Store, Slides, "Create slide decks.", all, []);
        Assert.Equal(ids.Order(StringComparer.Ordinal), failures.Missed.Select(e => e.PromptId!).Order(StringComparer.Ordinal));
        Assert.Equal("s4:p0", Assert.Single(failures.Passing).PromptId);
        Assert.NotEmpty(failures.Aims(3));
    }

    [Fact]
    public async Task DiscoveryAsksInBatchesOfTwentyFiveCachesAnswersAndDiscardsSkillsNotOffered()
    {
        var prompts = Enumerable.Range(1, 30).Select(i => $"turn the quarterly numbers into a presentation deck number {i}").ToArray();
        _db.Session("s1", 0, prompts);
        _db.Session("s2", 100, "rename the variable foo to bar everywhere");
        var installed = Install(("slides", "Create presentation decks and slides from numbers, notes or outlines."));
        using var server = new LoopbackHttpServer(r =>
        {
            var user = JsonDocument.Parse(r.Body).RootElement.GetProperty("messages")[1].GetProperty("content").GetString()!;
            var answers = Offered().Matches(user).Select(m => new { id = m.Groups[1].Value, skill = m.Groups[1].Value == "p1" ? "not-offered" : m.Groups[2].Value.Split(", ")[0] });
            return (200, LoopbackHttpServer.ChatCompletion(JsonSerializer.Serialize(new { answers })));
        });
        var discovery = new MissDiscovery(new FakeTimeProvider(TestStore.T0.AddDays(1)));

        var first = await discovery.DiscoverAsync(_db.Store, installed, new DiscoveryOptions(), Client(server, "run-1"), CancellationToken.None);

        Assert.Equal(2, server.Requests.Count); // 25 + 5 prompts
        Assert.Equal("llm", first.Mode);
        Assert.Equal((30, 2, 2), (first.Counts.Asked, first.Counts.LlmCalls, first.Counts.DiscardedAnswers)); // p1 of each batch named a skill not offered
        Assert.Equal(28, first.Found.Count);
        Assert.All(first.Found, m => Assert.Equal((Slides, MissFinder.LlmConfidence), (m.Skill, m.Confidence)));
        Assert.DoesNotContain(server.Requests, r => r.Body.Contains("rename the variable", StringComparison.Ordinal)); // no plausible skill: never asked
        Assert.Equal(28, MissFinder.Find(_db.Store, ["slides"]).For(Slides).Count(m => m.Kind == MissKind.Discovered && m.IsEvidence));

        var second = await discovery.DiscoverAsync(_db.Store, installed, new DiscoveryOptions(), Client(server, "run-2"), CancellationToken.None);

        Assert.Equal(3, server.Requests.Count); // only the two prompts whose answers were discarded are asked again, in one call
        Assert.Equal((2, 1, 28), (second.Counts.Asked, second.Counts.LlmCalls, second.Counts.Cached));

        File.WriteAllText(Path.Combine(installed[0].Folder, "SKILL.md"), "---\nname: slides\ndescription: Create presentation decks from quarterly numbers.\n---\n# Slides\n");
        await discovery.DiscoverAsync(_db.Store, installed, new DiscoveryOptions(), Client(server, "run-3"), CancellationToken.None);
        Assert.Equal(5, server.Requests.Count); // a new description: all 30 prompts are judged again, in two calls
    }

    [Fact]
    public async Task OfflineDiscoveryMarksLowConfidenceMissesForReviewAndARejectedOneBecomesAKnownNegative()
    {
        _db.Session("s1", 0, "turn the quarterly numbers into a presentation deck for the board", "rename the variable foo to bar everywhere", "run the unit tests");
        var installed = Install(("slides", "Create presentation decks and slides from numbers, notes or outlines."), ("slides-copy", null));
        var report = await new MissDiscovery(new FakeTimeProvider(TestStore.T0.AddDays(1))).DiscoverAsync(_db.Store, installed, new DiscoveryOptions(), null, CancellationToken.None);

        Assert.Equal("offline", report.Mode);
        Assert.Contains(report.Notes, n => n.Contains("low confidence", StringComparison.Ordinal));
        Assert.Equal(1, report.Counts.SkillsWithoutDescription);
        var miss = Assert.Single(report.Found);
        Assert.Equal((Slides, MissFinder.LexicalConfidence, false), (miss.Skill, miss.Confidence, miss.IsEvidence));

        var status = StatusReporter.Build(_db.Store, () => installed, TestStore.T0.AddDays(1)).Skills.Single(s => s.Name == Slides);
        Assert.Equal(0, status.Misses);
        Assert.Equal(1, status.MissesByKind!.Single().LowConfidence);
        var candidate = CandidateSelector.Select(
            new Dictionary<string, CandidateEvidence> { [Slides] = new(0, 0, null, "unknown", 0, 0, 0, null, "unused", LowConfidenceMisses: 1) },
            new SelectionRules(3, TimeSpan.FromHours(24), 3), TestStore.T0.AddDays(1)).Single();
        Assert.Equal(CandidateAction.Review, candidate.Action);

        MissReview.Decide(_db.Store, miss.Id, confirm: false, TestStore.T0.AddDays(1));
        Assert.Empty(MissFinder.Find(_db.Store, [Slides]).For(Slides));
        Assert.Contains(miss.PromptId, MissFinder.Find(_db.Store, [Slides]).Rejected(Slides));
        var again = await new MissDiscovery(new FakeTimeProvider(TestStore.T0.AddDays(2))).DiscoverAsync(_db.Store, installed, new DiscoveryOptions(), null, CancellationToken.None);
        Assert.Empty(again.Found);
        _db.Invocation("i1", "s1", 0, Slides, "s1:p2"); // one real positive, so a set can be generated
        var set = new EvalSetGenerator(new FakeTimeProvider(TestStore.T0.AddDays(1))).Generate(_db.Store, new EvalGenerateOptions(Slides)).Set;
        Assert.Equal(miss.PromptId, set.Entries.First(e => !e.ShouldTrigger).PromptId); // known negatives first
    }

    [Fact]
    public async Task ConfirmingADiscoveredMissMakesItEvidence()
    {
        _db.Session("s1", 0, "turn the quarterly numbers into a presentation deck for the board");
        var installed = Install(("slides", "Create presentation decks and slides from numbers, notes or outlines."));
        var found = (await new MissDiscovery(new FakeTimeProvider(TestStore.T0)).DiscoverAsync(_db.Store, installed, new DiscoveryOptions(), null, CancellationToken.None)).Found.Single();

        MissReview.Decide(_db.Store, found.Id, confirm: true, TestStore.T0);

        var miss = MissFinder.Find(_db.Store, [Slides]).For(Slides).Single();
        Assert.Equal((MissKind.Confirmed, 1.0, true), (miss.Kind, miss.Confidence, miss.IsEvidence));
        Assert.Throws<SelftuneException>(() => MissReview.Decide(_db.Store, "m-000000000000", confirm: true, TestStore.T0));
    }

    [Fact]
    public async Task LabelledSetRecallAndPrecisionOfflineAndWithAScriptedLlm()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!Directory.Exists(Path.Combine(dir.FullName, "tests", "fixtures", "misses")))
        {
            dir = dir.Parent!;
        }

        var fixtures = Path.Combine(dir.FullName, "tests", "fixtures", "misses");
        var installed = Directory.GetDirectories(Path.Combine(fixtures, "skills")).Order(StringComparer.Ordinal)
            .Select(d => new InstalledSkill(Path.GetFileName(d), d, Path.GetDirectoryName(d)!, SkillDocument.Load(Path.Combine(d, "SKILL.md")).DescriptionOneLine, []))
            .ToList();
        var labelled = JsonSerializer.Deserialize<List<Labelled>>(File.ReadAllText(Path.Combine(fixtures, "labelled-prompts.json")), Json.Options)!;
        _db.Session("s1", 0, labelled.Select(l => l.Prompt).ToArray());
        var byText = labelled.ToDictionary(l => QueryText.Key(l.Prompt), l => l.Skill);

        var offline = await new MissDiscovery(new FakeTimeProvider(TestStore.T0)).DiscoverAsync(_db.Store, installed, new DiscoveryOptions(), null, CancellationToken.None);
        var (offRecall, offPrecision) = Score(labelled, offline.Found, byText);

        _db.Store.Execute("DELETE FROM misses");
        var oracle = new OracleLlm(byText);
        var withLlm = await new MissDiscovery(new FakeTimeProvider(TestStore.T0)).DiscoverAsync(_db.Store, installed, new DiscoveryOptions(), new LlmClient(oracle, "scripted", "oracle"), CancellationToken.None);
        var (llmRecall, llmPrecision) = Score(labelled, withLlm.Found, byText);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"labelled set: {labelled.Count} prompts ({labelled.Count(l => l.Skill is not null)} with a skill), {installed.Count} skills; offline recall {offRecall:0.00} precision {offPrecision:0.00}; scripted LLM recall {llmRecall:0.00} precision {llmPrecision:0.00}; {withLlm.Counts.LlmCalls} calls for {withLlm.Counts.Asked} prompts"));
        // The thresholds' justification: top-1 offline precision/recall at each cut, and how often the right skill is shortlisted.
        var (profiles, _, _) = MissDiscovery.Profiles(installed);
        var texts = labelled.Select(l => l.Prompt).ToList();
        var ranked = MissDiscovery.Rank(profiles, texts).ToDictionary(r => r.Index);
        foreach (var cut in new[] { 2.0, 3.0, 4.0, 5.0, 6.0, 8.0 })
        {
            var picked = ranked.Values.Where(r => r.Scores[0] >= cut).ToList();
            var right = picked.Count(r => profiles[r.Skills[0]].Name == labelled[r.Index].Skill);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"offline cut {cut}: recall {(double)right / labelled.Count(l => l.Skill is not null):0.00} precision {(picked.Count == 0 ? 1 : (double)right / picked.Count):0.00}"));
        }

        var shortlisted = labelled.Select((l, i) => (l, i)).Count(x => x.l.Skill is not null && ranked.TryGetValue(x.i, out var r) && r.Skills.Any(k => profiles[k].Name == x.l.Skill));
        var noise = labelled.Select((l, i) => (l, i)).Count(x => x.l.Skill is null && ranked.ContainsKey(x.i));
        output.WriteLine($"shortlist (score >= {MissDiscovery.ShortlistScore}, top {MissDiscovery.ShortlistSize}): right skill offered for {shortlisted} of {labelled.Count(l => l.Skill is not null)}; {noise} of {labelled.Count(l => l.Skill is null)} no-skill prompts offered something");
        Assert.True(offRecall >= 0.5 && offPrecision >= 0.8, $"offline recall {offRecall}, precision {offPrecision}");
        Assert.True(llmRecall >= 0.8 && llmPrecision >= 0.95, $"LLM recall {llmRecall}, precision {llmPrecision}");
        Assert.Equal((withLlm.Counts.Asked + MissDiscovery.BatchSize - 1) / MissDiscovery.BatchSize, withLlm.Counts.LlmCalls); // batches of 25
    }

    [Fact]
    public async Task EvolveProposesFromNamedMissesWithoutSyntheticQueriesAndValidationPromptsNeverReachAProposalRequest()
    {
        NamedStore();
        var folder = Install((Slides, "Create slide decks."))[0].Folder;
        var time = new FakeTimeProvider(TestStore.T0.AddDays(1));
        var set = new EvalSetGenerator(time).Generate(_db.Store, new EvalGenerateOptions(Slides)).Set;
        new EvalSetStore().Save(_db.Store, set);
        Assert.DoesNotContain(set.Entries, e => e.Synthetic);
        using var server = new LoopbackHttpServer(r =>
        {
            var messages = JsonDocument.Parse(r.Body).RootElement.GetProperty("messages");
            var (system, user) = (messages[0].GetProperty("content").GetString()!, messages[1].GetProperty("content").GetString()!);
            if (system.Contains("description field", StringComparison.Ordinal))
            {
                return (200, LoopbackHttpServer.ChatCompletion(JsonSerializer.Serialize(new { description = "Create slide decks and presentations: keynotes, board decks, pitch decks, roadmap decks.", rationale = "covers the misses" })));
            }

            var name = JudgeName().Match(user).Groups[1].Value.Trim();
            var description = JudgeDescription().Match(user).Groups[1].Value.Trim();
            return (200, LoopbackHttpServer.ChatCompletion(string.Join('\n', JudgeQuery().Matches(user).Select(m => $"{m.Groups[1].Value}: {(LexicalValidator.Triggers(name, description, m.Groups[2].Value) ? "YES" : "NO")}"))));
        });

        var result = await new EvolutionService(new EvalSetStore(), new GradingStore(), new SkillDeployer(new SelftuneHome(_db.Folder), time), time).EvolveAsync(
            _db.Store, new EvolveOptions(Slides, Path.Combine(folder, "SKILL.md"), Candidates: 1, DryRun: true), new ValidationSettings(ValidationMode.Judge, JudgeRuns: 1),
            new EvolveTools(Client(server, "evo"), false, null, [], Path.Combine(_db.Folder, "journal.json")), null, default);

        var missedTrain = set.Train.Where(e => e.ShouldTrigger && e.PromptId != "s4:p0").ToList();
        Assert.Equal(missedTrain.Count, result.Failures!.Missed);
        Assert.True(result.Failures.Missed > 0);
        var proposals = server.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("messages"))
            .Where(m => m[0].GetProperty("content").GetString()!.Contains("description field", StringComparison.Ordinal))
            .Select(m => m[1].GetProperty("content").GetString()!).ToList();
        Assert.NotEmpty(proposals);
        Assert.All(proposals, p => Assert.All(missedTrain, e => Assert.Contains(e.Query, p, StringComparison.Ordinal)));
        Assert.All(proposals, p => Assert.All(set.Validation, e => Assert.DoesNotContain(e.Query, p, StringComparison.Ordinal)));
    }

    [GeneratedRegex(@"^Skill name: (.*)$", RegexOptions.Multiline)]
    private static partial Regex JudgeName();

    [GeneratedRegex(@"<<<\n([\s\S]*?)\n>>>")]
    private static partial Regex JudgeDescription();

    [GeneratedRegex(@"^(\d+)\. (.*)$", RegexOptions.Multiline)]
    private static partial Regex JudgeQuery();

    private static (double Recall, double Precision) Score(List<Labelled> labelled, IReadOnlyList<Miss> found, Dictionary<string, string?> byText)
    {
        var right = found.Count(m => byText.GetValueOrDefault(QueryText.Key(m.Text)) == m.Skill);
        var wanted = labelled.Count(l => l.Skill is not null);
        return ((double)right / wanted, found.Count == 0 ? 1 : (double)right / found.Count);
    }

    private static readonly (string Name, string? Description)[] Others =
    [
        ("pdf-tools", "Merge, split and fill PDF files."), ("db-migrations", "Write and review database schema migrations."),
        ("release-notes", "Draft release notes and changelogs from commits."), ("k8s-deploy", "Deploy services to Kubernetes clusters."),
    ];

    private List<InstalledSkill> Install(params (string Name, string? Description)[] skills) => skills.Concat(Others).Select(s =>
    {
        var folder = Path.Combine(_skills, s.Name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "SKILL.md"), s.Description is null ? $"---\nname: {s.Name}\n---\n# {s.Name}\n" : $"---\nname: {s.Name}\ndescription: {s.Description}\n---\n# {s.Name}\n");
        return new InstalledSkill(s.Name, folder, _skills, s.Description, []);
    }).ToList();

    private LlmClient Client(LoopbackHttpServer server, string runId)
    {
        var home = new SelftuneHome(_db.Folder);
        var flags = new Dictionary<string, string?>
        {
            [ConfigKeys.LlmBackend.Key] = "openai-compatible", [ConfigKeys.LlmModel.Key] = "llama3", [ConfigKeys.LlmBaseUrl.Key] = server.BaseUrl + "v1",
        };
        var config = SelftuneConfig.Load(home.ConfigPath, _ => null, flags);
        return new LlmClientFactory(config, home, new PlatformContext(_db.Folder, _db.Folder, _ => null), [], TimeProvider.System).Create(runId);
    }

    [GeneratedRegex(@"\[(p\d+)\] offered: ([^\n]+)")]
    private static partial Regex Offered();

    private sealed record Labelled(string Prompt, string? Skill, string Why);

    /// <summary>An LLM that knows the labels: it picks the labelled skill when it was offered, else none.</summary>
    private sealed partial class OracleLlm(Dictionary<string, string?> labels) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var user = messages.Last().Text;
            var answers = Batch().Matches(user).Select(m =>
            {
                var offered = m.Groups[2].Value.Split(", ");
                var text = m.Groups[3].Value.TrimEnd('…');
                var label = labels.FirstOrDefault(l => l.Key.StartsWith(QueryText.Key(text), StringComparison.Ordinal)).Value;
                return new { id = m.Groups[1].Value, skill = label is not null && offered.Contains(label) ? label : null };
            });
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, JsonSerializer.Serialize(new { answers }))));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        [GeneratedRegex(@"\[(p\d+)\] offered: ([^\n]+)\n    ([^\n]+)")]
        private static partial Regex Batch();
    }
}
