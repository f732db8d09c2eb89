using System.Globalization;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Authoring;

/// <summary>What <c>selftune create</c> wrote.</summary>
/// <param name="Skill">The new skill's name.</param>
/// <param name="SkillPath">Its SKILL.md.</param>
/// <param name="Folder">Its folder (named like the skill, as the Agent Skills specification requires).</param>
/// <param name="DescriptionIsPlaceholder">True when no description was given: the SKILL.md carries a placeholder that
/// <c>selftune verify</c> fails until it is replaced.</param>
/// <param name="NextCommand">What to do next.</param>
/// <param name="Workflow">The workflow the skill was scaffolded from (<c>--from-workflow</c>), else null.</param>
internal sealed record CreateResult(string Skill, string SkillPath, string Folder, bool DescriptionIsPlaceholder, string? NextCommand, Workflow? Workflow = null);

/// <summary>Scaffolds a new skill folder whose SKILL.md is valid under the Agent Skills specification
/// (agentskills.io/specification): frontmatter with <c>name</c> (the folder's name) and <c>description</c>, then a
/// <c># Title</c> and sections to fill in.</summary>
internal static class SkillScaffold
{
    /// <summary>The description written when none is given; <see cref="SkillVerifier"/> fails while it is there.</summary>
    public const string PlaceholderDescription = "TODO: say what this skill does and when to use it (\"Use this skill when the user asks to ...\").";

    /// <summary>Creates <c>&lt;parentFolder&gt;/&lt;name&gt;/SKILL.md</c>.</summary>
    /// <param name="name">The skill's name (1–64 lower-case letters, digits and single hyphens).</param>
    /// <param name="description">What the skill does and when to use it (at most 1024 characters, no <c>&lt;</c> or <c>&gt;</c>); null writes a placeholder.</param>
    /// <param name="parentFolder">The folder the skill folder goes in (absolute).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> for an invalid name or description, or
    /// when the skill folder exists and is not empty (nothing is written).</exception>
    public static CreateResult Create(string name, string? description, string parentFolder)
    {
        RequireName(name);
        if (description is not null && SkillVerifier.DescriptionProblems(description).FirstOrDefault() is { } problem)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"--description: {problem}", ShellCommand.Line($"selftune create --name {name:skill} --description 'Use this skill when ...'"));
        }

        return Write(name, Text(name, description ?? PlaceholderDescription), parentFolder, placeholder: description is null);
    }

    /// <summary>Creates <c>&lt;parentFolder&gt;/&lt;name&gt;/SKILL.md</c> for a recurring skill sequence that
    /// <c>selftune skills interplay</c> listed (<see cref="SkillInterplay.FindWorkflow"/>, text by <see cref="WorkflowScaffold"/>).</summary>
    /// <param name="store">The store the workflow is found in (read only).</param>
    /// <param name="workflowId">The workflow's id (<c>wf-</c> and 10 hex digits).</param>
    /// <param name="name">The skill's name; null for the workflow's own (<c>&lt;first&gt;-to-&lt;last&gt;-workflow</c>).</param>
    /// <param name="parentFolder">The folder the skill folder goes in (absolute).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when no workflow with that id recurs in the
    /// store (naming <c>selftune skills interplay</c>); <see cref="ErrorCodes.InvalidArgument"/> as for <see cref="Create"/>.</exception>
    public static CreateResult CreateFromWorkflow(SelftuneStore store, string workflowId, string? name, string parentFolder)
    {
        var workflow = SkillInterplay.FindWorkflow(store, workflowId.Trim())
            ?? throw new SelftuneException(ErrorCodes.NotFound,
                $"No workflow {ShellCommand.Quoted(workflowId)} recurs in the store's sessions (at least 3 sessions running the same skills in order); `selftune skills interplay` lists the workflow ids there are.",
                "selftune skills interplay");
        var (ownName, text) = WorkflowScaffold.Create(workflow, name);
        RequireName(ownName);
        return Write(ownName, text, parentFolder, placeholder: false) with { Workflow = workflow };
    }

    private static void RequireName(string name)
    {
        if (name.Contains(':', StringComparison.Ordinal) || SkillNames.Problem(name) is not null)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument,
                $"{ShellCommand.Quoted(name)} is not a valid skill name: use 1-{SkillNames.MaxLength} lower-case letters, digits and single hyphens, not starting or ending with a hyphen (e.g. 'pdf-forms').",
                "selftune create --name my-skill");
        }
    }

    private static CreateResult Write(string name, string text, string parentFolder, bool placeholder)
    {
        var folder = Path.Combine(parentFolder, name);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{folder}' exists and is not empty; nothing was written. Pick another name or --dir.", ShellCommand.Line($"selftune verify --skill {name:skill} --skill-path {folder}"));
        }

        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "SKILL.md");
        AtomicFile.WriteAllText(path, text);
        var next = placeholder ? $"$EDITOR {ShellCommand.Quote(path)}" : ShellCommand.Line($"selftune verify --skill {name:skill} --skill-path {folder}");
        return new CreateResult(name, path, folder, placeholder, next);
    }

    private static string Text(string name, string description)
    {
        var title = string.Join(' ', name.Split('-').Select(w => w.Length == 0 ? w : char.ToUpper(w[0], CultureInfo.InvariantCulture) + w[1..]));
        return $"""
            ---
            name: {name}
            description: {Yaml(description)}
            ---

            # {title}

            ## When to use

            Describe the requests this skill serves, and the near misses it should leave alone.

            ## Workflow

            1. First step the agent takes.
            2. Next step, with the command or tool it uses.

            ## Notes

            Put long reference material in `references/` and scripts in `scripts/`, one level deep, and link them from here.

            """.ReplaceLineEndings("\n");
    }

    /// <summary>A YAML scalar for <paramref name="value"/>: double-quoted, so colons, hashes and quotes are safe.</summary>
    private static string Yaml(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).ReplaceLineEndings(" ") + "\"";
}
