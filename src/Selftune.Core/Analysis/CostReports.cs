using System.Globalization;
using Selftune.Core.Reports;
using Selftune.Core.Store;

namespace Selftune.Core.Analysis;

/// <summary>What <c>selftune cost</c> groups by.</summary>
internal enum CostGrouping
{
    /// <summary>Calendar day of each response in the report's time zone (ccusage <c>daily</c>).</summary>
    Day,
    /// <summary>ISO week (Monday first), keyed by its Monday's date.</summary>
    Week,
    /// <summary>Calendar month, <c>YYYY-MM</c> (ccusage <c>monthly</c>).</summary>
    Month,
    /// <summary>Working directory of the top-level session.</summary>
    Project,
    /// <summary>Model id as logged.</summary>
    Model,
    /// <summary>Skills that ran in the session (implicit or explicit use): a session's cost counts for each of its skills;
    /// <c>(no skill)</c> holds the sessions that used none.</summary>
    Skill,
    /// <summary>Agent platform.</summary>
    Platform,
    /// <summary>Top-level session, its sub-agents included (ccusage <c>session</c>); sessions with no usage are listed at zero.</summary>
    Session,
}

/// <summary>The filters of a cost report.</summary>
/// <param name="By">Grouping.</param>
/// <param name="Since">First day included (in <paramref name="TimeZone"/>), or null.</param>
/// <param name="Until">Last day included (in <paramref name="TimeZone"/>), or null.</param>
/// <param name="TimeZone">The zone days, weeks and months are cut in (ccusage: the system's, or <c>--timezone</c>).</param>
/// <param name="Project">Only sessions whose working directory contains this (case-insensitive).</param>
internal sealed record CostQuery(CostGrouping By, DateOnly? Since = null, DateOnly? Until = null, TimeZoneInfo? TimeZone = null, string? Project = null);

/// <summary>One row of a cost report.</summary>
/// <param name="Key">The group: a date, week, month, project, model, skill, platform or session id.</param>
/// <param name="Tokens">Tokens and cost in USD; <see cref="TokenTotals.UnpricedResponses"/> counts responses of models the
/// price table does not know (never guessed, not in the cost).</param>
/// <param name="Sessions">Top-level sessions with usage in the group.</param>
/// <param name="Models">Models used, sorted.</param>
/// <param name="CostByOutcome">Cost in USD by the outcome of the session it belongs to (<c>success</c>, …, <c>unknown</c>).</param>
internal sealed record CostRow(string Key, TokenTotals Tokens, int Sessions, IReadOnlyList<string> Models, IReadOnlyDictionary<string, decimal> CostByOutcome);

/// <summary>A cost report.</summary>
/// <param name="By">Grouping.</param>
/// <param name="TimeZone">The zone's id.</param>
/// <param name="Rows">Time groups oldest first; others by cost, highest first.</param>
/// <param name="Totals">All usage in range once (for <see cref="CostGrouping.Skill"/>, not the sum of the rows).</param>
internal sealed record CostReport(CostGrouping By, string TimeZone, IReadOnlyList<CostRow> Rows, CostRow Totals);

/// <summary>
/// Token and cost reports from <c>token_usage</c> (de-duplicated per response and priced at ingest with
/// <see cref="Pricing.PricingTable"/>, the way ccusage 20.0.24 does, so day, month and session totals equal its own).
/// </summary>
internal static class CostReports
{
    /// <summary>Label of the <see cref="CostGrouping.Skill"/> row of sessions that used no skill.</summary>
    public const string NoSkill = "(no skill)";

    /// <summary>Builds a report.</summary>
    public static CostReport Build(SelftuneStore store, CostQuery query)
    {
        var zone = query.TimeZone ?? TimeZoneInfo.Local;
        // Rows are classes, not value tuples or structs: generic code over a value type is compiled at run time (ReadyToRun
        // cannot precompile it across assemblies), which was a tenth of the command (bench/RESULTS.md).
        var sessions = store.Query(
            "SELECT session_id, parent_session_id, cwd, started_at FROM sessions",
            r => new SessionRow(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3)));
        var parents = new Dictionary<string, string?>(sessions.Count, StringComparer.Ordinal);
        var cwd = new Dictionary<string, string?>(sessions.Count, StringComparer.Ordinal);
        foreach (var s in sessions)
        {
            parents[s.Id] = s.Parent;
            cwd[s.Id] = s.Cwd;
        }

        var outcomes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var o in store.Query("SELECT session_id, outcome FROM session_outcomes", r => new[] { r.GetString(0), r.GetString(1) }))
        {
            outcomes[o[0]] = o[1];
        }

        Dictionary<string, List<string>>? skills = null;
        if (query.By == CostGrouping.Skill)
        {
            skills = new(StringComparer.Ordinal);
            foreach (var row in store.Query("SELECT DISTINCT session_id, skill_name FROM skill_invocations WHERE kind <> 'read'", r => new[] { r.GetString(0), r.GetString(1) }))
            {
                var (session, skill) = (row[0], row[1]);
                var root = SessionReports.Root(parents, session);
                var list = skills.TryGetValue(root, out var l) ? l : skills[root] = [];
                if (!list.Contains(skill, StringComparer.OrdinalIgnoreCase))
                {
                    list.Add(skill);
                }
            }
        }

        var groups = new Dictionary<string, Group>(StringComparer.Ordinal);
        var total = new Group();
        var days = new DayCutter(zone);
        foreach (var u in store.Query(
            "SELECT session_id, occurred_at, model, platform, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_usd FROM token_usage",
            r => new Usage(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.IsDBNull(8) ? null : r.GetDouble(8))))
        {
            var day = days.Day(u.At);
            if ((query.Since is { } since && day < since) || (query.Until is { } until && day > until))
            {
                continue;
            }

            var root = SessionReports.Root(parents, u.Session);
            var project = cwd.GetValueOrDefault(root);
            if (query.Project is not null && !(project?.Contains(query.Project, StringComparison.OrdinalIgnoreCase) ?? false))
            {
                continue;
            }

            var outcome = outcomes.GetValueOrDefault(root) ?? "unknown";
            total.Add(u, root, outcome);
            switch (query.By)
            {
                case CostGrouping.Skill:
                    foreach (var skill in skills!.GetValueOrDefault(root) ?? [NoSkill])
                    {
                        Get(groups, skill).Add(u, root, outcome);
                    }

                    break;
                default:
                    Get(groups, query.By switch
                    {
                        CostGrouping.Day => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                        CostGrouping.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                        CostGrouping.Month => day.ToString("yyyy-MM", CultureInfo.InvariantCulture),
                        CostGrouping.Project => project ?? "(unknown)",
                        CostGrouping.Model => u.Model,
                        CostGrouping.Platform => u.Platform,
                        _ => root,
                    }).Add(u, root, outcome);
                    break;
            }
        }

        if (query.By == CostGrouping.Session)
        {
            // Sessions with no usage are listed at zero, not dropped (in range by their start).
            foreach (var s in sessions.Where(s => s.Parent is null || !parents.ContainsKey(s.Parent)))
            {
                if (groups.ContainsKey(s.Id) || s.Started is not { } started)
                {
                    continue;
                }

                var day = days.Day(started);
                if ((query.Since is null || day >= query.Since) && (query.Until is null || day <= query.Until)
                    && (query.Project is null || (s.Cwd?.Contains(query.Project, StringComparison.OrdinalIgnoreCase) ?? false)))
                {
                    Get(groups, s.Id);
                }
            }
        }

        var rows = groups.Select(g => g.Value.Row(g.Key));
        rows = query.By is CostGrouping.Day or CostGrouping.Week or CostGrouping.Month
            ? rows.OrderBy(r => r.Key, StringComparer.Ordinal)
            : rows.OrderByDescending(r => r.Tokens.CostUsd).ThenBy(r => r.Key, StringComparer.Ordinal);
        return new CostReport(query.By, zone.Id, rows.ToList(), total.Row("total"));
    }

    private static Group Get(Dictionary<string, Group> groups, string key) =>
        groups.TryGetValue(key, out var g) ? g : groups[key] = new Group();

    private sealed record SessionRow(string Id, string? Parent, string? Cwd, long? Started);

    private sealed record Usage(string Session, long At, string Model, string Platform, long Input, long Output, long CacheWrite, long CacheRead, double? Cost);

    private sealed class Group
    {
        private readonly HashSet<string> _sessions = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _models = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, decimal> _byOutcome = new(StringComparer.Ordinal);
        private long _input, _output, _cacheWrite, _cacheRead;
        private decimal _cost;
        private int _unpriced;

        public void Add(Usage u, string root, string outcome)
        {
            _input += u.Input;
            _output += u.Output;
            _cacheWrite += u.CacheWrite;
            _cacheRead += u.CacheRead;
            if (u.Cost is { } cost)
            {
                _cost += (decimal)cost;
                _byOutcome[outcome] = _byOutcome.GetValueOrDefault(outcome) + (decimal)cost;
            }
            else if (u.Input + u.Output + u.CacheWrite + u.CacheRead > 0)
            {
                _unpriced++;
            }

            _sessions.Add(root);
            _models.Add(u.Model);
        }

        public CostRow Row(string key) =>
            new(key, new TokenTotals(_input, _output, _cacheWrite, _cacheRead, _cost, _unpriced), _sessions.Count, [.. _models], _byOutcome);
    }

    /// <summary>Local calendar days of Unix ms times in one zone, with the offset cached per UTC hour.</summary>
    private sealed class DayCutter(TimeZoneInfo zone)
    {
        private readonly Dictionary<long, TimeSpan> _offsets = [];

        public DateOnly Day(long ms)
        {
            var hour = Math.DivRem(ms, 3_600_000L, out var rest) - (rest < 0 ? 1 : 0);
            if (!_offsets.TryGetValue(hour, out var offset))
            {
                offset = _offsets[hour] = zone.GetUtcOffset(DateTimeOffset.FromUnixTimeMilliseconds(hour * 3_600_000L));
            }

            return DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime + offset);
        }
    }
}
