using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Reports;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune contribute -o FILE</c>: an anonymised bundle of skill usage a user may share (<see cref="ContributionBundle"/>).</summary>
internal static class ContributeCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var output = new Option<string>("--output", "-o") { Description = "The bundle file to write (JSON; nothing is sent anywhere).", Required = true };
        var level = new Option<string>("--level") { Description = "conservative: counts and rates only; aggressive: also up to 50 prompts, redacted and generalised.", DefaultValueFactory = _ => "conservative" };
        level.AcceptOnlyFromAmong("conservative", "aggressive");
        var keep = new Option<bool>("--keep-skill-names") { Description = "Keep skill names as they are (default: hashed)." };
        return new Command("contribute", "Write an anonymised bundle of your skill usage (counts, rates; prompts only redacted and generalised) to share; nothing is sent.") { output, level, keep }
            .Runs(app, (a, p) =>
            {
                using var store = a.OpenStore();
                var path = Path.GetFullPath(p.GetValue(output)!, a.Context.WorkingDirectory);
                var chosen = p.GetValue(level) == "aggressive" ? ContributionLevel.Aggressive : ContributionLevel.Conservative;
                ContributionBundle.Write(store, path, chosen, p.GetValue(keep), DateTimeOffset.UtcNow);
                a.Output.Result(new { path, level = p.GetValue(level), skill_names = p.GetValue(keep) ? "kept" : "hashed", sent = false, next_command = ShellCommand.Line($"cat {path}") },
                    console => console.MarkupLine($"Wrote [bold]{Markup.Escape(path)}[/]. Read it before you share it; nothing was sent."));
                return 0;
            });
    }
}
