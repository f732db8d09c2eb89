using Selftune.Abstractions;
using Selftune.Plugin.Codex.Rollout;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Codex;

/// <summary>
/// Reads OpenAI Codex CLI rollouts: <c>$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl</c> (default
/// <c>~/.codex</c>) and <c>$CODEX_HOME/archived_sessions/rollout-*.jsonl</c>, cli 0.45 to 0.146 and the pre-0.3x
/// unwrapped shape. Each rollout is one session (sub-agents have their own rollout, linked to their parent).
/// Records: the session (cwd, git branch, cli version, models, start/end, status), prompts (user messages,
/// classified; Codex's injected context is never actionable), tool calls with failures, token usage per
/// <c>token_count</c> delta, session errors, and skill use (a SKILL.md read = implicit trigger, a <c>$name</c>
/// mention = explicit). Rollouts are read line by line from the cursor; see docs/codex-adapter.md.
/// </summary>
public sealed class CodexIngestor : IIngestor
{
    /// <inheritdoc />
    public string Platform => Platforms.Codex;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => CodexLocations.EnvironmentVariables;

    /// <inheritdoc />
    public IReadOnlyList<SourceRoot> SourceRoots(PlatformContext context) => [.. CodexLocations.RolloutRoots(context).Select(root => new SourceRoot(root))];

    /// <inheritdoc />
    public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(problems);
        foreach (var root in CodexLocations.RolloutRoots(context))
        {
            if (!Directory.Exists(root))
            {
                continue;
            }

            var folders = new Stack<DirectoryInfo>();
            folders.Push(new DirectoryInfo(root));
            while (folders.Count > 0)
            {
                var folder = folders.Pop();
                List<FileSystemInfo> entries;
                try
                {
                    entries = [.. folder.EnumerateFileSystemInfos()];
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
                {
                    problems(folder.FullName, e.Message);
                    continue;
                }

                foreach (var entry in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
                {
                    if (entry is DirectoryInfo child)
                    {
                        if (!child.Attributes.HasFlag(FileAttributes.ReparsePoint))
                        {
                            folders.Push(child); // a linked folder is not followed: a link to an ancestor would loop
                        }
                    }
                    else if (entry is FileInfo file && file.Name.StartsWith("rollout-", StringComparison.Ordinal) && file.Name.EndsWith(".jsonl", StringComparison.Ordinal))
                    {
                        yield return new SourceFile(file.FullName, file.Length, file.LastWriteTimeUtc, AppendOnly: true);
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        using var stream = new FileStream(source.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var state = from is { } cursor && cursor.Offset <= stream.Length ? RolloutState.FromJson(cursor.State) : null;
        var offset = state is null ? 0 : from!.Offset; // a shrunk file, or a cursor without state, is read again from the start
        state ??= new RolloutState();

        var interpreter = new RolloutInterpreter(source.Path, state, sink);
        using var reader = new JsonlLineReader(stream, offset);
        long lines = 0;
        while (reader.TryReadLine(out var line))
        {
            if ((++lines & 0x3FF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            interpreter.Process(line);
        }

        cancellationToken.ThrowIfCancellationRequested();
        interpreter.Finish();
        return new IngestResult(new SourceCursor(reader.Offset, stream.Length, File.GetLastWriteTimeUtc(source.Path), state.ToJson()), lines);
    }
}
