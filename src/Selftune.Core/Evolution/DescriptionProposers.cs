using System.Globalization;
using System.Text;
using Selftune.Abstractions;
using Selftune.Core.Eval;
using Selftune.Core.Llm;

namespace Selftune.Core.Evolution;

/// <summary>What a proposer is given: train-split evidence only (the validation split never reaches it).</summary>
/// <param name="Skill">The skill's name.</param>
/// <param name="Description">The current description.</param>
/// <param name="Aim">What this proposal targets.</param>
/// <param name="Failures">The failure analysis of the train split.</param>
/// <param name="MaxLength">The longest description allowed (<see cref="DescriptionChecks.LengthLimit"/>).</param>
internal sealed record ProposalRequest(string Skill, string Description, ProposalAim Aim, FailureReport Failures, int MaxLength);

/// <summary>A proposed description.</summary>
/// <param name="Description">The text.</param>
/// <param name="Rationale">Why it should help.</param>
internal sealed record ProposedDescription(string Description, string? Rationale);

/// <summary>Writes a candidate description for one aim.</summary>
internal interface IDescriptionProposer
{
    /// <summary>True for the no-LLM heuristic.</summary>
    bool Heuristic { get; }

    /// <summary>Proposes a description.</summary>
    /// <exception cref="SelftuneException">The LLM is unavailable, the budget is spent, or the answer is unusable.</exception>
    Task<ProposedDescription> ProposeAsync(ProposalRequest request, CancellationToken ct);
}

/// <summary>Asks the LLM for a description that wins the aim's missed queries without capturing near misses.</summary>
internal sealed class LlmDescriptionProposer : IDescriptionProposer
{
    private const int MaxFocus = 12;
    private const int MaxOthers = 12;
    private const int MaxFeedback = 6;

    private const string System =
        PromptClassifier.SelftuneMarker + " You write the description field of an agent skill (a SKILL.md file). An AI coding agent sees only each " +
        "skill's name and description and, from them alone, decides whether to use a skill for the user's request. Write a description that " +
        "makes the agent use this skill for the requests it is meant for — especially the missed ones you are shown — and not for the " +
        "requests it should leave alone. Say what the skill does and when to use it, naming the intents and situations behind the missed " +
        "requests rather than copying them. Rules: one paragraph of plain text; no angle brackets; keep every anchor term you are given; " +
        "stay within the character limit. Answer with JSON only: {\"description\": \"…\", \"rationale\": \"one sentence\"}.";

    private readonly LlmClient _llm;

    /// <summary>Creates the proposer.</summary>
    public LlmDescriptionProposer(LlmClient llm) => _llm = llm;

    /// <inheritdoc />
    public bool Heuristic => false;

    /// <inheritdoc />
    public async Task<ProposedDescription> ProposeAsync(ProposalRequest request, CancellationToken ct)
    {
        var f = request.Failures;
        var user = new StringBuilder()
            .Append("Skill name: ").AppendLine(request.Skill)
            .AppendLine("Current description:").AppendLine("<<<").AppendLine(request.Description).AppendLine(">>>").AppendLine()
            .Append("Focus of this attempt: ").AppendLine(request.Aim.Label)
            .AppendLine("Requests the agent should have used the skill for, but did not:");
        List(user, request.Aim.Focus.Take(MaxFocus), 500);
        var others = f.Missed.Select(e => e.Query).Except(request.Aim.Focus).Take(MaxOthers).ToList();
        if (others.Count > 0)
        {
            user.AppendLine().AppendLine("Other missed requests (secondary):");
            List(user, others, 200);
        }

        if (f.NearMisses.Count > 0)
        {
            user.AppendLine().AppendLine("Requests the skill must NOT be used for (near misses):");
            List(user, f.NearMisses, 200);
        }

        if (f.Feedback.Count > 0)
        {
            user.AppendLine().AppendLine("Feedback from graded sessions of this skill:");
            List(user, f.Feedback.Take(MaxFeedback), 300);
        }

        user.AppendLine()
            .Append("Anchor terms to keep (the current description already wins requests with them): ")
            .AppendLine(f.Anchors.Count == 0 ? "none" : string.Join(", ", f.Anchors))
            .Append(CultureInfo.InvariantCulture, $"Character limit: {request.MaxLength}.");
        var answer = await _llm.CompleteJsonAsync<Answer>(new LlmRequest("evolve.propose", System, user.ToString(), MaxOutputTokens: 1024), ct).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(answer.Description)
            ? throw new SelftuneException(ErrorCodes.LlmBadAnswer, $"The {_llm.Backend} LLM proposed an empty description.", "selftune llm test")
            : new ProposedDescription(answer.Description.Trim(), answer.Rationale?.Trim());
    }

    private static void List(StringBuilder builder, IEnumerable<string> queries, int maxLength)
    {
        var i = 0;
        foreach (var q in queries)
        {
            var flat = string.Join(' ', q.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            builder.Append(CultureInfo.InvariantCulture, $"{++i}. ").AppendLine(flat.Length <= maxLength ? flat : flat[..maxLength] + " …");
        }
    }

    private sealed record Answer(string? Description, string? Rationale);
}

/// <summary>
/// The no-LLM heuristic (<c>--llm offline</c>): appends to the description the key terms of the aim's missed queries
/// (their distinctive words the description lacks, letters only, most shared then longest first, two per query), within the length limit.
/// A way to try the loop without a model; every output says it is heuristic.
/// </summary>
internal sealed class HeuristicDescriptionProposer : IDescriptionProposer
{
    /// <summary>Key terms taken from each missed query.</summary>
    public const int TermsPerQuery = 2;

    /// <inheritdoc />
    public bool Heuristic => true;

    /// <inheritdoc />
    public Task<ProposedDescription> ProposeAsync(ProposalRequest request, CancellationToken ct)
    {
        var known = QueryText.DomainTerms(request.Skill, request.Description, max: 64);
        var perQuery = request.Aim.Focus
            .Select(q => QueryText.DomainTerms(string.Empty, q, max: 64).Where(t => QueryText.DomainScore(t, known) == 0 && t.All(char.IsLetter)).ToList())
            .ToList();
        var frequency = perQuery.SelectMany(t => t.Distinct()).GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var chosen = new List<string>();
        foreach (var terms in perQuery)
        {
            foreach (var term in terms.OrderByDescending(t => frequency[t]).ThenByDescending(t => t.Length).Take(TermsPerQuery).Where(t => !chosen.Contains(t)))
            {
                chosen.Add(term);
            }
        }

        var stem = request.Description.Trim().TrimEnd('.');
        string Compose(IEnumerable<string> terms) => $"{stem}. Also use it for requests about {string.Join(", ", terms)}.";
        while (chosen.Count > 0 && Compose(chosen).Length > request.MaxLength)
        {
            chosen.RemoveAt(chosen.Count - 1);
        }

        return Task.FromResult(chosen.Count == 0
            ? new ProposedDescription(request.Description, "[heuristic] no key terms fit")
            : new ProposedDescription(Compose(chosen), $"[heuristic] adds the key terms of {request.Aim.Focus.Count} missed quer{(request.Aim.Focus.Count == 1 ? "y" : "ies")}: {string.Join(", ", chosen)}"));
    }
}
