using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Selftune.Abstractions;
using Selftune.Core.Analysis;
using Selftune.Core.Configuration;
using Selftune.Core.Loop;
using Selftune.Core.Monitoring;
using Selftune.Core.Reports;
using Selftune.Core.Scheduling;
using Selftune.Core.Store;

namespace Selftune.Core.Notifications;

/// <summary>One notification.</summary>
/// <param name="Event">What happened: <c>deployed</c>, <c>regressed</c>, <c>rolled_back</c>, <c>session_failed</c>,
/// <c>session_cost</c>, <c>new_error_pattern</c> or <c>test</c>.</param>
/// <param name="Title">One line.</param>
/// <param name="Text">The details, a few lines of plain text.</param>
internal sealed record Notification(string Event, string Title, string Text);

/// <summary>What became of one send.</summary>
/// <param name="Channel"><c>webhook</c> or <c>command</c>.</param>
/// <param name="Sent">True when it was delivered (HTTP 2xx, or exit code 0).</param>
/// <param name="Attempts">Attempts made (at most 3).</param>
/// <param name="Error">Why it failed, when it did.</param>
internal sealed record NotifyResult(string Channel, bool Sent, int Attempts, string? Error = null);

/// <summary>
/// Sends notifications to <c>notify.webhook_url</c> (a JSON body with both Slack's <c>text</c> and Discord's
/// <c>content</c>) and <c>notify.command</c> (<c>sh -c 'COMMAND "$1" "$2"' selftune TITLE TEXT</c>). Every send is bounded:
/// <c>notify.timeout_seconds</c> per attempt, two retries with backoff (Polly) on network errors, timeouts, 429 and 5xx.
/// A failed send is logged to <c>logs/notify.log</c> and returned, never thrown. Never used by a hook.
/// </summary>
internal sealed class Notifier(SelftuneConfig config, SelftuneHome home, PlatformContext context, TimeProvider time)
{
    private const int MaxRetries = 2;
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Delay before the first retry (doubled for the next); tests shorten it.</summary>
    internal TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>True when a webhook or a command is configured.</summary>
    public bool Configured => Webhook is not null || Command is not null;

    private string? Webhook => config.Checked(ConfigKeys.NotifyWebhookUrl.Key) is { Length: > 0 } url ? url : null;

    private string? Command => config.Checked(ConfigKeys.NotifyCommand.Key) is { Length: > 0 } command ? command : null;

    private TimeSpan AttemptTimeout => TimeSpan.FromSeconds(config.GetInt(ConfigKeys.NotifyTimeoutSeconds.Key));

    /// <summary>Sends one notification to every configured channel.</summary>
    public async Task<IReadOnlyList<NotifyResult>> SendAsync(Notification notification, CancellationToken ct)
    {
        var results = new List<NotifyResult>();
        if (Webhook is { } url)
        {
            results.Add(await PostAsync(url, notification, ct).ConfigureAwait(false));
        }

        if (Command is { } command)
        {
            results.Add(Run(command, notification));
        }

        foreach (var failed in results.Where(r => !r.Sent))
        {
            Log($"{notification.Event} via {failed.Channel} failed after {failed.Attempts} attempt(s): {failed.Error}");
        }

        return results;
    }

    /// <summary>Sends each notification (in order), when a channel is configured; failures are logged, not thrown.</summary>
    public async Task SendAllAsync(IEnumerable<Notification> notifications, CancellationToken ct)
    {
        if (!Configured)
        {
            return;
        }

        foreach (var n in notifications)
        {
            await SendAsync(n, ct).ConfigureAwait(false);
        }
    }

    /// <summary>What a run's report is worth telling: deploys, regressions and rollbacks, and new recurring error patterns.</summary>
    public static IEnumerable<Notification> ForRun(RunReport report, IReadOnlyList<ErrorPattern> newPatterns)
    {
        foreach (var e in report.Evolutions.Where(e => e.Outcome == EvolutionOutcome.Deployed))
        {
            yield return new("deployed", $"selftune deployed a new description of {e.Skill}", $"{e.Reason}{Rate(e.PassRateBefore, e.PassRateAfter)}\nrun {report.RunId}; undo: selftune rollback --skill {e.Skill}");
        }

        foreach (var w in report.Watches.Where(w => w.Verdict == WatchVerdict.Regressed))
        {
            yield return w.RolledBack
                ? new("rolled_back", $"selftune rolled back {w.Skill}", $"{w.Reason}\nrun {report.RunId}")
                : new("regressed", $"{w.Skill} regressed since its last deploy", $"{w.Reason}\nrun {report.RunId}; roll back: selftune rollback --skill {w.Skill}");
        }

        foreach (var p in newPatterns)
        {
            yield return new("new_error_pattern", $"New recurring error ({p.Category}): {p.Count} times in {p.Sessions} sessions", $"{p.Signature}{(p.SuggestedFix is { } fix ? "\nfix: " + fix : string.Empty)}\nselftune errors");
        }
    }

    /// <summary>Sessions classified at or after <paramref name="sinceMs"/> that failed or cost more than
    /// <c>notify.session_cost_usd</c> (at most 10, newest first).</summary>
    public IEnumerable<Notification> ForSessions(SelftuneStore store, long sinceMs)
    {
        var threshold = config.Checked(ConfigKeys.NotifySessionCostUsd.Key) is { Length: > 0 } t ? decimal.Parse(t, CultureInfo.InvariantCulture) : (decimal?)null;
        var recent = store.Query("SELECT session_id FROM session_outcomes WHERE classified_at >= $t", r => r.GetString(0), ("$t", sinceMs)).ToHashSet(StringComparer.Ordinal);
        if (recent.Count == 0)
        {
            return [];
        }

        return SessionReports.List(store, new SessionFilter(Limit: int.MaxValue))
            .Where(s => recent.Contains(s.SessionId))
            .Where(s => s.Outcome?.Value == Analysis.Outcome.Failed || (threshold is { } max && s.Tokens.CostUsd > max))
            .Take(10)
            .Select(s => s.Outcome?.Value == Analysis.Outcome.Failed
                ? new Notification("session_failed", $"A session failed in {Path.GetFileName(s.Project?.TrimEnd('/')) ?? "?"} (${s.Tokens.CostUsd:0.00})", $"{string.Join("; ", s.Outcome.Evidence.Select(e => $"{e.Signal}: {e.Detail}"))}\nselftune report --session {s.SessionId}")
                : new Notification("session_cost", $"A session cost ${s.Tokens.CostUsd:0.00} (over ${threshold:0.00}) in {Path.GetFileName(s.Project?.TrimEnd('/')) ?? "?"}", $"selftune report --session {s.SessionId}"))
            .ToList();
    }

    private static string Rate(double? before, double? after) =>
        before is { } b && after is { } a ? $" (validation pass rate {b:P0} → {a:P0})" : string.Empty;

    private async Task<NotifyResult> PostAsync(string url, Notification n, CancellationToken ct)
    {
        var text = $"*{n.Title}*\n{n.Text}";
        var body = Json.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("username", "selftune");
            w.WriteString("text", text);
            w.WriteString("content", text.Length <= 2000 ? text : text[..2000]);
            w.WriteString("event", n.Event);
            w.WriteEndObject();
        });
        var attempts = 0;
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException or TimeoutRejectedException or RetryableStatusException && !ct.IsCancellationRequested),
                MaxRetryAttempts = MaxRetries,
                Delay = RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
            })
            .AddTimeout(AttemptTimeout)
            .Build();
        try
        {
            await pipeline.ExecuteAsync(
                async token =>
                {
                    attempts++;
                    using var content = new StringContent(body, Encoding.UTF8);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await Http.PostAsync(url, content, token).ConfigureAwait(false);
                    var status = (int)response.StatusCode;
                    if (status is 429 or >= 500)
                    {
                        throw new RetryableStatusException(status);
                    }

                    if (status >= 300)
                    {
                        throw new HttpStatusException(status);
                    }
                },
                ct).ConfigureAwait(false);
            return new NotifyResult("webhook", true, attempts);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var why = ex switch
            {
                TimeoutRejectedException => $"no answer within {AttemptTimeout.TotalSeconds:0} s (notify.timeout_seconds)",
                RetryableStatusException r => $"HTTP {r.Status}",
                HttpStatusException h => $"HTTP {h.Status}",
                _ => ex.Message,
            };
            return new NotifyResult("webhook", false, attempts, why);
        }
    }

    private NotifyResult Run(string command, Notification n)
    {
        var (exit, _, stderr) = new ExternalCommand("sh", ["-c", command + " \"$1\" \"$2\"", "selftune", n.Title, n.Text]).Run(context, null, AttemptTimeout);
        return exit == 0 ? new NotifyResult("command", true, 1) : new NotifyResult("command", false, 1, $"exit code {exit}: {stderr.Trim()}");
    }

    private void Log(string line)
    {
        try
        {
            Directory.CreateDirectory(home.LogsPath);
            var path = Path.Combine(home.LogsPath, "notify.log");
            File.AppendAllText(path, $"{time.GetUtcNow():O} {line}{Environment.NewLine}");
            PrivateFiles.MakePrivate(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Logging a failed notification must not fail the command that sent it.
        }
    }

    private sealed class RetryableStatusException(int status) : Exception($"HTTP {status}")
    {
        public int Status => status;
    }

    private sealed class HttpStatusException(int status) : Exception($"HTTP {status}")
    {
        public int Status => status;
    }
}
