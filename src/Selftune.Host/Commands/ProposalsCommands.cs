using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Evolution;
using Selftune.Core.Skills;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune proposals list|approve|reject</c>: the validated proposals waiting for a person (from
/// <c>selftune run --review-required</c> or <c>selftune evolve --dry-run</c>).</summary>
internal static class ProposalsCommands
{
    /// <summary>Creates the command group.</summary>
    public static Command Create(Func<App> app)
    {
        var skill = new Option<string?>("--skill") { Description = "Only this skill's proposals." };
        var all = new Option<bool>("--all") { Description = "Every proposal, whatever its status (default: only validated ones waiting for approval)." };
        var list = new Command("list", "List proposals waiting for approval: the skill, the new description, the evidence, and whether the SKILL.md changed since.") { skill, all }.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var trail = new AuditTrail(store);
            var proposals = trail.All(p.GetValue(all) ? null : AuditActions.Validated)
                .Where(x => p.GetValue(skill) is not { } only || string.Equals(x.SkillName, only, StringComparison.OrdinalIgnoreCase))
                .Select(x => View(trail, x))
                .ToList();
            var next = proposals.FirstOrDefault(x => x.Status == AuditActions.Validated && !x.Stale) is { } first ? ShellCommand.Line($"selftune proposals approve {first.ProposalId}") : null;
            a.Output.Result(new { proposals, next_command = next }, console =>
            {
                if (proposals.Count == 0)
                {
                    console.MarkupLine("No proposals wait for approval. [bold]selftune run --review-required[/] makes some.");
                    return;
                }

                foreach (var x in proposals)
                {
                    console.MarkupLine($"[bold]{Markup.Escape(x.ProposalId)}[/] {Markup.Escape(x.Skill)} ({Markup.Escape(x.Status)}{(x.Stale ? ", [yellow]stale: the SKILL.md changed since[/]" : string.Empty)})");
                    console.MarkupLine($"  now:      {Markup.Escape(x.OriginalDescription)}");
                    console.MarkupLine($"  proposed: {Markup.Escape(x.ProposedDescription)}");
                    if (x.Evidence is { } evidence)
                    {
                        console.MarkupLine($"  [grey]{Markup.Escape(evidence)}[/]");
                    }
                }
            });
            return 0;
        });

        var id = new Argument<string>("proposal-id") { Description = "The proposal's id (from `selftune proposals list`)." };
        var force = new Option<bool>("--force") { Description = "Write the SKILL.md even when it is read-only (its mode is kept)." };
        var approve = new Command("approve", "Deploy a validated proposal: back up the SKILL.md, then rewrite only its description (refused when the file changed since validation).") { id, force }.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var trail = new AuditTrail(store);
            var proposal = Find(trail, p.GetValue(id)!);
            var deploy = a.Get<SkillDeployer>().Deploy(trail, proposal, p.GetValue(force));
            a.Output.Result(new { deploy, next_command = ShellCommand.Line($"selftune watch --skill {proposal.SkillName:skill}") }, console =>
                console.MarkupLine($"Deployed [bold]{Markup.Escape(proposal.ProposalId)}[/] to {Markup.Escape(deploy.SkillPath)} (backup {Markup.Escape(deploy.BackupPath)}). Later runs watch it" + (ShellCommand.Line($"selftune rollback --skill {proposal.SkillName:skill}") is { } undo ? $"; undo with [bold]{Markup.Escape(undo)}[/]." : ".")));
            return 0;
        });

        var reason = new Option<string?>("--reason") { Description = "Why, recorded in the skill's history." };
        var reject = new Command("reject", "Drop a validated proposal (recorded in the skill's history; the SKILL.md is not touched).") { id, reason }.Runs(app, (a, p) =>
        {
            using var store = a.OpenStore();
            var trail = new AuditTrail(store);
            var proposal = Find(trail, p.GetValue(id)!);
            var message = trail.Reject(proposal, p.GetValue(reason), DateTimeOffset.UtcNow);
            a.Output.Result(new { proposal_id = proposal.ProposalId, skill = proposal.SkillName, status = AuditActions.Rejected, message }, console =>
                console.MarkupLine($"Rejected [bold]{Markup.Escape(proposal.ProposalId)}[/]; {Markup.Escape(proposal.SkillPath)} was not touched."));
            return 0;
        });

        return new Command("proposals", "Review proposals that were validated but not deployed (selftune run --review-required): list, approve (deploy) or reject them.")
        {
            list, approve, reject,
        };
    }

    /// <summary>A proposal by id (also the dashboard's approve and reject).</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when there is none.</exception>
    internal static Proposal Find(AuditTrail trail, string proposalId) =>
        trail.Proposal(proposalId) ?? throw new SelftuneException(ErrorCodes.NotFound, $"There is no proposal {ShellCommand.Quoted(proposalId)}.", "selftune proposals list");

    /// <summary>A proposal as listed: stale when the SKILL.md no longer holds the bytes it was validated against.</summary>
    private static ProposalView View(AuditTrail trail, Proposal p)
    {
        var stale = !File.Exists(p.SkillPath) || DescriptionEditor.Hash(File.ReadAllBytes(p.SkillPath)) != p.OriginalSha256;
        var evidence = trail.Entries(p.SkillName).LastOrDefault(e => e.ProposalId == p.ProposalId && e.Action is AuditActions.Validated or AuditActions.Rejected)?.Message;
        return new ProposalView(p.ProposalId, p.SkillName, p.SkillPath, p.Status, p.CreatedAt, p.Heuristic, p.Aim, p.OriginalDescription, p.ProposedDescription, evidence, stale);
    }

    private sealed record ProposalView(string ProposalId, string Skill, string SkillPath, string Status, DateTimeOffset CreatedAt, bool Heuristic, string Aim, string OriginalDescription, string ProposedDescription, string? Evidence, bool Stale);
}
