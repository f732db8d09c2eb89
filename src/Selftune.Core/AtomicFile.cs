using System.Globalization;

namespace Selftune.Core;

/// <summary>Replaces files so a reader sees either the old or the new content, never a mix, and a crash never
/// leaves a half-written file: write a temporary file beside it, flush it to disk, rename it over the target.
/// A symbolic link is written through: its final target is replaced and the link stays (dotfile managers keep
/// working). The existing file's Unix permissions are kept.</summary>
internal static class AtomicFile
{
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically as UTF-8, with a byte order
    /// mark only when the existing file starts with one (so a file's BOM survives an edit read through
    /// <see cref="File.ReadAllText(string)"/>, which drops it).</summary>
    /// <exception cref="IOException">The folder cannot be written; the original is untouched.</exception>
    public static void WriteAllText(string path, string content)
    {
        var full = Resolve(path);
        var bytes = new System.Text.UTF8Encoding(false).GetBytes(content);
        if (!content.StartsWith('\uFEFF') && StartsWithBom(full))
        {
            bytes = [.. Utf8Bom, .. bytes];
        }

        Replace(full, bytes);
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> (or, for a symbolic link, to its final
    /// target) atomically, keeping the existing file's Unix permissions.</summary>
    /// <exception cref="IOException">The folder cannot be written; the original is untouched.</exception>
    public static void WriteAllBytes(string path, byte[] bytes) => Replace(Resolve(path), bytes);

    /// <summary>Replaces <paramref name="full"/> (already resolved, <see cref="Resolve"/>) atomically.</summary>
    private static void Replace(string full, byte[] bytes)
    {
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.selftune-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows() && File.Exists(full))
            {
                File.SetUnixFileMode(temp, File.GetUnixFileMode(full));
            }
            else if (OperatingSystem.IsWindows() && File.Exists(full) && File.GetAttributes(full).HasFlag(FileAttributes.ReadOnly))
            {
                File.SetAttributes(full, File.GetAttributes(full) & ~FileAttributes.ReadOnly);
                File.SetAttributes(temp, File.GetAttributes(temp) | FileAttributes.ReadOnly);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Deletes <paramref name="path"/>; for a symbolic link, deletes its final target and keeps the link.</summary>
    /// <exception cref="IOException">The file cannot be deleted.</exception>
    public static void Delete(string path) => File.Delete(Resolve(path));

    /// <summary>The file a write to <paramref name="path"/> replaces: the path itself, or a symbolic link's final target.</summary>
    public static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        return new FileInfo(full).LinkTarget is null ? full : File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
    }

    /// <summary>Refuses to replace a read-only file (no owner write permission; the read-only attribute on Windows)
    /// unless <paramref name="force"/>: the rename that makes a write atomic would otherwise replace it silently.</summary>
    /// <param name="path">The file about to be written (a missing file is writable).</param>
    /// <param name="force">Write it anyway (its mode is kept).</param>
    /// <param name="nextCommand">The command that writes it anyway (the same one with <c>--force</c>).</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.UnsafeEdit"/> naming <c>--force</c>.</exception>
    public static void RefuseReadOnly(string path, bool force, string? nextCommand)
    {
        var full = Resolve(path);
        if (force || !File.Exists(full))
        {
            return;
        }

        var mode = OperatingSystem.IsWindows() ? null : (UnixFileMode?)File.GetUnixFileMode(full);
        var readOnly = mode is { } m ? (m & UnixFileMode.UserWrite) == 0 : File.GetAttributes(full).HasFlag(FileAttributes.ReadOnly);
        if (readOnly)
        {
            var shown = mode is { } u ? string.Create(CultureInfo.InvariantCulture, $" (mode {Convert.ToString((int)u, 8).PadLeft(4, '0')})") : string.Empty;
            throw new SelftuneException(
                ErrorCodes.UnsafeEdit,
                $"'{path}' is read-only{shown}, so selftune left it as it is. To write it anyway (its mode is kept), run the command again with --force.",
                nextCommand);
        }
    }

    /// <summary>Copies <paramref name="path"/> into <paramref name="backupFolder"/> as
    /// <c>&lt;name&gt;.&lt;yyyyMMddTHHmmssfffZ&gt;.bak</c> before it is replaced.</summary>
    /// <param name="path">The file to back up.</param>
    /// <param name="backupFolder">Where backups go (created if missing).</param>
    /// <param name="now">The time stamped into the name.</param>
    /// <returns>The backup's path, or null when <paramref name="path"/> does not exist.</returns>
    public static string? Backup(string path, string backupFolder, DateTimeOffset now)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        Directory.CreateDirectory(backupFolder);
        var name = $"{Path.GetFileName(path)}.{now.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}.bak";
        var target = Path.Combine(backupFolder, name);
        for (var i = 1; File.Exists(target); i++)
        {
            target = Path.Combine(backupFolder, $"{Path.GetFileName(path)}.{now.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{i}.bak");
        }

        File.Copy(path, target);
        Configuration.PrivateFiles.MakePrivate(target); // backups live in the private home, whatever the original's mode
        return target;
    }

    private static bool StartsWithBom(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        Span<byte> head = stackalloc byte[3];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return stream.ReadAtLeast(head, 3, throwOnEndOfStream: false) == 3 && head.SequenceEqual(Utf8Bom);
    }
}
