using System.Text;
using System.Text.RegularExpressions;
using Selftune.Abstractions;
using Selftune.Core.Skills;

namespace Selftune.Core.Eval;

/// <summary>
/// Text rules for eval queries: normalization for de-duplication, the invocation taxonomy, skill-maintenance
/// detection (selftune-spec §3.4: a prompt about <em>working on</em> a skill is not evidence the skill should trigger)
/// and the domain terms used to rank near-miss negatives.
/// </summary>
internal static partial class QueryText
{
    private static readonly HashSet<string> MaintenanceVerbs = new(StringComparer.Ordinal)
    {
        "grade", "review", "audit", "inspect", "analyze", "analyse", "explain", "update", "fix", "repair", "improve", "debug",
        "document", "rewrite", "edit", "refactor", "evolve", "tune", "optimize", "optimise", "rename", "publish", "test",
    };

    private static readonly HashSet<string> MaintenanceNouns = new(StringComparer.Ordinal)
    {
        "skill", "skills", "skill.md", "frontmatter", "description", "readme", "workflow", "workflows", "references",
    };

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "with", "this", "that", "from", "into", "when", "what", "which", "your", "you", "use", "using",
        "used", "skill", "skills", "should", "would", "could", "about", "also", "any", "all", "are", "can", "not", "but",
        "its", "it's", "has", "have", "will", "they", "them", "their", "there", "these", "those", "user", "users", "asks",
        "ask", "wants", "want", "need", "needs", "make", "like", "such", "other", "than", "then", "only", "more", "most",
        "each", "every", "some", "very", "just", "does", "doing", "done", "help", "helps", "tool", "tools", "task", "tasks",
        "including", "include", "includes", "based", "work", "works", "working", "file", "files", "whenever", "trigger",
    };

    private static readonly string[] TemporalWords =
    [
        "today", "tomorrow", "yesterday", "tonight", "next week", "last week", "this week", "next month", "last month",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
        "april", "june", "july", "august", "september", "october", "november", "december", "q1", "q2", "q3", "q4",
    ];

    /// <summary>The de-duplication key: wrappers stripped, whitespace collapsed, lower case.</summary>
    public static string Key(string text) => Collapse(PromptClassifier.StripWrappers(text)).ToLowerInvariant();

    /// <summary>The query as an eval entry holds it: wrappers stripped, trimmed,
    /// cut to <paramref name="maxLength"/> characters (at a word boundary when one is near).</summary>
    public static string ForEntry(string text, int maxLength)
    {
        var stripped = PromptClassifier.StripWrappers(text).Trim();
        if (stripped.Length <= maxLength)
        {
            return stripped;
        }

        var cut = stripped.LastIndexOf(' ', maxLength - 1, Math.Min(maxLength, 40));
        return stripped[..(cut > 0 ? cut : maxLength)].TrimEnd();
    }

    /// <summary>True when <paramref name="query"/> asks to work on a skill (review it, fix its docs, improve its
    /// description, explain how it works) rather than to use it: such prompts are never eval positives. A verb that is a word of
    /// the skill's own name (<c>test</c> of test-driven-development) does not count.</summary>
    /// <param name="query">The prompt text.</param>
    /// <param name="skill">The skill's name.</param>
    public static bool IsSkillMaintenance(string query, string skill)
    {
        var words = Words(query);
        var nameParts = NameParts(skill);
        var hasVerb = words.Any(w => MaintenanceVerbs.Contains(w) && !nameParts.Contains(w)); // "test" in "test driven development" is the name
        var namesSkill = NamesSkill(query, skill);
        if (hasVerb && (words.Any(MaintenanceNouns.Contains) || namesSkill))
        {
            return true;
        }

        return namesSkill && HowItWorks().IsMatch(query);
    }

    /// <summary>The invocation type of a positive query: <see cref="InvocationType.Explicit"/> when it names the skill
    /// (<c>$name</c>, <c>/name</c>, the name itself, or every part of a hyphenated name as words);
    /// <see cref="InvocationType.Contextual"/> when it carries concrete context (a file name or path, a URL, an e-mail
    /// address, code in backticks, an identifier in camelCase or snake_case, a number of two or more digits, a date
    /// word) or is long (more than 25 words); else <see cref="InvocationType.Implicit"/>.</summary>
    public static InvocationType Classify(string query, string skill)
    {
        if (NamesSkill(query, skill))
        {
            return InvocationType.Explicit;
        }

        var words = Words(query);
        if (words.Count > 25 || ConcreteContext().IsMatch(query))
        {
            return InvocationType.Contextual;
        }

        var lower = query.ToLowerInvariant();
        return TemporalWords.Any(t => ContainsWord(lower, t)) ? InvocationType.Contextual : InvocationType.Implicit;
    }

    /// <summary>True when <paramref name="query"/> names <paramref name="skill"/> (plugin prefix ignored): as
    /// <see cref="SkillMention"/> finds it (the name, or its words, as a whole word; <c>$name</c> and <c>/name</c>
    /// included), or with every word of a multi-word name present somewhere in the query.</summary>
    public static bool NamesSkill(string query, string skill)
    {
        if (new SkillMention(skill).IsInLowerCase(query.ToLowerInvariant()))
        {
            return true;
        }

        var parts = NameParts(skill);
        var words = Words(query).ToHashSet(StringComparer.Ordinal);
        return parts.Count > 1 && parts.All(words.Contains);
    }

    /// <summary>The words of a skill name: split at <c>-</c>, <c>_</c>, <c>:</c>, <c>.</c> and camelCase humps, lower case
    /// (plugin prefix dropped).</summary>
    public static IReadOnlyList<string> NameParts(string skill)
    {
        var name = SkillNames.Bare(skill);
        var spaced = CamelHump().Replace(name, "$1 $2");
        return spaced.Split(['-', '_', '.', ' '], StringSplitOptions.RemoveEmptyEntries).Select(p => p.ToLowerInvariant()).ToList();
    }

    /// <summary>Terms that mark a query as being in the skill's domain: the words of its name (at least 3 letters) and the
    /// distinctive words of its description (at least 4 letters), stop words left out, in order of appearance, at most
    /// <paramref name="max"/>.</summary>
    public static IReadOnlyList<string> DomainTerms(string skill, string? description, int max = 16)
    {
        var terms = new List<string>();
        var candidates = NameParts(skill).Where(w => w.Length >= 3).Concat(Words(description ?? string.Empty).Where(w => w.Length >= 4));
        foreach (var word in candidates)
        {
            if (!StopWords.Contains(word) && !terms.Contains(word))
            {
                terms.Add(word);
                if (terms.Count == max)
                {
                    break;
                }
            }
        }

        return terms;
    }

    /// <summary>How many of <paramref name="terms"/> occur in <paramref name="query"/> (a word matches a term when it starts
    /// with the term's first five letters, or the whole term when shorter: "testing" matches "tests", "pdf" matches "pdf").</summary>
    public static int DomainScore(string query, IReadOnlyList<string> terms)
    {
        if (terms.Count == 0)
        {
            return 0;
        }

        var words = Words(query);
        return terms.Count(t => words.Any(w => w.AsSpan().StartsWith(t.AsSpan(0, Math.Min(5, t.Length)))));
    }

    /// <summary>Word-set overlap of two texts (Jaccard index, 0..1), for dropping near-duplicate synthetic queries.</summary>
    public static double Similarity(string a, string b)
    {
        var x = Words(a).ToHashSet(StringComparer.Ordinal);
        var y = Words(b).ToHashSet(StringComparer.Ordinal);
        if (x.Count == 0 && y.Count == 0)
        {
            return 1;
        }

        var common = x.Count(y.Contains);
        return common / (double)(x.Count + y.Count - common);
    }

    /// <summary>Lower-case words (letters, digits, <c>.</c> and <c>'</c> inside words).</summary>
    public static List<string> Words(string text) => WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value.Trim('.', '\'')).Where(w => w.Length > 0).ToList();

    private static bool ContainsWord(string lowerText, string lowerPhrase)
    {
        var at = 0;
        while ((at = lowerText.IndexOf(lowerPhrase, at, StringComparison.Ordinal)) >= 0)
        {
            var before = at == 0 || !char.IsLetterOrDigit(lowerText[at - 1]);
            var end = at + lowerPhrase.Length;
            var after = end >= lowerText.Length || !char.IsLetterOrDigit(lowerText[end]);
            if (before && after)
            {
                return true;
            }

            at++;
        }

        return false;
    }

    private static string Collapse(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}.'_-]*")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"([a-z0-9])([A-Z])")]
    private static partial Regex CamelHump();

    [GeneratedRegex(@"\bhow\b[\s\S]{0,80}\bworks?\b", RegexOptions.IgnoreCase)]
    private static partial Regex HowItWorks();

    [GeneratedRegex(@"\b[\w-]+\.[a-zA-Z][a-zA-Z0-9]{0,4}\b|(?:^|\s)[~.]?/[\w.-]+/|https?://|\b[\w.+-]+@[\w-]+\.[\w.]+|`[^`]+`|\b[a-z]+[A-Z][a-zA-Z]+\b|\b[a-z]+_[a-z_]+\b|\b\d{2,}\b")]
    private static partial Regex ConcreteContext();
}
