using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Playwright;
using Selftune.Dashboard.Tests.Support;

namespace Selftune.Dashboard.Tests;

/// <summary>
/// The dashboard's benchmark (bench/dashboard.sh), not a test: it does nothing unless <c>SELFTUNE_DASHBOARD_BENCH</c>
/// names a file to append its figures to, and <c>SELFTUNE_DASHBOARD_BENCH_HOME</c> a user home whose agent data (and
/// <c>.selftune</c> store) it uses. Measures every API answer (warm median of 20, and the first answer after the store
/// changed), the overview's render time in headless Chromium from navigation until it shows data, and how long after a
/// sync ends the open overview shows it.
/// </summary>
public sealed class DashboardBench
{
    [Fact]
    public async Task Measure()
    {
        var output = Environment.GetEnvironmentVariable("SELFTUNE_DASHBOARD_BENCH");
        var home = Environment.GetEnvironmentVariable("SELFTUNE_DASHBOARD_BENCH_HOME");
        if (string.IsNullOrEmpty(output) || string.IsNullOrEmpty(home))
        {
            return;
        }

        using var cli = new Host.Tests.Support.SelftuneCli();
        cli.Environment["HOME"] = home;
        cli.Environment["SELFTUNE_HOME"] = Path.Combine(home, ".selftune");
        var report = new StringBuilder();
        var process = cli.Start(["dashboard", "--port", "0", "--no-open", "--json"]);
        process.StandardInput.Close();
        var url = System.Text.Json.JsonDocument.Parse((await process.StandardOutput.ReadLineAsync())!).RootElement.GetProperty("url").GetString()!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var sessions = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/sessions?limit=1")).RootElement.GetProperty("sessions")[0].GetProperty("session_id").GetString();
            var skill = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/overview")).RootElement.GetProperty("status").GetProperty("skills")[0].GetProperty("name").GetString();
            string[] paths = ["api/health", "api/overview", $"api/skills/{Uri.EscapeDataString(skill!)}", "api/sessions", $"api/sessions/{sessions}", "api/cost?by=day", "api/cost?by=project", "api/cost?by=model", "api/cost?by=skill", "api/runs", $"badge/{Uri.EscapeDataString(skill!)}.svg"];
            report.AppendLine(CultureInfo.InvariantCulture, $"| endpoint | bytes | first after start (ms) | warm median of 20 (ms) | first after a store change (ms) |");
            report.AppendLine("|---|---|---|---|---|");
            var first = new Dictionary<string, double>();
            foreach (var path in paths)
            {
                first[path] = await Time(http, path);
            }

            var warm = new Dictionary<string, (double Median, long Bytes)>();
            foreach (var path in paths)
            {
                var times = new List<double>();
                for (var i = 0; i < 20; i++)
                {
                    times.Add(await Time(http, path));
                }

                warm[path] = (times.Order().ElementAt(10), (await http.GetByteArrayAsync(path)).LongLength);
            }

            // Render time and live update, in headless Chromium.
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = RunningDashboard.Chromium,
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            var renders = new List<double>();
            var charted = new List<double>();
            for (var i = 0; i < 10; i++)
            {
                var context = await browser.NewContextAsync(); // a fresh profile each time: nothing cached
                var page = await context.NewPageAsync();
                await page.GotoAsync(url);
                await page.WaitForSelectorAsync("main[data-ready]");
                renders.Add(await page.EvaluateAsync<double>("Number(document.getElementById('main').dataset.ready) - performance.timeOrigin"));
                charted.Add(await page.EvaluateAsync<double>("""
                    new Promise(done => (function wait() {
                        const main = document.getElementById('main');
                        if (!main.querySelector('canvas')) done(-1);
                        else if (main.dataset.charts) done(Number(main.dataset.charts) - performance.timeOrigin);
                        else setTimeout(wait, 5);
                    })())
                    """));
                await context.CloseAsync();
            }

            var overview = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
            await overview.GotoAsync(url);
            await overview.WaitForSelectorAsync("body[data-live='sse']");
            if (Environment.GetEnvironmentVariable("SELFTUNE_DASHBOARD_SCREENSHOT") is { Length: > 0 } screenshot)
            {
                await overview.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = false });
            }

            var before = await overview.InnerTextAsync("#total-sessions");
            var extra = Path.Combine(home, ".claude", "projects", "-bench-dashboard-live");
            Directory.CreateDirectory(extra);
            var source = Directory.EnumerateFiles(Path.Combine(home, ".claude", "projects"), "*.jsonl", SearchOption.AllDirectories).First();
            var text = await File.ReadAllTextAsync(source);
            await File.WriteAllTextAsync(Path.Combine(extra, Guid.NewGuid() + ".jsonl"), text.Replace("\"sessionId\":\"", "\"sessionId\":\"live-", StringComparison.Ordinal));
            var sync = cli.Run("sync");
            var ended = Stopwatch.StartNew();
            Assert.True(sync.ExitCode == 0, sync.ToString());
            await overview.WaitForFunctionAsync("before => document.getElementById('total-sessions')?.textContent !== before", before);
            var shown = ended.Elapsed.TotalMilliseconds;

            var changed = new Dictionary<string, double>();
            foreach (var path in paths)
            {
                changed[path] = await Time(http, path);
            }

            // Answers not asked before (computed on demand): a session further down the list and the status report's last skill.
            var otherSession = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/sessions?limit=50")).RootElement.GetProperty("sessions")[49].GetProperty("session_id").GetString()!;
            var otherSkill = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/overview")).RootElement.GetProperty("status").GetProperty("skills").EnumerateArray().Last().GetProperty("name").GetString()!;
            var onDemand = (Session: await Time(http, $"api/sessions/{Uri.EscapeDataString(otherSession)}"), Skill: await Time(http, $"api/skills/{Uri.EscapeDataString(otherSkill)}"));

            foreach (var path in paths)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"| /{path.Replace(skill!, "SKILL", StringComparison.Ordinal).Replace(sessions!, "ID", StringComparison.Ordinal)} | {warm[path].Bytes:N0} | {first[path]:0.0} | {warm[path].Median:0.0} | {changed[path]:0.0} |");
            }

            report.AppendLine();
            report.AppendLine(CultureInfo.InvariantCulture, $"- after the change, answers not asked before: /api/sessions/ID of the 50th session {onDemand.Session:0.0} ms, /api/skills/SKILL of the last skill {onDemand.Skill:0.0} ms");
            report.AppendLine(CultureInfo.InvariantCulture, $"- overview rendered with data, fresh profile, from navigation (10 runs): {string.Join(", ", renders.Select(r => r.ToString("0", CultureInfo.InvariantCulture)))} ms; its sparklines drawn (Chart.js is loaded after): {(charted.All(c => c < 0) ? "none on this store (no skill used in the last weeks)" : string.Join(", ", charted.Select(r => r.ToString("0", CultureInfo.InvariantCulture))) + " ms")}");
            report.AppendLine(CultureInfo.InvariantCulture, $"- a sync that added a session ended; the open overview showed it {shown:0} ms later (sessions {before} → {await overview.InnerTextAsync("#total-sessions")})");
            await File.AppendAllTextAsync(output, report.ToString());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    private static async Task<double> Time(HttpClient http, string path)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync(path);
        await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, path);
        return clock.Elapsed.TotalMilliseconds;
    }
}
