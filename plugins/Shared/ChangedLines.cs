namespace Selftune.Plugin.Shared;

/// <summary>The lines a diff or patch text adds and removes (Pi's edit results, Codex's <c>apply_patch</c> input): its lines
/// starting with <c>+</c> and with <c>-</c>.</summary>
internal static class ChangedLines
{
    /// <summary>The lines of <paramref name="text"/> starting with <c>+</c> (added) and with <c>-</c> (removed).</summary>
    public static (int Added, int Removed) Count(ReadOnlySpan<char> text)
    {
        int added = 0, removed = 0;
        foreach (var line in text.EnumerateLines())
        {
            added += line.StartsWith('+') ? 1 : 0;
            removed += line.StartsWith('-') ? 1 : 0;
        }

        return (added, removed);
    }
}
