using Selftune.Core.Eval;
using Selftune.Core.Misses;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary>A group of similar missed queries of one invocation type.</summary>
/// <param name="Type">Their invocation type.</param>
/// <param name="Queries">The queries, in eval-set order.</param>
internal sealed record FailureCluster(InvocationType Type, IReadOnlyList<string> Queries);

/// <summary>What one proposal is aimed at.</summary>
/// <param name="Label">For a person and the audit: which cluster or invocation type.</param>
/// <param name="Focus">The missed queries it must win.</param>
internal sealed record ProposalAim(string Label, IReadOnlyList<string> Focus);

/// <summary>The failure analysis of the train split.</summary>
/// <param name="Missed">Should-trigger train entries the skill did not trigger on by itself.</param>
/// <param name="Passing">Should-trigger train entries it did trigger on (their shared terms with the description are anchors).</param>
/// <param name="NearMisses">Train negatives closest to the skill's domain (the proposer is told not to capture them).</param>
/// <param name="Clusters">Missed queries clustered, largest first.</param>
/// <param name="Feedback">Failure feedback of graded sessions of the skill.</param>
/// <param name="Anchors">Terms of the original description that the passing queries share with it; a proposal must keep them.</param>
internal sealed record FailureReport(
    IReadOnlyList<EvalEntry> Missed,
    IReadOnlyList<EvalEntry> Passing,
    IReadOnlyList<string> NearMisses,
    IReadOnlyList<FailureCluster> Clusters,
    IReadOnlyList<string> Feedback,
    IReadOnlyList<string> Anchors)
{
    /// <summary>Up to <paramref name="count"/> distinct aims, broadest evidence first: clusters of two or more queries,
    /// then all missed queries, then each invocation type's (most first), then single-query clusters.</summary>
    public IReadOnlyList<ProposalAim> Aims(int count)
    {
        var aims = new List<ProposalAim>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string label, IReadOnlyList<string> focus)
        {
            if (focus.Count > 0 && seen.Add(string.Join('\u0001', focus.Order(StringComparer.Ordinal))))
            {
                aims.Add(new ProposalAim(label, focus));
            }
        }

        string Label(int i) => $"cluster {i + 1}: {Clusters[i].Queries.Count} missed {Name(Clusters[i].Type)} quer{(Clusters[i].Queries.Count == 1 ? "y" : "ies")}";
        for (var i = 0; i < Clusters.Count && Clusters[i].Queries.Count > 1; i++)
        {
            Add(Label(i), Clusters[i].Queries);
        }

        Add("all missed queries", Missed.Select(e => e.Query).ToList());
        foreach (var group in Missed.GroupBy(e => e.Type).OrderByDescending(g => g.Count()))
        {
            Add($"all missed {Name(group.Key)} queries", group.Select(e => e.Query).ToList());
        }

        for (var i = 0; i < Clusters.Count; i++)
        {
            Add(Label(i), Clusters[i].Queries);
        }

        return aims.Take(count).ToList();
    }

    private static string Name(InvocationType type) => type.ToString().ToLowerInvariant();
}

/// <summary>
/// Finds what the description misses on the train split (the validation split is never read here): a should-trigger
/// entry is missed when its prompt is a miss of the skill (<see cref="MissFinder"/>: the user named it or invoked it by
/// name, asked why it was not used, the agent only read its SKILL.md, or discovery found it), when the agent did not invoke
/// the skill by itself for it, or when the entry is synthetic. Missed queries are clustered per invocation type by single-linkage
/// on word overlap (<see cref="QueryText.Similarity"/> ≥ <see cref="ClusterSimilarity"/>).
/// </summary>
internal static class FailureAnalysis
{
    /// <summary>Word-overlap (Jaccard) at which two missed queries share a cluster.</summary>
    public const double ClusterSimilarity = 0.3;

    /// <summary>Most anchors kept (the most frequent first).</summary>
    public const int MaxAnchors = 8;

    /// <summary>Most near-miss negatives shown to the proposer.</summary>
    public const int MaxNearMisses = 8;

    /// <summary>Analyzes the train entries of a skill.</summary>
    /// <param name="store">The store (which prompts triggered the skill by itself).</param>
    /// <param name="skill">The skill's name.</param>
    /// <param name="description">Its current description.</param>
    /// <param name="train">The train split.</param>
    /// <param name="feedback">Failure feedback of graded sessions.</param>
    public static FailureReport Analyze(SelftuneStore store, string skill, string description, IReadOnlyList<EvalEntry> train, IReadOnlyList<string> feedback)
    {
        var promptIds = train.Where(e => e.ShouldTrigger && e.PromptId is not null).Select(e => e.PromptId!).Distinct(StringComparer.Ordinal).ToList();
        var triggered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in promptIds.Chunk(500))
        {
            var ids = string.Join(',', chunk.Select((_, i) => $"$p{i}"));
            foreach (var (promptId, name) in store.Query(
                $"SELECT prompt_id, skill_name FROM skill_invocations WHERE kind = 'implicit' AND prompt_id IN ({ids})",
                r => (r.GetString(0), r.GetString(1)),
                chunk.Select((id, i) => ($"$p{i}", (object?)id)).ToArray()))
            {
                if (SkillNames.Same(name, skill))
                {
                    triggered.Add(promptId);
                }
            }
        }

        triggered.ExceptWith(MissFinder.Find(store, [skill]).For(skill).Select(m => m.PromptId));
        var positives = train.Where(e => e.ShouldTrigger).ToList();
        var missed = positives.Where(e => e.PromptId is null || !triggered.Contains(e.PromptId)).ToList();
        var passing = positives.Except(missed).ToList();
        var terms = QueryText.DomainTerms(skill, description, max: 64);
        var nearMisses = train.Where(e => !e.ShouldTrigger)
            .Select(e => (e.Query, Score: QueryText.DomainScore(e.Query, terms)))
            .Where(x => x.Score > 0)
            .OrderByDescending(x => x.Score)
            .Take(MaxNearMisses)
            .Select(x => x.Query)
            .ToList();
        var clusters = missed.GroupBy(e => e.Type)
            .SelectMany(g => Cluster(g.Select(e => e.Query).ToList()).Select(c => new FailureCluster(g.Key, c)))
            .OrderByDescending(c => c.Queries.Count)
            .ToList();
        return new FailureReport(missed, passing, nearMisses, clusters, feedback, Anchors(skill, description, passing));
    }

    /// <summary>The description's distinctive terms that queries it already wins share with it, most shared first.</summary>
    public static IReadOnlyList<string> Anchors(string skill, string description, IReadOnlyList<EvalEntry> passing) =>
        QueryText.DomainTerms(skill, description, max: 64)
            .Where(term => description.Contains(term, StringComparison.OrdinalIgnoreCase))
            .Select(term => (Term: term, Count: passing.Count(e => QueryText.DomainScore(e.Query, [term]) > 0)))
            .Where(x => x.Count > 0)
            .OrderByDescending(x => x.Count)
            .Take(MaxAnchors)
            .Select(x => x.Term)
            .ToList();

    private static List<List<string>> Cluster(List<string> queries)
    {
        var parent = Enumerable.Range(0, queries.Count).ToArray();
        int Find(int i) => parent[i] == i ? i : parent[i] = Find(parent[i]);
        for (var i = 0; i < queries.Count; i++)
        {
            for (var j = i + 1; j < queries.Count; j++)
            {
                if (QueryText.Similarity(queries[i], queries[j]) >= ClusterSimilarity)
                {
                    parent[Find(j)] = Find(i);
                }
            }
        }

        return Enumerable.Range(0, queries.Count).GroupBy(Find).Select(g => g.Select(i => queries[i]).ToList()).ToList();
    }
}
