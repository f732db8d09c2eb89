using Selftune.Abstractions;
using Selftune.Core.Configuration;

namespace Selftune.Core.Loop;

/// <summary>
/// The bundled sample agent data (<c>samples/home</c> beside the executable: sessions of all four platforms and a few
/// installed skills, laid out as a home folder). A run on a machine without agent data uses a copy of it in
/// <c>&lt;selftune home&gt;/sample/home</c>, with its own selftune home <c>&lt;selftune home&gt;/sample/selftune</c>,
/// so nothing of the user's is read or changed. The copy is kept between runs (a later run watches what an earlier
/// one deployed there).
/// </summary>
internal static class SampleData
{
    /// <summary>The bundled samples beside the executable.</summary>
    public static string BundledHome => Path.Combine(AppContext.BaseDirectory, "samples", "home");

    /// <summary>The sample copy's fake home folder.</summary>
    public static string HomeFolder(SelftuneHome home) => Path.Combine(home.Root, "sample", "home");

    /// <summary>The sample copy's selftune home.</summary>
    public static string SelftuneFolder(SelftuneHome home) => Path.Combine(home.Root, "sample", "selftune");

    /// <summary>Copies the bundled samples into the sample home (once; a later call keeps what earlier runs changed), copies the
    /// user's <c>config.json</c> beside the sample store (so the same LLM settings apply), and returns the machine as a sample
    /// run sees it: the sample home as <c>HOME</c> and working directory, the sample selftune home as <c>SELFTUNE_HOME</c>, and
    /// the real environment without the variables that locate agent data (those the plugins declare:
    /// <see cref="IIngestor.EnvironmentVariables"/>, <see cref="IInstaller.EnvironmentVariables"/>).</summary>
    /// <param name="home">The user's selftune home.</param>
    /// <param name="real">The real machine.</param>
    /// <param name="ingestors">The loaded ingestors.</param>
    /// <param name="installers">The loaded installers.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.FileNotFound"/> when this installation has no bundled samples.</exception>
    public static PlatformContext Prepare(SelftuneHome home, PlatformContext real, IEnumerable<IIngestor> ingestors, IEnumerable<IInstaller> installers)
    {
        if (!Directory.Exists(BundledHome))
        {
            throw new SelftuneException(ErrorCodes.FileNotFound, $"This selftune has no bundled sample data ('{BundledHome}' is missing), and no agent data was found on this machine.", "selftune doctor");
        }

        var sampleHome = HomeFolder(home);
        var sampleSelftune = SelftuneFolder(home);
        if (!Directory.Exists(sampleHome))
        {
            var staging = sampleHome + ".copying-" + Guid.NewGuid().ToString("N")[..8];
            foreach (var file in Directory.EnumerateFiles(BundledHome, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(staging, Path.GetRelativePath(BundledHome, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            Directory.Move(staging, sampleHome);
        }

        Directory.CreateDirectory(sampleSelftune);
        if (File.Exists(home.ConfigPath))
        {
            File.Copy(home.ConfigPath, Path.Combine(sampleSelftune, "config.json"), overwrite: true);
        }

        var names = ingestors.SelectMany(i => i.EnvironmentVariables).Concat(installers.SelectMany(i => i.EnvironmentVariables)).Distinct(StringComparer.Ordinal).ToList();
        return new PlatformContext(sampleHome, sampleHome, name => name switch
        {
            "HOME" => sampleHome,
            SelftuneHome.EnvironmentVariable => sampleSelftune,
            _ when names.Any(h => h.EndsWith('*') ? name.StartsWith(h[..^1], StringComparison.Ordinal) : name == h) => null,
            _ => real.Environment(name),
        });
    }
}
