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
/// runs, skill history, misses, doctor), never from SQL of its own. Each answer is cached, so a page load costs a
/// dictionary look-up. When the store changes (<see cref="StoreWatcher.Version"/>), <see cref="Refresh"/> recomputes the
/// answers asked for recently, off the request path, while requests keep getting the previous ones; each <c>update</c>
/// event goes out only once the answers it announces are new. An answer not asked before is computed when asked. The
/// status report (and the misses) are built once per store version and shared by the overview, the skill pages and the
/// badges (one number per fact).
/// </summary>
internal sealed class DashboardData(App app)
{
    /// <summary>How many of the most recently asked answers a change recomputes; the others are dropped (computed again
    /// when asked).</summary>
    private const int Refreshed = 64;

    /// <summary>At most this many answers are kept (the least recently asked half goes beyond it).</summary>
    private const int Kept = 500;

    /// <summary>How many sessions <c>/api/sessions</c> lists when not told.</summary>
    public const int SessionPage = 100;

    private const string OverviewKey = "overview";
    private const string RunsKey = "runs";
    private readonly ConcurrentDictionary<string, Answer> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lock> _computing = new(StringComparer.Ordinal);
    private readonly Lock _refreshGate = new();
    private long _ready;
    private readonly Lock _statusGate = new();
    private readonly Lock _missesGate = new();
    private Versioned<CachedStatus>? _status;
    private Versioned<MissSet>? _misses;

    /// <summary>Computes the answers the pages ask for first (overview, runs, health, every skill's page, the first view of
    /// the sessions page and every cost grouping) and the misses the skill pages share, so that no first page load waits
    /// for a report; <see cref="DashboardServer.StartAsync"/> runs it before the address is announced.</summary>
    public void Warm()
    {
        Overview();
        Runs();
        Health();
        using (var store = TryOpen())
        {
            var version = Volatile.Read(ref _ready);
            Misses(store, version);
            foreach (var skill in Status(store, version)?.Report.Skills ?? [])
            {
                Skill(skill.Name);
            }
        }

        Sessions(new SessionFilter(Limit: SessionPage));
        foreach (var by in CostDimensions)
        {
            Cost(by);
        }
    }

    /// <summary>Brings the cached answers to store version <paramref name="version"/>, each computed once, while requests
    /// are answered from the previous version: first the overview and runs (what the overview page shows, with the status
    /// report every skill figure comes from), then <paramref name="published"/>(false) so an open overview updates at once;
    /// then the others of the <see cref="Refreshed"/> most recently asked answers, two at a time, then
    /// <paramref name="published"/>(true). The others are dropped (computed when next asked). Called by the
    /// <see cref="StoreWatcher"/> on a change; it sends the <c>update</c> events.</summary>
    /// <param name="version">The store version seen (<see cref="StoreWatcher.Version"/>).</param>
    /// <param name="published">Sends an <c>update</c> event: false when only the overview's answers are new yet.</param>
    public void Refresh(long version, Action<bool> published)
    {
        ArgumentNullException.ThrowIfNull(published);
        lock (_refreshGate)
        {
            if (Volatile.Read(ref _ready) >= version)
            {
                return;
            }

            var recent = _cache.OrderByDescending(e => e.Value.LastUsed).ToList();
            foreach (var old in recent.Skip(Refreshed))
            {
                _cache.TryRemove(old);
                _computing.TryRemove(old.Key, out _);
            }

            var stale = recent.Take(Refreshed).Where(e => e.Value.Version < version).ToList();
            try
            {
                using (var store = TryOpen())
                {
                    Status(store, version);
                    foreach (var (key, answer) in stale.Where(e => e.Key is OverviewKey or RunsKey))
                    {
                        Compute(key, answer.Build, answer.OpenStore, version, store);
                    }
                }

                var rest = stale.Where(e => e.Key is not (OverviewKey or RunsKey)).ToList();
                if (rest.Count > 0)
                {
                    published(false);
                    Parallel.ForEach(
                        rest,
                        new ParallelOptions { MaxDegreeOfParallelism = 2 },
                        TryOpen,
                        (e, _, store) =>
                        {
                            Compute(e.Key, e.Value.Build, e.Value.OpenStore, version, store);
                            return store;
                        },
                        store => store?.Dispose());
                }
            }
            finally
            {
                // A store that cannot be read (damaged, too new) fails here: its answers are then computed when asked,
                // each saying why, as doctor does.
                Volatile.Write(ref _ready, version);
            }
        }

        published(true);
        Warm();
    }

    /// <summary>The store file.</summary>
    public string StorePath => app.Home.DatabasePath;

    /// <summary>The overview: skills grouped by health with their status records, store totals, recent runs.</summary>
    /// <exception cref="SelftuneException">The store is damaged, too new or busy (doctor's words).</exception>
    public byte[] Overview() => Cached(OverviewKey, (store, version) =>
    {
        var snapshot = Status(store, version);
        var report = snapshot?.Report;
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
                w.WriteRawValue(snapshot!.Json);
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
        var json = Cached("skill:" + name, (store, version) =>
        {
            if (store is null)
            {
                return string.Empty;
            }

            var status = Status(store, version)!.Report.Skills.FirstOrDefault(s => SkillNames.Same(s.Name, name));
            if (status is null)
            {
                return string.Empty;
            }

            var installed = app.Get<InstalledSkills>().All().FirstOrDefault(s => s.ShadowedBy is null && SkillNames.Same(s.Name, status.Name));
            var history = SkillHistory.Load(store, status.Name);
            var misses = Misses(store, version)!.For(status.Name).OrderByDescending(m => m.OccurredAt).Take(200).ToList();
            var sessions = SessionReports.List(store, new SessionFilter(Skill: status.Name, Limit: 20));
            return Json.Write(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("skill");
                StatusReportJson.WriteSkill(w, status);
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
    public byte[] Sessions(SessionFilter filter) => Cached($"sessions:{filter}", (store, _) =>
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
        var json = Cached("session:" + id, (store, _) => store is not null && DashboardReports.Session(store, id) is { } detail ? JsonSerializer.Serialize(detail, Json.Options) : string.Empty);
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

        return Cached("cost:" + by, (store, _) =>
        {
            var grouping = Enum.Parse<CostGrouping>(by, ignoreCase: true);
            var report = store is null ? null : CostReports.Build(store, new CostQuery(grouping));
            return JsonSerializer.Serialize(new { by, time_zone = report?.TimeZone ?? TimeZoneInfo.Local.Id, rows = report?.Rows ?? [], totals = report?.Totals, dimensions = CostDimensions }, Json.Options);
        });
    }

    /// <summary>Past runs, as <c>selftune runs --json</c> lists them.</summary>
    public byte[] Runs() => Cached(RunsKey, (store, _) => JsonSerializer.Serialize(new { runs = store is null ? [] : RunHistory.List(store, 50) }, Json.Options));

    /// <summary>One run's stored report, as <c>selftune runs show</c>; null when there is none of that id.</summary>
    public byte[]? Run(string id)
    {
        var json = Cached("run:" + id, (store, _) => store is not null && RunHistory.Get(store, id) is { } found
            ? JsonSerializer.Serialize(new { summary = found.Summary, report = found.Report, text = found.Text }, Json.Options)
            : string.Empty);
        return json.Length == 0 ? null : json;
    }

    /// <summary>What <c>selftune doctor</c> checks, computed off the request path once per store version.</summary>
    public byte[] Health() => Cached("health", (_, _) =>
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
        var ready = Volatile.Read(ref _ready);
        var status = Volatile.Read(ref _status) is { } cached && cached.Version >= ready ? cached.Value : null;
        if (status is null)
        {
            using var store = TryOpen();
            status = Status(store, ready);
        }

        return status?.Report.Skills.FirstOrDefault(s => SkillNames.Same(s.Name, name));
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

    /// <summary>The status report of store version <paramref name="version"/> or a newer one (built once per version).</summary>
    /// <returns>Null without a store.</returns>
    private CachedStatus? Status(SelftuneStore? store, long version) => store is null ? null : Shared(ref _status, _statusGate, version, () =>
    {
        var report = StatusReporter.Build(store, () => app.Get<InstalledSkills>().All(), DateTimeOffset.UtcNow);
        return new CachedStatus(report, StatusReportJson.Write(report));
    });

    /// <summary>Every skill's misses (<see cref="MissFinder"/>, for the skills of the status report) of store version
    /// <paramref name="version"/> or a newer one: built once per version and shared by the skill pages.</summary>
    /// <returns>Null without a store.</returns>
    private MissSet? Misses(SelftuneStore? store, long version) => store is null ? null : Shared(ref _misses, _missesGate, version, () =>
        MissFinder.Find(store, Status(store, version)!.Report.Skills.Select(s => s.Name)));

    /// <summary>The value in <paramref name="slot"/> when it is of <paramref name="version"/> or newer, else built and put
    /// there; a caller that finds it being built waits for it rather than building it too.</summary>
    private static T Shared<T>(ref Versioned<T>? slot, Lock gate, long version, Func<T> build)
        where T : class
    {
        if (Volatile.Read(ref slot) is { } cached && cached.Version >= version)
        {
            return cached.Value;
        }

        lock (gate)
        {
            if (slot is { } built && built.Version >= version)
            {
                return built.Value;
            }

            var value = build();
            Volatile.Write(ref slot, new Versioned<T>(version, value));
            return value;
        }
    }

    /// <summary>The cached answer of <paramref name="key"/> when it is of the version being served (or newer), else
    /// computed now from the store as it is (once: a request that finds it being computed waits for it).</summary>
    /// <param name="key">The answer's key (endpoint and arguments).</param>
    /// <param name="build">Computes the answer from the store (null when there is none yet) for a store version; an
    /// empty string for "not found".</param>
    /// <param name="openStore">False for an answer that does not read the store.</param>
    private byte[] Cached(string key, Func<SelftuneStore?, long, string> build, bool openStore = true)
    {
        var ready = Volatile.Read(ref _ready);
        if (Hit(key, ready) is { } cached)
        {
            return cached;
        }

        byte[] json;
        lock (_computing.GetOrAdd(key, _ => new Lock()))
        {
            if (Hit(key, ready) is { } meanwhile)
            {
                return meanwhile; // another request or the warm-up computed it while this one waited
            }

            using var store = openStore ? TryOpen() : null;
            json = Compute(key, build, openStore, ready, store);
        }

        if (_cache.Count > Kept)
        {
            foreach (var old in _cache.OrderBy(e => e.Value.LastUsed).Take(Kept / 2).ToList())
            {
                _cache.TryRemove(old);
                _computing.TryRemove(old.Key, out _);
            }
        }

        return json;
    }

    private byte[]? Hit(string key, long ready)
    {
        if (_cache.TryGetValue(key, out var hit) && hit.Version >= ready)
        {
            hit.LastUsed = Environment.TickCount64;
            return hit.Json;
        }

        return null;
    }

    private byte[] Compute(string key, Func<SelftuneStore?, long, string> build, bool openStore, long version, SelftuneStore? store)
    {
        var json = Encoding.UTF8.GetBytes(build(openStore ? store : null, version));
        _cache.AddOrUpdate(
            key,
            _ => new Answer(version, json, build, openStore),
            (_, existing) => existing.Version > version ? existing : new Answer(version, json, build, openStore) { LastUsed = existing.LastUsed });
        return json;
    }

    /// <summary>A cached answer: the store version it was computed for, its JSON, how to compute it again, when last asked
    /// (<see cref="Environment.TickCount64"/>).</summary>
    private sealed record Answer(long Version, byte[] Json, Func<SelftuneStore?, long, string> Build, bool OpenStore)
    {
        public long LastUsed { get; set; } = Environment.TickCount64;
    }

    /// <summary>A value computed for one store version.</summary>
    private sealed record Versioned<T>(long Version, T Value);

    /// <summary>A status report with its JSON (as <c>status --json</c> prints it).</summary>
    private sealed record CachedStatus(StatusReport Report, string Json);

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
