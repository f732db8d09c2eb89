using System.Text;

namespace Selftune.Core.Install;

/// <summary>A line diff in the unified format (<c>diff -u</c>), for showing a planned change to a person or an agent.</summary>
internal static class UnifiedDiff
{
    /// <summary>Lines of unchanged context around each change.</summary>
    public const int Context = 3;

    /// <summary>Diffs two texts. Lines are compared exactly (line endings excluded); the longest common subsequence
    /// decides what is kept, so the diff is minimal.</summary>
    /// <param name="path">The file, named in the <c>---</c>/<c>+++</c> header.</param>
    /// <param name="before">The current text (empty for a new file).</param>
    /// <param name="after">The new text (empty for a deleted file).</param>
    /// <returns>The diff, or an empty string when the texts have the same lines.</returns>
    public static string Create(string path, string before, string after)
    {
        var a = Lines(before);
        var b = Lines(after);
        var edits = Edits(a, b);
        if (edits.All(e => e.Op == ' '))
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        text.Append("--- ").Append(path).Append('\n').Append("+++ ").Append(path).Append('\n');
        var i = 0;
        while (i < edits.Count)
        {
            var firstChange = edits.FindIndex(i, e => e.Op != ' ');
            if (firstChange < 0)
            {
                break;
            }

            var start = Math.Max(i, firstChange - Context);
            var end = firstChange;
            for (var k = firstChange; k < edits.Count; k++)
            {
                if (edits[k].Op != ' ')
                {
                    end = k;
                }
                else if (k - end > 2 * Context)
                {
                    break;
                }
            }

            end = Math.Min(edits.Count - 1, end + Context);
            var hunk = edits.GetRange(start, end - start + 1);
            var oldCount = hunk.Count(e => e.Op != '+');
            var newCount = hunk.Count(e => e.Op != '-');
            // diff -u numbers lines from 1; an empty side names the line before it (0 at the top of the file).
            var oldStart = oldCount == 0 ? hunk[0].OldLine : hunk.First(e => e.Op != '+').OldLine + 1;
            var newStart = newCount == 0 ? hunk[0].NewLine : hunk.First(e => e.Op != '-').NewLine + 1;
            text.Append($"@@ -{oldStart},{oldCount} +{newStart},{newCount} @@\n");
            foreach (var e in hunk)
            {
                text.Append(e.Op).Append(e.Text).Append('\n');
            }

            i = end + 1;
        }

        return text.ToString();
    }

    private static string[] Lines(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var lines = text.ReplaceLineEndings("\n").Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    private readonly record struct Edit(char Op, string Text, int OldLine, int NewLine);

    private static List<Edit> Edits(string[] a, string[] b)
    {
        // Trim the common head and tail first: settings files differ in a few lines, so the table stays small.
        var head = 0;
        while (head < a.Length && head < b.Length && a[head] == b[head])
        {
            head++;
        }

        var tail = 0;
        while (tail < a.Length - head && tail < b.Length - head && a[^(tail + 1)] == b[^(tail + 1)])
        {
            tail++;
        }

        int n = a.Length - head - tail, m = b.Length - head - tail;
        // Beyond this size the table would be too big: show the middle as replaced outright.
        var exact = (long)n * m <= 4_000_000;
        var lcs = exact ? new int[n + 1, m + 1] : new int[1, 1];
        for (var x = exact ? n - 1 : -1; x >= 0; x--)
        {
            for (var y = m - 1; y >= 0; y--)
            {
                lcs[x, y] = a[head + x] == b[head + y] ? lcs[x + 1, y + 1] + 1 : Math.Max(lcs[x + 1, y], lcs[x, y + 1]);
            }
        }

        var edits = new List<Edit>(a.Length + b.Length);
        for (var k = 0; k < head; k++)
        {
            edits.Add(new Edit(' ', a[k], k, k));
        }

        int i = 0, j = 0;
        while (i < n || j < m)
        {
            if (exact && i < n && j < m && a[head + i] == b[head + j])
            {
                edits.Add(new Edit(' ', a[head + i], head + i, head + j));
                i++;
                j++;
            }
            else if (i < n && (j == m || !exact || lcs[i + 1, j] >= lcs[i, j + 1]))
            {
                edits.Add(new Edit('-', a[head + i], head + i, head + j));
                i++;
            }
            else
            {
                edits.Add(new Edit('+', b[head + j], head + i, head + j));
                j++;
            }
        }

        for (var k = 0; k < tail; k++)
        {
            edits.Add(new Edit(' ', a[a.Length - tail + k], a.Length - tail + k, b.Length - tail + k));
        }

        return edits;
    }
}
