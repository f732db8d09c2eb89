using System.CommandLine;
using System.Globalization;
using Selftune.Core;
using Selftune.Core.Analysis;
using Selftune.Core.Configuration;
using Selftune.Core.Llm;
using Selftune.Core.Reports;
using Selftune.Core.Skills;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune status</c>, <c>selftune last</c> and <c>selftune sessions</c>: what happened, from the store.</summary>
internal static class StatusCommands
{
    /// <summary>Creates <c>status</c>.</summary>
    public static Command Status(Func<App> app) =>
        new Command("status", "Per skill: triggers, misses, SKILL.md reads without use, trend and health; prompts no skill served; data health.")
            .Runs(app, (a, _) => RunStatus(a));

    /// <summary>Creates <c>last</c>.</summary>
    public static Command Last(Func<App> app) =>
        new Command("last", "The latest session in brief: prompts, skills used, prompts no skill served, tools, errors, tokens and cost.")
            .Runs(app, (a, _) =>
            {
                using var store = a.OpenStore();
                var last = SessionReports.Last(store)
                    ?? throw new SelftuneException(ErrorCodes.NotEnoughData, "No session is stored yet.", "selftune sync");
                a.Output.Result(last, console => RenderLast(console, last));
                return 0;
            });

    /// <summary>Creates <c>sessions</c>.</summary>
    public static Command Sessions(Func<App> app)
    {
        var project = new Option<string?>("--project") { Description = "Only sessions whose working directory contains this text." };
        var since = new Option<string?>("--since") { Description = "Only sessions active on or after this date (YYYY-MM-DD or ISO-8601)." }.Date();
        var skill = new Option<string?>("--skill") { Description = "Only sessions that used this skill (triggered, explicit or read)." };
        var limit = new Option<int>("--limit") { Description = "At most this many sessions, newest first (at least 1).", DefaultValueFactory = _ => 20 }.Between(1);
        var sessions = new Command("sessions", "List sessions, newest first, with outcome, prompts, tool calls, errors, skills, tokens and cost (sub-agents included).") { project, since, skill, limit }
            .Runs(app, (a, p) =>
            {
                using var store = a.OpenStore();
                var filter = new SessionFilter(p.GetValue(project), OptionRules.ParseDate(p.GetValue(since)), p.GetValue(skill), p.GetValue(limit));
                var sessions = SessionReports.List(store, filter);
                a.Output.Result(new SessionList(sessions), console => RenderSessions(console, sessions));
                return 0;
            });
        sessions.Subcommands.Add(Classify(app));
        return sessions;
    }

    /// <summary>Creates <c>sessions classify [--llm [BACKEND]] [--model M]</c>.</summary>
    private static Command Classify(Func<App> app)
    {
        var classify = new Command("classify", "Decide every session's outcome again with the deterministic rules (sync does it for the sessions it reads); with --llm, then ask the LLM about the sessions the rules leave unknown, in batches: a cheap model first (outcomes.model, or --model), a stronger one (outcomes.escalation_model) for answers below 0.6 confidence, within the run budget (llm.max_calls, llm.max_tokens). Prints the count per outcome.");
        var flags = LlmCommands.AddFlags(classify);
        flags.Backend.Arity = ArgumentArity.ZeroOrOne;
        flags.Backend.Description = "Also ask the LLM about the sessions the rules leave unknown; optionally the backend for this run: agent, anthropic, openai-compatible or offline (rules only).";
        flags.Model.Description = "The first (cheap) model of the LLM pass (overrides outcomes.model).";
        return classify.Runs(app, async (a, p, ct) =>
        {
            flags.Apply(a, p);
            a.Flag(ConfigKeys.OutcomesModel.Key, p.GetValue(flags.Model));
            var withLlm = p.GetResult(flags.Backend) is not null && p.GetValue(flags.Backend) != LlmBackends.Offline;
            using var store = a.OpenStore();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var classified = OutcomeStore.ClassifyChanged(store, null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            var elapsed = clock.ElapsedMilliseconds;
            var llm = withLlm
                ? await OutcomeJudge.ClassifyUnknownAsync(store, a.Get<ILlmClientFactory>().Create(LlmCommands.RunId(a, "classify")), OutcomeJudgeOptions.From(a.Config), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ct).ConfigureAwait(false)
                : null;
            var counts = OutcomeStore.CountByOutcome(store);
            var next = (llm is null && counts.GetValueOrDefault("unknown") > 0) || llm is { BudgetExhausted: true } ? "selftune sessions classify --llm" : "selftune sessions";
            a.Output.Result(new { classified, outcomes = counts, elapsed_ms = elapsed, llm, next_command = next }, console =>
            {
                console.MarkupLine($"{classified} sessions classified in {elapsed} ms: {Markup.Escape(string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")))}");
                if (llm is not null)
                {
                    console.MarkupLine($"LLM pass: {llm.Decided} of {llm.Unknown} unknown session(s) decided ({llm.Asked} asked of {Markup.Escape(llm.Models[0] ?? "the default model")}, {llm.Escalated} escalated to {Markup.Escape(llm.Models[1] ?? "none")}), {llm.Usage.Calls} call(s), ${llm.Usage.CostUsd.ToString("0.####", CultureInfo.InvariantCulture)}.");
                    foreach (var note in llm.Notes)
                    {
                        console.MarkupLine($"[yellow]note[/] {Markup.Escape(note)}");
                    }
                }
            });
            return 0;
        });
    }

    /// <summary>Runs <c>status</c> (also what <c>selftune</c> alone does). The installed skills are found on another thread
    /// (<see cref="InstalledSkills"/>) while the store is read; the miss set is the store's snapshot when it is current
    /// (<see cref="StatusSnapshot"/>).</summary>
    public static int RunStatus(App a)
    {
        var now = DateTimeOffset.UtcNow;
        var installed = Task.Run(() => InstalledSkills(a));
        using var store = a.OpenStore();
        var report = StatusReporter.Build(store, () => installed.GetAwaiter().GetResult(), now);
        a.Output.ResultJson(StatusReportJson.Write(report), o => RenderStatus(o.Console, report));
        return 0;
    }

    /// <summary>The installed skills, under the skill roots the plugins named last time when nothing that decided them
    /// changed (<see cref="SkillRootsCache"/>: no plugin is loaded), else under the roots the plugins name now (loading
    /// them, without the service container), which are then remembered.</summary>
    internal static IReadOnlyList<InstalledSkill> InstalledSkills(App a)
    {
        var cache = new SkillRootsCache(a.Home.SkillRootsPath);
        return SkillCatalog.Discover(cache.Roots(a.Context, a.Installation) ?? cache.Refresh(a.Context, a.Installation, a.Installers()));
    }

    private static void RenderStatus(IAnsiConsole console, StatusReport report)
    {
        if (report.Skills.Count == 0)
        {
            console.MarkupLine("No skill has been seen in a session and none is installed.");
        }
        else
        {
            var table = new Table().AddColumns("skill", "health", "triggers", "explicit", "read, not used", "misses", "trigger rate", "trend", "last used", "graded (pass rate)", "session outcomes");
            foreach (var s in report.Skills)
            {
                table.AddRow(
                    Markup.Escape(s.Name),
                    Health(s.Health),
                    $"{s.Triggers}",
                    $"{s.Explicit}",
                    $"{s.ReadsNotInvoked}",
                    s.Misses > 0 ? $"[yellow]{s.Misses}[/]" : "0",
                    s.TriggerRate is { } r ? r.ToString("P0", CultureInfo.InvariantCulture) : "-",
                    Trend(s.Trend, s.Windows),
                    s.LastUsedAt is { } at ? at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "-",
                    s.Grades is { } g ? $"{g.Graded} ({g.RecentPassRate.ToString("P0", CultureInfo.InvariantCulture)})" : "-",
                    Outcomes(s.Outcomes));
            }

            console.Write(table);
            foreach (var s in report.Skills.Where(s => s.Baseline is { AddsValue: false }))
            {
                console.MarkupLine($"[bold]{Markup.Escape(s.Name)}[/]: [red]adds no value over no skill[/] (lift {s.Baseline!.Lift.ToString("+0.00;-0.00", CultureInfo.InvariantCulture)}, {s.Baseline.MeasuredAt:yyyy-MM-dd}); improve it: {Markup.Escape(ShellCommand.Line($"selftune evolve --skill {s.Name:skill} --target body") ?? "selftune evolve --target body")}");
            }

            foreach (var s in report.Skills.Where(s => s.Health is SkillHealth.Critical or SkillHealth.Warning))
            {
                console.MarkupLine($"[bold]{Markup.Escape(s.Name)}[/]: {Markup.Escape(s.HealthReason)}");
                foreach (var example in s.MissedExamples)
                {
                    console.MarkupLine($"  missed: [grey]{Markup.Escape(example.Text)}[/]");
                }
            }
        }

        console.MarkupLine($"[grey]{Markup.Escape(report.MissRule)} Windows of {report.WindowDays} days, oldest first.[/]");
        console.MarkupLine($"Prompts no skill served: [bold]{report.Unmatched.Count}[/]");
        foreach (var example in report.Unmatched.Examples)
        {
            console.MarkupLine($"  [grey]{example.OccurredAt:yyyy-MM-dd}[/] {Markup.Escape(example.Text)}");
        }

        var system = report.System;
        var sync = system.LastSync is { } last
            ? $"last sync {last.StartedAt:yyyy-MM-dd HH:mm} UTC ({last.ElapsedMs} ms, {last.SourcesRead} read, {last.SourcesFailed} failed, {last.Malformed} malformed lines)"
            : "never synced";
        console.MarkupLine($"Data: {system.Sessions} sessions, {system.ActionablePrompts} actionable prompts, {Markup.Escape(sync)}; store {Markup.Escape(system.StorePath)}");
        if (system.SkillProblems > 0)
        {
            console.MarkupLine($"[yellow]{system.SkillProblems} installed skill(s) have problems[/]");
        }

        if (report.NextCommand is { } next)
        {
            console.MarkupLine($"next: [bold]{Markup.Escape(next)}[/]");
        }
    }

    private static void RenderLast(IAnsiConsole console, LastSessionReport last)
    {
        var s = last.Session;
        console.MarkupLine($"[bold]{Markup.Escape(s.SessionId)}[/] ({Markup.Escape(s.Platform)}) in {Markup.Escape(s.Project ?? "?")}{(s.GitBranch is { } b ? $" on {Markup.Escape(b)}" : string.Empty)}");
        console.MarkupLine($"{s.StartedAt:yyyy-MM-dd HH:mm} → {s.EndedAt:HH:mm} UTC{(last.DurationSeconds is { } d ? $" ({TimeSpan.FromSeconds(d):hh\\:mm\\:ss})" : string.Empty)}, {Markup.Escape(s.Status)}, models {Markup.Escape(string.Join(", ", s.Models))}");
        console.MarkupLine($"{s.ActionablePrompts} prompts, {s.ToolCalls} tool calls ({s.ToolErrors} failed), {last.Errors} session errors, {s.Subagents} sub-agents");
        console.MarkupLine($"tokens {s.Tokens.Total:N0} (in {s.Tokens.Input:N0}, out {s.Tokens.Output:N0}, cache write {s.Tokens.CacheWrite:N0}, cache read {s.Tokens.CacheRead:N0}), cost ${s.Tokens.CostUsd:0.0000}");
        if (s.Outcome is { } o)
        {
            console.MarkupLine($"outcome: {OutcomeMarkup(o.Value)} ({o.Confidence:0.00}, {Json.Name(o.Method)}){(o.Commits is > 0 ? $", {o.Commits} commits" : string.Empty)}{(o.LinesAdded is { } added ? $", +{added}/-{o.LinesRemoved} lines" : string.Empty)}: {Markup.Escape(string.Join("; ", o.Evidence.Select(e => $"{e.Signal} {e.Detail}")))}");
        }

        console.MarkupLine("skills: " + (s.Skills.Count == 0 ? "none" : Markup.Escape(string.Join(", ", s.Skills.Select(k => $"{k.Name} ({k.Kind} ×{k.Count})")))));
        foreach (var c in s.Commits)
        {
            console.MarkupLine($"commit: {Markup.Escape(c.Sha)} {Markup.Escape(c.Command)}{(c.Branch is { } on ? $" on {Markup.Escape(on)}" : string.Empty)} {Markup.Escape(c.Title ?? string.Empty)}");
        }

        if (last.TopTools.Count > 0)
        {
            console.MarkupLine("tools: " + Markup.Escape(string.Join(", ", last.TopTools.Select(t => $"{t.Key} ×{t.Value}"))));
        }

        foreach (var p in last.UnmatchedPrompts)
        {
            console.MarkupLine($"  no skill: [grey]{Markup.Escape(p.Text)}[/]");
        }

        console.MarkupLine(Markup.Escape(last.Recommendation));
        if (last.NextCommand is { } next)
        {
            console.MarkupLine($"next: [bold]{Markup.Escape(next)}[/]");
        }
    }

    private static void RenderSessions(IAnsiConsole console, IReadOnlyList<SessionSummary> sessions)
    {
        if (sessions.Count == 0)
        {
            console.MarkupLine("No session matches.");
            return;
        }

        var table = new Table().AddColumns("ended", "session", "project", "outcome", "prompts", "tools", "errors", "lines +/-", "commits", "skills", "tokens", "cost");
        foreach (var s in sessions)
        {
            table.AddRow(
                s.EndedAt is { } e ? e.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-",
                Markup.Escape(s.SessionId.Length > 13 ? s.SessionId[..13] : s.SessionId),
                Markup.Escape(Path.GetFileName(s.Project?.TrimEnd('/')) ?? "-"),
                s.Outcome is { } o ? OutcomeMarkup(o.Value) : "-",
                $"{s.ActionablePrompts}",
                $"{s.ToolCalls}",
                s.ToolErrors > 0 ? $"[yellow]{s.ToolErrors}[/]" : "0",
                s.Outcome?.LinesAdded is { } added ? $"+{added}/-{s.Outcome.LinesRemoved}" : "-",
                s.Outcome?.Commits is { } commits ? $"{commits}" : "-",
                Markup.Escape(string.Join(", ", s.Skills.Select(k => k.Name).Distinct())),
                s.Tokens.Total.ToString("N0", CultureInfo.InvariantCulture),
                $"${s.Tokens.CostUsd:0.00}");
        }

        console.Write(table);
    }

    /// <summary>The outcomes of a skill's sessions, e.g. <c>3 success, 1 failed</c> (non-zero counts only).</summary>
    private static string Outcomes(SkillOutcomes? o)
    {
        if (o is null)
        {
            return "-";
        }

        var parts = new List<string>();
        void Add(int count, Outcome outcome)
        {
            if (count > 0)
            {
                parts.Add($"{count} {OutcomeMarkup(outcome)}");
            }
        }

        Add(o.Success, Outcome.Success);
        Add(o.Partial, Outcome.Partial);
        Add(o.Blocked, Outcome.Blocked);
        Add(o.Failed, Outcome.Failed);
        Add(o.Unknown, Outcome.Unknown);
        return string.Join(", ", parts);
    }

    /// <summary>An outcome, coloured for a terminal.</summary>
    internal static string OutcomeMarkup(Outcome outcome) => outcome switch
    {
        Outcome.Success => "[green]success[/]",
        Outcome.Partial => "[yellow]partial[/]",
        Outcome.Blocked => "[yellow]blocked[/]",
        Outcome.Failed => "[red]failed[/]",
        _ => "[grey]unknown[/]",
    };

    private static string Health(SkillHealth health) => health switch
    {
        SkillHealth.Critical => "[red]critical[/]",
        SkillHealth.Warning => "[yellow]warning[/]",
        SkillHealth.Healthy => "[green]healthy[/]",
        SkillHealth.InsufficientData => "[grey]insufficient data[/]",
        _ => "[grey]unused[/]",
    };

    private static string Trend(string trend, IReadOnlyList<SkillWindow> windows)
    {
        var arrow = trend switch { "up" => "↑", "down" => "↓", "stable" => "→", _ => "?" };
        return arrow + " " + string.Join(" ", windows.Select(w => w.Triggers + w.Explicit));
    }
}
