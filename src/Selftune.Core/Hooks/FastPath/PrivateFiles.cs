using System.Runtime.InteropServices;

namespace Selftune.Core.Configuration;

/// <summary>The part of <see cref="PrivateFiles"/> every selftune process runs first, the native hook included.</summary>
internal static partial class PrivateFiles
{
    /// <summary>Sets this process's file-creation mask to 077, so everything it creates (the store and its journal, the
    /// config, logs, spool, backups) is readable by the user only. Child processes inherit the mask.</summary>
    public static void RestrictNewFiles()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Umask(0b000_111_111);
        }
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
