using System.CommandLine;
using System.Globalization;
using Selftune.Abstractions;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Llm;
using Selftune.Core.Monitoring;
using Selftune.Core.Skills;
using Selftune.Core.Store;
using Selftune.Core.Team;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune evolve | watch | rollback | history</c>: improve a skill's description, prove it, deploy it,
/// watch it and undo it.</summary>
internal static class EvolutionCommands
{
    /// <summary>Creates the commands.</summary>
    public static IEnumerable<Command> Create(Func<App> app) => [Evolve(app), Baseline(app), Improve(app), Watch(app), Rollback(app), History(app)];

    private static Option<string?> TargetOption(string name, string description, params string[] more) => new Option<string?>(name) { Description = description }.OneOf(["description", "routing", "body", .. more]);

    private static Option<string?> ValidationOption() => new Option<string?>("--validation") { Description = "auto (replay when the agent's runner can, else judge), judge or replay (evolve.validation)." }.Like(ConfigKeys.EvolveValidation);

    private static Option<string> SkillOption() => new("--skill") { Description = "The skill's name.", Required = true };

    private static Command Evolve(Func<App> app)
    {
        var skill = SkillOption();
        var skillPath = new Option<string?>("--skill-path") { Description = "The skill's SKILL.md or folder (default: the installed skill of that name)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Propose and validate, but do not deploy." };
        var candidates = new Option<int?>("--candidates") { Description = "Candidate descriptions to propose, 1-10 (evolve.candidates, default 3)." }.Like(ConfigKeys.EvolveCandidates);
        var validation = ValidationOption();
        var target = TargetOption("--target", "What to rewrite: description (default; whether the skill fires), routing (the '## Workflow Routing' table) or body (everything below the '# Title'); routing and body pass structure, trigger, quality (evolve.quality_threshold) and optional review (evolve.review) gates.");
        var canary = new Option<bool>("--canary") { Description = "Deploy the winner first to the project skill folder of --canary-repos (default: the working directory), watched against the user scope; see selftune canary. Description target only." };
        var canaryRepos = new Option<string?>("--canary-repos") { Description = "Comma-separated repository folders for --canary." };
        var team = new Option<bool>("--team") { Description = "First build the skill's eval set from the pooled evidence of every machine in the team database (as `eval generate --team`), then evolve from it; the deploy is pushed with the next `team push`." };
        var command = new Command("evolve", "Propose a better description, routing table or body for a skill from its sessions, prove it on held-out real prompts, and deploy the winner.")
        {
            skill, skillPath, target, dryRun, candidates, validation, canary, canaryRepos, team,
        };
        var llm = LlmCommands.AddFlags(command);
        return command.Runs(app, async (a, p, ct) =>
        {
            llm.Apply(a, p);
            a.Flag(ConfigKeys.EvolveCandidates.Key, p.GetValue(candidates)?.ToString(CultureInfo.InvariantCulture));
            a.Flag(ConfigKeys.EvolveValidation.Key, p.GetValue(validation));
            var canaryTo = p.GetValue(canary) && !p.GetValue(dryRun)
                ? (p.GetValue(canaryRepos) ?? ".").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => Path.GetFullPath(a.Context.Expand(r), a.Context.WorkingDirectory)).ToList()
                : null;
            return await EvolveAsync(a, p.GetValue(skill)!, p.GetValue(skillPath), SkillSections.Parse(p.GetValue(target)), p.GetValue(dryRun), "evolve", ct, canaryTo, p.GetValue(team)).ConfigureAwait(false);
        });
    }

    private static async Task<int> EvolveAsync(App a, string name, string? skillPath, EvolveTarget target, bool dryRun, string command, CancellationToken ct, IReadOnlyList<string>? canaryRepos = null, bool team = false)
    {
        if (canaryRepos is not null && target != EvolveTarget.Description)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, "--canary deploys description proposals only.", ShellCommand.Line($"selftune evolve --skill {name:skill} --canary"));
        }

        using var store = a.OpenStore();
        var client = a.Get<ILlmClientFactory>().CreateRequired(
            LlmCommands.RunId(a, command),
            "Evolve",
            ShellCommand.Line($"selftune evolve --skill {name:skill} --llm offline"),
            "Or try the description loop without one (heuristic proposals, lexical validation) with --llm offline.");

        if (team)
        {
            var document = a.Get<InstalledSkills>().Find(name, skillPath, store);
            var options = new EvalGenerateOptions(name);
            var (pooled, _, _) = await a.Get<TeamService>().WithPooledEvidenceAsync(store, evidence => Task.FromResult(a.Get<EvalSetGenerator>().Generate(evidence, options, document)), ct).ConfigureAwait(false);
            a.Get<EvalSetStore>().Save(store, pooled.Set);
        }

        if (target == EvolveTarget.Description)
        {
            var result = await a.Get<SkillEvolver>().EvolveAsync(store, name, skillPath, dryRun || canaryRepos is not null, client, Progress(a), ct).ConfigureAwait(false);
            if (canaryRepos is not null && result.WinnerId is { } winner)
            {
                var started = a.Get<CanaryService>().Start(store, winner, canaryRepos, WatchOptions.From(a.Config));
                a.Output.Result(new EvolveCanaryResult(result, started), console =>
                {
                    Render(console, result);
                    console.MarkupLine($"[green]canary[/]: {Markup.Escape(winner)} written to {Markup.Escape(string.Join(", ", started.Paths))}; the user's SKILL.md is unchanged. next: [bold]{Markup.Escape(started.NextCommand ?? string.Empty)}[/]");
                });
                return 0;
            }

            a.Output.Result(result, console => Render(console, result));
            return 0;
        }

        var content = await a.Get<SkillEvolver>().EvolveContentAsync(store, name, skillPath, target, dryRun, client, Progress(a), ct).ConfigureAwait(false);
        a.Output.Result(content, console => Render(console, content));
        return 0;
    }

    private static Command Improve(Func<App> app)
    {
        var skill = SkillOption();
        var skillPath = new Option<string?>("--skill-path") { Description = "The skill's SKILL.md or folder (default: the installed skill of that name)." };
        var scope = TargetOption("--scope", "What to improve: description (default), routing or body, each running evolve with that target and its gates; or package, a bounded search over variants of all three together (each fingerprinted and evaluated once, accepted only when no metric regressed and one improved).", "package");
        var dryRun = new Option<bool>("--dry-run") { Description = "Propose and validate, but do not deploy." };
        var maxCandidates = new Option<int?>("--max-candidates") { Description = "--scope package: most variants the search considers (improve.max_candidates, default 5)." }.Like(ConfigKeys.ImproveMaxCandidates);
        var validation = ValidationOption();
        var command = new Command("improve", "Improve a skill: pick the evolve loop for the scope (description, routing table, body, or a package search over all three) and run it.") { skill, skillPath, scope, dryRun, maxCandidates, validation };
        var llm = LlmCommands.AddFlags(command);
        return command.Runs(app, async (a, p, ct) =>
        {
            llm.Apply(a, p);
            a.Flag(ConfigKeys.ImproveMaxCandidates.Key, p.GetValue(maxCandidates)?.ToString(CultureInfo.InvariantCulture));
            a.Flag(ConfigKeys.EvolveValidation.Key, p.GetValue(validation));
            return await EvolveAsync(a, p.GetValue(skill)!, p.GetValue(skillPath), SkillSections.Parse(p.GetValue(scope)), p.GetValue(dryRun), "improve", ct).ConfigureAwait(false);
        });
    }

    private static Command Baseline(Func<App> app)
    {
        var skill = SkillOption();
        var skillPath = new Option<string?>("--skill-path") { Description = "The skill's SKILL.md or folder (default: the installed skill of that name)." };
        var command = new Command("baseline", "Measure a skill's lift over no skill on its eval set (LLM judge) and store it; exit 1 when it adds no value (baseline.min_lift).") { skill, skillPath };
        var llm = LlmCommands.AddFlags(command);
        return command.Runs(app, async (a, p, ct) =>
        {
            llm.Apply(a, p);
            var name = p.GetValue(skill)!;
            using var store = a.OpenStore();
            var client = a.Get<ILlmClientFactory>().CreateRequired(LlmCommands.RunId(a, "baseline"), "A baseline");

            var result = await a.Get<BaselineService>().RunAsync(store, name, p.GetValue(skillPath), client, ct).ConfigureAwait(false);
            a.Output.Result(result, console =>
            {
                console.MarkupLine($"with the skill {result.WithSkillPassRate:0.00}, without {result.NoSkillPassRate:0.00} on {result.Entries} eval entries ({Markup.Escape(result.EvalSetId)}, {Markup.Escape(result.Method)})");
                console.MarkupLine($"{(result.AddsValue ? "[green]adds value[/]" : "[red]adds no value[/]")}: {Markup.Escape(result.Reason)}");
                if (result.NextCommand is { } next)
                {
                    console.MarkupLine($"next: [bold]{Markup.Escape(next)}[/]");
                }
            });
            return result.AddsValue ? 0 : 1;
        });
    }

    private static Command Watch(Func<App> app)
    {
        var skill = SkillOption();
        var autoRollback = new Option<bool>("--auto-rollback") { Description = "Roll the deploy back when it regressed." };
        var command = new Command("watch", "Compare a skill's live traffic since its last deploy with before it: stable, regressed or not enough data (exit 1 when regressed).") { skill, autoRollback };
        return command.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var options = WatchOptions.From(a.Config);
            var report = a.Get<WatchService>().Watch(store, p.GetValue(skill)!, options, p.GetValue(autoRollback));
            a.Output.Result(report, console => Render(console, report));
            return report.Verdict == WatchVerdict.Regressed ? 1 : 0;
        });
    }

    private static Command Rollback(Func<App> app)
    {
        var skill = SkillOption();
        var to = new Option<string?>("--to") { Description = $"Restore the version a proposal deployed (undoing every deploy after it), or '{SkillDeployer.Original}' for the file before the first deploy in effect. Default: undo the latest deploy." };
        var force = new Option<bool>("--force") { Description = "Roll back even when the SKILL.md was edited since selftune wrote it (the edit is backed up first)." };
        var command = new Command("rollback", "Restore a skill's SKILL.md to an earlier version, byte for byte, from the backups or the audit trail.") { skill, to, force };
        return command.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var result = a.Get<SkillDeployer>().Rollback(new AuditTrail(store), p.GetValue(skill)!, p.GetValue(to), "requested with selftune rollback", p.GetValue(force));
            a.Output.Result(result, console =>
                console.MarkupLine($"Restored [bold]{Markup.Escape(result.SkillPath)}[/] from the {Markup.Escape(result.Source.Replace('_', ' '))}, undoing {Markup.Escape(string.Join(", ", result.Undone))}. The replaced file is kept at {Markup.Escape(result.BackupOfCurrent)}."));
            return 0;
        });
    }

    private static Command History(Func<App> app)
    {
        var skill = SkillOption();
        var command = new Command("history", "List a skill's proposals, deploys, rollbacks and watches, with their evidence.") { skill };
        return command.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var history = SkillHistory.Load(store, p.GetValue(skill)!);
            a.Output.Result(history, console => Render(console, history));
            return 0;
        });
    }

    private static SyncProgress<string>? Progress(App a) => a.Output.CanShowProgress ? new SyncProgress<string>(line => a.Output.Error.MarkupLine($"[grey]{Markup.Escape(line)}[/]")) : null;

    private static void Render(IAnsiConsole console, EvolveResult r)
    {
        if (r.Heuristic)
        {
            console.MarkupLine("[yellow]heuristic mode (--llm offline): key-term proposals checked by a lexical matcher, not by a model or the agent.[/]");
        }

        if (r.ValidationMethod is not null)
        {
            console.MarkupLine($"validation: [bold]{Markup.Escape(r.ValidationMethod)}[/] ({Markup.Escape(r.ValidationNote ?? string.Empty)}) on {r.ValidationEntries} held-out entries; original pass rate {r.Original?.PassRate ?? 0:0.00}");
        }

        if (r.Candidates.Count > 0)
        {
            var table = new Table().AddColumns("proposal", "aim", "status", "pass rate", "why");
            foreach (var c in r.Candidates)
            {
                table.AddRow(Markup.Escape(c.ProposalId ?? "-"), Markup.Escape(c.Aim), Markup.Escape(c.Status),
                    c.Validation is { } v ? $"{v.Before:0.00} → {v.After:0.00}" : "-", Markup.Escape(c.Reason));
            }

            console.Write(table);
        }

        console.MarkupLine($"{(r.Deployed ? "[green]deployed[/]" : "[yellow]not deployed[/]")}: {Markup.Escape(r.Reason)}");
        console.MarkupLine($"LLM: {r.Spend.Calls} call(s), {r.Spend.InputTokens + r.Spend.OutputTokens} tokens, ${r.Spend.CostUsd.ToString("0.####", CultureInfo.InvariantCulture)}" +
            (r.Spend.ReplayRuns > 0 ? $"; replay: {r.Spend.ReplayRuns} agent run(s), ${r.Spend.ReplayCostUsd.ToString("0.####", CultureInfo.InvariantCulture)}" : string.Empty));
        if (r.NextCommand is { } next)
        {
            console.MarkupLine($"next: [bold]{Markup.Escape(next)}[/]");
        }
    }

    private static void Render(IAnsiConsole console, ContentEvolveResult r)
    {
        if (r.ValidationMethod is not null)
        {
            console.MarkupLine($"{Markup.Escape(r.Target)}: trigger gate [bold]{Markup.Escape(r.ValidationMethod)}[/] ({Markup.Escape(r.ValidationNote ?? string.Empty)}) on {r.ValidationEntries} held-out entries; original pass rate {r.OriginalTrigger?.PassRate ?? 0:0.00}, quality {r.OriginalQuality?.ToString("0.00", CultureInfo.InvariantCulture) ?? "-"} (threshold {r.QualityThreshold:0.00})");
        }

        var table = new Table().AddColumns("proposal", "status", "gate failed", "trigger", "quality", "why");
        foreach (var c in r.Candidates)
        {
            table.AddRow(Markup.Escape(c.ProposalId), Markup.Escape(c.Status), Markup.Escape(c.Gate ?? "-"),
                c.Trigger is { } t ? $"{t.Before:0.00} → {t.After:0.00}" : "-", c.Quality?.ToString("0.00", CultureInfo.InvariantCulture) ?? "-", Markup.Escape(c.Reason));
        }

        console.Write(table);
        console.MarkupLine($"{(r.Deployed ? "[green]deployed[/]" : "[yellow]not deployed[/]")}: {Markup.Escape(r.Reason)}");
        console.MarkupLine($"LLM: {r.Spend.Calls} call(s), {r.Spend.InputTokens + r.Spend.OutputTokens} tokens, ${r.Spend.CostUsd.ToString("0.####", CultureInfo.InvariantCulture)}");
        if (r.NextCommand is { } next)
        {
            console.MarkupLine($"next: [bold]{Markup.Escape(next)}[/]");
        }
    }

    private static void Render(IAnsiConsole console, WatchReport r)
    {
        var table = new Table().AddColumns("", "sessions", "trigger rate", "false-trigger rate", "tool error rate", "graded pass rate", "tokens/session", "turns/session", "duration/session", "tool errors/session");
        foreach (var (label, m) in new[] { ("before", r.Before), ("after", r.After) })
        {
            var e = m.Efficiency;
            table.AddRow(label, $"{m.Sessions}", Rate(m.TriggerRate, m.TriggeredTurns, m.WantedTurns), Rate(m.FalseTriggerRate, m.FalseTriggers, m.TriggeredTurns), Rate(m.ToolErrorRate, m.ToolErrors, m.ToolCalls),
                m.GradePassRate is { } g ? $"{g:0.00} ({m.GradedSessions} graded)" : "-",
                e is null ? "-" : $"{e.Tokens:0}", e is null ? "-" : $"{e.Turns:0.#}", e?.DurationMs is { } d ? TimeSpan.FromMilliseconds(d).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "-", e is null ? "-" : $"{e.ToolErrors:0.##}");
        }

        console.Write(table);
        var color = r.Verdict switch { WatchVerdict.Stable => "green", WatchVerdict.Regressed => "red", _ => "yellow" };
        console.MarkupLine($"[{color}]{Markup.Escape(r.Message)}[/]");
        if (r.RolledBack is { } rb)
        {
            console.MarkupLine($"Rolled back: restored {Markup.Escape(rb.SkillPath)} from the {Markup.Escape(rb.Source.Replace('_', ' '))}.");
        }
        else if (r.NextCommand is { } next)
        {
            console.MarkupLine($"next: [bold]{Markup.Escape(next)}[/]");
        }

        static string Rate(double? rate, int part, int whole) => rate is { } x ? $"{x:0.00} ({part}/{whole})" : "-";
    }

    private static void Render(IAnsiConsole console, SkillHistory h)
    {
        if (h.Proposals.Count == 0)
        {
            console.MarkupLine($"No proposals for [bold]{Markup.Escape(h.Skill)}[/] yet.");
            return;
        }

        var table = new Table().AddColumns("proposal", "created", "status", "aim", "evidence");
        foreach (var p in h.Proposals)
        {
            var last = p.Audit.LastOrDefault(e => e.Action is AuditActions.Validated or AuditActions.Rejected);
            table.AddRow(Markup.Escape(p.Proposal.ProposalId), p.Proposal.CreatedAt.ToString("u", CultureInfo.InvariantCulture),
                Markup.Escape(p.Proposal.Status + (p.Proposal.Heuristic ? " (heuristic)" : string.Empty)), Markup.Escape(p.Proposal.Aim), Markup.Escape(last?.Message ?? string.Empty));
        }

        console.Write(table);
        console.MarkupLine($"Deploys in effect: {Markup.Escape(h.ActiveDeploys.Count == 0 ? "none" : string.Join(", ", h.ActiveDeploys))}." +
            (h.EditedSinceLastWrite ? " [yellow]The SKILL.md was edited since selftune last wrote it.[/]" : string.Empty));
    }

    /// <summary>What <c>evolve --canary</c> prints: the evolve result (validated, not deployed) and the canary started.</summary>
    /// <param name="Evolve">The evolve result.</param>
    /// <param name="Canary">The canary.</param>
    private sealed record EvolveCanaryResult(EvolveResult Evolve, CanaryReport Canary);
}
