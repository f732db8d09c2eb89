using Selftune.Abstractions;

namespace Selftune.Plugin.Shared;

/// <summary>File reads shared by the installers that plan whole files of their own (Pi, OpenClaw, Cline).</summary>
internal static class InstallerFiles
{
    /// <summary>The file's text; null when it does not exist.</summary>
    /// <exception cref="InstallerException">The file exists but cannot be read.</exception>
    public static string? Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InstallerException($"{path} cannot be read ({ex.Message}). Nothing was changed; fix its permissions and try again.", path);
        }
    }
}
