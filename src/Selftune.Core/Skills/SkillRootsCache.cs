using System.Text;
using System.Text.Json;
using Selftune.Abstractions;

namespace Selftune.Core.Skills;

/// <summary>
/// The skill roots the loaded plugins named (every installer's <see cref="IInstaller.ProjectSkillFolders"/> and its
/// detection's <see cref="AgentDetection.SkillRoots"/>), remembered in the selftune home (<c>skill-roots.json</c>) so
/// that <c>status</c> finds the installed skills without loading a plugin: loading them was about a third of its CPU
/// (bench/RESULTS.md, issue 19). Only the roots are remembered; the skills under them are discovered anew every time,
/// so a skill folder added or removed shows at once.
/// </summary>
/// <remarks>
/// The roots are used only while what decided them is as it was: the installation (plugin folders and this build,
/// <see cref="Ingest.SyncStamp.Installation"/>), the user's home, every environment variable the plugins read (with the
/// working directory when one of them, or a root, is a relative path), and the modification time (or absence) of every
/// user root and of each folder above it below the user's home, so that a folder created or removed beside them (a
/// Claude Code plugin with skills installed, an agent's folder appearing) invalidates them. The home itself is not
/// watched: agents and shells replace files in it all the time. The detection is run twice around reading those times
/// and the roots are kept only when both agree, so a change during the detection is never hidden. Anything that
/// differs, or a file that is missing or unreadable, takes the plugins' answer (<see cref="Refresh"/>), which replaces
/// it; every sync that reads refreshes it too. The file keeps one entry per environment the plugins were asked in (the
/// newest <see cref="MaxEntries"/>): the same user runs selftune from shells, agents, hooks and schedules whose
/// <c>PATH</c> (which the plugins read to find the agents' executables) differ, and one entry would be dropped by each
/// switch (bench/RESULTS.md, issue 19). Known limit: a change the plugins see that touches none of those folders
/// (e.g. the first Claude Code plugin with skills installed into a plugins folder that held none) shows after the next
/// sync that reads something, or the next change to one of them.
/// </remarks>
/// <param name="path">The cache file.</param>
internal sealed class SkillRootsCache(string path)
{
    /// <summary>The most environments remembered at once.</summary>
    public const int MaxEntries = 4;

    private const int FormatVersion = 2;

    /// <summary>The remembered roots for <paramref name="context"/> (<see cref="SkillCatalog.Roots(string, IReadOnlyList{string}, IEnumerable{string})"/>),
    /// or null when there are none or anything that decided them changed. Loads no plugin; never throws for a bad file.</summary>
    /// <param name="context">The machine now.</param>
    /// <param name="installation">The installation's identity now (<see cref="Ingest.SyncStamp.Installation"/>).</param>
    public IReadOnlyList<string>? Roots(PlatformContext context, string installation)
    {
        using var document = Read();
        if (document is null)
        {
            return null;
        }

        try
        {
            foreach (var entry in document.RootElement.GetProperty("entries").EnumerateArray())
            {
                if (Matches(entry, context, installation))
                {
                    return SkillCatalog.Roots(context.WorkingDirectory, Strings(entry.GetProperty("project_folders")), Strings(entry.GetProperty("user_roots")));
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Asks <paramref name="installers"/> for the roots and remembers them (a file that cannot be written is left
    /// as it is: the cache only saves time).</summary>
    /// <param name="context">The machine now.</param>
    /// <param name="installation">The installation's identity now (<see cref="Ingest.SyncStamp.Installation"/>).</param>
    /// <param name="installers">The loaded plugins' installers.</param>
    /// <returns>The roots, as <see cref="SkillCatalog.Roots(PlatformContext, IEnumerable{IInstaller})"/> gives them.</returns>
    public IReadOnlyList<string> Refresh(PlatformContext context, string installation, IEnumerable<IInstaller> installers)
    {
        var all = installers.ToList();
        var environment = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        var recording = context with { Environment = name => environment[name] = context.Environment(name) };
        var projectFolders = all.SelectMany(i => i.ProjectSkillFolders).ToList();
        var userRoots = all.SelectMany(i => i.Detect(recording).SkillRoots).ToList();
        var roots = SkillCatalog.Roots(context.WorkingDirectory, projectFolders, userRoots);

        var folders = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var userRoot in userRoots)
        {
            Watch(folders, Path.GetFullPath(userRoot), Path.TrimEndingDirectorySeparator(Path.GetFullPath(context.UserHome)));
        }

        if (!all.SelectMany(i => i.Detect(recording).SkillRoots).SequenceEqual(userRoots, StringComparer.Ordinal))
        {
            return roots; // something changed while it was looked at: remember nothing this time
        }

        var relative = userRoots.Any(r => !Path.IsPathRooted(r))
            || environment.Values.Any(v => v is { Length: > 0 } && v[0] != '~' && !Path.IsPathRooted(v));
        try
        {
            AtomicFile.WriteAllText(path, Write(installation, context, relative, environment, projectFolders, userRoots, folders, Others(installation, context, environment)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not remembered: the next status asks the plugins again.
        }

        return roots;
    }

    /// <summary>True when what decided <paramref name="entry"/>'s roots is as it was.</summary>
    private static bool Matches(JsonElement entry, PlatformContext context, string installation)
    {
        if (entry.GetProperty("installation").GetString() != installation
            || entry.GetProperty("home").GetString() != context.UserHome
            || (entry.GetProperty("working_directory").GetString() is { } cwd && cwd != context.WorkingDirectory))
        {
            return false;
        }

        foreach (var variable in entry.GetProperty("environment").EnumerateObject())
        {
            if (context.Environment(variable.Name) != variable.Value.GetString())
            {
                return false;
            }
        }

        foreach (var folder in entry.GetProperty("folders").EnumerateObject())
        {
            if (ModifiedTicks(folder.Name) != folder.Value.GetInt64())
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The entries of the file now that were recorded by this installation in other environments (another home
    /// or other values of the variables the plugins read), newest first, at most <see cref="MaxEntries"/> − 1 of them, as
    /// JSON.</summary>
    private List<string> Others(string installation, PlatformContext context, SortedDictionary<string, string?> environment)
    {
        var others = new List<string>();
        using var document = Read();
        if (document is null)
        {
            return others;
        }

        try
        {
            foreach (var entry in document.RootElement.GetProperty("entries").EnumerateArray())
            {
                var same = entry.GetProperty("home").GetString() == context.UserHome
                    && entry.GetProperty("environment").EnumerateObject().Count() == environment.Count
                    && entry.GetProperty("environment").EnumerateObject().All(v => environment.TryGetValue(v.Name, out var value) && value == v.Value.GetString());
                if (!same && others.Count < MaxEntries - 1 && entry.GetProperty("installation").GetString() == installation)
                {
                    others.Add(entry.GetRawText());
                }
            }
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            // Not one of ours: nothing else to keep.
        }

        return others;
    }

    /// <summary>The file, parsed, when it exists and is of this format (<see cref="FormatVersion"/>); null otherwise.</summary>
    private JsonDocument? Read()
    {
        JsonDocument? document = null;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.GetProperty("version").GetInt32() == FormatVersion)
            {
                return document;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // No file, or not one of ours.
        }

        document?.Dispose();
        return null;
    }

    private static string Write(string installation, PlatformContext context, bool relative, SortedDictionary<string, string?> environment, List<string> projectFolders, List<string> userRoots, SortedDictionary<string, long> folders, List<string> others)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("version", FormatVersion);
            json.WriteStartArray("entries");
            json.WriteStartObject();
            json.WriteString("installation", installation);
            json.WriteString("home", context.UserHome);
            json.WriteString("working_directory", relative ? context.WorkingDirectory : null);
            json.WriteStartObject("environment");
            foreach (var (name, value) in environment)
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
            json.WriteStrings("project_folders", projectFolders);
            json.WriteStrings("user_roots", userRoots);
            json.WriteStartObject("folders");
            foreach (var (folder, ticks) in folders)
            {
                json.WriteNumber(folder, ticks);
            }

            json.WriteEndObject();
            json.WriteEndObject();
            foreach (var other in others)
            {
                json.WriteRawValue(other);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Records the folders whose change may change the plugins' roots: <paramref name="root"/> and each folder
    /// above it up to the user's home (not the home itself, which programs write to all the time); for a root outside the
    /// home, up to its parent and on up to the first folder that exists.</summary>
    private static void Watch(SortedDictionary<string, long> folders, string root, string home)
    {
        var inHome = root.StartsWith(home + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        for (var dir = root; !folders.ContainsKey(dir); dir = Path.GetDirectoryName(dir)!)
        {
            var ticks = folders[dir] = ModifiedTicks(dir);
            var parent = Path.GetDirectoryName(dir);
            if (parent is null || parent == home || Path.GetDirectoryName(parent) is null || (!inHome && dir != root && ticks != -1))
            {
                return;
            }
        }
    }

    private static List<string> Strings(JsonElement array)
    {
        var result = new List<string>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            result.Add(item.GetString() ?? throw new FormatException("null root"));
        }

        return result;
    }

    /// <summary>A folder's modification time in ticks (UTC), or -1 when it does not exist (or is not a folder).</summary>
    private static long ModifiedTicks(string folder)
    {
        var info = new DirectoryInfo(folder);
        return info.Exists ? info.LastWriteTimeUtc.Ticks : -1;
    }
}
