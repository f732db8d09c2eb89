using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Selftune.Core;
using Selftune.Core.Eval;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;
using Selftune.Core.Team;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune eval generate|list|unit-test</c>: trigger eval sets built from the store, and unit tests run through the agent.</summary>
internal static class EvalCommands
{
    /// <summary>Creates the command group.</summary>
    public static Command Create(Func<App> app)
    {
        var eval = new Command("eval", "Trigger eval sets: real prompts that did and did not trigger a skill, split into train and held-out validation parts.");
        eval.Subcommands.Add(Generate(app));
        eval.Subcommands.Add(List(app));
        eval.Subcommands.Add(UnitTest(app));
        return eval;
    }

    private static Command UnitTest(Func<App> app)
    {
        var skill = new Option<string>("--skill") { Description = "The skill.", Required = true };
        var skillPath = new Option<string?>("--skill-path") { Description = "The skill's folder or SKILL.md, when it is not installed where the agents look." };
        var generate = new Option<bool>("--generate") { Description = "Draft the tests with the LLM first (from the SKILL.md and the eval set's positives), replacing the file's tests." };
        var command = new Command("unit-test", "Run a skill's unit tests through the real agent CLI with the skill installed: assertions on whether it used the skill and which files it wrote (exit 1 when one fails).")
        {
            skill, skillPath, generate,
        };
        var llmFlags = LlmCommands.AddFlags(command);
        return command.Runs(app, async (a, p, ct) =>
        {
            llmFlags.Apply(a, p);
            using var store = a.OpenStore();
            var llm = p.GetValue(generate) ? a.Get<ILlmClientFactory>().Create(LlmCommands.RunId(a, "unit-test")) : null;
            var run = await a.Get<UnitTestService>().RunAsync(store, p.GetValue(skill)!, p.GetValue(skillPath), p.GetValue(generate), llm, ct).ConfigureAwait(false);
            a.Output.Result(run, console =>
            {
                var table = new Table().AddColumns("test", "passed", "assertions");
                foreach (var r in run.Results)
                {
                    table.AddRow(Markup.Escape(r.Id), r.Passed ? "[green]yes[/]" : "[red]no[/]", Markup.Escape(r.Error ?? string.Join("; ", r.Assertions.Select(x => $"{x.Type} {x.Value}: {x.Detail}"))));
                }

                console.Write(table);
                console.MarkupLine($"{run.Passed} of {run.Total} passed through {Markup.Escape(run.Agent)} ({Markup.Escape(run.File)})");
            });
            return run.Passed == run.Total ? 0 : 1;
        });
    }

    private static Command Generate(Func<App> app)
    {
        var skill = new Option<string>("--skill") { Description = "The skill (its name; a plugin prefix such as elixir: may be left out).", Required = true };
        var synthetic = new Option<bool>("--synthetic") { Description = "Blend in LLM-written queries when real ones are too few (cold start); marked synthetic, real ones first." };
        var seed = new Option<int>("--seed") { Description = "Seed of the shuffles and the train/validation split (same store + seed = same set).", DefaultValueFactory = _ => 42 };
        var max = new Option<int>("--max") { Description = "Most positives and most negatives taken (1-10000).", DefaultValueFactory = _ => 50 }.Between(1, 10_000);
        var output = new Option<string?>("--output") { Description = "Also write the set as JSON to this file." };
        var skillPath = new Option<string?>("--skill-path") { Description = "The skill's folder or SKILL.md, when it is not installed where the agents look." };
        var team = new Option<bool>("--team") { Description = "Pool the evidence of every machine in the team database (team.database): their triggers, misses and shared prompts join this machine's." };
        var command = new Command("generate", "Build a skill's trigger eval set from the store (real prompts; --synthetic for cold start), save it, and optionally export it.")
        {
            skill, synthetic, seed, max, output, skillPath, team,
        };
        var flags = LlmCommands.AddFlags(command);
        return command.Runs(app, async (a, p, ct) =>
        {
            flags.Apply(a, p);
            var name = p.GetValue(skill)!;
            var options = new EvalGenerateOptions(name, p.GetValue(seed), p.GetValue(max), p.GetValue(synthetic));
            using var store = a.OpenStore();
            var document = a.Get<InstalledSkills>().Find(name, p.GetValue(skillPath), store);
            var llm = options.Synthetic ? a.Get<ILlmClientFactory>().Create(LlmCommands.RunId(a, "eval-generate")) : null;
            Task<EvalGeneration> Generate(SelftuneStore evidence) => llm is null
                ? Task.FromResult(a.Get<EvalSetGenerator>().Generate(evidence, options, document))
                : a.Get<EvalSetGenerator>().GenerateAsync(evidence, options, document, a.Get<InstalledSkills>().All(), llm, ct);
            object? pooled = null;
            EvalGeneration generation;
            if (p.GetValue(team))
            {
                var (made, machines, prompts) = await a.Get<TeamService>().WithPooledEvidenceAsync(store, Generate, ct).ConfigureAwait(false);
                (generation, pooled) = (made, new { other_machines = machines, prompts_added = prompts });
            }
            else
            {
                generation = await Generate(store).ConfigureAwait(false);
            }

            a.Get<EvalSetStore>().Save(store, generation.Set);
            string? written = null;
            if (p.GetValue(output) is { } file)
            {
                written = Path.GetFullPath(a.Context.Expand(file), a.Context.WorkingDirectory);
                AtomicFile.WriteAllText(written, JsonSerializer.Serialize(generation.Set, Json.Indented) + "\n");
            }

            var result = new { eval_set = generation.Set, counts = generation.Counts, notes = generation.Notes, skill_md = document?.Path, output = written, llm = llm?.Usage, team = pooled };
            a.Output.Result(result, console =>
            {
                var c = generation.Counts;
                console.MarkupLine($"Eval set [bold]{generation.Set.Id}[/] for [bold]{Markup.Escape(name)}[/]: {c.RealPositives} real positives, {c.RealNegatives} real negatives ({c.NearMissNegatives} near misses), {c.SyntheticPositives + c.SyntheticNegatives} synthetic; {c.Train} train / {c.Validation} validation.");
                foreach (var note in generation.Notes)
                {
                    console.MarkupLine($"[yellow]note[/] {Markup.Escape(note)}");
                }

                if (written is not null)
                {
                    console.MarkupLine($"Written to {Markup.Escape(written)}.");
                }
            });
            return 0;
        });
    }

    private static Command List(Func<App> app) => new Command("list", "Per skill: how much real evidence the store holds, and whether it is enough to evolve the skill.")
        .Runs(app, (a, _) =>
        {
            using var store = a.OpenStore();
            var installed = a.Get<InstalledSkills>().All().Where(s => s.ShadowedBy is null).Select(s => s.Name);
            var skills = EvalEvidence.Summarize(store, installed);
            a.Output.Result(new { minimum_real_positives = EvalEvidence.MinimumRealPositives, skills }, console =>
            {
                if (skills.Count == 0)
                {
                    console.MarkupLine("No skill has triggered yet and none is installed. Run [bold]selftune sync[/] first.");
                    return;
                }

                var table = new Table().AddColumns("skill", "real positives", "explicit", "hook-only", "reads", "sessions", "last trigger", "readiness", "eval set", "next");
                foreach (var s in skills)
                {
                    table.AddRow(
                        Markup.Escape(s.Skill), $"{s.RealPositives}", $"{s.ExplicitPositives}", $"{s.HookOnlyTriggers}", $"{s.Reads}", $"{s.Sessions}",
                        s.LastTriggeredAt?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-",
                        s.EnoughToEvolve ? "[green]ready[/]" : Markup.Escape(s.Readiness), Markup.Escape(s.LatestEvalSetId ?? "-"), Markup.Escape(s.NextCommand ?? s.NextCommandOmitted ?? "-"));
                }

                console.Write(table);
            });
            return 0;
        });
}
