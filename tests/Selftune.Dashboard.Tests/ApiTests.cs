using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Selftune.Dashboard.Tests.Support;
using Selftune.Host.Dashboard;

namespace Selftune.Dashboard.Tests;

/// <summary>Every endpoint's shape, on a store synced from real corpus transcripts, through the dashboard's own
/// composition on a test server; and the rules a page on another site cannot get around.</summary>
public sealed class ApiTests : IDisposable
{
    private readonly CorpusHome _home = new();
    private readonly DashboardFactory _factory;
    private readonly HttpClient _client;

    public ApiTests()
    {
        _factory = new DashboardFactory(_home.Cli.UserHome);
        _client = _factory.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
        _home.Dispose();
    }

    [Fact]
    public async Task TheOverviewGroupsEverySkillOnceAndCarriesTheStatusRecordsAndTotals()
    {
        var o = await Get("/api/overview");

        Assert.False(o.GetProperty("empty").GetBoolean());
        var groups = o.GetProperty("groups");
        Assert.Equal(["attention_needed", "at_risk", "improving", "stable", "unused"], groups.EnumerateObject().Select(g => g.Name));
        var grouped = groups.EnumerateObject().SelectMany(g => g.Value.EnumerateArray().Select(n => n.GetString())).ToList();
        var skills = o.GetProperty("status").GetProperty("skills").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(skills.Order(), grouped.Order());
        Assert.Contains(CorpusHome.Skill, skills);
        var totals = o.GetProperty("totals");
        Assert.True(totals.GetProperty("sessions").GetInt64() > 5);
        var system = o.GetProperty("status").GetProperty("system");
        Assert.Equal(system.GetProperty("sessions").GetInt64(), totals.GetProperty("sessions").GetInt64());
        Assert.Equal(system.GetProperty("actionable_prompts").GetInt64(), totals.GetProperty("actionable_prompts").GetInt64());
        Assert.True(totals.GetProperty("tokens").GetProperty("cost_usd").GetDouble() > 0);
        Assert.Equal(0, o.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public async Task ASkillsHealthAndTriggerRateAreTheSameOnTheOverviewItsPageItsBadgeAndStatus()
    {
        var status = _home.Cli.Run("status", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var cli = status.Json.GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("name").GetString() == CorpusHome.Skill);

        var overview = (await Get("/api/overview")).GetProperty("status").GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("name").GetString() == CorpusHome.Skill);
        var page = await Get("/api/skills/" + Uri.EscapeDataString(CorpusHome.Skill));
        var badge = await _client.GetStringAsync("/badge/" + Uri.EscapeDataString(CorpusHome.Skill) + ".svg");

        foreach (var field in new[] { "health", "trigger_rate", "triggers", "misses", "trend" })
        {
            Assert.Equal(cli.GetProperty(field).ToString(), overview.GetProperty(field).ToString());
            Assert.Equal(cli.GetProperty(field).ToString(), page.GetProperty("skill").GetProperty(field).ToString());
        }

        Assert.Contains($"{Math.Round(cli.GetProperty("trigger_rate").GetDouble() * 100)}%", badge, StringComparison.Ordinal);
        Assert.Contains(cli.GetProperty("health").GetString()!.Replace('_', ' '), badge, StringComparison.Ordinal);
        Assert.Contains(page.GetProperty("group").GetString()!, new[] { "attention_needed", "at_risk", "improving", "stable", "unused" });
        Assert.Equal(JsonValueKind.Array, page.GetProperty("misses").ValueKind);
        Assert.Equal(CorpusHome.Skill, page.GetProperty("history").GetProperty("skill").GetString());
        Assert.Contains(page.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("session_id").GetString() == CorpusHome.SpotterSession);
    }

    [Fact]
    public async Task SessionsFilterAndASessionShowsItsTurnsToolsAndTokens()
    {
        var all = (await Get("/api/sessions")).GetProperty("sessions");
        Assert.True(all.GetArrayLength() > 5);
        var first = all[0];
        foreach (var field in new[] { "session_id", "platform", "started_at", "actionable_prompts", "tool_calls", "skills", "tokens" })
        {
            Assert.True(first.TryGetProperty(field, out _), field);
        }

        var spotter = (await Get("/api/sessions?project=spotter&platform=claude_code&skill=" + Uri.EscapeDataString(CorpusHome.Skill))).GetProperty("sessions");
        Assert.Equal(CorpusHome.SpotterSession, Assert.Single(spotter.EnumerateArray()).GetProperty("session_id").GetString());
        Assert.Equal(0, (await Get("/api/sessions?platform=codex")).GetProperty("sessions").GetArrayLength());

        var detail = await Get("/api/sessions/" + CorpusHome.SpotterSession);
        Assert.Equal(CorpusHome.SpotterSession, detail.GetProperty("session").GetProperty("session_id").GetString());
        Assert.Contains(detail.GetProperty("turns").EnumerateArray(), t => t.GetProperty("skills").EnumerateArray().Any(k => k.GetProperty("name").GetString() == CorpusHome.Skill));
        Assert.True(detail.GetProperty("tools").GetArrayLength() > 0);
        Assert.True(detail.GetProperty("by_model").GetArrayLength() > 0);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/sessions/no-such-session")).StatusCode);
    }

    [Theory]
    [InlineData("day")]
    [InlineData("project")]
    [InlineData("model")]
    [InlineData("skill")]
    public async Task CostIsBrokenDownByEachDimensionAndItsTotalIsTheOverviews(string by)
    {
        var cost = await Get("/api/cost?by=" + by);
        var total = (await Get("/api/overview")).GetProperty("totals").GetProperty("tokens").GetProperty("cost_usd").GetDouble();

        Assert.Equal(by, cost.GetProperty("by").GetString());
        Assert.Equal(total, cost.GetProperty("totals").GetProperty("tokens").GetProperty("cost_usd").GetDouble(), 6);
        var rows = cost.GetProperty("rows").EnumerateArray().ToList();
        Assert.NotEmpty(rows);
        var sum = rows.Sum(r => r.GetProperty("tokens").GetProperty("cost_usd").GetDouble());
        if (by == "skill")
        {
            Assert.Contains(rows, r => r.GetProperty("key").GetString() == CorpusHome.Skill);
            Assert.True(sum >= total - 1e-6); // a session with two skills counts under both; "(no skill)" holds the rest
        }
        else
        {
            Assert.Equal(total, sum, 6);
        }
    }

    [Fact]
    public async Task RunsHealthAndErrorsHaveTheCliShapes()
    {
        Assert.Equal(0, (await Get("/api/runs")).GetProperty("runs").GetArrayLength());
        var health = await Get("/api/health");
        Assert.Contains(health.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "store" && c.GetProperty("status").GetString() == "ok");
        Assert.False(string.IsNullOrEmpty(health.GetProperty("version").GetString()));

        await AssertError("/api/cost?by=fortnight", HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
        await AssertError("/api/skills/no-such-skill", HttpStatusCode.NotFound, "NOT_FOUND");
        await AssertError("/api/runs/run_nope", HttpStatusCode.NotFound, "NOT_FOUND");
        await AssertError("/api/skills/..%2F..%2Fetc", HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
        await AssertError("/badge/..%2Fsecret.svg", HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
        await AssertError("/api/nothing", HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/assets/../selftune.dll")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/favicon.ico")).StatusCode);
    }

    [Fact]
    public async Task ThePageAndItsAssetsAreServedFromTheExecutableWithTheToken()
    {
        var page = await _client.GetAsync("/skills/anything");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains($"content=\"{_factory.Token}\"", html, StringComparison.Ordinal);
        foreach (var asset in new[] { "/assets/app.js", "/assets/app.css", "/assets/logo.svg", "/assets/vendor/chart.umd.min.js", "/assets/vendor/chart.js.LICENSE.md" })
        {
            var response = await _client.GetAsync(asset);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotNull(response.Headers.ETag);
        }
    }

    [Fact]
    public async Task AForeignHostIsRefusedOnEveryRoute()
    {
        foreach (var path in new[] { "/", "/api/overview", "/api/events", "/badge/x.svg" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = "evil.example";
            var response = await _client.SendAsync(request);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
            Assert.Contains("FORBIDDEN_HOST", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AStateChangingRequestNeedsTheTokenAndTheSameOriginAndNothingSendsCors()
    {
        Assert.Equal("FORBIDDEN_TOKEN", await PostError("/api/actions/reject", token: null, origin: "http://localhost"));
        Assert.Equal("FORBIDDEN_TOKEN", await PostError("/api/actions/reject", token: "0000", origin: "http://localhost"));
        Assert.Equal("FORBIDDEN_ORIGIN", await PostError("/api/actions/reject", token: _factory.Token, origin: null));
        Assert.Equal("FORBIDDEN_ORIGIN", await PostError("/api/actions/reject", token: _factory.Token, origin: "http://evil.example"));
        Assert.Equal("FORBIDDEN_ORIGIN", await PostError("/api/actions/reject", token: _factory.Token, origin: "http://127.0.0.1")); // another origin than the page's

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/actions/run");
        preflight.Headers.Add("Origin", "http://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var answer = await _client.SendAsync(preflight);
        Assert.False(answer.IsSuccessStatusCode);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False((await _client.GetAsync("/api/overview")).Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task AnActionRunsTheCoreServiceAndStreamsItsProgressWithReplayableIds()
    {
        var response = await Post("/api/actions/reject", "{\"proposal_id\":\"prop_missing\"}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("action_id").GetString();

        // A client that reconnects from before the action is sent what it missed, in order, with ids.
        var events = await ReadEvents("0", e => e.Data.Contains("\"state\":\"failed\"", StringComparison.Ordinal));
        var action = events.Where(e => e.Type == "action").ToList();
        Assert.Equal(["started", "failed"], action.Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("state").GetString()));
        Assert.All(action, e => Assert.Contains(id!, e.Data, StringComparison.Ordinal));
        Assert.Contains("prop_missing", action[^1].Data, StringComparison.Ordinal);
        Assert.Contains("NOT_FOUND", action[^1].Data, StringComparison.Ordinal);
        Assert.True(long.Parse(action[1].Id!) > long.Parse(action[0].Id!));

        var later = await ReadEvents(action[0].Id, e => e.Type == "action");
        Assert.Equal(action[1].Id, later.First(e => e.Type == "action").Id);
        await AssertError("/api/actions/explode", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", post: true);
        await AssertError("/api/actions/evolve", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", post: true, body: "{\"skill\":\"../x\"}");
    }

    [Fact]
    public async Task ACommitToTheStoreSendsAnUpdateEvent()
    {
        var watcher = _factory.Services.GetRequiredService<StoreWatcher>();
        var before = watcher.Version;
        var sync = _home.Cli.Run("sync", "--force");
        Assert.True(sync.ExitCode == 0, sync.ToString());
        watcher.Check();

        Assert.True(watcher.Version > before);
        var events = await ReadEvents("0", e => e.Type == "update");
        Assert.Contains(events, e => e.Type == "update");
    }

    [Fact]
    public async Task AStoreChangeRecomputesTheAnswersAskedBeforeItsUpdateEventSoTheyNeedNoStoreReadAfterIt()
    {
        var watcher = _factory.Services.GetRequiredService<StoreWatcher>();
        var before = watcher.Version;
        var listed = (await Get("/api/sessions")).GetProperty("sessions").GetArrayLength();
        var total = (await Get("/api/overview")).GetProperty("totals").GetProperty("sessions").GetInt64();
        var skill = $"/api/skills/{Uri.EscapeDataString(CorpusHome.Skill)}";
        await Get(skill);
        _home.AddLaterProject();
        var sync = _home.Cli.Run("sync");
        Assert.True(sync.ExitCode == 0, sync.ToString());

        watcher.Check();
        await ReadEvents("0", e => e.Type == "update" && JsonDocument.Parse(e.Data).RootElement is var u && u.GetProperty("version").GetInt64() > before && u.GetProperty("complete").GetBoolean());

        // The store moved away: an answer computed now would be the empty store's; the new answers were ready before the event.
        var db = Path.Combine(_home.Cli.SelftuneHome, "selftune.db");
        var aside = Path.Combine(_home.Cli.SelftuneHome, "aside");
        Directory.CreateDirectory(aside);
        foreach (var file in Directory.GetFiles(_home.Cli.SelftuneHome, "selftune.db*"))
        {
            File.Move(file, Path.Combine(aside, Path.GetFileName(file)));
        }

        try
        {
            Assert.False(File.Exists(db));
            Assert.True((await Get("/api/sessions")).GetProperty("sessions").GetArrayLength() > listed);
            Assert.True((await Get("/api/overview")).GetProperty("totals").GetProperty("sessions").GetInt64() > total);
            Assert.Equal(CorpusHome.Skill, (await Get(skill)).GetProperty("skill").GetProperty("name").GetString());
        }
        finally
        {
            foreach (var file in Directory.GetFiles(aside))
            {
                File.Move(file, Path.Combine(_home.Cli.SelftuneHome, Path.GetFileName(file)));
            }
        }
    }

    private async Task<JsonElement> Get(string path)
    {
        var response = await _client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    private async Task AssertError(string path, HttpStatusCode status, string code, bool post = false, string body = "{}")
    {
        var response = post ? await Post(path, body) : await _client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{path}: {(int)response.StatusCode} {text}");
        Assert.Equal(code, JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    private Task<HttpResponseMessage> Post(string path, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(DashboardServer.TokenHeader, _factory.Token);
        request.Headers.Add("Origin", "http://localhost");
        return _client.SendAsync(request);
    }

    private async Task<string> PostError(string path, string? token, string? origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{\"proposal_id\":\"p\"}", Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Add(DashboardServer.TokenHeader, token);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString()!;
    }

    private sealed record Event(string? Id, string Type, string Data);

    /// <summary>Reads <c>/api/events</c> (from after <paramref name="lastEventId"/>) until <paramref name="until"/> holds.</summary>
    private async Task<List<Event>> ReadEvents(string? lastEventId, Func<Event, bool> until)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var events = new List<Event>();
        string? id = null, type = "message", data = string.Empty;
        while (await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.Length == 0)
            {
                var e = new Event(id, type, data);
                events.Add(e);
                if (until(e))
                {
                    return events;
                }

                (id, type, data) = (null, "message", string.Empty);
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data += line[6..];
            }
        }

        return events;
    }
}
