using System.Globalization;

namespace Selftune.Core.Store;

/// <summary>A schema migration embedded in this assembly (<c>NNNN_name.sql</c>).</summary>
/// <param name="Version">Its number.</param>
/// <param name="Name">Its name without the extension (<c>NNNN_name</c>).</param>
/// <param name="Resource">The manifest resource holding its SQL.</param>
internal sealed record Migration(int Version, string Name, string Resource);

/// <summary>The schema migrations embedded in this assembly: the local store's (<see cref="SelftuneStore"/>) and the team
/// database's (<see cref="Team.TeamDatabase"/>).</summary>
internal static class EmbeddedMigrations
{
    /// <summary>The migrations whose resource names start with <paramref name="prefix"/>, ordered by number; their SQL is
    /// read only when one is applied (<see cref="Read"/>).</summary>
    /// <exception cref="InvalidOperationException">Two share a number.</exception>
    public static Migration[] Load(string prefix)
    {
        var list = typeof(EmbeddedMigrations).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(resource => resource[prefix.Length..^".sql".Length] is var name
                ? new Migration(int.Parse(name.AsSpan(0, name.IndexOf('_')), CultureInfo.InvariantCulture), name, resource)
                : null!)
            .ToArray();
        Array.Sort(list, (a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < list.Length; i++)
        {
            if (list[i].Version == list[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations share the number {list[i].Version}.");
            }
        }

        return list;
    }

    /// <summary>A migration's SQL.</summary>
    public static string Read(string resource)
    {
        using var stream = typeof(EmbeddedMigrations).Assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
