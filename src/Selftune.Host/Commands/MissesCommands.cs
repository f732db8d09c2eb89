using System.CommandLine;
using System.Globalization;
using Selftune.Core;
using Selftune.Core.Eval;
using Selftune.Core.Llm;
using Selftune.Core.Misses;
using Selftune.Core.Skills;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune misses [--skill S] [--since DATE] [--llm …]</c> and <c>selftune misses confirm|reject ID</c>: discover the
/// misses nobody names, list every miss by kind, and settle discovered ones.</summary>
internal static class MissesCommands
{
    /// <summary>Creates the command group.</summary>
    public static Command Create(Func<App> app)
    {
        var skill = new Option<string?>("--skill") { Description = "Only this skill's misses." };
        var since = new Option<string?>("--since") { Description = "Only prompts sent on or after this date (YYYY-MM-DD or ISO-8601)." }.Date();
        var limit = new Option<int>("--limit") { Description = "Most misses listed per skill.", DefaultValueFactory = _ => 20 };
        var command = new Command("misses", "Find the prompts skills missed: discover unnamed misses (BM25 shortlist, then the LLM in batches; --llm offline ranks lexically alone, low confidence), then list every miss by kind (named, read_not_invoked, discovered, confirmed).")
        {
            skill, since, limit,
        };
        var flags = LlmCommands.AddFlags(command);
        command.Subcommands.Add(Decide(app, confirm: true));
        command.Subcommands.Add(Decide(app, confirm: false));
        return command.Runs(app, async (a, p, ct) =>
        {
            flags.Apply(a, p);
            var only = p.GetValue(skill);
            var from = OptionRules.ParseDate(p.GetValue(since));
            var max = p.GetValue(limit);
            if (max < 1)
            {
                throw new SelftuneException(ErrorCodes.InvalidArgument, $"--limit must be at least 1 (it was {max}).", "selftune misses --limit 20", exitCode: 2);
            }

            using var store = a.OpenStore();
            var installed = a.Get<InstalledSkills>().All();
            var factory = a.Get<ILlmClientFactory>();
            var llm = factory.IsAvailable(out _) ? factory.Create(LlmCommands.RunId(a, "misses")) : null;
            var index = TriggerIndex.Load(store);
            var report = await a.Get<MissDiscovery>().DiscoverAsync(store, index, installed, new DiscoveryOptions(only, from, llm is null ? "misses" : LlmCommands.RunId(a, "misses")), llm, ct).ConfigureAwait(false);
            var all = MissFinder.Find(store, index, installed.Where(s => s.ShadowedBy is null).Select(s => s.Name), from);
            var skills = all.All.GroupBy(m => m.Skill)
                .Where(g => only is null || SkillNames.Same(g.Key, only))
                .Select(g => new
                {
                    skill = g.Key,
                    total = g.Count(),
                    evidence = g.Count(m => m.IsEvidence),
                    by_kind = g.GroupBy(m => m.Kind).OrderBy(k => k.Key).ToDictionary(k => Json.Name(k.Key), k => k.Count()),
                    misses = g.Take(max).ToList(),
                })
                .OrderByDescending(s => s.evidence).ThenBy(s => s.skill, StringComparer.Ordinal)
                .ToList();
            var next = report.Mode == "offline" && report.Counts.Found > 0 ? "selftune misses confirm <ID>" : skills.Count > 0 ? "selftune run --dry-run" : null;
            a.Output.Result(new { discovery = report, skills, next_command = next }, console =>
            {
                var c = report.Counts;
                console.MarkupLine($"Discovery ({report.Mode}): {c.Found} miss(es) among {c.UnhandledPrompts} prompts no skill handled ({c.Shortlisted} with a plausible skill); {c.LlmCalls} LLM call(s), {c.Cached} from the cache; {report.ElapsedMs} ms.");
                foreach (var note in report.Notes)
                {
                    console.MarkupLine($"[yellow]note[/] {Markup.Escape(note)}");
                }

                foreach (var s in skills)
                {
                    console.MarkupLine($"[bold]{Markup.Escape(s.skill)}[/]: {s.total} miss(es), {s.evidence} evidence ({Markup.Escape(string.Join(", ", s.by_kind.Select(k => $"{k.Value} {k.Key}")))})");
                    foreach (var m in s.misses)
                    {
                        var text = m.Text.ReplaceLineEndings(" ");
                        console.MarkupLine($"  {m.Id} {Json.Name(m.Kind)} {m.Confidence.ToString("0.0", CultureInfo.InvariantCulture)} [grey]{Markup.Escape(text.Length > 100 ? text[..97] + "..." : text)}[/]");
                    }
                }
            });
            return 0;
        });
    }

    private static Command Decide(Func<App> app, bool confirm)
    {
        var id = new Argument<string>("id") { Description = "The miss id (m-…, from selftune misses)." };
        var command = new Command(confirm ? "confirm" : "reject", confirm
            ? "Confirm a discovered miss: it becomes evidence (an eval-set positive) for its skill."
            : "Reject a miss: the skill should not have triggered for that prompt; it becomes a known negative of the skill's eval set.")
        {
            id,
        };
        return command.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var miss = MissReview.Decide(store, p.GetValue(id)!, confirm, a.Get<TimeProvider>().GetUtcNow());
            var status = confirm ? "confirmed" : "rejected";
            a.Output.Result(new { miss, status, next_command = ShellCommand.Line($"selftune eval generate --skill {miss.Skill:skill}") }, console =>
                console.MarkupLine($"Miss {Markup.Escape(miss.Id)} of [bold]{Markup.Escape(miss.Skill)}[/] {status}: [grey]{Markup.Escape(miss.Text.Length > 100 ? miss.Text[..97] + "..." : miss.Text)}[/]"));
            return 0;
        });
    }
}
