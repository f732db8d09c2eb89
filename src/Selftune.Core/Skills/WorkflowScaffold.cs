namespace Selftune.Core.Skills;

/// <summary>A workflow skill's scaffold: the folder name and <c>SKILL.md</c> text for a <see cref="Workflow"/>. The Core entry
/// point of <c>selftune create --from-workflow ID</c>: <see cref="SkillInterplay.FindWorkflow"/> finds the workflow, this
/// writes the text, and <c>create</c> puts it where new skills go.</summary>
internal static class WorkflowScaffold
{
    /// <summary>The skill's name (<paramref name="name"/>, else <c>&lt;first&gt;-to-&lt;last&gt;-workflow</c> cut to 64
    /// characters) and its SKILL.md text, which names each step's skill in order and records where the sequence was seen.</summary>
    public static (string Name, string SkillMarkdown) Create(Workflow workflow, string? name = null)
    {
        if (name is null)
        {
            name = $"{Slug(workflow.Skills[0])}-to-{Slug(workflow.Skills[^1])}-workflow";
            name = name.Length > 64 ? name[..64].TrimEnd('-') : name;
        }

        var steps = string.Join("\n", workflow.Skills.Select((s, i) => $"{i + 1}. Use the `{s}` skill{(i == 0 ? "." : " on what the previous step produced.")}"));
        var text = $"""
            ---
            name: {name}
            description: Runs {string.Join(", then ", workflow.Skills)} in order. Use when a task needs all of these steps together, as it did in {workflow.Sessions} past sessions.
            ---

            # {string.Join(" → ", workflow.Skills)}

            A workflow selftune found: these skills ran in this order in {workflow.Sessions} sessions (e.g. {string.Join(", ", workflow.Examples)}; workflow `{workflow.Id}`).

            ## Steps

            {steps}

            Stop and tell the user when a step fails; do not go on to the next one.

            """.ReplaceLineEndings("\n");
        return (name, text);
    }

    private static string Slug(string skill)
    {
        var bare = skill[(skill.LastIndexOf(':') + 1)..].ToLowerInvariant();
        var chars = bare.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        return string.Join("-", new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }
}
