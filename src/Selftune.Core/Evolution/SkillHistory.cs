using System.Text.Json;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary>One proposal with its audit rows (each with its evidence).</summary>
/// <param name="Proposal">The proposal.</param>
/// <param name="Audit">Its audit rows, oldest first.</param>
internal sealed record ProposalHistory(Proposal Proposal, IReadOnlyList<AuditEntry> Audit);

/// <summary>One watch of a deploy.</summary>
/// <param name="ProposalId">The deploy watched.</param>
/// <param name="CheckedAt">When (UTC).</param>
/// <param name="Verdict"><c>stable</c>, <c>regressed</c> or <c>not_enough_data</c>.</param>
/// <param name="Report">The full report as stored.</param>
internal sealed record WatchCheck(string ProposalId, DateTimeOffset CheckedAt, string Verdict, JsonElement Report);

/// <summary>Everything selftune did to a skill's description: every write with its hashes and backup, every proposal
/// with its audit trail and evidence, every watch.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="SkillPath">The SKILL.md selftune last wrote (null when it never wrote one).</param>
/// <param name="CurrentSha256">Hash of that file now (null when it is missing).</param>
/// <param name="EditedSinceLastWrite">True when the file differs from what selftune last wrote (a person edited it).</param>
/// <param name="ActiveDeploys">Deploys in effect, oldest first (what <c>rollback</c> undoes).</param>
/// <param name="Writes">Every write (deploys and rollbacks), oldest first.</param>
/// <param name="Proposals">Every proposal, oldest first.</param>
/// <param name="Watches">Every watch, oldest first.</param>
internal sealed record SkillHistory(
    string Skill,
    string? SkillPath,
    string? CurrentSha256,
    bool EditedSinceLastWrite,
    IReadOnlyList<string> ActiveDeploys,
    IReadOnlyList<SkillVersion> Writes,
    IReadOnlyList<ProposalHistory> Proposals,
    IReadOnlyList<WatchCheck> Watches)
{
    /// <summary>Reads a skill's history from the store.</summary>
    public static SkillHistory Load(SelftuneStore store, string skill)
    {
        var trail = new AuditTrail(store);
        var writes = trail.Versions(skill);
        var path = writes.Count > 0 ? writes[^1].SkillPath : null;
        var current = path is not null && File.Exists(path) ? DescriptionEditor.Hash(File.ReadAllBytes(path)) : null;
        var audit = trail.Entries(skill).ToLookup(e => e.ProposalId ?? string.Empty, StringComparer.Ordinal);
        var watches = store.Query(
            "SELECT proposal_id, checked_at, verdict, evidence FROM watch_checks WHERE skill_name = $s ORDER BY id",
            r => new WatchCheck(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2), JsonDocument.Parse(r.GetString(3)).RootElement.Clone()),
            ("$s", skill));
        return new SkillHistory(
            skill,
            path,
            current,
            writes.Count > 0 && current != writes[^1].AfterSha256,
            SkillDeployer.ActiveDeploys(trail, skill).Select(v => v.ProposalId!).ToList(),
            writes,
            trail.Proposals(skill).Select(p => new ProposalHistory(p, audit[p.ProposalId].ToList())).ToList(),
            watches);
    }
}
