using System.Net;
using System.Text;
using Microsoft.Playwright;
using Selftune.Dashboard.Tests.Support;
using Selftune.Host.Dashboard;

namespace Selftune.Dashboard.Tests;

/// <summary>The real dashboard process in headless Chromium, on a store synced from corpus transcripts.</summary>
public sealed class BrowserTests : IAsyncLifetime
{
    private RunningDashboard _dashboard = null!;

    public async Task InitializeAsync() => _dashboard = await RunningDashboard.StartAsync(new CorpusHome());

    public async Task DisposeAsync() => await _dashboard.DisposeAsync();

    [Fact]
    public async Task EveryPageShowsTheCorpusStore()
    {
        var skill = Uri.EscapeDataString(CorpusHome.Skill);
        var pages = new (string Path, string Text)[]
        {
            ("/", "Attention needed"),
            ($"/skills/{skill}", "Trend, week by week"),
            ("/sessions", CorpusHome.SpotterSession[..12]),
            ($"/sessions/{CorpusHome.SpotterSession}", "Tokens by model"),
            ("/cost?by=model", "in all"),
            ("/runs", "No runs yet"),
            ("/health", "selftune doctor"),
            ("/team", "No team database"),
        };
        foreach (var (path, text) in pages)
        {
            var page = await _dashboard.OpenAsync(path);
            var main = await page.InnerTextAsync("main");
            Assert.True(main.Contains(text, StringComparison.Ordinal), $"{path} does not show '{text}':\n{main}");
            Assert.DoesNotContain("Error", await page.InnerTextAsync("main h1"), StringComparison.Ordinal);
            Assert.Contains("store ", await page.InnerTextAsync("footer"), StringComparison.Ordinal);
            await page.CloseAsync();
        }

        var overview = await _dashboard.OpenAsync("/");
        Assert.True(await overview.Locator($"a.skill[data-skill='{CorpusHome.Skill}']").CountAsync() == 1);
        await overview.WaitForSelectorAsync("body[data-live='sse']");
        Assert.Contains("live", await overview.InnerTextAsync("#foot-live"), StringComparison.Ordinal);
        await overview.Locator($"a.skill[data-skill='{CorpusHome.Skill}']").ClickAsync();
        await overview.WaitForURLAsync("**/skills/**");
        await overview.WaitForSelectorAsync("#skill-rate");
    }

    [Fact]
    public async Task ATranscriptSyncedWhileTheOverviewIsOpenShowsUpWithoutAReload()
    {
        var page = await _dashboard.OpenAsync("/");
        await page.WaitForSelectorAsync("body[data-live='sse']");
        var before = await page.InnerTextAsync("#total-sessions");
        await page.EvaluateAsync("window.__notReloaded = true");

        _dashboard.Home.AddLaterProject();
        var sync = _dashboard.Home.Cli.Run("sync");
        Assert.True(sync.ExitCode == 0, sync.ToString());

        await page.WaitForFunctionAsync("before => document.getElementById('total-sessions')?.textContent !== before", before);
        Assert.True(await page.EvaluateAsync<bool>("window.__notReloaded === true"));
        Assert.NotEqual(before, await page.InnerTextAsync("#total-sessions"));
    }

    [Fact]
    public async Task ADryRunStartedFromThePageIsFollowedLiveAndListed()
    {
        var page = await _dashboard.OpenAsync("/runs");
        await page.WaitForSelectorAsync("body[data-live='sse']");

        await page.ClickAsync("button[data-action='run'][data-body*='true']");

        await page.WaitForSelectorAsync("#live-run .pill.s-done", new PageWaitForSelectorOptions { Timeout = 120_000 });
        var live = await page.InnerTextAsync("#live-run");
        Assert.Contains("sync:", live, StringComparison.Ordinal);
        Assert.Contains("select:", live, StringComparison.Ordinal);
        await page.WaitForSelectorAsync("tr[data-href^='/runs/run_']");
        Assert.Contains("dry run", await page.InnerTextAsync("main table"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRealServerRefusesAForeignHostAMissingTokenAndAForeignOrigin()
    {
        using var client = new HttpClient { BaseAddress = new Uri(_dashboard.Url) };
        using (var request = new HttpRequestMessage(HttpMethod.Get, "api/overview"))
        {
            request.Headers.Host = "attacker.example";
            Assert.Equal(HttpStatusCode.MisdirectedRequest, (await client.SendAsync(request)).StatusCode);
        }

        var page = await _dashboard.OpenAsync("/");
        var token = await page.GetAttributeAsync("meta[name='selftune-token']", "content");
        var origin = _dashboard.Url.TrimEnd('/');
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(client, null, origin)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(client, token, "http://attacker.example")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Post(client, token, origin)).StatusCode);

        // A page of another origin in the same browser can neither read the API nor post an action.
        var other = await _dashboard.Browser.NewPageAsync();
        await other.SetContentAsync("<html><body>elsewhere</body></html>");
        var read = await other.EvaluateAsync<string>($"fetch('{_dashboard.Url}api/overview').then(r => 'read', e => 'blocked')");
        Assert.Equal("blocked", read);
    }

    private static Task<HttpResponseMessage> Post(HttpClient client, string? token, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/actions/reject") { Content = new StringContent("{\"proposal_id\":\"nope\"}", Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Add(DashboardServer.TokenHeader, token);
        }

        request.Headers.Add("Origin", origin);
        return client.SendAsync(request);
    }
}
