using Selftune.Core.Configuration;
using Selftune.Core.Store;

namespace Selftune.Core.Tests;

/// <summary>A selftune home in a fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempHome : IDisposable
{
    public TempHome()
    {
        Root = Path.Combine(Path.GetTempPath(), "selftune-core-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Home = new SelftuneHome(Path.Combine(Root, ".selftune"));
        Home.EnsureExists();
    }

    public string Root { get; }

    public SelftuneHome Home { get; }

    public SelftuneStore OpenStore() => SelftuneStore.Open(Home.DatabasePath);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
