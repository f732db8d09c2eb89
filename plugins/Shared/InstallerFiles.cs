using System.Reflection;
using System.Text;
using Selftune.Abstractions;

namespace Selftune.Plugin.Shared;

/// <summary>A file an installer writes whole and marks as selftune's (Pi's extension, OpenClaw's hook files, Cline's hook
/// scripts), with what its plan says of each change.</summary>
/// <param name="Path">Where it goes.</param>
/// <param name="Content">Its text, holding the installer's marker.</param>
/// <param name="Added">The summary of adding it.</param>
/// <param name="Updated">The summary of replacing an older text of it.</param>
/// <param name="Removed">The summary of deleting it.</param>
/// <param name="Foreign">What the person does when a file of that name exists that selftune did not write (a sentence).</param>
internal sealed record MarkedFile(string Path, string Content, string Added, string Updated, string Removed, string Foreign)
{
    /// <summary>Written executable (<see cref="FileChange.Executable"/>).</summary>
    public bool Executable { get; init; }
}

/// <summary>The plans of the installers that write whole files of their own, marked as selftune's (Pi, OpenClaw, Cline):
/// install adds or updates each file and refuses one of that name without the marker; uninstall deletes only marked
/// files. Also the embedded templates those files are rendered from (<see cref="EmbeddedText"/>).</summary>
internal static class InstallerFiles
{
    /// <summary>Plans writing <paramref name="files"/>: a file already as it should be is left out.</summary>
    /// <param name="marker">Text every file selftune writes holds.</param>
    /// <param name="files">The files, in the order they are planned.</param>
    /// <exception cref="InstallerException">A file exists that lacks <paramref name="marker"/> (nothing is planned), or
    /// cannot be read.</exception>
    public static InstallPlan PlanInstall(string marker, IEnumerable<MarkedFile> files)
    {
        var changes = new List<FileChange>();
        foreach (var file in files)
        {
            var existing = Read(file.Path);
            if (existing == file.Content)
            {
                continue;
            }

            if (existing is not null && !existing.Contains(marker, StringComparison.Ordinal))
            {
                throw new InstallerException($"{file.Path} exists and was not written by selftune (it lacks the \"{marker}\" line). Nothing was changed. {file.Foreign}", file.Path);
            }

            changes.Add(new FileChange(file.Path, existing, file.Content, existing is null ? file.Added : file.Updated) { Executable = file.Executable });
        }

        return new InstallPlan(changes);
    }

    /// <summary>Plans deleting those of <paramref name="files"/> that exist and hold <paramref name="marker"/>.</summary>
    /// <exception cref="InstallerException">A file exists but cannot be read.</exception>
    public static InstallPlan PlanUninstall(string marker, IEnumerable<MarkedFile> files) => new(
        [.. files
            .Select(file => (file, existing: Read(file.Path)))
            .Where(f => f.existing?.Contains(marker, StringComparison.Ordinal) == true)
            .Select(f => new FileChange(f.file.Path, f.existing, null, f.file.Removed))]);

    /// <summary>An embedded text resource of <paramref name="assembly"/> (an installer's template), its line endings
    /// <c>\n</c>.</summary>
    /// <exception cref="InvalidOperationException">The resource is missing (a build error).</exception>
    public static string EmbeddedText(Assembly assembly, string name)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded template '{name}' is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().ReplaceLineEndings("\n");
    }

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
