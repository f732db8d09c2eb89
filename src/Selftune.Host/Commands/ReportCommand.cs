using System.CommandLine;
using Selftune.Core.Analysis;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune report --session ID [--format md|html]</c>: one page about one session.</summary>
internal static class ReportCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var session = new Option<string>("--session") { Description = "The session's id (or a unique prefix of it), from `selftune sessions`.", Required = true };
        var format = new Option<string>("--format") { Description = "md (Markdown) or html (one self-contained page).", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "html");
        return new Command("report", "One page about a session to read or attach to a ticket: prompts, outcome and evidence, errors, skills, tokens and cost by model, sub-agents (Markdown or HTML on stdout; with --json inside {\"page\"}).")
        {
            session, format,
        }.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var page = SessionPage.Render(store, p.GetValue(session)!, p.GetValue(format) == "html");
            a.Output.Result(new { session = p.GetValue(session), format = p.GetValue(format), page }, console => console.Profile.Out.Writer.Write(page));
            return 0;
        });
    }
}
