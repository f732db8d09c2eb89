using System.Globalization;
using System.IO.Enumeration;
using System.Text;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Store;

namespace Selftune.Core.Ingest;

/// <summary>
/// What the last clean, complete sync saw, so the next sync can tell that nothing changed without loading a plugin:
/// per ingestor, its declared <see cref="IIngestor.SourceRoots"/> and the listing of every file under them (path, length,
/// modification time); and what decided those roots: the installation (plugin folders and this build), the user's home,
/// and every environment variable a plugin read through <see cref="PlatformContext.Environment"/>.
/// </summary>
/// <remarks>
/// Safe by construction: the tree of each platform is listed <em>before</em> it is discovered and read, so a file that
/// changes during a sync makes the next check differ; a stamp is written only when every ingestor declared roots and
/// every source was read without failure or problem; and anything the stamp does not describe (an option, a pending
/// hook event) takes the ordinary sync. Listings are kept and compared whole (about 130 bytes a file), not hashed: no
/// collision can hide a change, and no cryptography library is loaded. Costs about what listing the files does
/// (bench/RESULTS.md).
/// </remarks>
internal static class SyncStamp
{
    /// <summary>The per-platform part, gathered by a sync before it discovers.</summary>
    /// <param name="Platform">Platform id.</param>
    /// <param name="Roots">Its declared roots.</param>
    /// <param name="Tree">The listing of the files under them (<see cref="Tree"/>).</param>
    public sealed record PlatformPart(string Platform, IReadOnlyList<SourceRoot> Roots, string Tree);

    /// <summary>The identity of the installed plugins and this selftune build: each plugin folder's main assembly and
    /// selftune's core assembly (path, length, modification time). Changes whenever a plugin is added, removed or
    /// updated, or selftune is.</summary>
    /// <param name="pluginFolders">The folders plugins are loaded from, in search order.</param>
    public static string Installation(IEnumerable<string> pluginFolders)
    {
        var text = new StringBuilder();
        var core = typeof(SyncStamp).Assembly;
        if (core.Location is { Length: > 0 } location)
        {
            Append(text, new FileInfo(location));
        }
        else
        {
            text.Append(core.ManifestModule.ModuleVersionId).Append('\n'); // loaded from a bundle: no file to look at
        }

        foreach (var folder in pluginFolders)
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }

            var plugins = Directory.GetDirectories(folder);
            Array.Sort(plugins, StringComparer.Ordinal);
            foreach (var dir in plugins)
            {
                Append(text, new FileInfo(Path.Combine(dir, Path.GetFileName(dir) + ".dll")));
            }
        }

        return text.ToString();

        static void Append(StringBuilder text, FileInfo file) =>
            text.Append(file.FullName).Append('|').Append(file.Exists ? file.Length : -1).Append('|').Append(file.Exists ? file.LastWriteTimeUtc.Ticks : 0).Append('\n');
    }

    /// <summary>Lists every file and folder under <paramref name="roots"/>: each file's path, length and modification
    /// time, each folder's path, each missing root's path; one per line, in ordinal order. A symbolic link to a folder
    /// below a root is listed, not followed (as the ingestors' own walks do): a link back to an ancestor would
    /// otherwise make the walk endless. Nothing is opened.</summary>
    /// <returns>The listing, or null when a folder could not be listed (then nothing can be told).</returns>
    public static string? Tree(IReadOnlyList<SourceRoot> roots)
    {
        var entries = new List<string>();
        try
        {
            foreach (var root in roots)
            {
                var path = Path.GetFullPath(root.Path);
                if (File.Exists(path))
                {
                    var file = new FileInfo(path);
                    entries.Add(Entry(path, file.Length, file.LastWriteTimeUtc));
                }
                else if (Directory.Exists(path))
                {
                    entries.Add("d|" + path);
                    var options = new EnumerationOptions { RecurseSubdirectories = root.Recursive, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false };
                    entries.AddRange(new FileSystemEnumerable<string>(path, (ref FileSystemEntry e) =>
                        e.IsDirectory ? "d|" + e.ToFullPath() : Entry(e.ToFullPath(), e.Length, e.LastWriteTimeUtc.UtcDateTime), options)
                    {
                        ShouldIncludePredicate = (ref FileSystemEntry e) => root.Recursive || !e.IsDirectory,
                        ShouldRecursePredicate = (ref FileSystemEntry e) => !IsLink(e.Attributes),
                    });
                }
                else
                {
                    entries.Add("missing|" + path);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        entries.Sort(StringComparer.Ordinal);
        return string.Join('\n', entries);
    }

    /// <summary>Replaces the stamp.</summary>
    /// <param name="store">The store (a transaction is opened here).</param>
    /// <param name="installation">See <see cref="Installation"/>.</param>
    /// <param name="home">The user's home the plugins were given.</param>
    /// <param name="environment">Every environment variable the plugins read, with its value (null: unset).</param>
    /// <param name="platforms">Each ingestor's part, in report order, with the sources it found.</param>
    public static void Save(SelftuneStore store, string installation, string home, IReadOnlyDictionary<string, string?> environment, IReadOnlyList<(PlatformPart Part, int Sources)> platforms)
    {
        using var tx = store.BeginTransaction();
        Delete(store);
        store.Execute("INSERT INTO sync_stamp_inputs (name, value) VALUES ('installation', $v), ('home', $h)", ("$v", installation), ("$h", home));
        foreach (var (name, value) in environment)
        {
            store.Execute("INSERT INTO sync_stamp_inputs (name, value) VALUES ($n, $v)", ("$n", "env:" + name), ("$v", value));
        }

        for (var i = 0; i < platforms.Count; i++)
        {
            var (part, sources) = platforms[i];
            store.Execute(
                "INSERT INTO sync_stamp_platforms (ordinal, platform, sources, roots, tree) VALUES ($o, $p, $s, $r, $t)",
                ("$o", i), ("$p", part.Platform), ("$s", sources), ("$r", string.Join('\n', part.Roots.Select(r => (r.Recursive ? "r\t" : "s\t") + r.Path))), ("$t", part.Tree));
        }

        tx.Commit();
    }

    /// <summary>Removes the stamp (the next sync then loads plugins and discovers).</summary>
    public static void Clear(SelftuneStore store)
    {
        using var tx = store.BeginTransaction();
        Delete(store);
        tx.Commit();
    }

    /// <summary>Tells, without loading a plugin, whether a sync would find nothing new: the stamp exists, the
    /// installation, home and environment are those it recorded, no hook event waits in the spool, and every platform's
    /// tree lists as it did.</summary>
    /// <param name="store">The store.</param>
    /// <param name="context">The machine now.</param>
    /// <param name="installation">See <see cref="Installation"/>, now.</param>
    /// <param name="home">The selftune home (its hook spool).</param>
    /// <param name="startedAt">When this sync started.</param>
    /// <returns>The report of a sync that found every source unchanged, or null when a full sync is needed.</returns>
    public static SyncReport? Unchanged(SelftuneStore store, PlatformContext context, string installation, SelftuneHome home, DateTimeOffset startedAt)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var platforms = store.Query("SELECT platform, sources, roots, tree FROM sync_stamp_platforms ORDER BY ordinal", r => new StampedPlatform(r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetString(3)));
        if (platforms.Count == 0 || HookSpool.HasPending(home))
        {
            return null;
        }

        foreach (var input in store.Query("SELECT name, value FROM sync_stamp_inputs", r => new StampedInput(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1))))
        {
            var now = input.Name switch
            {
                "installation" => installation,
                "home" => context.UserHome,
                _ when input.Name.StartsWith("env:", StringComparison.Ordinal) => context.Environment(input.Name[4..]),
                _ => null,
            };
            if (now != input.Value)
            {
                return null;
            }
        }

        var counters = new List<IngestCounters>(platforms.Count);
        foreach (var p in platforms)
        {
            var roots = p.Roots.Split('\n').Select(line => new SourceRoot(line[2..], Recursive: line[0] == 'r')).ToList();
            if (Tree(roots) != p.Tree)
            {
                return null;
            }

            counters.Add(new IngestCounters { Platform = p.Platform, SourcesFound = p.Sources, SourcesUnchanged = p.Sources });
        }

        return new SyncReport(startedAt, clock.ElapsedMilliseconds, counters, new HookDrainReport(0, 0, [], [], 0));
    }

    private static bool IsLink(FileAttributes attributes) => (attributes & FileAttributes.ReparsePoint) != 0;

    private static void Delete(SelftuneStore store) => store.Execute("DELETE FROM sync_stamp_platforms; DELETE FROM sync_stamp_inputs");

    private static string Entry(string path, long length, DateTime lastWriteUtc) =>
        string.Create(CultureInfo.InvariantCulture, $"f|{path}|{length}|{lastWriteUtc.Ticks}");

    private sealed record StampedPlatform(string Platform, int Sources, string Roots, string Tree);

    private sealed record StampedInput(string Name, string? Value);
}
