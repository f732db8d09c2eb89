using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Selftune.Core;
using Selftune.Core.Analysis;
using Selftune.Core.Evolution;
using Selftune.Core.Loop;
using Selftune.Core.Misses;
using Selftune.Core.Reports;
using Selftune.Core.Skills;
using Selftune.Core.Store;
using Selftune.Core.Team;
using Selftune.Host.Cli;
using Selftune.Host.Commands;

namespace Selftune.Host.Dashboard;

/// <summary>
/// The dashboard's answers, as JSON: composed from the Core reports the CLI's <c>--json</c> prints (status, sessions,
/// runs, skill history, misses, doctor), never from SQL of its own. Each answer is cached until the store changes
/// (<see cref="StoreWatcher.Version"/>), so a page load costs a dictionary look-up; the status report is built once per
/// store version and shared by the overview, the skill pages and the badges (one number per fact).
/// </summary>
internal sealed class DashboardData(App app, StoreWatcher watcher)
{
    private readonly ConcurrentDictionary<string, (long Version, byte[] Json)> _cache = new(StringComparer.Ordinal);
    private readonly Lock _statusGate = new();
    private (long Version, StatusReport? Report, string? Json)? _status;

    /// <summary>Computes the answers every page load asks for (overview, runs, health) for the store's current version.</summary>
    public void Warm()
    {
        Overview();
        Runs();
        Health();
    }

    /// <summary>The store file.</summary>
    public string StorePath => app.Home.DatabasePath;

    /// <summary>The overview: skills grouped by health with their status records, store totals, recent runs.</summary>
    /// <exception cref="SelftuneException">The store is damaged, too new or busy (doctor's words).</exception>
    public byte[] Overview() => Cached("overview", store =>
    {
        var (report, statusJson) = Status(store);
        return Json.Write(w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("empty", store is null || report!.System.Sessions == 0);
            w.WriteStartArray("first_steps");
            if (store is null || report!.System.Sessions == 0)
            {
                w.WriteStringValue("selftune init");
                w.WriteStringValue("selftune sync");
            }

            w.WriteEndArray();
            if (store is not null)
            {
                w.WritePropertyName("totals");
                JsonSerializer.Serialize(w, DashboardReports.Totals(store, report!.System), Json.Options);
                w.WriteStartObject("groups");
                foreach (var group in Enum.GetValues<HealthGroup>())
                {
                    w.WriteStrings(Json.Name(group), report!.Skills.Where(s => DashboardReports.Group(s) == group).Select(s => s.Name));
                }

                w.WriteEndObject();
                w.WritePropertyName("status");
                w.WriteRawValue(statusJson!);
                w.WritePropertyName("runs");
                JsonSerializer.Serialize(w, RunHistory.List(store, 5), Json.Options);
                w.WriteNumber("pending_proposals", new AuditTrail(store).All(AuditActions.Validated).Count);
            }

            w.WriteEndObject();
        });
    });

    /// <summary>One skill: its status record (as in <c>status</c>), group, current description, every miss with its
    /// prompt, its history (proposals with their audit and evidence, deploys, watches, rollbacks) and recent sessions.</summary>
    /// <param name="name">A valid skill name (<see cref="CheckSkillName"/>).</param>
    /// <returns>The JSON, or null when the skill is neither installed nor seen.</returns>
    public byte[]? Skill(string name)
    {
        var json = Cached("skill:" + name, store =>
        {
            if (store is null)
            {
                return string.Empty;
            }

            var (report, statusJson) = Status(store);
            var status = report!.Skills.FirstOrDefault(s => SkillNames.Same(s.Name, name));
            if (status is null)
            {
                return string.Empty;
            }

            var installed = app.Get<InstalledSkills>().All().FirstOrDefault(s => s.ShadowedBy is null && SkillNames.Same(s.Name, status.Name));
            var history = SkillHistory.Load(store, status.Name);
            var misses = MissFinder.Find(store, [status.Name]).For(status.Name).OrderByDescending(m => m.OccurredAt).Take(200).ToList();
            var sessions = SessionReports.List(store, new SessionFilter(Skill: status.Name, Limit: 20));
            return Json.Write(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("skill");
                w.WriteRawValue(SkillJson(statusJson!, status.Name));
                w.WriteString("group", Json.Name(DashboardReports.Group(status)));
                if (installed is not null)
                {
                    w.WriteString("description", installed.Description);
                    w.WriteString("skill_file", installed.SkillFile);
                }

                w.WritePropertyName("misses");
                JsonSerializer.Serialize(w, misses, Json.Options);
                w.WritePropertyName("history");
                JsonSerializer.Serialize(w, history, Json.Options);
                w.WritePropertyName("sessions");
                JsonSerializer.Serialize(w, sessions, Json.Options);
                w.WriteEndObject();
            });
        });
        return json.Length == 0 ? null : json;
    }

    /// <summary>Sessions as <c>selftune sessions --json</c> lists them, with the platforms and projects to filter by.</summary>
    public byte[] Sessions(SessionFilter filter) => Cached($"sessions:{filter}", store =>
        Json.Write(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("sessions");
            JsonSerializer.Serialize(w, store is null ? [] : SessionReports.List(store, filter), Json.Options);
            w.WriteEndObject();
        }));

    /// <summary>One session in full; null when there is none of that id.</summary>
    public byte[]? Session(string id)
    {
        var json = Cached("session:" + id, store => store is not null && DashboardReports.Session(store, id) is { } detail ? JsonSerializer.Serialize(detail, Json.Options) : string.Empty);
        return json.Length == 0 ? null : json;
    }

    /// <summary>The groupings of <see cref="Cost"/> (<see cref="CostGrouping"/> but the per-session one).</summary>
    public static readonly IReadOnlyList<string> CostDimensions = ["day", "week", "month", "project", "model", "skill", "platform"];

    /// <summary>Tokens and cost by one of <see cref="CostDimensions"/>: the report of <see cref="CostReports"/>, in this
    /// machine's time zone as the CLI's.</summary>
    /// <exception cref="SelftuneException"><paramref name="by"/> is not a dimension.</exception>
    public byte[] Cost(string by)
    {
        if (!CostDimensions.Contains(by))
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"There is no cost breakdown by '{by}'; use one of: {string.Join(", ", CostDimensions)}.", "selftune dashboard");
        }

        return Cached("cost:" + by, store =>
        {
            var grouping = Enum.Parse<CostGrouping>(by, ignoreCase: true);
            var report = store is null ? null : CostReports.Build(store, new CostQuery(grouping));
            return JsonSerializer.Serialize(new { by, time_zone = report?.TimeZone ?? TimeZoneInfo.Local.Id, rows = report?.Rows ?? [], totals = report?.Totals, dimensions = CostDimensions }, Json.Options);
        });
    }

    /// <summary>Past runs, as <c>selftune runs --json</c> lists them.</summary>
    public byte[] Runs() => Cached("runs", store => JsonSerializer.Serialize(new { runs = store is null ? [] : RunHistory.List(store, 50) }, Json.Options));

    /// <summary>One run's stored report, as <c>selftune runs show</c>; null when there is none of that id.</summary>
    public byte[]? Run(string id)
    {
        var json = Cached("run:" + id, store => store is not null && RunHistory.Get(store, id) is { } found
            ? JsonSerializer.Serialize(new { summary = found.Summary, report = found.Report, text = found.Text }, Json.Options)
            : string.Empty);
        return json.Length == 0 ? null : json;
    }

    /// <summary>What <c>selftune doctor</c> checks, computed off the request path once per store version.</summary>
    public byte[] Health() => Cached("health", _ =>
    {
        var checks = DoctorCommand.Run(app);
        return JsonSerializer.Serialize(new { healthy = checks.All(c => c.Status != "fail"), checks, version = DashboardServer.Version, store = StorePath }, Json.Options);
    }, openStore: false);

    /// <summary>The team view (<c>team.database</c>): <c>selftune team status</c>, <c>team cost --by</c> and, for a skill,
    /// <c>team misses</c>, as those commands' <c>--json</c> records, read from the team database on each request (it is not
    /// the local store, so nothing is cached). Without a team database: <c>{"configured": false}</c> with the setting to set.</summary>
    /// <param name="by">A grouping of <see cref="TeamViews.CostGroupings"/>.</param>
    /// <param name="skill">A valid skill name whose pooled misses to include, or null.</param>
    /// <param name="ct">Cancellation (the request's).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> for an unknown grouping; the team
    /// database's errors (unreachable, refused, too new), each with its fix.</exception>
    public async Task<byte[]> TeamAsync(string by, string? skill, CancellationToken ct)
    {
        var team = app.Get<TeamService>();
        if (!team.Configured)
        {
            return JsonSerializer.SerializeToUtf8Bytes(new
            {
                configured = false,
                message = "No team database is set: the team view pools what every machine pushes with `selftune team push`.",
                next_command = "selftune config set team.database 'Host=HOST;Database=selftune;Username=USER'",
            }, Json.Options);
        }

        if (!TeamViews.CostGroupings.Contains(by))
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"There is no team cost breakdown by '{by}'; use one of: {string.Join(", ", TeamViews.CostGroupings)}.", "selftune dashboard");
        }

        await using var database = await team.OpenAsync(null, ct).ConfigureAwait(false);
        var status = await TeamViews.StatusAsync(database, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
        var cost = await TeamViews.CostAsync(database, by, ct).ConfigureAwait(false);
        var misses = skill is null ? null : await TeamViews.MissesAsync(database, skill, 200, ct).ConfigureAwait(false);
        return JsonSerializer.SerializeToUtf8Bytes(new { configured = true, by, groupings = TeamViews.CostGroupings, status, cost, skill, misses }, Json.Options);
    }

    /// <summary>One skill's status record, for its badge; null when the skill is neither installed nor seen.</summary>
    public SkillStatus? SkillStatus(string name)
    {
        using var store = TryOpen();
        return store is null ? null : Status(store).Report!.Skills.FirstOrDefault(s => SkillNames.Same(s.Name, name));
    }

    /// <summary>The status record of one skill, for <c>selftune badge</c> (the same report <c>status</c> prints).</summary>
    /// <returns>The record, or null when the skill is neither installed nor seen.</returns>
    public static SkillStatus? StatusOf(App a, string name)
    {
        using var store = a.OpenStore();
        return StatusReporter.Build(store, () => a.Get<InstalledSkills>().All(), DateTimeOffset.UtcNow).Skills.FirstOrDefault(s => SkillNames.Same(s.Name, name));
    }

    /// <summary>Checks a skill name from a URL or a request: a valid skill name (no path, no separator) or an error.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/>.</exception>
    public static string CheckSkillName(string name) =>
        SkillNames.Problem(name) is { } problem
            ? throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{(name.Length > 80 ? name[..80] : name)}' is not a skill name: {problem}", "selftune status")
            : name;

    private static string SkillJson(string statusJson, string name)
    {
        using var document = JsonDocument.Parse(statusJson);
        foreach (var skill in document.RootElement.GetProperty("skills").EnumerateArray())
        {
            if (skill.GetProperty("name").GetString() == name)
            {
                return skill.GetRawText();
            }
        }

        return "null";
    }

    /// <summary>The status report of the store's current version (built once per version).</summary>
    private (StatusReport? Report, string? Json) Status(SelftuneStore? store)
    {
        if (store is null)
        {
            return (null, null);
        }

        var version = watcher.Version;
        lock (_statusGate)
        {
            if (_status is { } cached && cached.Version == version)
            {
                return (cached.Report, cached.Json);
            }

            var report = StatusReporter.Build(store, () => app.Get<InstalledSkills>().All(), DateTimeOffset.UtcNow);
            _status = (version, report, StatusReportJson.Write(report));
            return (report, _status.Value.Json);
        }
    }

    private byte[] Cached(string key, Func<SelftuneStore?, string> build, bool openStore = true)
    {
        var version = watcher.Version;
        if (_cache.TryGetValue(key, out var hit) && hit.Version == version)
        {
            return hit.Json;
        }

        using var store = openStore ? TryOpen() : null;
        var json = Encoding.UTF8.GetBytes(build(store));
        if (_cache.Count > 500)
        {
            _cache.Clear();
        }

        _cache[key] = (version, json);
        return json;
    }

    /// <summary>Opens the store read only (a sync may be writing it: WAL readers see the last commit); null when there is none yet.</summary>
    private SelftuneStore? TryOpen()
    {
        try
        {
            return SelftuneStore.Open(StorePath, readOnly: true);
        }
        catch (SelftuneException ex) when (ex.Code == ErrorCodes.FileNotFound)
        {
            return null;
        }
    }
}
