using System.Text.Json;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary>The audit actions: every state change of a skill's description is one row.</summary>
internal static class AuditActions
{
    /// <summary>A candidate description was proposed.</summary>
    public const string Created = "created";
    /// <summary>The candidate failed a static check or validation.</summary>
    public const string Rejected = "rejected";
    /// <summary>The candidate won on the held-out validation split.</summary>
    public const string Validated = "validated";
    /// <summary>The candidate was written into the SKILL.md.</summary>
    public const string Deployed = "deployed";
    /// <summary>Writing the SKILL.md failed; the original stayed in place.</summary>
    public const string DeployFailed = "deploy_failed";
    /// <summary>A deploy was undone (by a person or by watch).</summary>
    public const string RolledBack = "rolled_back";
    /// <summary>A step, not a state change: a validated proposal was copied into canary project skill folders.</summary>
    public const string CanaryDeployed = "canary_deployed";
    /// <summary>A step, not a state change: the canary copies were removed (promoted or aborted).</summary>
    public const string CanaryRemoved = "canary_removed";
}

/// <summary>One candidate description.</summary>
/// <param name="ProposalId">Id: <c>evo-&lt;skill&gt;-&lt;time&gt;-&lt;n&gt;</c>.</param>
/// <param name="RunId">The evolve invocation that made it.</param>
/// <param name="SkillName">The skill.</param>
/// <param name="SkillPath">The SKILL.md it is for.</param>
/// <param name="CreatedAt">When it was proposed (UTC).</param>
/// <param name="Heuristic">True when it was proposed and validated without an LLM (<c>--llm offline</c>).</param>
/// <param name="Aim">The failure cluster or invocation type it targets.</param>
/// <param name="OriginalDescription">The description it replaces.</param>
/// <param name="ProposedDescription">The new description.</param>
/// <param name="OriginalSha256">Hash of the SKILL.md bytes it was validated against.</param>
/// <param name="Rationale">Why the proposer thinks it helps.</param>
/// <param name="Status">Its latest state: one of <see cref="AuditActions"/> (never <see cref="AuditActions.DeployFailed"/>).</param>
/// <param name="Target">What it rewrites: <c>description</c>, <c>routing</c> or <c>body</c> (<see cref="Skills.EvolveTarget"/>);
/// <paramref name="OriginalDescription"/> and <paramref name="ProposedDescription"/> then hold that part's text.</param>
internal sealed record Proposal(
    string ProposalId,
    string RunId,
    string SkillName,
    string SkillPath,
    DateTimeOffset CreatedAt,
    bool Heuristic,
    string Aim,
    string OriginalDescription,
    string ProposedDescription,
    string OriginalSha256,
    string? Rationale,
    string Status,
    string Target = "description");

/// <summary>One audit row.</summary>
/// <param name="Id">Row id (increasing).</param>
/// <param name="SkillName">The skill.</param>
/// <param name="ProposalId">The proposal concerned, when there is one.</param>
/// <param name="Action">One of <see cref="AuditActions"/>.</param>
/// <param name="OccurredAt">When (UTC).</param>
/// <param name="Heuristic">True for rows of the no-LLM heuristic mode.</param>
/// <param name="Message">What happened, for a person.</param>
/// <param name="Evidence">The evidence as stored (JSON), when there is any.</param>
internal sealed record AuditEntry(long Id, string SkillName, string? ProposalId, string Action, DateTimeOffset OccurredAt, bool Heuristic, string Message, JsonElement? Evidence);

/// <summary>One write selftune made to a SKILL.md. The bytes themselves are read with <see cref="AuditTrail.VersionBytes"/>.</summary>
/// <param name="Id">Row id (increasing).</param>
/// <param name="SkillName">The skill.</param>
/// <param name="SkillPath">The SKILL.md written.</param>
/// <param name="ProposalId">The proposal deployed, or the deploy undone / restored to.</param>
/// <param name="Action"><see cref="AuditActions.Deployed"/> or <see cref="AuditActions.RolledBack"/>.</param>
/// <param name="OccurredAt">When (UTC).</param>
/// <param name="BeforeSha256">Hash of the file before the write.</param>
/// <param name="AfterSha256">Hash of the file after the write.</param>
/// <param name="BackupPath">The timestamped backup of the bytes before the write.</param>
internal sealed record SkillVersion(long Id, string SkillName, string SkillPath, string? ProposalId, string Action, DateTimeOffset OccurredAt, string BeforeSha256, string AfterSha256, string? BackupPath);

/// <summary>
/// The evolution tables of the store (migration 0005): proposals, the audit trail with its evidence, and every
/// version of a SKILL.md selftune wrote (exact bytes before and after, so any version can be restored even when the
/// backup files are gone).
/// </summary>
internal sealed class AuditTrail
{
    private readonly SelftuneStore _store;

    /// <summary>Creates the trail over <paramref name="store"/>.</summary>
    public AuditTrail(SelftuneStore store) => _store = store;

    /// <summary>The store the trail lives in.</summary>
    public SelftuneStore Store => _store;

    /// <summary>Stores a new proposal.</summary>
    public void Add(Proposal p) => _store.Execute(
        """
        INSERT INTO evolution_proposals (proposal_id, run_id, skill_name, skill_path, created_at, heuristic, aim, original_description, proposed_description, original_sha256, rationale, status, target)
        VALUES ($id, $run, $skill, $path, $at, $h, $aim, $orig, $prop, $sha, $why, $status, $target)
        """,
        ("$id", p.ProposalId), ("$run", p.RunId), ("$skill", p.SkillName), ("$path", p.SkillPath), ("$at", p.CreatedAt.ToUnixTimeMilliseconds()),
        ("$h", p.Heuristic ? 1 : 0), ("$aim", p.Aim), ("$orig", p.OriginalDescription), ("$prop", p.ProposedDescription), ("$sha", p.OriginalSha256),
        ("$why", p.Rationale), ("$status", p.Status), ("$target", p.Target));

    /// <summary>Appends an audit row and, for a proposal's state change, updates its status.</summary>
    /// <param name="skill">The skill.</param>
    /// <param name="proposalId">The proposal, when the row concerns one.</param>
    /// <param name="action">One of <see cref="AuditActions"/>.</param>
    /// <param name="heuristic">True in the no-LLM heuristic mode; the message is then prefixed <c>[heuristic]</c>.</param>
    /// <param name="message">What happened.</param>
    /// <param name="evidence">Serialized as JSON (<see cref="Json.Options"/>); null for none.</param>
    /// <param name="at">When.</param>
    public void Record(string skill, string? proposalId, string action, bool heuristic, string message, object? evidence, DateTimeOffset at)
    {
        using var tx = _store.BeginTransaction();
        _store.Execute("INSERT INTO evolution_audit (skill_name, proposal_id, action, occurred_at, heuristic, message, evidence) VALUES ($s, $p, $a, $at, $h, $m, $e)",
            ("$s", skill), ("$p", proposalId), ("$a", action), ("$at", at.ToUnixTimeMilliseconds()), ("$h", heuristic ? 1 : 0),
            ("$m", heuristic && !message.StartsWith("[heuristic]", StringComparison.Ordinal) ? "[heuristic] " + message : message),
            ("$e", evidence is null ? null : JsonSerializer.Serialize(evidence, Json.Options)));
        if (proposalId is not null && action is not (AuditActions.DeployFailed or AuditActions.CanaryDeployed or AuditActions.CanaryRemoved))
        {
            _store.Execute("UPDATE evolution_proposals SET status = $a WHERE proposal_id = $p", ("$a", action), ("$p", proposalId));
        }

        tx.Commit();
    }

    /// <summary>Records a write to a SKILL.md with its exact bytes.</summary>
    /// <returns>The version's id.</returns>
    public long AddVersion(string skill, string path, string? proposalId, string action, DateTimeOffset at, byte[] before, byte[] after, string? backupPath) =>
        (long)_store.Scalar(
            """
            INSERT INTO skill_versions (skill_name, skill_path, proposal_id, action, occurred_at, before_sha256, before_bytes, after_sha256, after_bytes, backup_path)
            VALUES ($s, $path, $p, $a, $at, $bsha, $b, $asha, $af, $bak) RETURNING id
            """,
            ("$s", skill), ("$path", path), ("$p", proposalId), ("$a", action), ("$at", at.ToUnixTimeMilliseconds()),
            ("$bsha", Skills.DescriptionEditor.Hash(before)), ("$b", before), ("$asha", Skills.DescriptionEditor.Hash(after)), ("$af", after), ("$bak", backupPath))!;

    /// <summary>Drops a validated proposal (<c>selftune proposals reject</c>, the dashboard): records it as rejected; the
    /// SKILL.md is not touched.</summary>
    /// <param name="proposal">The proposal.</param>
    /// <param name="reason">Why, recorded in the skill's history; null for none.</param>
    /// <param name="at">When.</param>
    /// <returns>The recorded message.</returns>
    /// <exception cref="SelftuneException">The proposal is not validated (nothing waits for a decision).</exception>
    public string Reject(Proposal proposal, string? reason, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        if (proposal.Status != AuditActions.Validated)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"Proposal {proposal.ProposalId} is '{proposal.Status}'; only a validated proposal waits for a decision.", "selftune proposals list");
        }

        var message = "Rejected by the user" + (reason is { Length: > 0 } why ? $": {why}" : ".");
        Record(proposal.SkillName, proposal.ProposalId, AuditActions.Rejected, proposal.Heuristic, message, null, at);
        return message;
    }

    /// <summary>A proposal by id, or null.</summary>
    public Proposal? Proposal(string proposalId) =>
        _store.Query($"{ProposalSelect} WHERE proposal_id = $id", ReadProposal, ("$id", proposalId)).FirstOrDefault();

    /// <summary>Every skill's proposals, newest first; only those in <paramref name="status"/> when given.</summary>
    /// <param name="status">One of <see cref="AuditActions"/>, or null for all.</param>
    public IReadOnlyList<Proposal> All(string? status) => status is null
        ? _store.Query($"{ProposalSelect} ORDER BY created_at DESC, proposal_id", ReadProposal)
        : _store.Query($"{ProposalSelect} WHERE status = $status ORDER BY created_at DESC, proposal_id", ReadProposal, ("$status", status));

    /// <summary>A skill's proposals, oldest first.</summary>
    public IReadOnlyList<Proposal> Proposals(string skill) =>
        _store.Query($"{ProposalSelect} WHERE skill_name = $s ORDER BY created_at, proposal_id", ReadProposal, ("$s", skill));

    /// <summary>A skill's audit rows, oldest first.</summary>
    public IReadOnlyList<AuditEntry> Entries(string skill) => _store.Query(
        "SELECT id, skill_name, proposal_id, action, occurred_at, heuristic, message, evidence FROM evolution_audit WHERE skill_name = $s ORDER BY id",
        r => new AuditEntry(
            r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
            r.GetInt64(5) == 1, r.GetString(6), r.IsDBNull(7) ? null : JsonDocument.Parse(r.GetString(7)).RootElement.Clone()),
        ("$s", skill));

    /// <summary>Every write selftune made to a skill's SKILL.md, oldest first.</summary>
    public IReadOnlyList<SkillVersion> Versions(string skill) => _store.Query(
        "SELECT id, skill_name, skill_path, proposal_id, action, occurred_at, before_sha256, after_sha256, backup_path FROM skill_versions WHERE skill_name = $s ORDER BY id",
        r => new SkillVersion(
            r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
            r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8)),
        ("$s", skill));

    /// <summary>The exact bytes of a version: the file before the write, or after it.</summary>
    public byte[] VersionBytes(long versionId, bool before) =>
        (byte[])_store.Scalar($"SELECT {(before ? "before_bytes" : "after_bytes")} FROM skill_versions WHERE id = $id", ("$id", versionId))!;

    /// <summary>When each skill was last deployed, by skill name (case-insensitive).</summary>
    public Dictionary<string, DateTimeOffset> LastDeploys() => _store.Query(
        "SELECT skill_name, MAX(occurred_at) FROM evolution_audit WHERE action = 'deployed' GROUP BY skill_name",
        r => (Skill: r.GetString(0), At: r.GetInt64(1)))
        .ToDictionary(x => x.Skill, x => DateTimeOffset.FromUnixTimeMilliseconds(x.At), StringComparer.OrdinalIgnoreCase);

    /// <summary>The skills with a deploy in effect that was made at or after <paramref name="since"/>, by name.</summary>
    public IReadOnlyList<string> DeployedSince(DateTimeOffset since) => _store.Query(
        "SELECT DISTINCT skill_name FROM evolution_proposals WHERE status = 'deployed' AND proposal_id IN (SELECT proposal_id FROM evolution_audit WHERE action = 'deployed' AND occurred_at >= $since) ORDER BY skill_name",
        r => r.GetString(0),
        ("$since", since.ToUnixTimeMilliseconds()));

    private const string ProposalSelect =
        "SELECT proposal_id, run_id, skill_name, skill_path, created_at, heuristic, aim, original_description, proposed_description, original_sha256, rationale, status, target FROM evolution_proposals";

    private static Proposal ReadProposal(StoreRow r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.GetInt64(5) == 1,
        r.GetString(6), r.GetString(7), r.GetString(8), r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10), r.GetString(11), r.GetString(12));
}
