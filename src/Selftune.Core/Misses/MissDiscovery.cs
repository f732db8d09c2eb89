using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Selftune.Core.Eval;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Misses;

/// <summary>One installed skill as discovery ranks it.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Description">Its description on one line, when it has one.</param>
/// <param name="Headings">The Markdown headings of its SKILL.md body.</param>
/// <param name="DescriptionHash">16 hex digits of SHA-256 over name, newline, description: the judgement cache's key.</param>
internal sealed record SkillProfile(string Name, string? Description, IReadOnlyList<string> Headings, string DescriptionHash)
{
    /// <summary>A profile from its parts (the hash is computed).</summary>
    public static SkillProfile Of(string name, string? description, IReadOnlyList<string> headings) =>
        new(name, description, headings, Hash(name + "\n" + (description ?? string.Empty)));

    internal static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
}

/// <summary>A prompt's plausible skills, best first.</summary>
/// <param name="Index">The prompt's position in the ranked list.</param>
/// <param name="Skills">Indexes into the profiles, best first.</param>
/// <param name="Scores">Their BM25 scores.</param>
internal sealed record Shortlist(int Index, IReadOnlyList<int> Skills, IReadOnlyList<double> Scores);

/// <summary>What to discover.</summary>
/// <param name="Skill">Only misses of this skill (<c>--skill</c>), when given.</param>
/// <param name="Since">Only prompts sent at or after this time (<c>--since</c>), when given.</param>
/// <param name="RunId">The run (or ad-hoc command) recorded with what is found.</param>
/// <param name="MaxCalls">Most LLM calls this discovery makes (the client's run budget applies as well).</param>
internal sealed record DiscoveryOptions(string? Skill = null, DateTimeOffset? Since = null, string RunId = "adhoc", int MaxCalls = int.MaxValue);

/// <summary>Counts of one discovery, bad input included.</summary>
/// <param name="UnhandledPrompts">Actionable prompts no skill handled (distinct texts).</param>
/// <param name="Skills">Installed skills ranked.</param>
/// <param name="SkillsWithoutDescription">Of those, skills with no description (ranked by name and headings).</param>
/// <param name="DuplicateSkills">Skill folders left out because an earlier folder has the same name.</param>
/// <param name="UnreadableSkills">SKILL.md files that could not be read (ranked by name and description as listed).</param>
/// <param name="ShortPrompts">Prompts of one word (kept, ranked like any).</param>
/// <param name="LongPrompts">Prompts cut to <see cref="Tokens.MaxTokens"/> tokens for ranking and to <see cref="MissDiscovery.MaxPromptChars"/> characters for the LLM.</param>
/// <param name="Shortlisted">Prompts with at least one plausible skill.</param>
/// <param name="Cached">Of those, prompts whose every (prompt, description) pair was judged before (no LLM call).</param>
/// <param name="Asked">Prompts sent to the LLM.</param>
/// <param name="LlmCalls">LLM calls made.</param>
/// <param name="Found">Misses found (new or already known).</param>
/// <param name="DiscardedAnswers">LLM answers naming a skill that was not offered for that prompt, or an unknown prompt id.</param>
internal sealed record DiscoveryCounts(int UnhandledPrompts, int Skills, int SkillsWithoutDescription, int DuplicateSkills, int UnreadableSkills, int ShortPrompts, int LongPrompts, int Shortlisted, int Cached, int Asked, int LlmCalls, int Found, int DiscardedAnswers);

/// <summary>The result of a discovery.</summary>
/// <param name="Mode"><c>llm</c> or <c>offline</c> (lexical ranking alone: low-confidence misses).</param>
/// <param name="Counts">What was seen and done.</param>
/// <param name="Found">The discovered misses, best score first.</param>
/// <param name="Notes">What a person should know (offline mode, the budget stopped it, ...).</param>
/// <param name="ElapsedMs">Wall time (ms).</param>
internal sealed record DiscoveryReport(string Mode, DiscoveryCounts Counts, IReadOnlyList<Miss> Found, IReadOnlyList<string> Notes, long ElapsedMs);

/// <summary>
/// Discovery of the misses nobody names. For every actionable prompt no skill handled (no invocation, not already a
/// named or confirmed miss), the installed skills are ranked by BM25 (<see cref="Bm25Index"/>, tokens by <see cref="Tokens"/>)
/// over a document made of the skill's name (three times: the strongest field), description and SKILL.md headings. Skills
/// scoring at least <see cref="ShortlistScore"/> with at least <see cref="MinimumMatchedTerms"/> distinct matching terms are
/// plausible; the best <see cref="ShortlistSize"/> are kept. Then:
/// <list type="bullet">
/// <item>With an LLM: prompts go in batches of <see cref="BatchSize"/>, each with its shortlist; the LLM answers which offered skill
/// (or none) the agent should have used. An answer naming a skill not offered for that prompt is discarded. Every offered
/// (prompt, description) pair is cached in <c>miss_judgements</c>, so no prompt is judged twice against the same description,
/// across runs; an LLM "none" removes an open lexical miss of that pair. Spend is bounded by the client's run budget
/// (<c>llm.max_calls</c>, <c>llm.max_tokens</c>): when it is spent, discovery stops and says so.</item>
/// <item>Offline (<c>--llm offline</c> or no LLM): the best skill becomes a low-confidence (<see cref="MissFinder.LexicalConfidence"/>)
/// discovered miss when it scores at least <see cref="OfflineScore"/> — a lead to confirm or reject, never evidence alone.</item>
/// </list>
/// A miss rejected by review is never found again for that prompt and skill. Thresholds were chosen on the labelled set in
/// the tests (<c>tests/fixtures/misses/</c>; figures in <c>bench/RESULTS.md</c>).
/// </summary>
internal sealed class MissDiscovery
{
    /// <summary>The <c>misses.method</c> of an LLM-found miss.</summary>
    public const string LlmMethod = "llm";

    /// <summary>The <c>misses.method</c> of a miss found by lexical ranking alone.</summary>
    public const string LexicalMethod = "lexical";

    /// <summary>Prompts per LLM call (the target is at most one call per 20 prompts).</summary>
    public const int BatchSize = 25;

    /// <summary>Most skills offered to the LLM per prompt.</summary>
    public const int ShortlistSize = 3;

    /// <summary>Lowest BM25 score of a plausible skill.</summary>
    public const double ShortlistScore = 2.0;

    /// <summary>Fewest distinct query terms a plausible skill must match.</summary>
    public const int MinimumMatchedTerms = 1;

    /// <summary>Lowest BM25 score of the best skill for an offline (lexical) miss.</summary>
    public const double OfflineScore = 4.0;

    /// <summary>Longest prompt text sent to the LLM, in characters.</summary>
    public const int MaxPromptChars = 600;

    /// <summary>Longest description sent to the LLM, in characters.</summary>
    public const int MaxDescriptionChars = 400;

    private readonly TimeProvider _time;

    /// <summary>Creates the discovery.</summary>
    public MissDiscovery(TimeProvider time) => _time = time;

    /// <summary>Profiles of the installed skills: shadowed folders and later folders of a name already seen are left out
    /// (counted as duplicates); a SKILL.md that cannot be read is profiled from the catalog's name and description (counted).</summary>
    /// <param name="installed">The installed skills.</param>
    public static (List<SkillProfile> Profiles, int Duplicates, int Unreadable) Profiles(IReadOnlyList<InstalledSkill> installed)
    {
        var profiles = new List<SkillProfile>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        int duplicates = 0, unreadable = 0;
        foreach (var skill in installed)
        {
            if (skill.ShadowedBy is not null || !seen.Add(SkillNames.Bare(skill.Name)))
            {
                duplicates++;
                continue;
            }

            var headings = new List<string>();
            var description = skill.Description;
            try
            {
                var document = SkillDocument.Load(skill.SkillFile);
                description = document.DescriptionOneLine ?? description;
                headings.AddRange(document.Body.Split('\n').Where(l => l.StartsWith('#')).Select(l => l.TrimStart('#').Trim()).Where(l => l.Length > 0));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SelftuneException)
            {
                unreadable++;
            }

            profiles.Add(SkillProfile.Of(skill.Name, string.IsNullOrWhiteSpace(description) ? null : description, headings));
        }

        return (profiles, duplicates, unreadable);
    }

    /// <summary>Ranks the skills for every prompt; returns only prompts with at least one plausible skill.</summary>
    /// <param name="profiles">The skills.</param>
    /// <param name="prompts">The prompts' texts.</param>
    public static List<Shortlist> Rank(IReadOnlyList<SkillProfile> profiles, IReadOnlyList<string> prompts)
    {
        var index = new Bm25Index(profiles.Select(p =>
        {
            var name = Tokens.Of(p.Name);
            return (IReadOnlyList<string>)[.. name, .. name, .. name, .. Tokens.Of(p.Description), .. p.Headings.SelectMany(Tokens.Of)];
        }).ToList());
        var result = new List<Shortlist>();
        for (var i = 0; i < prompts.Count; i++)
        {
            var (scores, matched) = index.Score(Tokens.Of(prompts[i]));
            var best = Enumerable.Range(0, scores.Length)
                .Where(s => scores[s] >= ShortlistScore && matched[s] >= MinimumMatchedTerms)
                .OrderByDescending(s => scores[s]).ThenBy(s => s)
                .Take(ShortlistSize)
                .ToList();
            if (best.Count > 0)
            {
                result.Add(new Shortlist(i, best, best.Select(s => scores[s]).ToList()));
            }
        }

        return result;
    }

    /// <summary>Discovers misses and stores them (<c>misses</c>, <c>miss_judgements</c>).</summary>
    /// <param name="store">The store.</param>
    /// <param name="installed">The installed skills.</param>
    /// <param name="options">What to discover.</param>
    /// <param name="llm">The LLM; null or the offline backend for lexical ranking alone.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when <see cref="DiscoveryOptions.Skill"/> is not installed.</exception>
    public Task<DiscoveryReport> DiscoverAsync(SelftuneStore store, IReadOnlyList<InstalledSkill> installed, DiscoveryOptions options, LlmClient? llm, CancellationToken ct) =>
        DiscoverAsync(store, null, installed, options, llm, ct);

    /// <summary>Discovers misses and stores them, with the store's trigger index when the caller has read it already
    /// (discovery writes misses only, so the index stays valid for the caller's own <see cref="MissFinder"/> after it).</summary>
    /// <param name="store">The store.</param>
    /// <param name="index">The store's trigger index; null to read it.</param>
    /// <param name="installed">The installed skills.</param>
    /// <param name="options">What to discover.</param>
    /// <param name="llm">The LLM; null or the offline backend for lexical ranking alone.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when <see cref="DiscoveryOptions.Skill"/> is not installed.</exception>
    internal async Task<DiscoveryReport> DiscoverAsync(SelftuneStore store, TriggerIndex? index, IReadOnlyList<InstalledSkill> installed, DiscoveryOptions options, LlmClient? llm, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var notes = new List<string>();
        var (profiles, duplicates, unreadable) = Profiles(installed);
        if (options.Skill is { } only)
        {
            profiles = profiles.Where(p => SkillNames.Same(p.Name, only)).ToList();
            if (profiles.Count == 0)
            {
                throw new SelftuneException(ErrorCodes.NotFound, $"'{only}' is not an installed skill, so there is nothing to discover misses of.", "selftune status");
            }
        }

        index ??= TriggerIndex.Load(store);
        var known = MissFinder.Find(store, index, profiles.Select(p => p.Name), null);
        var handled = index.Skills.Values.SelectMany(s => s.UsedPromptIds).ToHashSet(StringComparer.Ordinal);
        handled.UnionWith(known.All.Where(m => m.Kind is MissKind.Named or MissKind.Confirmed).Select(m => m.PromptId));
        var from = options.Since?.ToUnixTimeMilliseconds() ?? long.MinValue;
        var unhandled = index.Prompts.Where(p => p.OccurredAt >= from && !handled.Contains(p.PromptId)).ToList();
        var groups = unhandled.GroupBy(p => p.Key, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        var texts = groups.Select(g => Selftune.Abstractions.PromptClassifier.StripWrappers(g[0].Text)).ToList();
        var shortPrompts = texts.Count(t => !t.Trim().Contains(' '));
        var longPrompts = texts.Count(t => t.Length > MaxPromptChars);
        var shortlists = Rank(profiles, texts);

        // A rejected (prompt, skill) pair is never offered again.
        var rejected = profiles.ToDictionary(p => p.Name, p => known.Rejected(p.Name), StringComparer.Ordinal);
        shortlists = shortlists
            .Select(s => s with { Skills = s.Skills.Where(k => !groups[s.Index].Any(p => rejected[profiles[k].Name].Contains(p.PromptId))).ToList() })
            .Where(s => s.Skills.Count > 0)
            .ToList();

        var cache = LoadCache(store);
        var verdicts = new Dictionary<(int Prompt, int Skill), bool>();
        var method = llm is { IsAvailable: true } && llm.Backend != LlmBackends.Offline ? LlmMethod : LexicalMethod;
        int cached = 0, asked = 0, calls = 0, discarded = 0;
        var toAsk = new List<Shortlist>();
        foreach (var s in shortlists)
        {
            var hash = PromptHash(groups[s.Index][0].Key);
            var hits = s.Skills.Select(k => cache.TryGetValue((hash, profiles[k].DescriptionHash), out var v) ? v : (bool?)null).ToList();
            if (hits.All(h => h is not null))
            {
                cached++;
                for (var i = 0; i < s.Skills.Count; i++)
                {
                    verdicts[(s.Index, s.Skills[i])] = hits[i]!.Value;
                }
            }
            else
            {
                toAsk.Add(s);
            }
        }

        if (method == LlmMethod)
        {
            foreach (var batch in toAsk.Chunk(BatchSize))
            {
                ct.ThrowIfCancellationRequested();
                if (calls >= options.MaxCalls)
                {
                    notes.Add($"Stopped after {calls} LLM call(s), this discovery's share of the budget; {toAsk.Count - asked} prompt(s) were left for a later run.");
                    break;
                }

                DiscoveryAnswer answer;
                try
                {
                    calls++;
                    answer = await llm!.CompleteJsonAsync<DiscoveryAnswer>(Request(batch, groups, profiles), ct).ConfigureAwait(false);
                }
                catch (SelftuneException ex) when (ex.Code is ErrorCodes.BudgetExhausted or ErrorCodes.LlmUnavailable)
                {
                    calls -= ex.Code == ErrorCodes.BudgetExhausted ? 1 : 0;
                    notes.Add($"Stopped asking the LLM: {ex.Message} {toAsk.Count - asked} prompt(s) were left for a later run.");
                    break;
                }
                catch (SelftuneException ex) when (ex.Code == ErrorCodes.LlmBadAnswer)
                {
                    notes.Add($"One batch of {batch.Length} prompts got an unusable answer and was skipped: {ex.Message}");
                    continue;
                }

                asked += batch.Length;
                var chosen = new Dictionary<int, string?>();
                foreach (var a in answer.Answers ?? [])
                {
                    if (a.Id is not { } id || !id.StartsWith('p') || !int.TryParse(id.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > batch.Length)
                    {
                        discarded++;
                        continue;
                    }

                    var s = batch[n - 1];
                    var skill = string.IsNullOrWhiteSpace(a.Skill) || a.Skill is "none" or "null" ? null : a.Skill.Trim();
                    if (skill is not null && !s.Skills.Any(k => SkillNames.Same(profiles[k].Name, skill)))
                    {
                        discarded++;
                        continue;
                    }

                    chosen[n - 1] = skill;
                }

                for (var i = 0; i < batch.Length; i++)
                {
                    if (!chosen.TryGetValue(i, out var skill))
                    {
                        continue;
                    }

                    foreach (var k in batch[i].Skills)
                    {
                        verdicts[(batch[i].Index, k)] = skill is not null && SkillNames.Same(profiles[k].Name, skill);
                    }
                }
            }
        }
        else
        {
            notes.Add("Offline: lexical ranking alone, so any miss it marks has low confidence: confirm or reject it (selftune misses confirm|reject ID), or run with an LLM (selftune llm test).");
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var found = new List<(Miss Miss, double Score)>();
        using (var tx = store.BeginTransaction())
        {
            foreach (var s in shortlists)
            {
                var hash = PromptHash(groups[s.Index][0].Key);
                for (var i = 0; i < s.Skills.Count; i++)
                {
                    var profile = profiles[s.Skills[i]];
                    bool? verdict = verdicts.TryGetValue((s.Index, s.Skills[i]), out var v) ? v : null;
                    if (verdict is not null && !cache.ContainsKey((hash, profile.DescriptionHash)))
                    {
                        store.Execute(
                            "INSERT OR REPLACE INTO miss_judgements (prompt_hash, description_hash, skill_name, verdict, judged_at) VALUES ($p, $d, $s, $v, $at)",
                            ("$p", hash), ("$d", profile.DescriptionHash), ("$s", profile.Name), ("$v", verdict.Value ? 1 : 0), ("$at", now));
                    }

                    var lexical = verdict is null && method == LexicalMethod && i == 0 && s.Scores[0] >= OfflineScore;
                    foreach (var p in groups[s.Index])
                    {
                        if (verdict == true || lexical)
                        {
                            var (m, confidence) = verdict == true ? (LlmMethod, MissFinder.LlmConfidence) : (LexicalMethod, MissFinder.LexicalConfidence);
                            var id = Miss.IdOf(p.PromptId, profile.Name);
                            store.Execute(
                                """
                                INSERT INTO misses (miss_id, prompt_id, skill_name, method, confidence, score, status, found_at, run_id)
                                VALUES ($id, $p, $s, $m, $c, $score, 'open', $at, $run)
                                ON CONFLICT (miss_id) DO UPDATE SET method = excluded.method, confidence = excluded.confidence, score = excluded.score
                                WHERE misses.status = 'open' AND misses.confidence < excluded.confidence
                                """,
                                ("$id", id), ("$p", p.PromptId), ("$s", profile.Name), ("$m", m), ("$c", confidence), ("$score", s.Scores[i]), ("$at", now), ("$run", options.RunId));
                            found.Add((new Miss(id, profile.Name, MissKind.Discovered, confidence, p.PromptId, p.SessionId, DateTimeOffset.FromUnixTimeMilliseconds(p.OccurredAt),
                                Selftune.Abstractions.PromptClassifier.StripWrappers(p.Text), m == LlmMethod ? "discovery: the LLM chose this skill for the prompt" : "discovery, offline: lexical ranking alone"), s.Scores[i]));
                        }
                        else if (verdict == false)
                        {
                            store.Execute("DELETE FROM misses WHERE miss_id = $id AND status = 'open' AND method = $m", ("$id", Miss.IdOf(p.PromptId, profile.Name)), ("$m", LexicalMethod));
                        }
                    }
                }
            }

            tx.Commit();
        }

        var counts = new DiscoveryCounts(
            groups.Count, profiles.Count, profiles.Count(p => p.Description is null), duplicates, unreadable, shortPrompts, longPrompts,
            shortlists.Count, cached, asked, calls, found.Count, discarded);
        if (discarded > 0)
        {
            notes.Add($"{discarded} LLM answer(s) named a skill that was not offered for the prompt (or no known prompt) and were discarded.");
        }

        return new DiscoveryReport(method == LlmMethod ? "llm" : "offline", counts,
            found.OrderByDescending(f => f.Miss.Confidence).ThenByDescending(f => f.Score).Select(f => f.Miss).ToList(), notes, clock.ElapsedMilliseconds);
    }

    /// <summary>The judgement cache key of a prompt: 16 hex digits of SHA-256 over its de-duplication key (<see cref="QueryText.Key"/>).</summary>
    public static string PromptHash(string key) => SkillProfile.Hash(key);

    private static Dictionary<(string Prompt, string Description), bool> LoadCache(SelftuneStore store) => store
        .Query("SELECT prompt_hash, description_hash, verdict FROM miss_judgements", r => (r.GetString(0), r.GetString(1), r.GetInt64(2) == 1))
        .ToDictionary(x => (x.Item1, x.Item2), x => x.Item3);

    /// <summary>The request for one batch: the offered skills once each, then each prompt with its shortlist.</summary>
    internal static LlmRequest Request(IReadOnlyList<Shortlist> batch, IReadOnlyList<List<PromptRow>> groups, IReadOnlyList<SkillProfile> profiles)
    {
        const string system = """
            You review a coding agent's past sessions. The agent has skills: folders of instructions it loads when a request
            matches what the skill is for. For each user prompt below, decide which one of the offered skills the agent
            should have loaded for it, or none. Choose a skill only when the prompt's task is clearly what the skill is
            for; sharing a word is not enough. Answer with JSON only, no prose:
            {"answers":[{"id":"p1","skill":"<one offered skill name or null>"}]}
            """;
        var user = new StringBuilder();
        user.AppendLine("Skills:");
        foreach (var k in batch.SelectMany(s => s.Skills).Distinct().Order())
        {
            var d = profiles[k].Description ?? "(no description; headings: " + string.Join("; ", profiles[k].Headings.Take(6)) + ")";
            user.AppendLine(CultureInfo.InvariantCulture, $"- {profiles[k].Name}: {(d.Length <= MaxDescriptionChars ? d : d[..MaxDescriptionChars] + "…")}");
        }

        user.AppendLine().AppendLine("Prompts:");
        for (var i = 0; i < batch.Count; i++)
        {
            var text = Selftune.Abstractions.PromptClassifier.StripWrappers(groups[batch[i].Index][0].Text).ReplaceLineEndings(" ");
            text = text.Length <= MaxPromptChars ? text : text[..MaxPromptChars] + "…";
            user.AppendLine(CultureInfo.InvariantCulture, $"[p{i + 1}] offered: {string.Join(", ", batch[i].Skills.Select(k => profiles[k].Name))}");
            user.AppendLine(CultureInfo.InvariantCulture, $"    {text}");
        }

        return new LlmRequest("discover-misses", system, user.ToString(), 60 * batch.Count + 200);
    }
}

/// <summary>The LLM's answer to a discovery batch.</summary>
/// <param name="Answers">One per prompt.</param>
internal sealed record DiscoveryAnswer(IReadOnlyList<DiscoveryChoice>? Answers = null);

/// <summary>The LLM's choice for one prompt.</summary>
/// <param name="Id">The prompt's id in the batch (<c>p1</c>, <c>p2</c>, ...).</param>
/// <param name="Skill">The offered skill it chose, or null for none.</param>
internal sealed record DiscoveryChoice(string? Id = null, string? Skill = null);
