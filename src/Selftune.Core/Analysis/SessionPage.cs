using System.Globalization;
using System.Net;
using System.Text;
using Selftune.Core.Reports;
using Selftune.Core.Store;

namespace Selftune.Core.Analysis;

/// <summary>
/// <c>selftune report --session ID</c>: one page about one session a person can read or attach to a ticket — its prompts,
/// outcome and evidence, errors, skills, tokens and cost by model, and sub-agents — as Markdown or self-contained HTML.
/// Everything shown is what the store holds (prompts and messages already redacted).
/// </summary>
internal static class SessionPage
{
    /// <summary>Renders the page.</summary>
    /// <param name="store">The store.</param>
    /// <param name="sessionId">A top-level session id, or a unique prefix of one.</param>
    /// <param name="html">True for HTML, false for Markdown.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when no session (or more than one) matches.</exception>
    public static string Render(SelftuneStore store, string sessionId, bool html)
    {
        var matches = SessionReports.List(store, new SessionFilter(Limit: int.MaxValue)).Where(s => s.SessionId.StartsWith(sessionId, StringComparison.Ordinal)).ToList();
        var s = matches.Find(m => m.SessionId == sessionId) ?? (matches.Count == 1 ? matches[0] : null)
            ?? throw new SelftuneException(ErrorCodes.NotFound, matches.Count == 0 ? $"There is no session {ShellCommand.Quoted(sessionId)}." : $"{matches.Count} sessions start with {ShellCommand.Quoted(sessionId)}; give more of the id.", "selftune sessions");
        var family = store.Query("SELECT session_id FROM sessions WHERE session_id = $s OR parent_session_id = $s", r => r.GetString(0), ("$s", s.SessionId));
        var inFamily = string.Join(", ", family.Select((_, i) => "$f" + i));
        var familyParameters = family.Select((id, i) => ("$f" + i, (object?)id)).ToArray();
        var sections = new List<(string Title, List<string> Lines)>();

        var overview = new List<string>
        {
            $"Platform: {s.Platform}; project: {s.Project ?? "?"}{(s.GitBranch is { } b ? $" on {b}" : string.Empty)}",
            $"Time: {s.StartedAt:yyyy-MM-dd HH:mm} → {s.EndedAt:yyyy-MM-dd HH:mm} UTC; ended: {s.Status}; models: {(s.Models.Count == 0 ? "-" : string.Join(", ", s.Models))}",
            $"{s.ActionablePrompts} prompts, {s.ToolCalls} tool calls ({s.ToolErrors} failed), {s.Subagents} sub-agents",
            string.Create(CultureInfo.InvariantCulture, $"Tokens: {s.Tokens.Total:N0} (input {s.Tokens.Input:N0}, output {s.Tokens.Output:N0}, cache write {s.Tokens.CacheWrite:N0}, cache read {s.Tokens.CacheRead:N0}); cost ${s.Tokens.CostUsd:0.0000}{(s.Tokens.UnpricedResponses > 0 ? $" ({s.Tokens.UnpricedResponses} responses of unpriced models)" : string.Empty)}"),
        };
        sections.Add(("Overview", overview));

        var outcome = new List<string>();
        if (s.Outcome is { } o)
        {
            outcome.Add(string.Create(CultureInfo.InvariantCulture, $"{Json.Name(o.Value)} (confidence {o.Confidence:0.00}, by {Json.Name(o.Method)}{(o.Model is { } m ? " " + m : string.Empty)}){(o.Commits is > 0 ? $"; {o.Commits} commits" : string.Empty)}{(o.LinesAdded is { } added ? $"; +{added}/-{o.LinesRemoved} lines" : string.Empty)}"));
            outcome.AddRange(o.Evidence.Select(e => $"{e.Signal}: {e.Detail}"));
        }
        else
        {
            outcome.Add("not classified yet (selftune sync)");
        }

        sections.Add(("Outcome and evidence", outcome));
        sections.Add(("Prompts", store.Query(
            "SELECT occurred_at, text FROM prompts WHERE session_id = $s AND actionable = 1 ORDER BY occurred_at",
            r => $"{DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)):HH:mm} {OneLine(r.GetString(1), 500)}", ("$s", s.SessionId))));
        sections.Add(("Errors", store.Query(
            $"SELECT occurred_at, kind, message FROM session_errors WHERE session_id IN ({inFamily}) ORDER BY occurred_at",
            r => $"{DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)):HH:mm} {r.GetString(1)} [{ErrorPatterns.Category(r.GetString(1), r.GetString(2), null, null)}]: {OneLine(r.GetString(2), 300)}", familyParameters)));
        sections.Add(("Skills", s.Skills.Select(k => $"{k.Name}: {k.Kind} ×{k.Count}").ToList()));
        sections.Add(("Cost by model", store.Query(
            $"SELECT model, count(*), sum(input_tokens + output_tokens + cache_write_tokens + cache_read_tokens), total(cost_usd), sum(cost_usd IS NULL) FROM token_usage WHERE session_id IN ({inFamily}) GROUP BY model ORDER BY total(cost_usd) DESC",
            r => string.Create(CultureInfo.InvariantCulture, $"{r.GetString(0)}: {r.GetInt64(1)} responses, {r.GetInt64(2):N0} tokens, ${r.GetDouble(3):0.0000}{(r.GetInt64(4) > 0 ? " (unpriced model)" : string.Empty)}"), familyParameters)));
        sections.Add(("Sub-agents", store.Query(
            "SELECT s.session_id, (SELECT count(*) FROM tool_calls t WHERE t.session_id = s.session_id), (SELECT total(cost_usd) FROM token_usage u WHERE u.session_id = s.session_id) FROM sessions s WHERE s.parent_session_id = $s ORDER BY s.started_at",
            r => string.Create(CultureInfo.InvariantCulture, $"{r.GetString(0)}: {r.GetInt64(1)} tool calls, ${r.GetDouble(2):0.0000}"), ("$s", s.SessionId))));

        var title = $"Session {s.SessionId}";
        return html ? Html(title, sections) : Markdown(title, sections);
    }

    private static string Markdown(string title, List<(string Title, List<string> Lines)> sections)
    {
        var md = new StringBuilder().Append("# ").AppendLine(title);
        foreach (var (heading, lines) in sections)
        {
            md.AppendLine().Append("## ").AppendLine(heading).AppendLine();
            foreach (var line in lines.DefaultIfEmpty("none"))
            {
                md.Append("- ").AppendLine(line.Replace("\n", " ", StringComparison.Ordinal));
            }
        }

        return md.ToString();
    }

    private static string Html(string title, List<(string Title, List<string> Lines)> sections)
    {
        var html = new StringBuilder()
            .AppendLine("<!DOCTYPE html>")
            .AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + WebUtility.HtmlEncode(title) + "</title>")
            .AppendLine("<style>body{font:14px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}li{margin:.2rem 0;word-break:break-word}</style></head><body>")
            .Append("<h1>").Append(WebUtility.HtmlEncode(title)).AppendLine("</h1>");
        foreach (var (heading, lines) in sections)
        {
            html.Append("<h2>").Append(WebUtility.HtmlEncode(heading)).AppendLine("</h2><ul>");
            foreach (var line in lines.DefaultIfEmpty("none"))
            {
                html.Append("<li>").Append(WebUtility.HtmlEncode(line)).AppendLine("</li>");
            }

            html.AppendLine("</ul>");
        }

        return html.AppendLine("</body></html>").ToString();
    }

    private static string OneLine(string text, int max)
    {
        var line = string.Join(' ', text.Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= max ? line : line[..max] + "…";
    }
}
