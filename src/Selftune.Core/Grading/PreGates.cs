using System.Globalization;
using System.Text.RegularExpressions;

namespace Selftune.Core.Grading;

/// <summary>
/// Deterministic checks tried on each expectation before any LLM: the first gate whose pattern matches the
/// expectation's wording decides it from the store's facts (selftune-spec §6.3 lists the same four questions:
/// skill triggered? tools called? errors under a bound? session completed?). A gate that cannot tell (session status
/// unknown) leaves the expectation to the LLM.
/// </summary>
internal static partial class PreGates
{
    /// <summary>Errors (tool errors + session errors) tolerated when an expectation names no bound.</summary>
    public const int DefaultErrorBound = 2;

    /// <summary>Decides <paramref name="expectation"/> if a gate applies.</summary>
    /// <returns>The verdict, or null when no gate applies or the gate cannot tell.</returns>
    public static ExpectationVerdict? Evaluate(string expectation, SessionFacts facts, string skill)
    {
        if (SkillMdRead().IsMatch(expectation))
        {
            var read = facts.ReadOrTriggered(skill);
            return Verdict(expectation, "skill_read", read, read ? $"{skill}'s SKILL.md was read or the skill invoked" : $"no read of {skill}'s SKILL.md and no invocation");
        }

        if (Triggered().IsMatch(expectation) && (expectation.Contains("skill", StringComparison.OrdinalIgnoreCase) || Eval.QueryText.NamesSkill(expectation, skill)))
        {
            var triggered = facts.Triggered(skill);
            return Verdict(expectation, "skill_triggered", triggered,
                triggered ? $"{skill} was invoked ({string.Join(", ", facts.SkillsTriggered)})" : $"{skill} was not invoked (skills invoked: {(facts.SkillsTriggered.Count == 0 ? "none" : string.Join(", ", facts.SkillsTriggered))})");
        }

        if (ToolsCalled().IsMatch(expectation))
        {
            return Verdict(expectation, "tools_called", facts.ToolCalls > 0, $"{facts.ToolCalls} tool call(s)");
        }

        if (ErrorBound().Match(expectation) is { Success: true } m)
        {
            var bound = m.Groups["n"].Success ? int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) - (m.Groups["fewer"].Success ? 1 : 0) : DefaultErrorBound;
            var errors = facts.ToolErrors + facts.SessionErrors;
            return Verdict(expectation, "error_bound", errors <= bound, $"{facts.ToolErrors} tool error(s) + {facts.SessionErrors} session error(s) = {errors}; bound {bound}");
        }

        if (SessionCompleted().IsMatch(expectation))
        {
            return facts.Status switch
            {
                "completed" => Verdict(expectation, "session_completed", true, "the session's last turn finished normally"),
                "failed" or "interrupted" => Verdict(expectation, "session_completed", false, $"the session ended {facts.Status}"),
                _ => null,
            };
        }

        return null;
    }

    private static ExpectationVerdict Verdict(string text, string gate, bool passed, string evidence) =>
        new(text, passed, passed ? 1 : 0, $"Pre-gate {gate}: {(passed ? "PASS" : "FAIL")} ({evidence})", "pre-gate:" + gate);

    [GeneratedRegex(@"skill\.md\b.*\bread\b|\bread\b.*\bskill\.md", RegexOptions.IgnoreCase)]
    private static partial Regex SkillMdRead();

    [GeneratedRegex(@"\b(triggered|trigger(s|ed)?|invoked|invoke[sd]?|fired|activated|loaded)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Triggered();

    [GeneratedRegex(@"\btools?\b.{0,20}\b(called|used|invoked|run)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ToolsCalled();

    [GeneratedRegex(@"(?:\b(?:(?<fewer>fewer than)|at most|no more than|not more than|under)\s+(?<n>\d+)\s+(?:\w+\s+)?errors?\b)|\b(?:no|without)\s+(?:\w+\s+)?errors?\b|\berrors?\s+(?:count|encountered)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ErrorBound();

    [GeneratedRegex(@"\bsession\b.{0,20}\b(completed|finished|ended normally|ran to completion)\b", RegexOptions.IgnoreCase)]
    private static partial Regex SessionCompleted();
}
