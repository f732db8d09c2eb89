using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Selftune.Host.Dashboard;

/// <summary>
/// The page and its assets, embedded in the executable (<c>Dashboard/wwwroot/</c>, resources named <c>dashboard/…</c>):
/// nothing is read from disk or the network at run time. Assets carry an ETag; the page carries the per-launch token.
/// </summary>
internal sealed class DashboardAssets
{
    private const string Prefix = "dashboard/";
    private readonly Dictionary<string, (byte[] Bytes, string Type, string ETag)> _files = new(StringComparer.Ordinal);
    private readonly byte[] _page;

    /// <summary>Loads every embedded file once.</summary>
    /// <param name="options">The per-launch token, written into the page.</param>
    /// <param name="app">The composition: the Team link is in the page's navigation only when <c>team.database</c> is set.</param>
    public DashboardAssets(DashboardOptions options, Cli.App app)
    {
        var assembly = typeof(DashboardAssets).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            _files[name[Prefix.Length..]] = (bytes, ContentType(name), "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"");
        }

        var page = Encoding.UTF8.GetString(_files["index.html"].Bytes)
            .Replace("{{TOKEN}}", options.Token, StringComparison.Ordinal)
            .Replace("{{VERSION}}", DashboardServer.Version, StringComparison.Ordinal)
            .Replace("{{TEAM_NAV}}", app.Get<Core.Team.TeamService>().Configured ? "<a href=\"/team\" data-nav=\"team\">Team</a>" : string.Empty, StringComparison.Ordinal);
        _page = Encoding.UTF8.GetBytes(page);
    }

    /// <summary>The page (every page route serves it; the script shows the view the path names).</summary>
    public IResult Page(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        return Results.Bytes(_page, "text/html; charset=utf-8");
    }

    /// <summary>An asset, or 404.</summary>
    public IResult Serve(string path, HttpContext context)
    {
        if (path == "index.html" || !_files.TryGetValue(path, out var file))
        {
            return Results.NotFound();
        }

        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ETag = file.ETag;
        return context.Request.Headers.IfNoneMatch.ToString() == file.ETag
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(file.Bytes, file.Type);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".html" => "text/html; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
}
