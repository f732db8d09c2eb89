using System.CommandLine;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Notifications;
using Selftune.Host.Cli;
using Spectre.Console;

namespace Selftune.Host.Commands;

/// <summary><c>selftune notify test</c>: sends a test notification to every configured channel.</summary>
internal static class NotifyCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(Func<App> app)
    {
        var test = new Command("test", "Send a test notification to notify.webhook_url and notify.command; exit 1 when a channel failed (the reason is printed and logged in logs/notify.log).")
            .Runs(app, async (a, _, ct) =>
            {
                var notifier = a.Get<Notifier>();
                if (!notifier.Configured)
                {
                    throw new SelftuneException(ErrorCodes.NotEnoughData, "No notification channel is configured: set notify.webhook_url (Slack or Discord incoming webhook) or notify.command.", $"selftune config set {ConfigKeys.NotifyWebhookUrl.Key} URL");
                }

                var results = await notifier.SendAsync(new Notification("test", "selftune test notification", "If you can read this, selftune's notifications reach you."), ct);
                a.Output.Result(new { results }, console =>
                {
                    foreach (var r in results)
                    {
                        console.MarkupLine(r.Sent ? $"[green]sent[/] via {r.Channel} ({r.Attempts} attempt(s))" : $"[red]failed[/] via {r.Channel} after {r.Attempts} attempt(s): {Markup.Escape(r.Error ?? "?")}");
                    }
                });
                return results.All(r => r.Sent) ? 0 : 1;
            });
        return new Command("notify", "Notifications (notify.webhook_url, notify.command, notify.session_cost_usd): a deploy, regression or rollback, a failed or costly session, a new recurring error.") { test };
    }
}
