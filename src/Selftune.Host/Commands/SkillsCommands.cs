using System.CommandLine;
using Selftune.Core.Skills;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune skills interplay</c>: skills used in the same sessions, and recurring skill sequences (<see cref="SkillInterplay"/>).</summary>
internal static class SkillsCommands
{
    /// <summary>Creates <c>skills</c> with its <c>interplay</c> subcommand.</summary>
    public static Command Create(Func<App> app)
    {
        var minSessions = new Option<int>("--min-sessions") { Description = "Leave out pairs used together in fewer sessions (at least 1).", DefaultValueFactory = _ => 2 }.Between(1);
        var since = new Option<string?>("--since") { Description = "Only sessions active on or after this date (YYYY-MM-DD or ISO-8601)." }.Date();
        var interplay = new Command("interplay", "Skills used in the same sessions: failed sessions (by outcome, else by tool errors) together vs alone, conflict and synergy scores with their counts; recurring skill sequences proposed as workflows.") { minSessions, since }
            .Runs(app, (a, p) =>
            {
                using var store = a.OpenStore();
                var report = SkillInterplay.Analyze(store, p.GetValue(minSessions), since: OptionRules.ParseDate(p.GetValue(since)));
                a.Output.Result(report, console =>
                {
                    console.MarkupLine($"{report.Sessions} sessions used skills ({report.SessionsByOutcome} judged by their outcome, {report.SessionsByToolErrors} by their tool errors); {Markup.Escape(report.Outcome)}.");
                    var table = new Table().AddColumns("skills", "together", "failed", "alone", "failed", "conflict", "synergy", "verdict");
                    foreach (var pair in report.Pairs)
                    {
                        table.AddRow(Markup.Escape($"{pair.SkillA} + {pair.SkillB}"), $"{pair.SessionsTogether}", $"{pair.FailedTogether}",
                            $"{pair.SessionsAAlone + pair.SessionsBAlone}", $"{pair.FailedAAlone + pair.FailedBAlone}", $"{pair.Conflict:0.00}", $"{pair.Synergy:0.00}", pair.Verdict);
                    }

                    console.Write(table);
                    foreach (var workflow in report.Workflows)
                    {
                        console.MarkupLine($"workflow [bold]{workflow.Id}[/]: {Markup.Escape(string.Join(" → ", workflow.Skills))} in {workflow.Sessions} sessions");
                    }
                });
                return 0;
            });
        return new Command("skills", "Skills across sessions.") { interplay };
    }
}
