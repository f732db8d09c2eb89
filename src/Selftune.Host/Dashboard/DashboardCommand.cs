using System.CommandLine;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Selftune.Core;
using Selftune.Core.Reports;
using Selftune.Host.Cli;

namespace Selftune.Host.Dashboard;

/// <summary><c>selftune dashboard</c> and <c>selftune badge</c>. ASP.NET Core is loaded only inside
/// <see cref="ServeAsync"/>: the other commands never touch its assemblies.</summary>
internal static class DashboardCommand
{
    /// <summary>Creates <c>dashboard</c>.</summary>
    public static Command Dashboard(Func<App> app)
    {
        var port = new Option<int>("--port") { Description = "The port on 127.0.0.1 (0: a free one).", DefaultValueFactory = _ => 3141 }.Between(0, 65535);
        var noOpen = new Option<bool>("--no-open") { Description = "Do not open the browser." };
        return new Command("dashboard", "Serve the local dashboard on 127.0.0.1: skills by health, skill pages, sessions, cost, runs (live), health; updates itself as sessions arrive. Ctrl+C stops it.") { port, noOpen }
            .Runs(app, (a, p, ct) => ServeAsync(a, p.GetValue(port), !p.GetValue(noOpen), ct));
    }

    /// <summary>Creates <c>badge</c>.</summary>
    public static Command Badge(Func<App> app)
    {
        var skill = new Option<string>("--skill") { Description = "The skill.", Required = true };
        var format = new Option<string>("--format") { Description = "svg (the image) or markdown (a README line pointing at the running dashboard's badge).", DefaultValueFactory = _ => "svg" };
        format.AcceptOnlyFromAmong("svg", "markdown");
        return new Command("badge", "A skill's badge for a README: trigger rate and trend, coloured by health (the same health as `selftune status`).") { skill, format }
            .Runs(app, (a, p) =>
            {
                var name = DashboardData.CheckSkillName(p.GetValue(skill)!);
                var status = DashboardData.StatusOf(a, name)
                    ?? throw new SelftuneException(ErrorCodes.NotFound, $"No skill '{name}' is installed or seen in a session.", "selftune status");
                var svg = Badges.Svg(status);
                var markdown = $"![{status.Name}](http://127.0.0.1:3141/badge/{Uri.EscapeDataString(status.Name)}.svg)";
                if (p.GetValue(CommandTree.JsonOption))
                {
                    a.Output.Result(new { skill = status.Name, health = Core.Json.Name(status.Health), group = Core.Json.Name(DashboardReports.Group(status)), trigger_rate = status.TriggerRate, trend = status.Trend, svg, markdown });
                }
                else
                {
                    a.Output.Stdout.Write(p.GetValue(format) == "markdown" ? markdown + Environment.NewLine : svg);
                }

                return 0;
            });
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> ServeAsync(App a, int port, bool open, CancellationToken ct)
    {
        await using var server = await DashboardServer.StartAsync(a, port, ct).ConfigureAwait(false);
        var url = server.Url;
        if (a.Output.Json)
        {
            a.Output.Stdout.WriteLine(Core.Json.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("url", url);
                w.WriteString("store", a.Home.DatabasePath);
                w.WriteString("version", DashboardServer.Version);
                w.WriteEndObject();
            }));
        }
        else
        {
            a.Output.Stdout.WriteLine($"selftune dashboard: {url}  (store {a.Home.DatabasePath}; Ctrl+C stops it)");
        }

        a.Output.Stdout.Flush();
        if (open && !Console.IsOutputRedirected)
        {
            OpenBrowser(url);
        }

        // Ctrl+C or SIGTERM: the command line's token or the host's own stopping (whichever handler the signal reached).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, server.Stopping);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }

    private static void OpenBrowser(string url)
    {
        var opener = OperatingSystem.IsMacOS() ? "open" : OperatingSystem.IsWindows() ? "explorer" : "xdg-open";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(opener, url) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true });
        }
#pragma warning disable CA1031 // No browser opener: the URL is printed, which is enough.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
