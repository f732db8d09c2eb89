using Selftune.Abstractions;

namespace Selftune.Plugin.Cline;

/// <summary>
/// Reads Cline's saved work (data folders: <see cref="ClinePaths"/>): each classic task folder
/// <c>tasks/&lt;taskId&gt;/</c> (<c>ui_messages.json</c> and <c>api_conversation_history.json</c>; <see cref="ClineTaskReader"/>)
/// and each SDK session <c>sessions/&lt;id&gt;/&lt;id&gt;.messages.json</c> (<see cref="ClineSdkReader"/>). Cline rewrites
/// these JSON files whole, so sources are not append-only: each changed file is read again and re-emits the same ids
/// (built from the task or session id and each message's <c>ts</c> or <c>id</c>), which the store keeps once. A file cut
/// short while Cline wrote it yields every complete message before the break, and the break is reported with its file
/// and line.
/// </summary>
public sealed class ClineIngestor : IIngestor
{
    /// <summary>A classic task folder's message file: the task's source.</summary>
    public const string UiMessages = "ui_messages.json";

    /// <summary>A classic task folder's model conversation.</summary>
    public const string ApiHistory = "api_conversation_history.json";

    /// <summary>The suffix of an SDK session's message file.</summary>
    public const string SdkMessagesSuffix = ".messages.json";

    /// <inheritdoc />
    public string Platform => ClinePaths.Platform;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => ClinePaths.EnvironmentVariables;

    /// <inheritdoc />
    public IReadOnlyList<SourceRoot> SourceRoots(PlatformContext context) =>
        [.. ClinePaths.DataDirs(context).SelectMany(d => new[] { new SourceRoot(Path.Combine(d, "tasks")), new SourceRoot(Path.Combine(d, "sessions")) })];

    /// <inheritdoc />
    /// <remarks>A task folder is listed by its <c>ui_messages.json</c>, or by its <c>api_conversation_history.json</c> when
    /// it has no UI file; an SDK session by its <c>&lt;id&gt;.messages.json</c>.</remarks>
    public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems)
    {
        foreach (var data in ClinePaths.DataDirs(context))
        {
            foreach (var task in Folders(Path.Combine(data, "tasks"), problems))
            {
                if ((Source(Path.Combine(task, UiMessages), problems) ?? Source(Path.Combine(task, ApiHistory), problems)) is { } source)
                {
                    yield return source;
                }
            }

            foreach (var session in Folders(Path.Combine(data, "sessions"), problems))
            {
                if (Source(Path.Combine(session, Path.GetFileName(session) + SdkMessagesSuffix), problems) is { } source)
                {
                    yield return source;
                }
            }
        }
    }

    /// <inheritdoc />
    public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
    {
        var info = new FileInfo(source.Path);
        if (!info.Exists)
        {
            throw new IOException($"{source.Path} no longer exists.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var read = source.Path.EndsWith(SdkMessagesSuffix, StringComparison.Ordinal)
            ? ClineSdkReader.Read(source.Path, sink)
            : ClineTaskReader.Read(Path.GetDirectoryName(source.Path)!, sink);
        return new IngestResult(new SourceCursor(info.Length, info.Length, info.LastWriteTimeUtc, null), read);
    }

    private static IEnumerable<string> Folders(string dir, Action<string, string> problems)
    {
        if (!Directory.Exists(dir))
        {
            return [];
        }

        try
        {
            return Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems(dir, ex.Message);
            return [];
        }
    }

    private static SourceFile? Source(string path, Action<string, string> problems)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? new SourceFile(info.FullName, info.Length, info.LastWriteTimeUtc, AppendOnly: false) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems(path, ex.Message);
            return null;
        }
    }
}
