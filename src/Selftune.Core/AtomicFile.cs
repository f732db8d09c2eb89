namespace Selftune.Core;

/// <summary>Replaces files so a reader sees either the old or the new content, never a mix, and a crash never
/// leaves a half-written file: write a temporary file beside it, flush it to disk, rename it over the target.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically (UTF-8, no BOM), keeping the
    /// existing file's Unix permissions.</summary>
    /// <exception cref="IOException">The folder cannot be written; the original is untouched.</exception>
    public static void WriteAllText(string path, string content) => WriteAllBytes(path, new System.Text.UTF8Encoding(false).GetBytes(content));

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically, keeping the existing file's Unix permissions.</summary>
    /// <exception cref="IOException">The folder cannot be written; the original is untouched.</exception>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
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
}
