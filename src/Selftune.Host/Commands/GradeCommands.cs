using System.CommandLine;
using System.Globalization;
using Selftune.Core;
using Selftune.Core.Grading;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune grade --skill NAME [--session ID] [--expectations F]</c> and <c>selftune grade auto</c>.</summary>
internal static class GradeCommands
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var skill = new Option<string?>("--skill") { Description = "The skill whose use to grade (required unless a subcommand is given)." };
        var session = new Option<string?>("--session") { Description = "The session to grade; default: the newest session in which the skill triggered." };
        var expectations = new Option<string?>("--expectations") { Description = "A file of expectations: a JSON array of strings, {\"expectations\": [...]}, or one per line. Default: derived from the SKILL.md." };
        var skillPath = new Option<string?>("--skill-path") { Description = "The skill's folder or SKILL.md, when it is not installed where the agents look." };
        var grade = new Command("grade", "Grade a session's use of a skill: deterministic pre-gates (triggered? tools called? errors? completed?), then an LLM for the rest. Stored; shown in status.")
        {
            skill, session, expectations, skillPath,
        };
        var flags = LlmCommands.AddFlags(grade);
        grade.Runs(app, async (a, p, ct) =>
        {
            flags.Apply(a, p);
            var name = p.GetValue(skill) ?? throw new SelftuneException(ErrorCodes.InvalidArgument, "Say which skill to grade with --skill, or grade the newest sessions of every skill with 'selftune grade auto'.", "selftune grade auto", exitCode: 2);
            using var store = a.OpenStore();
            var sessionId = p.GetValue(session) ?? SessionGrader.LatestSession(store, name)
                ?? throw new SelftuneException(ErrorCodes.NotEnoughData, $"No session in the store shows {ShellCommand.Quoted(name)} triggering on a prompt you typed.", "selftune sync");
            var document = a.Get<InstalledSkills>().Find(name, p.GetValue(skillPath), store);
            var file = p.GetValue(expectations);
            var request = file is not null
                ? new GradeRequest(name, sessionId, SessionGrader.LoadExpectations(Path.GetFullPath(a.Context.Expand(file), a.Context.WorkingDirectory)), "file:" + file, document?.DescriptionOneLine)
                : new GradeRequest(name, sessionId, SessionGrader.DeriveExpectations(name, document), document is null ? "generic" : "skill_md", document?.DescriptionOneLine);
            var llm = a.Get<ILlmClientFactory>().Create(LlmCommands.RunId(a, "grade"));
            var result = await a.Get<SessionGrader>().GradeAsync(store, request, llm, ct).ConfigureAwait(false);
            a.Get<GradingStore>().Save(store, result);
            a.Output.Result(new { grading = result, llm = llm.Usage }, console => Render(console, result));
            return 0;
        });

        grade.Subcommands.Add(Auto(app));
        return grade;
    }

    private static Command Auto(Func<App> app)
    {
        var max = new Option<int>("--max") { Description = "Most sessions graded in this run (1-1000).", DefaultValueFactory = _ => 5 }.Between(1, 1000);
        var auto = new Command("auto", "Grade the most recent ungraded sessions of skills that have data, newest first, until --max or the LLM budget is reached (a session whose grading answer is unusable is skipped and reported).") { max };
        var flags = LlmCommands.AddFlags(auto);
        return auto.Runs(app, async (a, p, ct) =>
        {
            flags.Apply(a, p);
            using var store = a.OpenStore();
            var llm = a.Get<ILlmClientFactory>().Create(LlmCommands.RunId(a, "grade-auto"));
            var (candidates, graded, skipped, stopped) = await a.Get<AutoGrader>().GradeUngradedAsync(store, p.GetValue(max), llm, ct).ConfigureAwait(false);
            var summary = graded.Select(g => new { g.GradingId, g.SessionId, g.Skill, g.Summary.PassRate, g.Summary.Passed, g.Summary.Total, failures = g.FailureFeedback.Count }).ToList();
            a.Output.Result(new { candidates, graded = summary, skipped, stopped, llm = llm.Usage }, console =>
            {
                if (candidates == 0)
                {
                    console.MarkupLine("Every session with a skill trigger is graded already.");
                    return;
                }

                var table = new Table().AddColumns("session", "skill", "passed", "pass rate", "failures");
                foreach (var g in graded)
                {
                    table.AddRow(Markup.Escape(g.SessionId), Markup.Escape(g.Skill), $"{g.Summary.Passed}/{g.Summary.Total}", g.Summary.PassRate.ToString("P0", CultureInfo.InvariantCulture), $"{g.FailureFeedback.Count}");
                }

                console.Write(table);
                if (skipped.Count > 0)
                {
                    console.MarkupLine($"[yellow]skipped[/] {skipped.Count} session(s) whose grading failed; see --json for why.");
                }

                if (stopped is not null)
                {
                    console.MarkupLine($"[yellow]stopped[/] {Markup.Escape(stopped)}");
                }
            });
            return 0;
        });
    }

    private static void Render(IAnsiConsole console, GradingResult result)
    {
        console.MarkupLine($"Session [bold]{Markup.Escape(result.SessionId)}[/], skill [bold]{Markup.Escape(result.Skill)}[/]: {result.Summary.Passed}/{result.Summary.Total} passed (mean score {result.Summary.MeanScore.ToString("0.00", CultureInfo.InvariantCulture)}).");
        var table = new Table().AddColumns("", "expectation", "score", "evidence", "by");
        foreach (var e in result.Expectations)
        {
            table.AddRow(e.Passed ? "[green]pass[/]" : "[red]fail[/]", Markup.Escape(e.Text), e.Score.ToString("0.0", CultureInfo.InvariantCulture), Markup.Escape(e.Evidence), Markup.Escape(e.Source));
        }

        console.Write(table);
        foreach (var f in result.FailureFeedback)
        {
            console.MarkupLine($"[red]failed on[/] \"{Markup.Escape(f.Query)}\": {Markup.Escape(f.FailureReason)}{(f.ImprovementHint is { } h ? " — " + Markup.Escape(h) : string.Empty)}");
        }

        if (result.Overall is { } overall)
        {
            console.MarkupLine(Markup.Escape(overall));
        }
    }
}
