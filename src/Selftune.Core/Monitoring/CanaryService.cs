using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Core.Evolution;
using Selftune.Core.Store;

namespace Selftune.Core.Monitoring;

/// <summary>Where a canary stands.</summary>
internal enum CanaryStatus
{
    /// <summary>Deployed to the canary repositories; watched against the user scope.</summary>
    Watching,
    /// <summary>Deployed to the user scope; the canary copies removed.</summary>
    Promoted,
    /// <summary>Undone: the canary copies removed, the proposal rejected.</summary>
    Aborted,
}

/// <summary>A canary and its latest check.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="ProposalId">The proposal it carries (also the canary's id).</param>
/// <param name="Status">Where it stands.</param>
/// <param name="StartedAt">When it was deployed to the canary repositories (UTC).</param>
/// <param name="Repos">The canary repositories.</param>
/// <param name="Paths">The canary SKILL.md files.</param>
/// <param name="Verdict">Canary sessions against user-scope sessions since the start: stable (healthy), regressed, or
/// not enough data; null once decided.</param>
/// <param name="Canary">Measures over sessions in the canary repositories since the start.</param>
/// <param name="Control">Measures over the other sessions of the skill since the start (the user scope).</param>
/// <param name="Regressions">What is worse in the canary, one sentence each.</param>
/// <param name="Message">The state for a person.</param>
/// <param name="NextCommand">What to do next, when anything.</param>
internal sealed record CanaryReport(
    string Skill,
    string ProposalId,
    CanaryStatus Status,
    DateTimeOffset StartedAt,
    IReadOnlyList<string> Repos,
    IReadOnlyList<string> Paths,
    WatchVerdict? Verdict,
    WatchMeasures? Canary,
    WatchMeasures? Control,
    IReadOnlyList<string> Regressions,
    string Message,
    string? NextCommand);

/// <summary>
/// Canary deployment (<c>evolve --canary</c>): a validated proposal goes first to the project skill folder of chosen
/// repositories (through <see cref="SkillDeployer.DeployCanary"/>), and the skill's sessions in those repositories are
/// compared with its sessions elsewhere (the user scope, still on the old description) over the same period, with
/// watch's measures and thresholds (<see cref="WatchService.Regressions"/>). Healthy once both sides have
/// <c>watch.min_sessions</c> sessions and nothing regressed: promote deploys to the user's SKILL.md (backup, audit) and
/// removes the copies; a regression aborts (copies removed, proposal rejected). State in <c>canaries</c> (migration 0012).
/// Note: an agent that prefers the user's skill over a project one of the same name (Claude Code does) will not load
/// the canary copy; pick repositories whose agent reads project skills first.
/// </summary>
internal sealed class CanaryService(SkillDeployer deployer, IEnumerable<IInstaller> installers, TimeProvider time)
{
    /// <summary>Deploys <paramref name="proposalId"/> to the canary repositories.</summary>
    /// <param name="store">The store.</param>
    /// <param name="proposalId">A validated proposal.</param>
    /// <param name="repos">Repository folders (absolute).</param>
    /// <param name="options">Watch's thresholds (for the first check).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> for no repositories, a missing one, a
    /// skill that already has a canary, or what <see cref="SkillDeployer.DeployCanary"/> refuses.</exception>
    public CanaryReport Start(SelftuneStore store, string proposalId, IReadOnlyList<string> repos, WatchOptions options)
    {
        var trail = new AuditTrail(store);
        var proposal = trail.Proposal(proposalId) ?? throw new SelftuneException(ErrorCodes.NotFound, $"There is no proposal {ShellCommand.Quoted(proposalId)}.", "selftune proposals list");
        var missing = repos.FirstOrDefault(r => !Directory.Exists(r));
        if (repos.Count == 0 || missing is not null)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, missing is null ? "A canary needs at least one repository (--canary-repos)." : $"--canary-repos: '{missing}' is not a folder.", ShellCommand.Line($"selftune proposals approve {proposalId}"));
        }

        if (Load(store, proposal.SkillName).Any(c => c.Status == CanaryStatus.Watching))
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"{ShellCommand.Quoted(proposal.SkillName)} already has a canary being watched; promote or abort it first.", ShellCommand.Line($"selftune canary status --skill {proposal.SkillName:skill}"));
        }

        var folder = ProjectFolder(proposal.SkillPath);
        var paths = deployer.DeployCanary(trail, proposal, repos.Select(r => Path.Combine(r, folder, Path.GetFileName(Path.GetDirectoryName(proposal.SkillPath)!))).ToList());
        store.Execute(
            "INSERT INTO canaries (canary_id, skill_name, started_at, repos, paths, status) VALUES ($id, $s, $at, $r, $p, 'watching')",
            ("$id", proposalId), ("$s", proposal.SkillName), ("$at", time.GetUtcNow().ToUnixTimeMilliseconds()), ("$r", Json.StringArray(repos)), ("$p", Json.StringArray(paths)));
        return Check(store, Load(store, proposal.SkillName).First(c => c.Id == proposalId), options);
    }

    /// <summary>Every canary of <paramref name="skill"/> (all skills when null), newest first; those being watched are checked
    /// now (nothing is decided).</summary>
    public IReadOnlyList<CanaryReport> Status(SelftuneStore store, string? skill, WatchOptions options) =>
        Load(store, skill).Select(c => Check(store, c, options)).ToList();

    /// <summary>Checks every canary being watched and decides those with a verdict: healthy ones are promoted, regressed
    /// ones aborted (the run's watch phase).</summary>
    public IReadOnlyList<CanaryReport> Decide(SelftuneStore store, WatchOptions options) =>
        Load(store, null).Where(c => c.Status == CanaryStatus.Watching).Select(c => Check(store, c, options)).Select(r => r.Verdict switch
        {
            WatchVerdict.Stable => Promote(store, r.Skill, options, force: false),
            WatchVerdict.Regressed => Abort(store, r.Skill, options, "regressed: " + string.Join("; ", r.Regressions)),
            _ => r,
        }).ToList();

    /// <summary>Promotes the watched canary of <paramref name="skill"/>: deploys its proposal to the user's SKILL.md and removes the copies.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> without a watched canary; <see cref="ErrorCodes.InvalidArgument"/>
    /// when it regressed (without <paramref name="force"/>); what <see cref="SkillDeployer.Deploy"/> throws.</exception>
    public CanaryReport Promote(SelftuneStore store, string skill, WatchOptions options, bool force)
    {
        var canary = Watched(store, skill);
        var check = Check(store, canary, options);
        if (check.Verdict == WatchVerdict.Regressed && !force)
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"The canary of {ShellCommand.Quoted(skill)} regressed ({string.Join("; ", check.Regressions)}); promote it anyway with --force, or abort it.", ShellCommand.Line($"selftune canary abort --skill {skill:skill}"));
        }

        var trail = new AuditTrail(store);
        var proposal = trail.Proposal(canary.Id)!;
        deployer.Deploy(trail, proposal);
        deployer.RemoveCanary(trail, proposal, canary.Paths, "promoted to the user scope");
        Decided(store, canary, CanaryStatus.Promoted, check);
        return Check(store, Watched(store, skill, canary.Id), options);
    }

    /// <summary>Aborts the watched canary of <paramref name="skill"/>: removes the copies and rejects its proposal.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> without a watched canary.</exception>
    public CanaryReport Abort(SelftuneStore store, string skill, WatchOptions options, string reason)
    {
        var canary = Watched(store, skill);
        var check = Check(store, canary, options);
        var trail = new AuditTrail(store);
        var proposal = trail.Proposal(canary.Id)!;
        deployer.RemoveCanary(trail, proposal, canary.Paths, "aborted: " + reason);
        if (proposal.Status == AuditActions.Validated)
        {
            trail.Record(skill, proposal.ProposalId, AuditActions.Rejected, proposal.Heuristic, $"Canary aborted: {reason}.", check, time.GetUtcNow());
        }

        Decided(store, canary, CanaryStatus.Aborted, check);
        return Check(store, Watched(store, skill, canary.Id), options);
    }

    /// <summary>The project skill folder (relative, e.g. <c>.agents/skills</c>) matching the user skill's root: the one its
    /// root path ends with (<c>~/.claude/skills</c> → <c>.claude/skills</c>), else the first any plugin declares.</summary>
    private string ProjectFolder(string skillPath)
    {
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(skillPath)))!;
        var folders = installers.SelectMany(i => i.ProjectSkillFolders).ToList();
        return folders.FirstOrDefault(f => root.EndsWith(Path.DirectorySeparatorChar + f, StringComparison.Ordinal))
            ?? folders.FirstOrDefault()
            ?? throw new SelftuneException(ErrorCodes.InvalidArgument, "No loaded agent plugin declares a project skill folder, so there is nowhere to put a canary.", "selftune plugins");
    }

    private CanaryReport Check(SelftuneStore store, Row c, WatchOptions options)
    {
        if (c.Status != CanaryStatus.Watching)
        {
            var last = c.Evidence is { } e ? JsonSerializer.Deserialize<CanaryReport>(e, Json.Options) : null;
            return new CanaryReport(c.Skill, c.Id, c.Status, c.StartedAt, c.Repos, c.Paths, null, last?.Canary, last?.Control, last?.Regressions ?? [],
                $"{Json.Name(c.Status)}: {c.Status switch { CanaryStatus.Promoted => "deployed to the user scope", _ => "the canary copies were removed and the proposal rejected" }}.", null);
        }

        var since = c.StartedAt.ToUnixTimeMilliseconds();
        var roots = c.Repos.Select(r => Path.GetFullPath(r).TrimEnd(Path.DirectorySeparatorChar)).ToList();
        var (relevant, missed) = WatchService.Sessions(store, c.Skill);
        var sessions = relevant.Where(s => s.Started >= since).ToList();
        bool InCanary(string? cwd) => cwd is not null && roots.Any(r => cwd == r || cwd.StartsWith(r + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        var canary = WatchService.Measure(store, c.Skill, missed, sessions.Where(s => InCanary(s.Cwd)).TakeLast(options.WindowSessions).Select(s => s.Id).ToList());
        var control = WatchService.Measure(store, c.Skill, missed, sessions.Where(s => !InCanary(s.Cwd)).TakeLast(options.WindowSessions).Select(s => s.Id).ToList());
        WatchVerdict verdict;
        IReadOnlyList<string> regressions = [];
        string message;
        string? next;
        if (canary.Sessions < options.MinSessions || control.Sessions < options.MinSessions)
        {
            verdict = WatchVerdict.NotEnoughData;
            message = $"Watching: {canary.Sessions} canary session(s) and {control.Sessions} user-scope session(s) since the start; judged once both reach {options.MinSessions} (watch.min_sessions).";
            next = ShellCommand.Line($"selftune sync && selftune canary status --skill {c.Skill:skill}");
        }
        else
        {
            regressions = WatchService.Regressions(control, canary, options);
            verdict = regressions.Count > 0 ? WatchVerdict.Regressed : WatchVerdict.Stable;
            message = verdict == WatchVerdict.Regressed
                ? $"Regressed in the canary against the user scope: {string.Join("; ", regressions)}."
                : $"Healthy: no measure is worse in the canary ({canary.Sessions} sessions) than in the user scope ({control.Sessions}) beyond its threshold.";
            next = verdict == WatchVerdict.Regressed ? ShellCommand.Line($"selftune canary abort --skill {c.Skill:skill}") : ShellCommand.Line($"selftune canary promote --skill {c.Skill:skill}");
        }

        var report = new CanaryReport(c.Skill, c.Id, c.Status, c.StartedAt, c.Repos, c.Paths, verdict, canary, control, regressions, message, next);
        store.Execute("UPDATE canaries SET evidence = $e WHERE canary_id = $id", ("$e", JsonSerializer.Serialize(report, Json.Options)), ("$id", c.Id));
        return report;
    }

    private void Decided(SelftuneStore store, Row c, CanaryStatus status, CanaryReport check) => store.Execute(
        "UPDATE canaries SET status = $st, decided_at = $at, evidence = $e WHERE canary_id = $id",
        ("$st", Json.Name(status)), ("$at", time.GetUtcNow().ToUnixTimeMilliseconds()), ("$e", JsonSerializer.Serialize(check, Json.Options)), ("$id", c.Id));

    private static Row Watched(SelftuneStore store, string skill, string? id = null) =>
        Load(store, skill).FirstOrDefault(c => id is null ? c.Status == CanaryStatus.Watching : c.Id == id)
        ?? throw new SelftuneException(ErrorCodes.NotFound, $"{ShellCommand.Quoted(skill)} has no canary being watched.", ShellCommand.Line($"selftune evolve --skill {skill:skill} --canary"));

    private static List<Row> Load(SelftuneStore store, string? skill) => store.Query(
        "SELECT canary_id, skill_name, started_at, repos, paths, status, evidence FROM canaries WHERE $s IS NULL OR skill_name = $s ORDER BY started_at DESC, canary_id",
        r => new Row(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)), Json.ReadStringArray(r.GetString(3)), Json.ReadStringArray(r.GetString(4)),
            Enum.Parse<CanaryStatus>(r.GetString(5), ignoreCase: true), r.IsDBNull(6) ? null : r.GetString(6)),
        ("$s", skill));

    private sealed record Row(string Id, string Skill, DateTimeOffset StartedAt, IReadOnlyList<string> Repos, IReadOnlyList<string> Paths, CanaryStatus Status, string? Evidence);
}
