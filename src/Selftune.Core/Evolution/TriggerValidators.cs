using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Selftune.Abstractions;
using Selftune.Core.Eval;
using Selftune.Core.Llm;
using Selftune.Core.Skills;

namespace Selftune.Core.Evolution;

/// <summary>Decides, for a description, which eval queries would trigger the skill.</summary>
internal interface ITriggerValidator
{
    /// <summary>The method's name as reported: <c>judge</c>, <c>replay</c> or <c>lexical</c>.</summary>
    string Method { get; }

    /// <summary>For each entry, whether the skill would trigger with <paramref name="description"/>.</summary>
    /// <param name="skill">The SKILL.md as validated (its name; replay stages the whole file).</param>
    /// <param name="description">The description to test (the original's, or a candidate's).</param>
    /// <param name="entries">The entries.</param>
    /// <param name="giveUp">Asked after each query by validators that run queries one at a time (replay) with the results
    /// so far; when it answers true they stop and return those (fewer than <paramref name="entries"/>). Null: run all.</param>
    /// <param name="ct">Cancellation.</param>
    Task<IReadOnlyList<bool>> TriggersAsync(SkillFile skill, string description, IReadOnlyList<EvalEntry> entries, Func<IReadOnlyList<bool>, bool>? giveUp, CancellationToken ct);
}

/// <summary>
/// The LLM as judge: shown the skill's name and a description, it answers YES or NO for a numbered batch of queries
/// ("would an agent use this skill for it?"). Each batch is asked <c>runs</c> times, each time in a different
/// (seeded) order so position bias does not repeat; a query triggers when more than half of the runs say YES.
/// Calls per description: ceil(entries / batch size) × runs. For body and routing evolution it is also shown the
/// skill's body (what the agent follows once it used the skill, which can send a request elsewhere), so a body change
/// that would make the skill take or drop requests shows in its votes.
/// </summary>
internal sealed partial class JudgeValidator : ITriggerValidator
{
    /// <summary>The longest query text shown to the judge; longer ones are cut at a word boundary.</summary>
    public const int MaxQueryLength = 600;

    private const string System =
        PromptClassifier.SelftuneMarker + " You predict the routing decisions of an AI coding agent. The agent sees a list of skills, each with a name " +
        "and a description, and uses a skill only when the user's request falls under what the description says the skill is for. " +
        "You are shown one skill and a numbered list of user requests. For each request, answer YES if the agent would use this skill " +
        "for it, NO otherwise. Answer with one line per request, exactly 'N: YES' or 'N: NO', and nothing else.";

    private readonly LlmClient _llm;
    private readonly int _runs;
    private readonly int _batchSize;
    private readonly bool _showBody;

    /// <summary>Creates the judge.</summary>
    /// <param name="llm">The LLM (its budget bounds the calls).</param>
    /// <param name="runs">Votes per query (odd numbers avoid ties; ties count as NO).</param>
    /// <param name="batchSize">Queries per call.</param>
    /// <param name="showBody">Show the judge the SKILL.md's body (the markdown after the frontmatter) too.</param>
    public JudgeValidator(LlmClient llm, int runs, int batchSize, bool showBody = false)
    {
        _llm = llm;
        _showBody = showBody;
        _runs = Math.Max(1, runs);
        _batchSize = Math.Max(1, batchSize);
    }

    /// <inheritdoc />
    public string Method => "judge";

    /// <inheritdoc />
    /// <exception cref="SelftuneException">From the LLM (unavailable, budget, bad answer: fewer than half the queries answered).</exception>
    public async Task<IReadOnlyList<bool>> TriggersAsync(SkillFile skill, string description, IReadOnlyList<EvalEntry> entries, Func<IReadOnlyList<bool>, bool>? giveUp, CancellationToken ct)
    {
        var yes = new int[entries.Count];
        var body = _showBody ? SkillDocument.Parse(skill.Path, DescriptionEditor.Decode(skill.Bytes, skill.Path)).Body.Trim() : null;
        for (var start = 0; start < entries.Count; start += _batchSize)
        {
            var batch = Enumerable.Range(start, Math.Min(_batchSize, entries.Count - start)).ToList();
            var runs = Enumerable.Range(0, _runs).Select(run => AskAsync(skill.Name ?? string.Empty, description, Shuffle(batch, run), ct)).ToList();
            foreach (var answers in await Task.WhenAll(runs).ConfigureAwait(false))
            {
                foreach (var index in answers)
                {
                    yes[index]++;
                }
            }
        }

        return yes.Select(v => v * 2 > _runs).ToList();

        async Task<IReadOnlyList<int>> AskAsync(string name, string text, IReadOnlyList<int> order, CancellationToken token)
        {
            var user = new StringBuilder()
                .Append("Skill name: ").AppendLine(name)
                .AppendLine("Skill description:").AppendLine("<<<").AppendLine(text).AppendLine(">>>").AppendLine();
            if (body is not null)
            {
                user.AppendLine("Skill body (the agent follows it once it uses the skill; it may send requests elsewhere):").AppendLine("[[[").AppendLine(body).AppendLine("]]]").AppendLine();
            }

            user.AppendLine("User requests:");
            for (var i = 0; i < order.Count; i++)
            {
                user.Append(CultureInfo.InvariantCulture, $"{i + 1}. ").AppendLine(OneLine(entries[order[i]].Query));
            }

            var answer = await _llm.CompleteAsync(new LlmRequest("evolve.judge", System, user.ToString(), MaxOutputTokens: 16 * order.Count + 64), token).ConfigureAwait(false);
            var said = new Dictionary<int, bool>();
            foreach (Match m in AnswerLine().Matches(answer))
            {
                var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                if (n >= 1 && n <= order.Count)
                {
                    said.TryAdd(n, m.Groups[2].Value.Equals("yes", StringComparison.OrdinalIgnoreCase));
                }
            }

            if (said.Count * 2 < order.Count)
            {
                throw new SelftuneException(ErrorCodes.LlmBadAnswer,
                    $"The {_llm.Backend} judge answered {said.Count} of {order.Count} requests in the 'N: YES|NO' form: \"{Excerpt(answer)}\".", "selftune llm test");
            }

            return said.Where(kv => kv.Value).Select(kv => order[kv.Key - 1]).ToList();
        }
    }

    private static List<int> Shuffle(List<int> batch, int run)
    {
        var order = batch.ToList();
        if (run == 0)
        {
            return order;
        }

        var random = new SeededRandom(run);
        for (var i = order.Count - 1; i > 0; i--)
        {
            var j = (int)(random.Next() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }

    private static string OneLine(string query)
    {
        var flat = string.Join(' ', query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= MaxQueryLength ? flat : flat[..(flat.LastIndexOf(' ', MaxQueryLength - 1) is > 0 and var cut ? cut : MaxQueryLength)] + " …";
    }

    private static string Excerpt(string text) => text.Length <= 200 ? text : text[..200] + "…";

    [GeneratedRegex(@"^\s*\**(\d+)\**\s*[:.)\-]\s*\**(YES|NO)\b", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex AnswerLine();
}

/// <summary>
/// The no-LLM heuristic (<c>--llm offline</c>): a query triggers when it names the skill, or when at least
/// <see cref="MinSharedTerms"/> of the description's distinctive terms occur in it
/// (<see cref="QueryText.DomainTerms"/> / <see cref="QueryText.DomainScore"/>). A way to try the loop without a
/// model — not evidence about the real agent, and labelled heuristic everywhere.
/// </summary>
internal sealed class LexicalValidator : ITriggerValidator
{
    /// <summary>Distinctive description terms a query must share to trigger.</summary>
    public const int MinSharedTerms = 2;

    /// <inheritdoc />
    public string Method => "lexical";

    /// <summary>True when <paramref name="query"/> would trigger a skill named <paramref name="name"/> with <paramref name="description"/>.</summary>
    public static bool Triggers(string name, string description, string query) =>
        QueryText.NamesSkill(query, name) || QueryText.DomainScore(query, QueryText.DomainTerms(name, description, max: 64)) >= MinSharedTerms;

    /// <inheritdoc />
    public Task<IReadOnlyList<bool>> TriggersAsync(SkillFile skill, string description, IReadOnlyList<EvalEntry> entries, Func<IReadOnlyList<bool>, bool>? giveUp, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<bool>>(entries.Select(e => Triggers(skill.Name ?? string.Empty, description, e.Query)).ToList());
}
