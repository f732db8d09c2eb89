using System.Text.Json;
using Selftune.Abstractions;
using Selftune.AdapterKit;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Grading;
using Selftune.Core.Llm;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests.Evolution;

/// <summary>The pipeline on the seo-audit trigger eval set of the corpus (selftune-dev/selftune, MIT): the simulated
/// agent triggers the skill where the lexical rule says the description covers the prompt, and the user names it
/// otherwise (a miss).</summary>
public sealed class EvolutionServiceTests
{
    private const string Original = "Audit a website for SEO problems in meta tags, sitemaps and robots.txt files.";
    private const string SkillMd = "---\nname: seo-audit\ndescription: " + Original + "\nlicense: MIT\n---\n# SEO Audit\n\nYou are an expert in search engine optimization.\n";
    private const string Good = Original + " Use it when organic traffic or rankings drop, pages are not indexed or missing from Google, crawl errors show in Search Console, or page speed and core web vitals are poor.";
    private const string Angled = Original + " Use it for <any> SEO question.";
    private const string Reworded = "Audit a website for SEO problems: meta tags, sitemaps, robots.txt files and more.";

    [Fact]
    public async Task Judge_validated_proposal_is_deployed_with_the_original_scored_once_and_a_complete_audit()
    {
        using var f = new EvolutionFixture(SkillMd, "seo-audit");
        var set = SeedEvalSet(f);
        var llm = new ScriptedLlm(Angled, Good, Reworded);
        var before = File.ReadAllBytes(f.SkillPath);

        var result = await Service(f).EvolveAsync(f.Store, new EvolveOptions("seo-audit", f.SkillPath, Candidates: 3), new ValidationSettings(ValidationMode.Judge, JudgeRuns: 3, JudgeBatchSize: 25), Tools(f, llm), null, default);

        var held = set.Validation.ToList();
        Assert.Equal("judge", result.ValidationMethod);
        Assert.True(result.Deployed, result.Reason);
        Assert.Equal([AuditActions.Rejected, AuditActions.Deployed, AuditActions.Rejected], result.Candidates.Select(c => c.Status));
        Assert.NotEmpty(result.Candidates[0].ChecksFailed);
        Assert.False(result.Candidates[2].Validation!.Accepted);

        // The original was judged once (3 runs of one batch), not once per candidate; the static-check reject cost no judge call.
        Assert.Equal(3, llm.JudgePrompts.Count(p => p.Contains(Original + "\n>>>", StringComparison.Ordinal)));
        Assert.Equal(3 * 3, llm.JudgePrompts.Count());
        Assert.Equal(3 + 9, result.Spend.Calls);

        // The proposer never saw a validation query.
        foreach (var prompt in llm.ProposalPrompts)
        {
            Assert.DoesNotContain(held.Where(e => e.ShouldTrigger), e => prompt.Contains(e.Query, StringComparison.Ordinal));
        }

        // The file changed in its description only.
        var after = SkillFile.Load(f.SkillPath);
        Assert.Equal(Good, after.Description);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(before).Replace(Original, Good, StringComparison.Ordinal), File.ReadAllText(f.SkillPath));
        Assert.Equal(before, File.ReadAllBytes(result.Deploy!.BackupPath));

        // Audit: created for each, rejected x2, validated then deployed for the winner, with per-entry evidence.
        var entries = f.Trail.Entries("seo-audit");
        Assert.Equal(3, entries.Count(e => e.Action == AuditActions.Created));
        var validated = Assert.Single(entries, e => e.Action == AuditActions.Validated);
        Assert.Equal(result.WinnerId, validated.ProposalId);
        var evidence = validated.Evidence!.Value;
        Assert.Equal(held.Count, evidence.GetProperty("per_entry").GetArrayLength());
        Assert.Equal(held.Count, evidence.GetProperty("eval_snapshot").GetArrayLength());
        Assert.Equal(set.Id, evidence.GetProperty("eval_set_id").GetString());
        Assert.Equal("scripted", evidence.GetProperty("llm").GetProperty("model").GetString());
        Assert.True(evidence.GetProperty("llm").GetProperty("calls_so_far").GetInt32() > 0);
        Assert.Equal(AuditActions.Deployed, entries[^1].Action);
        Assert.Equal(AuditActions.Deployed, f.Trail.Proposal(result.WinnerId!)!.Status);
    }

    [Fact]
    public async Task Between_candidates_with_the_same_pass_rate_the_shorter_wins()
    {
        using var f = new EvolutionFixture(SkillMd, "seo-audit");
        SeedEvalSet(f);
        var longer = Good + " Be thorough.";

        var result = await Service(f).EvolveAsync(f.Store, new EvolveOptions("seo-audit", f.SkillPath, Candidates: 2), new ValidationSettings(ValidationMode.Judge), Tools(f, new ScriptedLlm(longer, Good)), null, default);

        Assert.Equal(result.Candidates[0].Validation!.After, result.Candidates[1].Validation!.After);
        Assert.Equal(result.Candidates[1].ProposalId, result.WinnerId);
        Assert.Equal(AuditActions.Rejected, result.Candidates[0].Status);
        Assert.Contains("another candidate won", result.Candidates[0].Reason, StringComparison.Ordinal);
        Assert.Equal(AuditActions.Rejected, f.Trail.Proposal(result.Candidates[0].ProposalId!)!.Status);
        Assert.Equal(Good, SkillFile.Load(f.SkillPath).Description);
    }

    [Fact]
    public async Task A_spent_budget_stops_cleanly_and_leaves_no_proposal_without_a_verdict()
    {
        using var f = new EvolutionFixture(SkillMd, "seo-audit");
        SeedEvalSet(f);
        var llm = new LlmClient(new ScriptedLlm(Good, Good, Good), LlmBackends.OpenAiCompatible, "scripted", new LlmClientOptions { MaxCalls = 5 });
        var tools = new EvolveTools(llm, false, null, [], Path.Combine(f.Root, "journal.json"));

        var result = await Service(f).EvolveAsync(f.Store, new EvolveOptions("seo-audit", f.SkillPath, Candidates: 3), new ValidationSettings(ValidationMode.Judge), tools, null, default);

        Assert.False(result.Deployed);
        var candidate = Assert.Single(result.Candidates);
        Assert.Contains("budget", candidate.Reason, StringComparison.Ordinal);
        Assert.Equal(5, result.Spend.Calls);
        Assert.All(f.Trail.Proposals("seo-audit"), p => Assert.Equal(AuditActions.Rejected, p.Status));
    }

    [Fact]
    public async Task Dry_run_validates_without_deploying()
    {
        using var f = new EvolutionFixture(SkillMd, "seo-audit");
        SeedEvalSet(f);
        var before = File.ReadAllBytes(f.SkillPath);

        var result = await Service(f).EvolveAsync(f.Store, new EvolveOptions("seo-audit", f.SkillPath, Candidates: 1, DryRun: true), new ValidationSettings(ValidationMode.Judge), Tools(f, new ScriptedLlm(Good)), null, default);

        Assert.False(result.Deployed);
        Assert.NotNull(result.WinnerId);
        Assert.Equal(AuditActions.Validated, f.Trail.Proposal(result.WinnerId!)!.Status);
        Assert.Equal(before, File.ReadAllBytes(f.SkillPath));
    }

    [Fact]
    public async Task Offline_mode_adds_key_terms_validates_lexically_and_labels_everything_heuristic()
    {
        using var f = new EvolutionFixture(SkillMd, "seo-audit");
        SeedEvalSet(f);
        var offline = LlmClient.Unavailable(LlmBackends.Offline, "offline", "selftune config set llm.backend agent");

        var result = await Service(f).EvolveAsync(f.Store, new EvolveOptions("seo-audit", f.SkillPath, Candidates: 3), new ValidationSettings(ValidationMode.Auto), new EvolveTools(offline, true, null, [], Path.Combine(f.Root, "journal.json")), null, default);

        Assert.True(result.Heuristic);
        Assert.Equal("lexical", result.ValidationMethod);
        Assert.StartsWith("[heuristic]", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, result.Spend.Calls);
        Assert.All(f.Trail.Entries("seo-audit"), e => Assert.StartsWith("[heuristic]", e.Message, StringComparison.Ordinal));
        Assert.All(f.Trail.Proposals("seo-audit"), p => Assert.True(p.Heuristic));
        Assert.All(result.Candidates.Where(c => c.Description is not null), c => Assert.StartsWith(Original.TrimEnd('.'), c.Description!, StringComparison.Ordinal));
        Assert.True(result.Deployed, result.Reason + JsonSerializer.Serialize(result, Json.Indented));
    }

    [Fact]
    public async Task Without_an_eval_set_evolve_says_how_to_make_one()
    {
        using var f = new EvolutionFixture(SkillMd, "seo-audit");
        var ex = await Assert.ThrowsAsync<SelftuneException>(() => Service(f).EvolveAsync(f.Store, new EvolveOptions("seo-audit", f.SkillPath), new ValidationSettings(), Tools(f, new ScriptedLlm()), null, default));
        Assert.Equal(ErrorCodes.NotEnoughData, ex.Code);
        Assert.Equal("selftune eval generate --skill seo-audit", ex.NextCommand);
    }

    [Fact]
    public async Task A_skill_that_misses_nothing_costs_no_llm_call()
    {
        using var f = new EvolutionFixture(SkillMd, "seo-audit");
        SeedEvalSet(f, everyPositiveTriggered: true);
        var llm = new ScriptedLlm();

        var result = await Service(f).EvolveAsync(f.Store, new EvolveOptions("seo-audit", f.SkillPath), new ValidationSettings(ValidationMode.Judge), Tools(f, llm), null, default);

        Assert.False(result.Deployed);
        Assert.StartsWith("Nothing to improve", result.Reason, StringComparison.Ordinal);
        Assert.Empty(llm.Requests);
    }

    [Fact]
    public async Task Replay_is_refused_when_no_runner_can_replay()
    {
        using var f = new EvolutionFixture(SkillMd, "seo-audit");
        SeedEvalSet(f);
        var ex = await Assert.ThrowsAsync<SelftuneException>(() => Service(f).EvolveAsync(f.Store, new EvolveOptions("seo-audit", f.SkillPath), new ValidationSettings(ValidationMode.Replay), Tools(f, new ScriptedLlm(Good)), null, default));
        Assert.Equal(ErrorCodes.InvalidArgument, ex.Code);
    }

    private static EvolutionService Service(EvolutionFixture f) => new(new EvalSetStore(), new GradingStore(), new SkillDeployer(f.Home, f.Time), f.Time);

    private static EvolveTools Tools(EvolutionFixture f, ScriptedLlm llm) =>
        new(new LlmClient(llm, LlmBackends.OpenAiCompatible, "scripted"), false, null, [], Path.Combine(f.Root, "journal.json"));

    /// <summary>The corpus's seo-audit eval set, alternately train and validation; one session per positive, in which the
    /// agent triggered the skill by itself when the original description covers the prompt and the user named it otherwise.</summary>
    private static EvalSet SeedEvalSet(EvolutionFixture f, bool everyPositiveTriggered = false)
    {
        using var file = File.OpenRead(IngestorContractTests.CorpusPath("skills", "selftune", "seo-audit", "trigger_eval.json"));
        var raw = JsonDocument.Parse(file).RootElement.EnumerateArray().ToList();
        var entries = new List<EvalEntry>();
        for (var i = 0; i < raw.Count; i++)
        {
            var query = raw[i].GetProperty("query").GetString()!;
            var positive = raw[i].GetProperty("should_trigger").GetBoolean();
            var type = Enum.Parse<InvocationType>(raw[i].GetProperty("invocation_type").GetString()!, ignoreCase: true);
            if (everyPositiveTriggered && positive && QueryText.NamesSkill(query, "seo-audit"))
            {
                continue; // a prompt that names the skill is a miss by definition (MissFinder), whatever the agent did next
            }

            var session = $"s{i}";
            var triggered = everyPositiveTriggered || LexicalValidator.Triggers("seo-audit", Original, query);
            f.Session(session, f.Time.GetUtcNow().AddDays(-30).AddHours(i), new EvolutionFixture.Turn(query, positive ? (triggered ? InvocationKind.Implicit : InvocationKind.Explicit) : null));
            entries.Add(new EvalEntry(query, positive, type, session, $"{session}-p0", false, i % 2 == 0 ? EvalEntry.TrainSplit : EvalEntry.ValidationSplit));
        }

        var set = new EvalSet("es-0123456789ab", "seo-audit", f.Time.GetUtcNow().AddDays(-1), 42, entries);
        new EvalSetStore().Save(f.Store, set);
        return set;
    }
}
