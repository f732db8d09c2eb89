using Selftune.Core.Eval;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Misses;

/// <summary>Every miss of every skill in the store, and the prompts reviewed as not being misses.</summary>
internal sealed class MissSet
{
    private readonly Dictionary<string, List<Miss>> _bySkill;
    private readonly Dictionary<string, HashSet<string>> _rejected;

    internal MissSet(Dictionary<string, List<Miss>> bySkill, Dictionary<string, HashSet<string>> rejected)
    {
        _bySkill = bySkill;
        _rejected = rejected;
    }

    /// <summary>All misses: per skill, newest first.</summary>
    public IReadOnlyList<Miss> All => _bySkill.Values.SelectMany(m => m).ToList();

    /// <summary>The misses of <paramref name="skill"/> (a plugin prefix may be given or left out), newest first.</summary>
    public IReadOnlyList<Miss> For(string skill) => _bySkill.GetValueOrDefault(Canonical(skill)) ?? [];

    /// <summary>Prompt ids a review rejected as misses of <paramref name="skill"/>: known negatives for its eval set.</summary>
    public IReadOnlySet<string> Rejected(string skill) => _rejected.GetValueOrDefault(Canonical(skill)) ?? [];

    internal static string Canonical(string skill) => SkillNames.Bare(skill).ToLowerInvariant();
}

/// <summary>
/// The one definition of a miss, used by <c>status</c>, candidate selection, <c>eval generate</c>, <c>evolve</c> and
/// <c>watch</c>: an actionable prompt for which a skill should have triggered by itself and did not. Kinds, in the order
/// they win when one prompt is a miss of one skill in more than one way:
/// <list type="number">
/// <item><see cref="MissKind.Confirmed"/>: a discovered miss a review confirmed (1.0).</item>
/// <item><see cref="MissKind.Named"/>: the prompt names the skill (as <see cref="QueryText.NamesSkill"/> decides; neither the correction "why didn't you use X" itself nor a prompt asking to work on
/// the skill itself is not one, <see cref="QueryText.IsSkillMaintenance"/>) and the agent did not use it unasked — whether or not
/// the agent then invoked it — (1.0); the user invoked it by name: a slash command with arguments or an explicit invocation
/// (1.0); or the next prompt of the session asked "why didn't you use X" (an improvement signal of type correction) and the
/// agent had not invoked it by itself (0.9).</item>
/// <item><see cref="MissKind.Discovered"/>: found by <see cref="MissDiscovery"/>, not rejected:
/// <see cref="LlmConfidence"/> when the LLM chose the skill, <see cref="LexicalConfidence"/> from lexical ranking alone.</item>
/// <item><see cref="MissKind.ReadNotInvoked"/>: the agent read its SKILL.md for the prompt and did not use it (<see cref="ReadConfidence"/>).</item>
/// </list>
/// A prompt the agent answered with an implicit invocation of the skill without being told to is never a miss of it.
/// Misses with confidence of at least <see cref="EvidenceConfidence"/> are evidence (<see cref="Miss.IsEvidence"/>).
/// </summary>
internal static class MissFinder
{
    /// <summary>Confidence of a miss found by the LLM.</summary>
    public const double LlmConfidence = 0.8;

    /// <summary>Confidence of a read-not-invoked miss: the agent thought of the skill, but may have been right not to use it,
    /// so it is not evidence (never an eval positive) until confirmed; it is never a negative either.</summary>
    public const double ReadConfidence = 0.4;

    /// <summary>Confidence of a miss found by lexical ranking alone (offline): a lead to review, not evidence.</summary>
    public const double LexicalConfidence = 0.3;

    /// <summary>Confidence from which a miss is evidence the loop learns from.</summary>
    public const double EvidenceConfidence = 0.5;

    /// <summary>Confidence of a named miss inferred from a later "why didn't you use X".</summary>
    public const double CorrectionConfidence = 0.9;

    /// <summary>Finds every miss in the store.</summary>
    /// <param name="store">The store.</param>
    /// <param name="skills">Names of the installed skills; the names agents used in sessions, in improvement signals and in
    /// discoveries are added.</param>
    /// <param name="since">Only prompts sent at or after this time, when given.</param>
    public static MissSet Find(SelftuneStore store, IEnumerable<string>? skills = null, DateTimeOffset? since = null) =>
        Find(store, TriggerIndex.Load(store), skills, since);

    internal static MissSet Find(SelftuneStore store, TriggerIndex index, IEnumerable<string>? skills, DateTimeOffset? since)
    {
        var from = since?.ToUnixTimeMilliseconds() ?? long.MinValue;
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        void Name(string n) => names.TryAdd(MissSet.Canonical(n), n);
        foreach (var n in skills ?? [])
        {
            Name(n);
        }

        foreach (var n in index.Skills.Keys)
        {
            Name(n);
        }

        var corrections = store.Query(
            "SELECT s.skill_name, s.session_id, p.occurred_at, s.prompt_id FROM improvement_signals s JOIN prompts p ON p.prompt_id = s.prompt_id WHERE s.signal_type = 'correction'",
            r => new Correction(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3)));
        var stored = store.Query(
            "SELECT miss_id, prompt_id, skill_name, method, confidence, status FROM misses",
            r => new StoredMiss(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDouble(4), r.GetString(5)));
        foreach (var c in corrections)
        {
            Name(c.Skill);
        }

        foreach (var s in stored)
        {
            Name(s.Skill);
        }

        var byId = index.Prompts.ToDictionary(p => p.PromptId, StringComparer.Ordinal);
        var bySession = index.Prompts.GroupBy(p => p.SessionId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var texts = index.Prompts.Select(p =>
        {
            var text = Selftune.Abstractions.PromptClassifier.StripWrappers(p.Text);
            // A prompt's words are split out only for a skill whose every name part it holds (a regex over long prompts is
            // the cost of status on a large store otherwise), and then once.
            return new PromptText(p, text, text.ToLowerInvariant(), new Lazy<HashSet<string>>(() => QueryText.Words(text).ToHashSet(StringComparer.Ordinal), LazyThreadSafetyMode.None));
        }).ToList();

        var result = new Dictionary<string, List<Miss>>(StringComparer.Ordinal);
        var rejected = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (key, name) in names)
        {
            var triggers = index.Skills.Values.Where(t => MissSet.Canonical(t.Skill) == key).ToList();
            var implicitIds = triggers.SelectMany(t => t.ImplicitPromptIds).ToHashSet(StringComparer.Ordinal);
            var usedIds = triggers.SelectMany(t => t.UsedPromptIds).ToHashSet(StringComparer.Ordinal);
            var found = new Dictionary<string, Miss>(StringComparer.Ordinal);
            void Add(PromptRow p, MissKind kind, double confidence, string reason)
            {
                if (p.OccurredAt >= from && !found.ContainsKey(p.PromptId))
                {
                    found[p.PromptId] = new Miss(Miss.IdOf(p.PromptId, name), name, kind, confidence, p.PromptId, p.SessionId,
                        DateTimeOffset.FromUnixTimeMilliseconds(p.OccurredAt), Selftune.Abstractions.PromptClassifier.StripWrappers(p.Text), reason);
                }
            }

            var mine = stored.Where(s => MissSet.Canonical(s.Skill) == key).ToList();
            rejected[key] = mine.Where(s => s.Status == "rejected").Select(s => s.PromptId).ToHashSet(StringComparer.Ordinal);
            foreach (var s in mine.Where(s => s.Status == "confirmed" && byId.ContainsKey(s.PromptId)))
            {
                Add(byId[s.PromptId], MissKind.Confirmed, 1.0, "a discovered miss confirmed by review");
            }

            var correctionIds = corrections.Where(c => MissSet.Canonical(c.Skill) == key).Select(c => c.PromptId).ToHashSet(StringComparer.Ordinal);
            var mention = new SkillMention(name);
            var parts = QueryText.NameParts(name);
            foreach (var (p, text, lower, words) in texts)
            {
                var named = mention.IsInLowerCase(lower) || (parts.Count > 1 && parts.All(part => lower.Contains(part, StringComparison.Ordinal)) && parts.All(words.Value.Contains));
                if (named && !rejected[key].Contains(p.PromptId) && !correctionIds.Contains(p.PromptId) && !QueryText.IsSkillMaintenance(text, name))
                {
                    Add(p, MissKind.Named, 1.0, implicitIds.Contains(p.PromptId) ? "the prompt names the skill; the agent used it only once told" : "the prompt names the skill and the agent did not use it");
                }
            }

            foreach (var t in triggers)
            {
                foreach (var (prompt, isExplicit) in t.Trusted.Values.Where(v => v.Explicit))
                {
                    Add(prompt, MissKind.Named, 1.0, "the user invoked the skill by name");
                }
            }

            foreach (var c in corrections.Where(c => MissSet.Canonical(c.Skill) == key))
            {
                if (bySession.TryGetValue(c.Session, out var list)
                    && list.LastOrDefault(p => p.OccurredAt <= c.At && p.PromptId != c.PromptId) is { } previous
                    && !implicitIds.Contains(previous.PromptId) && !rejected[key].Contains(previous.PromptId))
                {
                    Add(previous, MissKind.Named, CorrectionConfidence, "the user asked next why the agent did not use the skill");
                }
            }

            foreach (var s in mine.Where(s => s.Status == "open" && byId.ContainsKey(s.PromptId) && !implicitIds.Contains(s.PromptId)))
            {
                Add(byId[s.PromptId], MissKind.Discovered, s.Confidence, s.Method == MissDiscovery.LlmMethod
                    ? "discovery: the LLM chose this skill for the prompt"
                    : "discovery, offline: lexical ranking alone (low confidence; confirm or reject it)");
            }

            foreach (var t in triggers)
            {
                foreach (var p in t.ReadPrompts.Values.Where(p => !usedIds.Contains(p.PromptId) && !rejected[key].Contains(p.PromptId)))
                {
                    Add(p, MissKind.ReadNotInvoked, ReadConfidence, "the agent read its SKILL.md and did not use it");
                }
            }

            if (found.Count > 0)
            {
                result[key] = found.Values.OrderByDescending(m => m.OccurredAt.UtcTicks).ThenBy(m => m.PromptId, StringComparer.Ordinal).ToList();
            }
        }

        return new MissSet(result, rejected);
    }

    // Rows as classes: generic code over value tuples is compiled at run time on every status (ReadyToRun cannot
    // precompile it across assemblies).
    private sealed record PromptText(PromptRow Prompt, string Text, string Lower, Lazy<HashSet<string>> Words);

    private sealed record Correction(string Skill, string Session, long At, string PromptId);

    private sealed record StoredMiss(string Id, string PromptId, string Skill, string Method, double Confidence, string Status);
}
