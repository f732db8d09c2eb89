using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Selftune.Core;
using Selftune.Core.Reports;
using Selftune.Host.Cli;

namespace Selftune.Host.Dashboard;

/// <summary>
/// The dashboard's routes. JSON under <c>/api/</c> (errors as <c>{"error":{"code","message","next_command"}}</c>, the
/// CLI's error contract), <c>/api/events</c> (Server-Sent Events), <c>/badge/{skill}.svg</c>, the page's assets under
/// <c>/assets/</c> and the page itself on each of its routes. Anything else is a 404.
/// </summary>
internal static class DashboardApi
{
    /// <summary>The page's routes (the page reads the path and shows that view).</summary>
    public static readonly IReadOnlyList<string> Pages = ["/", "/skills/{name}", "/sessions", "/sessions/{id}", "/cost", "/runs", "/runs/{id}", "/health", "/team"];

    /// <summary>Maps every route.</summary>
    public static void Map(IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var api = routes.MapGroup("/api");
        api.MapGet("/health", (DashboardData data) => Answer(data.Health));
        api.MapGet("/overview", (DashboardData data) => Answer(data.Overview));
        api.MapGet("/skills/{name}", (string name, DashboardData data) => Answer(() => data.Skill(DashboardData.CheckSkillName(name)), $"No skill '{name}' is installed or seen in a session."));
        api.MapGet("/sessions", (string? project, string? platform, string? skill, string? since, int? limit, DashboardData data) => Answer(() => data.Sessions(new SessionFilter(
            Empty(project),
            OptionRules.ParseDate(Empty(since)),
            Empty(skill) is { } s ? DashboardData.CheckSkillName(s) : null,
            Math.Clamp(limit ?? DashboardData.SessionPage, 1, 1000),
            Empty(platform)))));
        api.MapGet("/sessions/{id}", (string id, DashboardData data) => Answer(() => data.Session(id), $"There is no session '{id}'."));
        api.MapGet("/cost", (string? by, DashboardData data) => Answer(() => data.Cost(by ?? "day")));
        api.MapGet("/team", async (string? by, string? skill, DashboardData data, CancellationToken ct) =>
        {
            try
            {
                return Results.Bytes(await data.TeamAsync(Empty(by) ?? "machine", Empty(skill) is { } s ? DashboardData.CheckSkillName(s) : null, ct).ConfigureAwait(false), JsonType);
            }
            catch (SelftuneException ex)
            {
                return Error(ex);
            }
        });
        api.MapGet("/runs", (DashboardData data) => Answer(data.Runs));
        api.MapGet("/runs/{id}", (string id, DashboardData data) => Answer(() => data.Run(id), $"There is no run '{id}'."));
        api.MapGet("/events", (HttpContext context, DashboardEvents events, StoreWatcher watcher, DashboardActions actions) =>
        {
            var hello = JsonSerializer.Serialize(new { version = watcher.Version, running = actions.Running, poll_ms = (int)StoreWatcher.Interval.TotalMilliseconds }, Json.Options);
            return TypedResults.ServerSentEvents(events.Subscribe(context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } last ? last : null, hello, context.RequestAborted));
        });
        api.MapPost("/actions/{kind}", async (string kind, HttpContext context, DashboardActions actions) =>
        {
            ActionRequest request;
            try
            {
                request = context.Request.ContentLength is 0 or null && !context.Request.Headers.ContentType.Any()
                    ? new ActionRequest()
                    : await JsonSerializer.DeserializeAsync<ActionRequest>(context.Request.Body, Json.Options, context.RequestAborted).ConfigureAwait(false) ?? new ActionRequest();
            }
            catch (JsonException ex)
            {
                return Error(new SelftuneException(ErrorCodes.InvalidArgument, $"The request body is not the JSON this action takes: {ex.Message}", "selftune dashboard"));
            }

            return Answer(() => JsonSerializer.SerializeToUtf8Bytes(new { action_id = actions.Start(kind, request) }, Json.Options), status: StatusCodes.Status202Accepted);
        });
        api.MapFallback(() => Error(new SelftuneException(ErrorCodes.NotFound, "There is no such API endpoint.", "selftune dashboard")));

        routes.MapGet("/badge/{file}", (string file, DashboardData data) =>
        {
            if (!file.EndsWith(".svg", StringComparison.Ordinal))
            {
                return Results.NotFound();
            }

            try
            {
                var name = DashboardData.CheckSkillName(file[..^4]);
                return data.SkillStatus(name) is { } status
                    ? Results.Text(Badges.Svg(status), "image/svg+xml; charset=utf-8")
                    : Error(new SelftuneException(ErrorCodes.NotFound, $"No skill '{name}' is installed or seen in a session.", "selftune status"));
            }
            catch (SelftuneException ex)
            {
                return Error(ex);
            }
        });
        routes.MapGet("/assets/{**path}", (string path, DashboardAssets assets, HttpContext context) => assets.Serve(path, context));
        foreach (var page in Pages)
        {
            routes.MapGet(page, (DashboardAssets assets, HttpContext context) => assets.Page(context));
        }
    }

    private const string JsonType = "application/json; charset=utf-8";

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static IResult Answer(Func<byte[]?> answer, string? notFound = null, int status = StatusCodes.Status200OK)
    {
        try
        {
            return answer() is not { } json ? Error(new SelftuneException(ErrorCodes.NotFound, notFound ?? "Not found.", "selftune status"))
                : status == StatusCodes.Status200OK ? Results.Bytes(json, JsonType)
                : Results.Text(System.Text.Encoding.UTF8.GetString(json), JsonType, statusCode: status);
        }
        catch (SelftuneException ex)
        {
            return Error(ex);
        }
    }

    /// <summary>An error in the CLI's contract, with the HTTP status its code means.</summary>
    private static IResult Error(SelftuneException ex) => Results.Text(
        JsonSerializer.Serialize(new { error = new { code = ex.Code, message = ex.Message, next_command = ex.NextCommand } }, Json.Options),
        JsonType,
        statusCode: ex.Code switch
        {
            ErrorCodes.NotFound => StatusCodes.Status404NotFound,
            ErrorCodes.InvalidArgument => StatusCodes.Status400BadRequest,
            ErrorCodes.Locked => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status503ServiceUnavailable,
        });
}
