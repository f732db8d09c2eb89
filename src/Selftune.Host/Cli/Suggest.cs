namespace Selftune.Host.Cli;

/// <summary>"Did you mean" for mistyped names (commands, settings): the known name closest in edit distance.</summary>
internal static class Suggest
{
    /// <summary>The known name closest to <paramref name="typed"/> (at most a third of its letters different, or one
    /// that starts with it), or null.</summary>
    public static string? Closest(string typed, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(typed);
        var best = known
            .Select(k => (Name: k, Distance: k.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && typed.Length >= 2 ? 0 : Distance(typed.ToLowerInvariant(), k.ToLowerInvariant())))
            .OrderBy(k => k.Distance).ThenBy(k => k.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(1, Math.Max(typed.Length, best.Name.Length) / 3) ? best.Name : null;
    }

    /// <summary><c> Did you mean 'X'?</c> (with a leading space) for the closest known name, or an empty string when none is close.</summary>
    public static string DidYouMean(string typed, IEnumerable<string> known) =>
        Closest(typed, known) is { } name ? $" Did you mean '{name}'?" : string.Empty;

    /// <summary>The Levenshtein distance (insertions, deletions and substitutions of one character).</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
