using Selftune.Core.Hooks;

namespace Selftune.Core.Configuration;

/// <summary>
/// The selftune home folder and the files in it: <c>~/.selftune/</c>, re-rooted by <c>SELFTUNE_HOME</c>.
/// Everything selftune keeps stays here, on this machine.
/// </summary>
internal sealed class SelftuneHome
{
    /// <summary>The environment variable that re-roots the home.</summary>
    public const string EnvironmentVariable = HomeLayout.EnvironmentVariable;

    /// <summary>Creates a home rooted at <paramref name="root"/> (not created on disk until <see cref="EnsureExists"/>).</summary>
    public SelftuneHome(string root) => Root = Path.GetFullPath(root);

    /// <summary>The folder.</summary>
    public string Root { get; }

    /// <summary><c>config.json</c>.</summary>
    public string ConfigPath => Path.Combine(Root, "config.json");

    /// <summary>The SQLite store, <c>selftune.db</c>.</summary>
    public string DatabasePath => Path.Combine(Root, "selftune.db");

    /// <summary>Third-party plugins, one folder each: <c>plugins/&lt;Name&gt;/&lt;Name&gt;.dll</c>.</summary>
    public string PluginsPath => Path.Combine(Root, "plugins");

    /// <summary>Log files (the hook's error log among them).</summary>
    public string LogsPath => Path.Combine(Root, HomeLayout.LogsFolder);

    /// <summary>Raw hook events waiting to be stored (<c>spool/</c>).</summary>
    public string SpoolPath => Path.Combine(Root, HomeLayout.SpoolFolder);

    /// <summary>The user's price overrides, <c>pricing.json</c> (see <see cref="Pricing.PricingTable"/>); optional.</summary>
    public string PricingPath => Path.Combine(Root, Pricing.PricingTable.OverrideFileName);

    /// <summary>The skill roots the plugins last named, with what decided them (<see cref="Skills.SkillRootsCache"/>).</summary>
    public string SkillRootsPath => Path.Combine(Root, "skill-roots.json");

    /// <summary>Backups of every file selftune replaced (agent settings, SKILL.md).</summary>
    public string BackupsPath => Path.Combine(Root, "backups");

    /// <summary>Resolves the home from <c>SELFTUNE_HOME</c>, else <c>~/.selftune</c>.</summary>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="userHome">The user's home folder.</param>
    public static SelftuneHome Resolve(Func<string, string?> environment, string userHome) =>
        new(HomeLayout.Root(environment, userHome));

    /// <summary>Creates the folder if needed and checks it can be written.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.HomeUnwritable"/> when it cannot be created or written.</exception>
    public void EnsureExists()
    {
        try
        {
            Directory.CreateDirectory(Root);
            var probe = Path.Combine(Root, $".write-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, string.Empty);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SelftuneException(
                ErrorCodes.HomeUnwritable,
                $"The selftune home '{Root}' cannot be written: {ex.Message.TrimEnd('.')}. Make it writable, or point {EnvironmentVariable} at a folder you own.",
                $"export {EnvironmentVariable}=$HOME/.selftune",
                inner: ex);
        }
    }
}
