using System.Text;

namespace Selftune.Core.Misses;

/// <summary>
/// The tokeniser of discovery's lexical ranking. Text is cut into runs of letters and digits (so identifiers split at
/// <c>-</c>, <c>_</c>, <c>.</c>, <c>/</c> and any other punctuation), camelCase humps are split (<c>pdfReport</c> → pdf,
/// report), everything is lower-cased (invariant), English stop words are dropped (plus words every skill description
/// carries: skill, use, user, ...), and each word is stemmed by <see cref="Stem"/>. Words in other scripts pass through
/// unstemmed, so a description in another language is indexed, just matched literally.
/// </summary>
internal static class Tokens
{
    /// <summary>Most tokens taken from one text (a 10,000-word prompt is ranked on its first words).</summary>
    public const int MaxTokens = 2000;

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because",
        "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "don",
        "down", "during", "each", "etc", "few", "for", "from", "further", "get", "had", "has", "have", "having", "he", "her", "here",
        "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "let", "like", "me", "more",
        "most", "my", "need", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "out",
        "over", "own", "please", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them", "then",
        "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "want", "was",
        "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your",
        "yours", "s", "t", "ll", "re", "ve", "d", "m", "skill", "skills", "use", "used", "uses", "using", "user", "users",
        "trigger", "triggers", "whenever", "ask", "asks", "asked", "help", "make", "thing", "things", "something", "via",
    };

    /// <summary>The tokens of <paramref name="text"/>, in order, at most <see cref="MaxTokens"/>.</summary>
    public static List<string> Of(string? text)
    {
        var tokens = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return tokens;
        }

        var word = new StringBuilder();
        for (var i = 0; i <= text.Length && tokens.Count < MaxTokens; i++)
        {
            var c = i < text.Length ? text[i] : ' ';
            var boundary = !char.IsLetterOrDigit(c)
                || (word.Length > 0 && char.IsUpper(c) && char.IsLower(word[^1]));
            if (boundary && word.Length > 0)
            {
                var lower = word.ToString().ToLowerInvariant();
                if (!StopWords.Contains(lower))
                {
                    tokens.Add(Stem(lower));
                }

                word.Clear();
            }

            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
            }
        }

        return tokens;
    }

    /// <summary>
    /// A light English suffix stripper (in the spirit of Porter's step 1 and a few of step 2), for lower-case ASCII words of
    /// four or more letters; other words are returned as they are. In order: plurals (<c>sses</c> → <c>ss</c>, <c>ies</c> → <c>y</c>,
    /// <c>es</c> after s/x/z/ch/sh, a final <c>s</c> except after s/u/i); then the first of <c>ational</c> → <c>ate</c>,
    /// <c>ization</c> → <c>ize</c>, <c>ation</c> → <c>ate</c>, <c>ness</c>, <c>ment</c>, <c>ing</c>, <c>ed</c>, <c>ly</c>
    /// that leaves a stem of three or more letters with a vowel; then a doubled final consonant is undoubled (<c>runn</c> →
    /// <c>run</c>, not l/s/z) and a final <c>e</c> dropped when four letters remain. So slides/slide → slid,
    /// presenting/presents → present, creation/creating/create → creat, deployment → deploy.
    /// </summary>
    /// <param name="word">A lower-case word.</param>
    public static string Stem(string word)
    {
        if (word.Length < 4 || !word.All(c => c is >= 'a' and <= 'z'))
        {
            return word;
        }

        var w = word;
        if (w.EndsWith("sses", StringComparison.Ordinal))
        {
            w = w[..^2];
        }
        else if (w.EndsWith("ies", StringComparison.Ordinal))
        {
            w = w[..^3] + "y";
        }
        else if (w.EndsWith("es", StringComparison.Ordinal) && (w[..^2].EndsWith('s') || w[..^2].EndsWith('x') || w[..^2].EndsWith('z') || w[..^2].EndsWith("ch", StringComparison.Ordinal) || w[..^2].EndsWith("sh", StringComparison.Ordinal)))
        {
            w = w[..^2];
        }
        else if (w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal) && !w.EndsWith("us", StringComparison.Ordinal) && !w.EndsWith("is", StringComparison.Ordinal))
        {
            w = w[..^1];
        }

        foreach (var (suffix, replacement) in Suffixes)
        {
            if (w.EndsWith(suffix, StringComparison.Ordinal))
            {
                var stem = w[..^suffix.Length];
                if (stem.Length >= 3 && stem.Any(IsVowel))
                {
                    w = stem + replacement;
                    if (replacement.Length == 0 && w.Length >= 4 && w[^1] == w[^2] && !IsVowel(w[^1]) && w[^1] is not ('l' or 's' or 'z'))
                    {
                        w = w[..^1];
                    }
                }

                break;
            }
        }

        return w.Length >= 5 && w[^1] == 'e' ? w[..^1] : w;
    }

    private static readonly (string Suffix, string Replacement)[] Suffixes =
    [
        ("ational", "ate"), ("ization", "ize"), ("ation", "ate"), ("ness", string.Empty), ("ment", string.Empty),
        ("ing", string.Empty), ("ed", string.Empty), ("ly", string.Empty),
    ];

    private static bool IsVowel(char c) => c is 'a' or 'e' or 'i' or 'o' or 'u' or 'y';
}

/// <summary>
/// Okapi BM25 (k1 = 1.2, b = 0.75) over a small set of documents, with an inverted index: scoring a query touches only
/// the postings of its distinct terms. IDF is the non-negative Lucene form ln(1 + (N − df + 0.5)/(df + 0.5)).
/// </summary>
internal sealed class Bm25Index
{
    private const double K1 = 1.2;
    private const double B = 0.75;
    private readonly Dictionary<string, List<(int Doc, int Tf)>> _postings = new(StringComparer.Ordinal);
    private readonly int[] _lengths;
    private readonly double _averageLength;

    /// <summary>Indexes the documents, each given as its tokens (repeat a field's tokens to weight it).</summary>
    public Bm25Index(IReadOnlyList<IReadOnlyList<string>> documents)
    {
        _lengths = documents.Select(d => d.Count).ToArray();
        _averageLength = _lengths.Length == 0 ? 1 : Math.Max(1, _lengths.Average());
        for (var doc = 0; doc < documents.Count; doc++)
        {
            foreach (var group in documents[doc].GroupBy(t => t, StringComparer.Ordinal))
            {
                if (!_postings.TryGetValue(group.Key, out var list))
                {
                    _postings[group.Key] = list = [];
                }

                list.Add((doc, group.Count()));
            }
        }
    }

    /// <summary>The BM25 score of every document for the query's distinct terms (0 where none matches), and how many
    /// distinct query terms each matched.</summary>
    public (double[] Scores, int[] Matched) Score(IEnumerable<string> queryTokens)
    {
        var scores = new double[_lengths.Length];
        var matched = new int[_lengths.Length];
        foreach (var term in queryTokens.Distinct(StringComparer.Ordinal))
        {
            if (!_postings.TryGetValue(term, out var postings))
            {
                continue;
            }

            var idf = Math.Log(1 + ((_lengths.Length - postings.Count + 0.5) / (postings.Count + 0.5)));
            foreach (var (doc, tf) in postings)
            {
                scores[doc] += idf * (tf * (K1 + 1)) / (tf + (K1 * (1 - B + (B * _lengths[doc] / _averageLength))));
                matched[doc]++;
            }
        }

        return (scores, matched);
    }
}
