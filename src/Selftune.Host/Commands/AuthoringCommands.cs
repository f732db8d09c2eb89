using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Authoring;
using Selftune.Core.Configuration;
using Selftune.Core.Evolution;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune create | verify | publish</c>: scaffold a new skill (or a workflow skill), check it, package it.</summary>
internal static class AuthoringCommands
{
    /// <summary>Creates the commands.</summary>
    public static IEnumerable<Command> Create(Func<App> app) => [New(app), Verify(app), Publish(app)];

    private static Option<string?> SkillPathOption() => new("--skill-path") { Description = "The skill's SKILL.md or folder (default: the installed skill of that name)." };

    private static Command New(Func<App> app)
    {
        var name = new Option<string?>("--name") { Description = "The skill's name: 1-64 lower-case letters, digits and single hyphens (with --from-workflow, default <first>-to-<last>-workflow)." };
        var description = new Option<string?>("--description") { Description = "What the skill does and when to use it (at most 1024 characters); without it a placeholder that verify rejects is written." };
        var dir = new Option<string?>("--dir") { Description = "The folder the skill folder is created in (default: the working directory)." };
        var fromWorkflow = new Option<string?>("--from-workflow") { Description = "Scaffold the workflow skill of a recurring skill sequence, by the id `selftune skills interplay` lists (wf-…)." };
        var command = new Command("create", "Scaffold a new skill folder whose SKILL.md follows the Agent Skills specification, empty (--name) or running a recurring skill sequence in order (--from-workflow).") { name, description, dir, fromWorkflow };
        return command.Runs(app, (a, p) =>
        {
            var parent = Path.GetFullPath(a.Context.Expand(p.GetValue(dir) ?? "."), a.Context.WorkingDirectory);
            CreateResult result;
            if (p.GetValue(fromWorkflow) is { } workflow)
            {
                if (p.GetValue(description) is not null)
                {
                    throw new SelftuneException(ErrorCodes.InvalidArgument, "--description does not go with --from-workflow: the workflow's description names its skills; edit it after creating.", ShellCommand.Line($"selftune create --from-workflow {workflow}"), exitCode: 2);
                }

                using var store = a.OpenStore();
                result = SkillScaffold.CreateFromWorkflow(store, workflow, p.GetValue(name), parent);
            }
            else
            {
                result = SkillScaffold.Create(
                    p.GetValue(name) ?? throw new SelftuneException(ErrorCodes.InvalidArgument, "create needs --name N (a new skill) or --from-workflow ID (a workflow `selftune skills interplay` found).", "selftune create --name my-skill", exitCode: 2),
                    p.GetValue(description),
                    parent);
            }

            a.Output.Result(result, console =>
            {
                console.MarkupLine($"Created [bold]{Markup.Escape(result.SkillPath)}[/]{(result.Workflow is { } w ? $" from workflow {Markup.Escape(w.Id)} ({Markup.Escape(string.Join(" → ", w.Skills))})" : string.Empty)}.");
                if (result.DescriptionIsPlaceholder)
                {
                    console.MarkupLine("[yellow]Its description is a placeholder: write what the skill does and when to use it before verifying.[/]");
                }

                console.MarkupLine($"next: [bold]{Markup.Escape(result.NextCommand ?? string.Empty)}[/]");
            });
            return 0;
        });
    }

    private static Command Verify(Func<App> app)
    {
        var skill = new Option<string>("--skill") { Description = "The skill's name.", Required = true };
        var skillPath = SkillPathOption();
        var command = new Command("verify", "Check a skill against the Agent Skills specification (frontmatter, name, description budget, body, links, referenced files), run its evals, its no-skill baseline (with an LLM) and its unit tests (through the agent CLI); exit 1 when a check fails.") { skill, skillPath };
        var llm = LlmCommands.AddFlags(command);
        return command.Runs(app, async (a, p, ct) =>
        {
            llm.Apply(a, p);
            var name = p.GetValue(skill)!;
            using var store = a.OpenStore();
            var path = Locate(a, name, p.GetValue(skillPath), store);
            var report = await a.Get<SkillVerifier>().VerifyAsync(store, name, path, Tools(a, name), ct).ConfigureAwait(false);
            a.Output.Result(report, console => Render(console, report));
            return report.Verified ? 0 : 1;
        });
    }

    private static Command Publish(Func<App> app)
    {
        var skill = new Option<string>("--skill") { Description = "The skill's name.", Required = true };
        var skillPath = SkillPathOption();
        var to = new Option<string>("--to") { Description = "The folder to publish into (created when missing).", Required = true };
        var zip = new Option<bool>("--zip") { Description = "Write <name>-<version>.zip instead of a <name>/ folder." };
        var command = new Command("publish", "Package a verified skill (its exact verified files) as a folder or zip with a manifest.json of file hashes and the verification's evidence.") { skill, skillPath, to, zip };
        return command.Runs(app, (a, p) =>
        {
            var name = p.GetValue(skill)!;
            using var store = a.OpenStore();
            var path = Locate(a, name, p.GetValue(skillPath), store);
            var result = a.Get<SkillPublisher>().Publish(store, name, path, Path.GetFullPath(a.Context.Expand(p.GetValue(to)!), a.Context.WorkingDirectory), p.GetValue(zip));
            a.Output.Result(result, console =>
                console.MarkupLine($"Published [bold]{Markup.Escape(result.Manifest.Name)}[/] {Markup.Escape(result.Manifest.Version)} ({result.Manifest.Files.Count} file(s)) to {Markup.Escape(result.Output)}."));
            return 0;
        });
    }

    private static string Locate(App a, string name, string? skillPath, Core.Store.SelftuneStore store)
    {
        if (skillPath is not null)
        {
            var full = Path.GetFullPath(a.Context.Expand(skillPath), a.Context.WorkingDirectory);
            var file = Directory.Exists(full) ? Path.Combine(full, "SKILL.md") : full;
            return File.Exists(file) ? file : throw new SelftuneException(ErrorCodes.FileNotFound, $"There is no SKILL.md at '{file}'.", ShellCommand.Line($"selftune create --name {name:skill}"));
        }

        return a.Get<InstalledSkills>().Find(name, null, store)?.Path
            ?? throw new SelftuneException(ErrorCodes.NotFound, $"No installed skill is called {ShellCommand.Quoted(name)}; give its folder with --skill-path.", ShellCommand.Line($"selftune verify --skill {name:skill} --skill-path ./{name}"));
    }

    /// <summary>The eval step's validator and the baseline's LLM: the lexical matcher and no LLM with <c>--llm offline</c>, else
    /// the LLM judge and the LLM when one is available.</summary>
    private static VerifyTools Tools(App a, string skill)
    {
        var factory = a.Get<ILlmClientFactory>();
        var client = factory.Create(LlmCommands.RunId(a, "verify"));
        if (client.Backend == LlmBackends.Offline)
        {
            return new VerifyTools(new LexicalValidator());
        }

        return factory.IsAvailable(out var reason)
            ? new VerifyTools(new JudgeValidator(client, (int)a.Config.GetInt(ConfigKeys.EvolveJudgeRuns.Key), (int)a.Config.GetInt(ConfigKeys.EvolveJudgeBatchSize.Key)), Llm: client)
            : new VerifyTools(null, reason.TrimEnd('.'), ShellCommand.Line($"selftune verify --skill {skill:skill} --llm offline"));
    }

    private static void Render(IAnsiConsole console, VerifyReport r)
    {
        var table = new Table().AddColumns("step", "status", "detail");
        foreach (var s in r.Steps)
        {
            var color = s.Status switch { VerifyStatus.Passed => "green", VerifyStatus.Failed => "red", VerifyStatus.Warning => "yellow", _ => "grey" };
            table.AddRow(Markup.Escape(s.Name), $"[{color}]{Json.Name(s.Status)}[/]", Markup.Escape(s.Message));
        }

        console.Write(table);
        console.MarkupLine(r.Verified ? $"[green]Verified[/] (fingerprint {r.Fingerprint[..12]})." : "[red]Not verified.[/]");
        if (r.NextCommand is { } next)
        {
            console.MarkupLine($"next: [bold]{Markup.Escape(next)}[/]");
        }
    }
}
