using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Selftune.Core;
using Selftune.Core.Store;

namespace Selftune.Host.Dashboard;

/// <summary>
/// The events of <c>GET /api/events</c>: <c>update</c> when the store changed, <c>action</c> with an action's progress.
/// Each event has an increasing id; the last 256 are kept, so a client that reconnects with <c>Last-Event-ID</c> is sent
/// what it missed, in order.
/// </summary>
internal sealed class DashboardEvents
{
    private const int Kept = 256;
    private readonly Lock _gate = new();
    private readonly Queue<SseItem<string>> _recent = new();
    private readonly List<Channel<SseItem<string>>> _subscribers = [];
    private long _lastId;

    /// <summary>Clients connected now.</summary>
    public int Subscribers
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Sends an event to every client and keeps it for replay.</summary>
    /// <param name="type"><c>update</c> or <c>action</c>.</param>
    /// <param name="json">Its data, one line of JSON.</param>
    public void Publish(string type, string json)
    {
        lock (_gate)
        {
            var item = new SseItem<string>(json, type) { EventId = (++_lastId).ToString(CultureInfo.InvariantCulture) };
            _recent.Enqueue(item);
            if (_recent.Count > Kept)
            {
                _recent.Dequeue();
            }

            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(item);
            }
        }
    }

    /// <summary>One client's stream: first a <c>hello</c> (no id), then the kept events after <paramref name="lastEventId"/>,
    /// then every new event until the client goes.</summary>
    /// <param name="lastEventId">The <c>Last-Event-ID</c> the client sent on reconnecting; null on a first connection.</param>
    /// <param name="hello">The <c>hello</c> event's data.</param>
    /// <param name="ct">The client went.</param>
    public async IAsyncEnumerable<SseItem<string>> Subscribe(string? lastEventId, string hello, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<SseItem<string>>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        List<SseItem<string>> missed;
        lock (_gate)
        {
            missed = long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                ? _recent.Where(e => long.Parse(e.EventId!, CultureInfo.InvariantCulture) > last).ToList()
                : [];
            _subscribers.Add(channel);
        }

        try
        {
            yield return new SseItem<string>(hello, "hello") { ReconnectionInterval = TimeSpan.FromSeconds(1) };
            foreach (var item in missed)
            {
                yield return item;
            }

            await foreach (var item in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
            }
        }
    }
}

/// <summary>
/// Tells when the store's content changed, cheaply: every 250 ms it asks one long-lived read-only connection for
/// SQLite's <c>PRAGMA data_version</c>, which moves only when another connection commits (not on a checkpoint or on
/// opening the store), and takes no lock, so it never waits on a sync. A change bumps <see cref="Version"/>, has
/// <see cref="DashboardData"/> recompute its answers (<see cref="Refresh"/>) and sends <c>update</c> events. Before the
/// store exists it watches for the file.
/// </summary>
internal sealed class StoreWatcher(string storePath, DashboardEvents events) : BackgroundService
{
    /// <summary>How often the store is asked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly Lock _gate = new();
    private SelftuneStore? _store;
    private long _seen = -1;
    private long _opened;
    private long _version;

    /// <summary>A counter of store changes seen since the dashboard started.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Run with the new <see cref="Version"/> after a change is seen: recomputes the dashboard's answers and calls
    /// its second argument to send each <c>update</c> event (<c>complete</c> false when only some answers are new yet), so
    /// the requests a page sends on <c>update</c> find the new answers ready.</summary>
    public Action<long, Action<bool>>? Refresh { get; set; }

    /// <summary>Asks now (what the timer does; also after an action, so its result shows at once).</summary>
    public void Check()
    {
        long now;
        lock (_gate)
        {
            now = DataVersion();
            if (now == _seen)
            {
                return;
            }

            _seen = now;
        }

        var version = Interlocked.Increment(ref _version);
        var complete = false;
        void Publish(bool all)
        {
            if (!complete)
            {
                complete = all;
                events.Publish("update", $"{{\"version\":{version},\"complete\":{(all ? "true" : "false")},\"at\":\"{DateTimeOffset.UtcNow:O}\"}}");
            }
        }

        try
        {
            Refresh?.Invoke(version, Publish);
        }
#pragma warning disable CA1031 // A store that cannot be read is explained by the pages themselves.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            Publish(true);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lock (_gate)
        {
            _seen = DataVersion();
        }

        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Check();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        lock (_gate)
        {
            _store?.Dispose();
            _store = null;
        }

        base.Dispose();
    }

    /// <summary>The store's data version and how often it was opened (a reopen is a change too); 0 before the store exists.</summary>
    private long DataVersion()
    {
        try
        {
            if (_store is null)
            {
                if (!File.Exists(storePath))
                {
                    return 0;
                }

                _store = SelftuneStore.Open(storePath, readOnly: true);
                _opened++;
            }

            return (_opened << 32) + (long)_store.Scalar("PRAGMA data_version")!;
        }
        catch (SelftuneException)
        {
            _store?.Dispose();
            _store = null;
            return -2; // damaged, too new or replaced: the pages say why; a later tick tries again
        }
    }
}
