using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Privacy;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Ingest;

/// <summary>The identity of the installed plugins and this build (<see cref="SyncStamp.Installation"/> over the plugin
/// folders), which the sync stamp compares.</summary>
/// <param name="Identity">The identity.</param>
internal sealed record PluginInstallation(string Identity);

/// <summary><c>selftune sync</c> and the run's sync phase: tells from the last sync's stamp when nothing changed
/// (<see cref="SyncStamp"/>); otherwise stores the spooled hook events, then reads every agent's new sessions.</summary>
/// <param name="sync">Reads the sources.</param>
/// <param name="drainer">Stores the spooled hook events.</param>
/// <param name="pricer">Prices token usage.</param>
/// <param name="config">Redaction settings.</param>
/// <param name="home">The selftune home.</param>
/// <param name="context">The machine.</param>
/// <param name="installation">The installed plugins' identity.</param>
/// <param name="time">The clock.</param>
/// <param name="installers">The loaded plugins' installers: a sync that reads refreshes the skill roots they name
/// (<see cref="SkillRootsCache"/>, what <c>status</c> uses).</param>
internal sealed class SyncJob(SyncService sync, HookSpoolDrainer drainer, IUsagePricer pricer, SelftuneConfig config, SelftuneHome home, PlatformContext context, PluginInstallation installation, TimeProvider time, IEnumerable<IInstaller> installers)
{
    /// <summary>Runs one sync into <paramref name="store"/>.</summary>
    /// <param name="store">The store.</param>
    /// <param name="options">What to read (<see cref="SyncOptions.Progress"/> receives progress).</param>
    /// <param name="cancellationToken">Stops the work between sources.</param>
    /// <exception cref="SelftuneException">The store fails.</exception>
    public SyncReport Run(SelftuneStore store, SyncOptions options, CancellationToken cancellationToken) =>
        Unchanged(store, context, installation.Identity, home, time.GetUtcNow(), options) ?? Read(store, options, cancellationToken);

    /// <summary>Stores the spooled hook events, then reads every agent's new sessions (the parse threads read ahead while the
    /// spool drains: <see cref="SyncService.Run"/>), without consulting the stamp (the caller did: <see cref="Unchanged"/>);
    /// meanwhile, on another thread, remembers the installed plugins' skill roots for <c>status</c> (they depend on the
    /// plugins and the machine, not on the store).</summary>
    /// <param name="store">The store.</param>
    /// <param name="options">What to read (<see cref="SyncOptions.Progress"/> receives progress).</param>
    /// <param name="cancellationToken">Stops the work between sources.</param>
    /// <exception cref="SelftuneException">The store fails.</exception>
    public SyncReport Read(SelftuneStore store, SyncOptions options, CancellationToken cancellationToken)
    {
        var roots = Task.Run(() => new SkillRootsCache(home.SkillRootsPath).Refresh(context, installation.Identity, installers), CancellationToken.None);
        var redactor = new Redactor(config.GetBool(ConfigKeys.RedactionEnabled.Key));
        HookDrainReport? hooks = null;
        var report = sync.Run(store, context, redactor, pricer, options with { Installation = installation.Identity }, cancellationToken,
            beforeWriting: () => hooks = drainer.Drain(store, home, redactor, cancellationToken)) with { Hooks = hooks };
        roots.GetAwaiter().GetResult();
        return report;
    }

    /// <summary>When the last sync's stamp shows that nothing changed (never with <c>--force</c>, <c>--since</c> or
    /// <c>--platform</c>), records and returns the report of a sync that read nothing; otherwise null. Loads no plugin.</summary>
    /// <param name="store">The store.</param>
    /// <param name="context">The machine.</param>
    /// <param name="installation">The installed plugins' identity.</param>
    /// <param name="home">The selftune home.</param>
    /// <param name="now">The time now.</param>
    /// <param name="options">What was asked.</param>
    public static SyncReport? Unchanged(SelftuneStore store, PlatformContext context, string installation, SelftuneHome home, DateTimeOffset now, SyncOptions options)
    {
        if (options.Force || !options.Complete || SyncStamp.Unchanged(store, context, installation, home, now) is not { } unchanged)
        {
            return null;
        }

        SyncService.Record(store, unchanged);
        return unchanged;
    }

    /// <summary>When the last sync started, or null when none is recorded.</summary>
    public static DateTimeOffset? LastStartedAt(SelftuneStore store) =>
        store.Scalar("SELECT max(started_at) FROM sync_runs") is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
