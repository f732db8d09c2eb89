using System.Security.Cryptography;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Claude;

/// <summary>
/// Reads Claude Code session transcripts (<c>projects/**/*.jsonl</c> under each configuration folder: see
/// <see cref="ClaudeDetection.ConfigDirectories"/>) into canonical records, incrementally: a read starts at the
/// cursor's byte offset, takes only complete <c>\n</c>-terminated lines, and saves what is open (the file's
/// sessions and their current turn) in <see cref="SourceCursor.State"/>. Lines of types that carry nothing selftune
/// stores (<c>progress</c>, <c>file-history-snapshot</c>, <c>queue-operation</c>) are recognized by a byte search and
/// skipped before any JSON parsing. See <see cref="TranscriptInterpreter"/> for what each line becomes.
/// </summary>
public sealed class ClaudeTranscriptIngestor : IIngestor
{
    private static readonly byte[][] SkippedTypes =
    [
        "\"type\":\"progress\""u8.ToArray(),
        "\"type\":\"file-history-snapshot\""u8.ToArray(),
        "\"type\":\"queue-operation\""u8.ToArray(),
    ];

    private readonly Lock _gate = new();
    private (PlatformContext Context, Lazy<InstalledSkills> Skills)? _installed;

    /// <inheritdoc />
    public string Platform => Platforms.ClaudeCode;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => ClaudeDetection.EnvironmentVariables;

    /// <inheritdoc />
    public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems)
    {
        lock (_gate)
        {
            if (_installed?.Context != context)
            {
                // Indexed when the first source is read: a sync that finds nothing new never needs it.
                _installed = (context, new Lazy<InstalledSkills>(() => new InstalledSkills(ClaudeDetection.SkillRoots(context))));
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in ClaudeDetection.ProjectFolders(context))
        {
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var source in Walk(root, problems))
            {
                if (seen.Add(source.Path))
                {
                    yield return source;
                }
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<SourceRoot> SourceRoots(PlatformContext context) => [.. ClaudeDetection.ProjectFolders(context).Select(folder => new SourceRoot(folder))];

    /// <inheritdoc />
    public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(source.Path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        });

        var head = Head(stream);
        var state = from is null ? null : TranscriptState.Deserialize(from.State);
        if (state?.Head != head || from!.Offset > stream.Length)
        {
            // New, rewritten, or state from another version: read from the start.
            state = new TranscriptState();
            from = null;
        }

        state.Head = head;

        Lazy<InstalledSkills>? installed;
        lock (_gate)
        {
            installed = _installed?.Skills;
        }

        var skills = installed?.Value ?? InstalledSkills.Empty;

        var interpreter = new TranscriptInterpreter(source.Path, state, sink, skills, new DateTimeOffset(source.LastWriteUtc, TimeSpan.Zero));
        var line = new TranscriptLine { PendingEdits = interpreter.PendingEdits };
        var lines = 0L;
        using var reader = new JsonlLineReader(stream, from?.Offset ?? 0);
        while (reader.TryReadLine(out var memory))
        {
            if ((++lines & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var number = ++state.Lines;
            var bytes = memory.Span;
            if (bytes.IsEmpty || IsSkippedType(bytes))
            {
                continue;
            }

            if (!line.TryParse(bytes, out var error))
            {
                sink.Malformed(source.Path, number, error!);
                continue;
            }

            interpreter.Handle(line, number);
        }

        interpreter.Finish();
        var cursor = new SourceCursor(reader.Offset, Math.Max(source.Length, reader.Offset), source.LastWriteUtc, state.Serialize());
        return new IngestResult(cursor, lines);
    }

    /// <summary>True when the line's first <c>"type":"…"</c> names a record type that is skipped unparsed. The first
    /// occurrence is the top-level type for these records (their envelope has no nested object before it); a
    /// quoted <c>"type":"progress"</c> inside a string value is escaped, so it cannot match.</summary>
    internal static bool IsSkippedType(ReadOnlySpan<byte> line)
    {
        var at = line.IndexOf("\"type\":\""u8);
        if (at < 0)
        {
            return false;
        }

        var rest = line[at..];
        foreach (var skipped in SkippedTypes)
        {
            if (rest.StartsWith(skipped))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A fingerprint of the file's first line (at most 4 KB): it holds the first record's uuid and time, so a
    /// file rewritten in place no longer matches it.</summary>
    private static string Head(FileStream stream)
    {
        Span<byte> head = stackalloc byte[4096];
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        var first = head[..read];
        var newline = first.IndexOf((byte)'\n');
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(newline >= 0 ? first[..(newline + 1)] : first, digest);
        return Convert.ToHexString(digest[..8]);
    }

    private static IEnumerable<SourceFile> Walk(string root, Action<string, string> problems)
    {
        var pending = new Stack<string>();
        pending.Push(root);
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.None, IgnoreInaccessible = false, ReturnSpecialDirectories = false };
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            var found = new List<SourceFile>();
            try
            {
                foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", options))
                {
                    if (entry is DirectoryInfo child)
                    {
                        if (!child.Attributes.HasFlag(FileAttributes.ReparsePoint))
                        {
                            pending.Push(child.FullName);
                        }
                    }
                    else if (entry.Name.EndsWith(".jsonl", StringComparison.Ordinal) && entry is FileInfo file)
                    {
                        found.Add(new SourceFile(file.FullName, file.Length, file.LastWriteTimeUtc));
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems(dir, $"cannot be listed ({ex.Message}); its transcripts were skipped");
            }

            foreach (var source in found)
            {
                yield return source;
            }
        }
    }
}
