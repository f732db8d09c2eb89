using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;

namespace Selftune.Dashboard.Tests.Support;

/// <summary>
/// The real <c>selftune dashboard --port 0 --no-open --json</c> running in a <see cref="CorpusHome"/>, and a headless
/// Chromium (Debian's <c>/usr/bin/chromium</c>; Playwright's own browser download cannot reach its host) to drive it.
/// </summary>
public sealed class RunningDashboard : IAsyncDisposable
{
    /// <summary>Where Debian's package puts Chromium (<c>.ci/run</c> installs it).</summary>
    public const string Chromium = "/usr/bin/chromium";

    private readonly Process _process;
    private IPlaywright? _playwright;

    private RunningDashboard(CorpusHome home, Process process, string url)
    {
        Home = home;
        _process = process;
        Url = url;
    }

    /// <summary>The home it serves.</summary>
    public CorpusHome Home { get; }

    /// <summary>Its URL (<c>http://127.0.0.1:PORT/</c>).</summary>
    public string Url { get; }

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Starts the dashboard on <paramref name="home"/> (which it then owns) and the browser.</summary>
    public static async Task<RunningDashboard> StartAsync(CorpusHome home)
    {
        var process = home.Cli.Start(["dashboard", "--port", "0", "--no-open", "--json"]);
        process.StandardInput.Close();
        var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
        if (first is null)
        {
            Assert.Fail("the dashboard printed nothing: " + await process.StandardError.ReadToEndAsync());
        }

        var line = JsonDocument.Parse(first!).RootElement;
        var dashboard = new RunningDashboard(home, process, line.GetProperty("url").GetString()!);
        dashboard._playwright = await Playwright.CreateAsync();
        dashboard.Browser = await dashboard._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return dashboard;
    }

    /// <summary>A new page, at <paramref name="path"/>, once it shows data (<c>main[data-ready]</c>).</summary>
    public async Task<IPage> OpenAsync(string path)
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(Url + path.TrimStart('/'));
        await page.WaitForSelectorAsync("main[data-ready]");
        return page;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Home.Dispose();
    }
}
