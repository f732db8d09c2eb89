using System.Text.RegularExpressions;

namespace Selftune.Plugin.Shared;

/// <summary>
/// Recognizes a git commit an agent made from a shell tool call: the command runs <c>git commit</c>, <c>merge</c>,
/// <c>cherry-pick</c> or <c>revert</c>, and its output names the new commit. git prints <c>[&lt;branch&gt; &lt;sha&gt;] &lt;subject&gt;</c>
/// after a commit, cherry-pick, revert or a merge that needed a commit message (<c>[main (root-commit) 1a2b3c4] …</c> for the
/// first commit, <c>[detached HEAD 1a2b3c4] …</c> off a branch), and <c>Updating &lt;old&gt;..&lt;new&gt;</c> before a fast-forward
/// merge. A merge made by a strategy prints no hash and is not recognized. Compiled into each plugin as a linked source file.
/// </summary>
internal static partial class GitCommits
{
    /// <summary>A git commit found in a tool call's output.</summary>
    /// <param name="Command">The subcommand: <c>commit</c>, <c>merge</c>, <c>cherry-pick</c> or <c>revert</c>.</param>
    /// <param name="Sha">The (abbreviated) hash git printed.</param>
    /// <param name="Branch">The branch, when git printed one (null for a detached HEAD or a fast-forward).</param>
    /// <param name="Title">The subject line, when git printed it.</param>
    internal sealed record Found(string Command, string Sha, string? Branch, string? Title);

    /// <summary>True when the shell <paramref name="command"/> runs <c>git commit</c>, <c>merge</c>, <c>cherry-pick</c> or <c>revert</c>.</summary>
    public static bool Runs(string? command)
    {
        try
        {
            return command is not null && command.Contains("git", StringComparison.Ordinal) && GitCommand().IsMatch(command);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>The commit <paramref name="command"/> made according to its <paramref name="output"/>; null when the command
    /// runs none of the four subcommands or the output names no new commit (e.g. "nothing to commit").</summary>
    public static Found? Parse(string? command, string? output)
    {
        if (string.IsNullOrEmpty(command) || string.IsNullOrEmpty(output) || !command.Contains("git", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            if (GitCommand().Match(command) is not { Success: true } git)
            {
                return null;
            }

            var sub = git.Groups["sub"].Value;
            if (Summary().Match(output) is { Success: true } summary)
            {
                var branch = summary.Groups["branch"].Value;
                return new Found(sub, summary.Groups["sha"].Value, branch == "detached HEAD" ? null : branch, summary.Groups["title"].Value.Trim() is { Length: > 0 } t ? t : null);
            }

            return sub == "merge" && FastForward().Match(output) is { Success: true } ff ? new Found(sub, ff.Groups["sha"].Value, null, null) : null;
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }

    // `git [-C dir] [-c k=v]… <sub>` anywhere in a shell line (after &&, ;, |, a newline or a subshell).
    [GeneratedRegex(@"(?:^|[\s;&|(])git(?:\s+-[Cc]\s+\S+)*\s+(?<sub>commit|merge|cherry-pick|revert)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex GitCommand();

    [GeneratedRegex(@"^\[(?<branch>[^\]\n]+?)(?: \(root-commit\))? (?<sha>[0-9a-f]{7,40})\](?<title>[^\n]*)", RegexOptions.Multiline | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Summary();

    [GeneratedRegex(@"^Updating [0-9a-f]{7,40}\.\.(?<sha>[0-9a-f]{7,40})\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex FastForward();
}
