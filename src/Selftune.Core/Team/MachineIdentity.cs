using Selftune.Core.Configuration;

namespace Selftune.Core.Team;

/// <summary>Who pushes: a stable machine id made once per selftune home (the file <c>&lt;home&gt;/machine-id</c>, a random
/// GUID; copying a home copies its identity, deleting the file makes a new machine), the user's login name and the host
/// name. The id, not the host name, keys the team's rows, so renaming a host or two hosts of one name never mix rows.</summary>
/// <param name="MachineId">The home's id (32 lower-case hex digits).</param>
/// <param name="UserName">The login name of the user pushing.</param>
/// <param name="HostName">The host name, for display.</param>
internal sealed record MachineIdentity(string MachineId, string UserName, string HostName)
{
    /// <summary>The file name of the id in the home.</summary>
    public const string FileName = "machine-id";

    /// <summary>Reads the home's machine id, creating it on first use.</summary>
    /// <param name="home">The selftune home.</param>
    /// <exception cref="IOException">The home cannot be written.</exception>
    public static MachineIdentity Of(SelftuneHome home)
    {
        ArgumentNullException.ThrowIfNull(home);
        var path = Path.Combine(home.Root, FileName);
        var id = File.Exists(path) ? File.ReadAllText(path).Trim() : "";
        if (id.Length == 0)
        {
            home.EnsureExists();
            id = Guid.NewGuid().ToString("N");
            AtomicFile.WriteAllText(path, id + "\n");
        }

        return new MachineIdentity(id, Environment.UserName, Environment.MachineName);
    }
}
