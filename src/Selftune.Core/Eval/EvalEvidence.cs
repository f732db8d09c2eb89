using Selftune.Core.Store;
using Selftune.Core.Misses;
using Selftune.Core.Skills;

namespace Selftune.Core.Eval;

/// <summary>How much real evidence the store holds for one skill, and whether that is enough to evolve it.</summary>
/// <param name="Skill">The skill's name as stored (may carry a plugin prefix), or as installed.</param>
/// <param name="RealPositives">Distinct actionable prompts that triggered it per source truth, and its misses that are evidence
/// (<see cref="MissFinder"/>), skill-maintenance prompts left out (what an eval set's positives are made of).</param>
/// <param name="ExplicitPositives">Of those, prompts where the user named it or invoked it by name (named misses).</param>
/// <param name="HookOnlyTriggers">Triggers known only from live hooks (a sync turns them into source truth).</param>
/// <param name="Reads">Reads of its SKILL.md without an invocation.</param>
/// <param name="Sessions">Sessions in which it triggered.</param>
/// <param name="LastTriggeredAt">Latest trigger (UTC), when any.</param>
/// <param name="Installed">True when its SKILL.md was found in an installed skill folder.</param>
/// <param name="Readiness"><c>ready</c> (at least <see cref="EvalEvidence.MinimumRealPositives"/> real positives),
/// <c>cold_start</c> (fewer: blend in synthetic queries), <c>hints_only</c> (only hook hints: sync first) or <c>no_data</c>.</param>
/// <param name="EnoughToEvolve">True when <paramref name="Readiness"/> is <c>ready</c>.</param>
/// <param name="LatestEvalSetId">The newest stored eval set, when any.</param>
/// <param name="LatestEvalSetAt">When it was generated.</param>
/// <param name="NextCommand">What to run next for this skill; null when its name is not a valid skill name (see
/// <paramref name="NextCommandOmitted"/>).</param>
/// <param name="NextCommandOmitted">Why there is no <paramref name="NextCommand"/> (<see cref="SkillNames.Problem"/>), else null.</param>
internal sealed record SkillEvidence(
    string Skill,
    int RealPositives,
    int ExplicitPositives,
    int HookOnlyTriggers,
    int Reads,
    int Sessions,
    DateTimeOffset? LastTriggeredAt,
    bool Installed,
    string Readiness,
    bool EnoughToEvolve,
    string? LatestEvalSetId,
    DateTimeOffset? LatestEvalSetAt,
    string? NextCommand,
    string? NextCommandOmitted);

/// <summary>Per-skill evidence summaries for <c>selftune eval list</c> and for the loop's candidate selection. Applies the
/// same rules as <see cref="EvalSetGenerator"/>, so "ready" means a generated set will have that many real positives.</summary>
internal static class EvalEvidence
{
    /// <summary>Fewest real positives that make an eval set worth evolving against (selftune-spec §5.2 uses 3).</summary>
    public const int MinimumRealPositives = 3;

    /// <summary>Summaries for every skill seen in the store and every installed one, most real positives first.</summary>
    /// <param name="store">The store.</param>
    /// <param name="installedSkills">Names of installed skills (with no data they show as <c>cold_start</c>).</param>
    public static IReadOnlyList<SkillEvidence> Summarize(SelftuneStore store, IEnumerable<string>? installedSkills = null)
    {
        var index = TriggerIndex.Load(store);
        var installed = (installedSkills ?? []).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var misses = MissFinder.Find(store, index, installed, null);
        var latest = LatestSets(store);
        var result = new List<SkillEvidence>();
        foreach (var triggers in index.Skills.Values)
        {
            var isInstalled = installed.Remove(triggers.Skill) | installed.Remove(SkillNames.Bare(triggers.Skill));
            result.Add(Summary(triggers.Skill, triggers, isInstalled, latest, misses));
        }

        result.AddRange(installed.Select(name => Summary(name, null, true, latest, misses)));
        return result.OrderByDescending(e => e.RealPositives).ThenByDescending(e => e.HookOnlyTriggers).ThenBy(e => e.Skill, StringComparer.Ordinal).ToList();
    }

    /// <summary>The summary of one skill (a plugin prefix may be given or left out; matching stored names are merged).</summary>
    public static SkillEvidence For(SelftuneStore store, string skill, bool installed = false)
    {
        var index = TriggerIndex.Load(store);
        var merged = new SkillTriggers(skill);
        foreach (var t in index.Skills.Values.Where(s => SkillNames.Same(s.Skill, skill)))
        {
            foreach (var (id, value) in t.Trusted)
            {
                merged.Trusted[id] = value;
            }

            merged.HookOnlyTriggers += t.HookOnlyTriggers;
            merged.Reads += t.Reads;
            merged.Sessions.UnionWith(t.Sessions);
            merged.LastTriggeredAt = Math.Max(merged.LastTriggeredAt, t.LastTriggeredAt);
        }

        return Summary(skill, merged, installed, LatestSets(store), MissFinder.Find(store, index, [skill], null));
    }

    /// <summary>Eval sets, newest first: (skill as generated, id, created at).</summary>
    private static List<(string Skill, string Id, long At)> LatestSets(SelftuneStore store) => store.Query(
        "SELECT skill, eval_set_id, created_at FROM eval_sets ORDER BY created_at DESC, rowid DESC",
        r => (r.GetString(0), r.GetString(1), r.GetInt64(2)));

    private static SkillEvidence Summary(string skill, SkillTriggers? t, bool installed, List<(string Skill, string Id, long At)> sets, MissSet misses)
    {
        var positives = (t?.Trusted.Values.Select(p => (p.Prompt.Text, p.Explicit)) ?? [])
            .Where(p => !QueryText.IsSkillMaintenance(Selftune.Abstractions.PromptClassifier.StripWrappers(p.Text), skill))
            .Concat(misses.For(skill).Where(m => m.IsEvidence).Select(m => (m.Text, Explicit: m.Kind == MissKind.Named)))
            .GroupBy(p => QueryText.Key(p.Text), StringComparer.Ordinal)
            .Select(g => g.Any(p => p.Explicit))
            .ToList();
        var hookOnly = t?.HookOnlyTriggers ?? 0;
        var readiness = positives.Count >= MinimumRealPositives ? "ready"
            : positives.Count > 0 || installed ? "cold_start"
            : hookOnly > 0 ? "hints_only"
            : "no_data";
        var next = readiness switch
        {
            "ready" => ShellCommand.Line($"selftune eval generate --skill {skill:skill}"),
            "cold_start" => ShellCommand.Line($"selftune eval generate --skill {skill:skill} --synthetic"),
            "hints_only" => "selftune sync",
            _ => ShellCommand.Line($"selftune eval generate --skill {skill:skill} --synthetic --skill-path <folder>"),
        };
        var latest = sets.FirstOrDefault(x => SkillNames.Same(x.Skill, skill));
        return new SkillEvidence(
            skill, positives.Count, positives.Count(e => e), hookOnly, t?.Reads ?? 0, t?.Sessions.Count ?? 0,
            t is { LastTriggeredAt: > 0 } ? DateTimeOffset.FromUnixTimeMilliseconds(t.LastTriggeredAt) : null,
            installed, readiness, readiness == "ready",
            latest.Id, latest.Id is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(latest.At), next, next is null ? SkillNames.Problem(skill) : null);
    }
}
