using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Selftune.Core.Llm;
using Selftune.Core.Misses;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Eval;

/// <summary>What to generate.</summary>
/// <param name="Skill">The skill (a plugin prefix may be given or left out).</param>
/// <param name="Seed">Seed of the shuffles and the split.</param>
/// <param name="MaxPerSide">Most positives, and most negatives, taken.</param>
/// <param name="Synthetic">Ask the LLM for queries when real ones are too few (cold start).</param>
/// <param name="ValidationShare">Share of each stratum held out for validation (0.4: the 60/40 split of the Agent Skills
/// optimizing-descriptions guidance).</param>
internal sealed record EvalGenerateOptions(string Skill, int Seed = 42, int MaxPerSide = 50, bool Synthetic = false, double ValidationShare = 0.4);

/// <summary>Counts of a generation, for the report.</summary>
/// <param name="RealPositives">Positives from real prompts.</param>
/// <param name="RealNegatives">Negatives from real prompts.</param>
/// <param name="NearMissNegatives">Real negatives that triggered a sibling skill or share the skill's domain terms.</param>
/// <param name="SyntheticPositives">Positives the LLM wrote.</param>
/// <param name="SyntheticNegatives">Negatives the LLM wrote.</param>
/// <param name="MaintenanceExcluded">Trusted triggers left out of the positives because they ask to work on the skill.</param>
/// <param name="TriggeredExcluded">Distinct prompts, other than the positives, kept out of the negatives because they are known
/// to have triggered (or read) the skill: hook hints, maintenance prompts, SKILL.md reads.</param>
/// <param name="Train">Entries in the train split.</param>
/// <param name="Validation">Entries in the validation split.</param>
internal sealed record EvalGenerationCounts(int RealPositives, int RealNegatives, int NearMissNegatives, int SyntheticPositives, int SyntheticNegatives, int MaintenanceExcluded, int TriggeredExcluded, int Train, int Validation);

/// <summary>A generated eval set with its counts and notes (not yet saved: see <see cref="EvalSetStore.Save"/>).</summary>
/// <param name="Set">The eval set.</param>
/// <param name="Counts">What went into it.</param>
/// <param name="Notes">Things a person should know (few positives, no SKILL.md found, ...).</param>
internal sealed record EvalGeneration(EvalSet Set, EvalGenerationCounts Counts, IReadOnlyList<string> Notes);

/// <summary>
/// Builds a skill's trigger eval set from the store.
/// <list type="bullet">
/// <item>Positives: actionable prompts that triggered the skill per source truth (transcript or repair rows; implicit or
/// explicit; a slash command's arguments), and its misses that are evidence (<see cref="MissFinder"/>: named, confirmed,
/// discovered by the LLM), minus prompts that ask to work on the skill
/// (<see cref="QueryText.IsSkillMaintenance"/>), de-duplicated.</item>
/// <item>Negatives: other actionable prompts. A prompt known to have triggered the skill (any capture mode, hook hints
/// included), to have led to a read of its SKILL.md, that names the skill, or that is any miss of it (a low-confidence one
/// included) is never a negative, matched by text across sessions. Known negatives come first: prompts a review rejected
/// as misses of the skill; then near misses: prompts that triggered a sibling skill, then prompts sharing the skill's
/// domain terms (most terms first), then the rest. At least <see cref="MinimumNegatives"/> negatives (when there are that many), else as many as positives.</item>
/// <item>Synthetic (cold start): when asked, an LLM writes should-trigger and near-miss queries from the SKILL.md, its
/// siblings and a few real examples of the train split only (the real entries are split first, so no held-out prompt can
/// be paraphrased into train), up to <see cref="SyntheticTarget"/> per side; they are marked, placed after the real
/// entries, and dropped when they repeat a real query.</item>
/// <item>Split: stratified by (should trigger, invocation type, synthetic), <see cref="EvalGenerateOptions.ValidationShare"/>
/// of each stratum held out; each class with two or more entries has at least one in each part. All shuffles use
/// <see cref="SeededRandom"/>, so the same store and seed give the same set.</item>
/// </list>
/// </summary>
internal sealed class EvalSetGenerator
{
    /// <summary>Longest query kept, in characters (longer prompts are cut at a word boundary).</summary>
    public const int MaxQueryLength = 500;

    /// <summary>Fewest negatives wanted when the store has enough prompts.</summary>
    public const int MinimumNegatives = 10;

    /// <summary>Entries per side a blended set is filled up to with synthetic queries (8–10 per side: Agent Skills guidance).</summary>
    public const int SyntheticTarget = 10;

    private const double DuplicateSimilarity = 0.8;
    private readonly TimeProvider _time;

    /// <summary>Creates the generator.</summary>
    public EvalSetGenerator(TimeProvider time) => _time = time;

    /// <summary>Builds the eval set from real prompts only (<see cref="EvalGenerateOptions.Synthetic"/> is ignored).</summary>
    /// <param name="store">The store.</param>
    /// <param name="options">What to generate.</param>
    /// <param name="skill">The skill's SKILL.md, when found (its description sharpens near-miss ranking).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotEnoughData"/> when the store holds no real positive for the
    /// skill (the next command is the synthetic cold start).</exception>
    public EvalGeneration Generate(SelftuneStore store, EvalGenerateOptions options, SkillDocument? skill = null)
    {
        var real = BuildReal(store, options, skill, syntheticWanted: false);
        if (real.Positives.Count == 0)
        {
            throw NoPositives(options.Skill);
        }

        return Finish(options, real, [], []);
    }

    /// <summary>Builds the eval set; with <see cref="EvalGenerateOptions.Synthetic"/>, fills it up with LLM-written queries.</summary>
    /// <param name="store">The store.</param>
    /// <param name="options">What to generate.</param>
    /// <param name="skill">The skill's SKILL.md (required for synthetic queries).</param>
    /// <param name="siblings">The installed skills (the others' descriptions make near misses).</param>
    /// <param name="llm">The LLM (only used with <see cref="EvalGenerateOptions.Synthetic"/>).</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotEnoughData"/> when there are no positives at all;
    /// <see cref="ErrorCodes.NotFound"/> when synthetic queries are asked for without a SKILL.md; the LLM's errors.</exception>
    public async Task<EvalGeneration> GenerateAsync(SelftuneStore store, EvalGenerateOptions options, SkillDocument? skill, IReadOnlyList<InstalledSkill> siblings, LlmClient? llm, CancellationToken ct)
    {
        if (!options.Synthetic || llm is null)
        {
            return Generate(store, options, skill);
        }

        var real = BuildReal(store, options, skill, syntheticWanted: true);
        var target = Math.Min(options.MaxPerSide, SyntheticTarget);
        var wantPositives = Math.Max(0, target - real.Positives.Count);
        var wantNegatives = Math.Max(0, target - real.Negatives.Count);
        if (wantPositives == 0 && wantNegatives == 0)
        {
            real.Notes.Add($"The store has at least {target} real positives and negatives; no synthetic queries were needed.");
            return Finish(options, real, [], []);
        }

        if (skill is null)
        {
            throw new SelftuneException(
                ErrorCodes.NotFound,
                $"Synthetic queries are written from the skill's SKILL.md, and none was found for {ShellCommand.Quoted(options.Skill)}. Point at it with --skill-path.",
                ShellCommand.Line($"selftune eval generate --skill {options.Skill:skill} --synthetic --skill-path <folder>"));
        }

        var train = Split([.. real.Positives, .. real.Negatives], options.Seed, options.ValidationShare).Where(e => e.Split == EvalEntry.TrainSplit).ToList();
        var answer = await llm.CompleteJsonAsync<SyntheticAnswer>(SyntheticPrompt(skill, siblings, train, wantPositives, wantNegatives), ct).ConfigureAwait(false);
        var seen = real.Positives.Concat(real.Negatives).Select(e => e.Query).ToList();
        var positives = Accept(answer.ShouldTrigger, seen, wantPositives, q => new EvalEntry(q, true, QueryText.Classify(q, options.Skill), null, null, true, EvalEntry.TrainSplit));
        var negatives = Accept(answer.ShouldNotTrigger, seen, wantNegatives, q => new EvalEntry(q, false, InvocationType.Negative, null, null, true, EvalEntry.TrainSplit));
        if (positives.Count + negatives.Count == 0)
        {
            throw new SelftuneException(ErrorCodes.LlmBadAnswer, $"The {llm.Backend} LLM wrote no usable queries for {ShellCommand.Quoted(options.Skill)} (all empty or repeats of real ones).", "selftune llm test");
        }

        if (real.Positives.Count + positives.Count == 0)
        {
            throw NoPositives(options.Skill);
        }

        return Finish(options, real, positives, negatives);
    }

    private RealPart BuildReal(SelftuneStore store, EvalGenerateOptions options, SkillDocument? skill, bool syntheticWanted)
    {
        if (options.MaxPerSide < 1)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"--max must be at least 1 (it was {options.MaxPerSide}).", ShellCommand.Line($"selftune eval generate --skill {options.Skill:skill}"), exitCode: 2);
        }

        var index = TriggerIndex.Load(store);
        var mine = index.Skills.Values.Where(s => SkillNames.Same(s.Skill, options.Skill)).ToList();
        var random = new SeededRandom(options.Seed);
        var notes = new List<string>();

        var misses = MissFinder.Find(store, index, [options.Skill], null);
        var byId = index.Prompts.ToDictionary(p => p.PromptId, StringComparer.Ordinal);
        foreach (var p in mine.SelectMany(s => s.Trusted.Values).Select(t => t.Prompt))
        {
            byId.TryAdd(p.PromptId, p);
        }

        var missed = misses.For(options.Skill);
        var trusted = mine.SelectMany(s => s.Trusted.Values).Select(t => (t.Prompt, t.Explicit))
            .Concat(missed.Where(m => m.IsEvidence && byId.ContainsKey(m.PromptId)).Select(m => (Prompt: byId[m.PromptId], Explicit: false)))
            .OrderBy(t => t.Prompt.OccurredAt).ThenBy(t => t.Prompt.PromptId, StringComparer.Ordinal).ToList();
        var positiveRows = new List<(PromptRow Prompt, bool Explicit)>();
        var positiveKeys = new HashSet<string>(StringComparer.Ordinal);
        var maintenance = 0;
        foreach (var t in trusted)
        {
            if (QueryText.IsSkillMaintenance(PromptText(t.Prompt), options.Skill))
            {
                maintenance++;
            }
            else if (positiveKeys.Add(t.Prompt.Key))
            {
                positiveRows.Add(t);
            }
            else if (t.Explicit)
            {
                var i = positiveRows.FindIndex(p => p.Prompt.Key == t.Prompt.Key);
                positiveRows[i] = (positiveRows[i].Prompt, true);
            }
        }

        random.Shuffle(positiveRows);
        var positives = positiveRows.Take(options.MaxPerSide).Select(p =>
        {
            var query = QueryText.ForEntry(p.Prompt.Text, MaxQueryLength);
            return new EvalEntry(query, true, p.Explicit ? InvocationType.Explicit : QueryText.Classify(query, options.Skill), p.Prompt.SessionId, p.Prompt.PromptId, false, EvalEntry.TrainSplit);
        }).ToList();

        var excluded = new HashSet<string>(mine.SelectMany(s => s.TriggeredKeys.Concat(s.ReadKeys)), StringComparer.Ordinal);
        excluded.UnionWith(trusted.Select(t => t.Prompt.Key));
        excluded.UnionWith(missed.Where(m => byId.ContainsKey(m.PromptId)).Select(m => byId[m.PromptId].Key));
        var rejected = misses.Rejected(options.Skill);
        var siblingKeys = new HashSet<string>(index.Skills.Values.Where(s => !mine.Contains(s)).SelectMany(s => s.TriggeredKeys), StringComparer.Ordinal);
        var terms = QueryText.DomainTerms(options.Skill, skill?.DescriptionOneLine);
        var candidates = new List<PromptRow>();
        var candidateKeys = new HashSet<string>(StringComparer.Ordinal);
        var triggeredExcluded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in index.Prompts)
        {
            if (excluded.Contains(p.Key) || (!rejected.Contains(p.PromptId) && QueryText.NamesSkill(PromptText(p), options.Skill)))
            {
                if (!positiveKeys.Contains(p.Key))
                {
                    triggeredExcluded.Add(p.Key);
                }
            }
            else if (candidateKeys.Add(p.Key))
            {
                candidates.Add(p);
            }
        }

        var known = candidates.Where(p => rejected.Contains(p.PromptId)).ToList();
        var siblings = candidates.Where(p => !rejected.Contains(p.PromptId) && siblingKeys.Contains(p.Key)).ToList();
        var domain = candidates.Where(p => !rejected.Contains(p.PromptId) && !siblingKeys.Contains(p.Key)).Select(p => (Prompt: p, Score: QueryText.DomainScore(PromptText(p), terms))).ToList();
        var related = domain.Where(d => d.Score > 0).ToList();
        var rest = domain.Where(d => d.Score == 0).Select(d => d.Prompt).ToList();
        random.Shuffle(known);
        random.Shuffle(siblings);
        random.Shuffle(related);
        random.Shuffle(rest);
        var ranked = known.Concat(siblings).Concat(related.OrderByDescending(d => d.Score).Select(d => d.Prompt)).ToList();
        var wanted = Math.Min(options.MaxPerSide, Math.Max(syntheticWanted ? Math.Max(positives.Count, SyntheticTarget) : positives.Count, MinimumNegatives));
        var chosen = ranked.Concat(rest).Take(wanted).ToList();
        var nearMiss = Math.Min(chosen.Count, ranked.Count);
        var negatives = chosen.Select(p => new EvalEntry(QueryText.ForEntry(p.Text, MaxQueryLength), false, InvocationType.Negative, p.SessionId, p.PromptId, false, EvalEntry.TrainSplit)).ToList();

        if (positives.Count is > 0 and < EvalEvidence.MinimumRealPositives)
        {
            notes.Add($"Only {positives.Count} real positive(s) for {ShellCommand.Quoted(options.Skill)}; {EvalEvidence.MinimumRealPositives} or more make a trustworthy set. Add --synthetic to blend in LLM-written queries.");
        }

        if (maintenance > 0)
        {
            notes.Add($"{maintenance} trigger(s) were left out of the positives because they ask to work on the skill rather than use it.");
        }

        if (negatives.Count < positives.Count)
        {
            notes.Add($"Only {negatives.Count} negative(s) are available for {positives.Count} positive(s).");
        }

        if (skill is null)
        {
            notes.Add($"No SKILL.md was found for {ShellCommand.Quoted(options.Skill)}: near misses were ranked by its name only.");
        }

        return new RealPart(positives, negatives, nearMiss, maintenance, triggeredExcluded.Count, notes);
    }

    private EvalGeneration Finish(EvalGenerateOptions options, RealPart real, List<EvalEntry> syntheticPositives, List<EvalEntry> syntheticNegatives)
    {
        // The real entries are split on their own, exactly as the synthetic writer saw them split.
        var entries = Split([.. real.Positives, .. real.Negatives], options.Seed, options.ValidationShare)
            .Concat(Split([.. syntheticPositives, .. syntheticNegatives], options.Seed, options.ValidationShare))
            .ToList();
        var created = _time.GetUtcNow();
        var id = "es-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{options.Skill}\n{created.ToUnixTimeMilliseconds()}\n{options.Seed}\n{string.Join('\n', entries.Select(e => e.Query))}"))))[..12];
        var set = new EvalSet(id, options.Skill, created, options.Seed, entries);
        var counts = new EvalGenerationCounts(
            real.Positives.Count, real.Negatives.Count, real.NearMiss, syntheticPositives.Count, syntheticNegatives.Count,
            real.Maintenance, real.TriggeredExcluded, set.Train.Count(), set.Validation.Count());
        return new EvalGeneration(set, counts, real.Notes);
    }

    /// <summary>Assigns each entry its split, keeping the order of <paramref name="entries"/>.</summary>
    internal static List<EvalEntry> Split(List<EvalEntry> entries, int seed, double validationShare)
    {
        var random = new SeededRandom(unchecked(seed ^ 0x5EED5));
        var validation = new bool[entries.Count];
        var strata = Enumerable.Range(0, entries.Count)
            .GroupBy(i => (entries[i].Synthetic, entries[i].ShouldTrigger, entries[i].Type))
            .OrderBy(g => g.Key.Synthetic).ThenByDescending(g => g.Key.ShouldTrigger).ThenBy(g => g.Key.Type)
            .Select(g => g.ToList())
            .ToList();
        foreach (var stratum in strata)
        {
            random.Shuffle(stratum);
            var held = (int)Math.Round(stratum.Count * validationShare, MidpointRounding.AwayFromZero);
            if (stratum.Count >= 2)
            {
                held = Math.Clamp(held, 1, stratum.Count - 1);
            }

            foreach (var i in stratum.Take(held))
            {
                validation[i] = true;
            }
        }

        // Each class (real/synthetic × positive/negative) with two or more entries gets at least one in each part.
        foreach (var group in Enumerable.Range(0, entries.Count).GroupBy(i => (entries[i].Synthetic, entries[i].ShouldTrigger)).Where(g => g.Count() >= 2))
        {
            foreach (var wanted in new[] { true, false })
            {
                if (group.All(i => validation[i] != wanted))
                {
                    validation[group.Last()] = wanted;
                }
            }
        }

        return entries.Select((e, i) => e with { Split = validation[i] ? EvalEntry.ValidationSplit : EvalEntry.TrainSplit }).ToList();
    }

    private static List<EvalEntry> Accept(IReadOnlyList<SyntheticQuery>? queries, List<string> seen, int wanted, Func<string, EvalEntry> make)
    {
        var accepted = new List<EvalEntry>();
        foreach (var q in queries ?? [])
        {
            var text = QueryText.ForEntry(q.Query ?? string.Empty, MaxQueryLength);
            if (accepted.Count == wanted || text.Length < 4 || seen.Any(s => QueryText.Key(s) == QueryText.Key(text) || QueryText.Similarity(s, text) >= DuplicateSimilarity))
            {
                continue;
            }

            seen.Add(text);
            accepted.Add(make(text));
        }

        return accepted;
    }

    private static LlmRequest SyntheticPrompt(SkillDocument skill, IReadOnlyList<InstalledSkill> siblings, List<EvalEntry> train, int positives, int negatives)
    {
        const string system = """
            You write test prompts for checking when a coding agent should load a skill. The agent decides from the
            skill's name and description alone, so a useful test set holds prompts a real developer would type to a
            coding agent: varied in length, wording and detail; a few name the skill, most describe the need. Near-miss
            prompts share vocabulary or domain with the skill but need something else, often one of the other skills.
            Never copy the example prompts. Answer with JSON only, no prose.
            """;
        var user = new StringBuilder();
        user.AppendLine(CultureInfo.InvariantCulture, $"Skill: {skill.Name}");
        user.AppendLine(CultureInfo.InvariantCulture, $"Description: {skill.DescriptionOneLine}");
        user.AppendLine("Instructions (excerpt):");
        user.AppendLine(skill.Body.Length <= 3000 ? skill.Body : skill.Body[..3000] + "\n[…]");
        var others = siblings.Where(s => s.ShadowedBy is null && s.Description is not null && !SkillNames.Same(s.Name, skill.Name)).Take(8).ToList();
        if (others.Count > 0)
        {
            user.AppendLine().AppendLine("Other installed skills (near misses often belong to one of them):");
            foreach (var s in others)
            {
                user.AppendLine(CultureInfo.InvariantCulture, $"- {s.Name}: {(s.Description!.Length <= 200 ? s.Description : s.Description[..200] + "…")}");
            }
        }

        AppendExamples(user, "Real prompts that loaded the skill (match their tone):", train.Where(e => e.ShouldTrigger).ToList());
        AppendExamples(user, "Real prompts that did not:", train.Where(e => !e.ShouldTrigger).ToList());
        var explicitCount = Math.Max(1, positives / 5);
        var contextual = Math.Max(1, (positives * 2) / 5);
        user.AppendLine();
        if (positives > 0)
        {
            user.AppendLine(CultureInfo.InvariantCulture, $"Write {positives} prompts that should load the skill: about {explicitCount} naming it, about {contextual} embedded in concrete context (file names, error messages, data), the rest describing the need without naming it.");
        }

        if (negatives > 0)
        {
            user.AppendLine(CultureInfo.InvariantCulture, $"Write {negatives} prompts that should not load it: mostly near misses, one or two plainly unrelated coding requests.");
        }

        user.AppendLine("""JSON shape: {"should_trigger":[{"query":"..."}],"should_not_trigger":[{"query":"..."}]}""");
        return new LlmRequest("synthetic-evals", system, user.ToString(), 4000);
    }

    private static void AppendExamples(StringBuilder user, string title, List<EvalEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        user.AppendLine().AppendLine(title);
        foreach (var e in entries.Take(5))
        {
            user.AppendLine(CultureInfo.InvariantCulture, $"- {(e.Query.Length <= 220 ? e.Query : e.Query[..220] + "…").ReplaceLineEndings(" ")}");
        }
    }

    private static string PromptText(PromptRow p) => Selftune.Abstractions.PromptClassifier.StripWrappers(p.Text);

    private static SelftuneException NoPositives(string skill) => new(
        ErrorCodes.NotEnoughData,
        $"The store holds no prompt that triggered {ShellCommand.Quoted(skill)} (per the agents' transcripts), so there is nothing to learn from yet. Sync first, or start cold with LLM-written queries.",
        ShellCommand.Line($"selftune eval generate --skill {skill:skill} --synthetic"));

    private sealed record RealPart(List<EvalEntry> Positives, List<EvalEntry> Negatives, int NearMiss, int Maintenance, int TriggeredExcluded, List<string> Notes);
}

/// <summary>The synthetic-query answer the LLM is asked for.</summary>
/// <param name="ShouldTrigger">Queries that should load the skill.</param>
/// <param name="ShouldNotTrigger">Queries that should not.</param>
internal sealed record SyntheticAnswer(IReadOnlyList<SyntheticQuery>? ShouldTrigger = null, IReadOnlyList<SyntheticQuery>? ShouldNotTrigger = null);

/// <summary>One LLM-written query.</summary>
/// <param name="Query">The text.</param>
internal sealed record SyntheticQuery(string? Query = null);
