using Selftune.Core.Configuration;
using Selftune.Core.Store;

namespace Selftune.Core.Team;

/// <summary>The team features for one home: its machine identity, the configured team database
/// (<c>team.database</c>) and sharing (<c>team.share_prompts</c>), composed for the commands.</summary>
internal sealed class TeamService
{
    private readonly SelftuneHome _home;
    private readonly SelftuneConfig _config;
    private readonly TeamPush _push;

    /// <summary>Creates the service.</summary>
    public TeamService(SelftuneHome home, SelftuneConfig config, TeamPush push)
    {
        _home = home;
        _config = config;
        _push = push;
    }

    /// <summary>This home's machine identity (made on first use).</summary>
    public MachineIdentity Me => field ??= MachineIdentity.Of(_home);

    /// <summary>Whether a team database is configured.</summary>
    public bool Configured => _config.Get(ConfigKeys.TeamDatabase.Key) is not null;

    /// <summary>Connects to the team database (<paramref name="connection"/>, else <c>team.database</c>) and migrates it.</summary>
    /// <exception cref="SelftuneException">None configured; the database's errors (<see cref="TeamDatabase.OpenAsync"/>).</exception>
    public Task<TeamDatabase> OpenAsync(string? connection, CancellationToken ct) =>
        TeamDatabase.OpenAsync(TeamDatabase.ConnectionString(_config, connection), ct);

    /// <summary><c>selftune team push</c>: pushes what changed since the last push. A dry run without a database set counts
    /// every row as new.</summary>
    /// <param name="store">The local store (read only).</param>
    /// <param name="connection">The <c>--database</c> connection string, overriding <c>team.database</c>.</param>
    /// <param name="dryRun">Count, write nothing.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException">See <see cref="OpenAsync"/> and <see cref="TeamPush.PushAsync"/>.</exception>
    public async Task<TeamPushReport> PushAsync(SelftuneStore store, string? connection, bool dryRun, CancellationToken ct)
    {
        var share = _config.GetBool(ConfigKeys.TeamSharePrompts.Key);
        if (dryRun && connection is null && !Configured)
        {
            return await _push.PushAsync(store, null, Me, share, dryRun: true, ct).ConfigureAwait(false);
        }

        await using var database = await OpenAsync(connection, ct).ConfigureAwait(false);
        return await _push.PushAsync(store, database, Me, share, dryRun, ct).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/> on the team's pooled evidence (<see cref="TeamEvidence"/>: a scratch copy of the
    /// local store plus the other machines' sessions, prompts, skill invocations and misses), for <c>eval generate --team</c>
    /// and <c>evolve --team</c>. The local store is not written.</summary>
    /// <param name="local">This machine's store.</param>
    /// <param name="work">What reads the pooled store.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The work's result, the other machines pooled and their prompts added.</returns>
    /// <exception cref="SelftuneException">No team database set; the database's errors.</exception>
    public async Task<(T Result, int Machines, int Prompts)> WithPooledEvidenceAsync<T>(SelftuneStore local, Func<SelftuneStore, Task<T>> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        await using var database = await OpenAsync(null, ct).ConfigureAwait(false);
        using var pooled = await TeamEvidence.PoolAsync(local, database, Me, ct).ConfigureAwait(false);
        return (await work(pooled.Store).ConfigureAwait(false), pooled.Machines, pooled.Prompts);
    }

    /// <summary>Whether every run ends with a push (<see cref="Loop.RunService"/>): <c>team.push</c> is on and a database is set.</summary>
    public bool PushesAfterRun => _config.GetBool(ConfigKeys.TeamPush.Key) && Configured;
}
