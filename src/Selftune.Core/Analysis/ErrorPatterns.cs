using System.Text.RegularExpressions;
using Selftune.Core.Reports;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Analysis;

/// <summary>One recurring error: every tool or API error whose message has the same <see cref="ErrorPatterns.Signature"/>.</summary>
/// <param name="Signature">The normalised message (paths, numbers, ids, URLs and quoted values masked).</param>
/// <param name="Category">What kind of error: <c>file_not_found</c>, <c>edit_conflict</c>, <c>permission</c>, <c>rejected</c>,
/// <c>timeout</c>, <c>command_not_found</c>, <c>test_failure</c>, <c>command_failed</c> (a shell command),
/// <c>tool_failed</c> (another tool), <c>rate_limit</c>,
/// <c>context_limit</c>, <c>api_error</c> or <c>other</c>.</param>
/// <param name="Count">Occurrences.</param>
/// <param name="Sessions">Distinct top-level sessions it happened in.</param>
/// <param name="FirstSeen">Earliest occurrence.</param>
/// <param name="LastSeen">Latest occurrence.</param>
/// <param name="Tools">Tools that failed with it (empty for API errors).</param>
/// <param name="Skills">Skills used in the session before it happened, with how many occurrences each.</param>
/// <param name="Examples">Up to three distinct stored (redacted) messages, newest first.</param>
/// <param name="SuggestedFix">What would prevent it, where a rule knows (null otherwise).</param>
/// <param name="New">Not yet named in a run report.</param>
internal sealed record ErrorPattern(
    string Signature,
    string Category,
    int Count,
    int Sessions,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    IReadOnlyList<string> Tools,
    IReadOnlyList<KeyValuePair<string, int>> Skills,
    IReadOnlyList<string> Examples,
    string? SuggestedFix,
    bool New);

/// <summary>The filters of <see cref="ErrorPatterns.Find"/>.</summary>
/// <param name="Since">Only errors at or after this time.</param>
/// <param name="Project">Only sessions whose working directory contains this (case-insensitive).</param>
/// <param name="Skill">Only errors that happened after this skill was used in the session.</param>
/// <param name="Limit">At most this many patterns, most frequent first.</param>
internal sealed record ErrorFilter(DateTimeOffset? Since = null, string? Project = null, string? Skill = null, int Limit = 50);

/// <summary>The result of <c>selftune errors</c>.</summary>
/// <param name="Errors">Errors counted (after the filters).</param>
/// <param name="Patterns">Recurring patterns, most frequent first.</param>
internal sealed record ErrorReport(int Errors, IReadOnlyList<ErrorPattern> Patterns);

/// <summary>
/// Recurring errors across sessions (the sniffly-style taxonomy, joined to skills): tool errors (<c>session_errors</c>
/// of kind <c>tool_error</c>, whose id is the failed call's; failed calls of platforms that log no message count as
/// "<c>Tool failed: command</c>") and API/system errors, grouped by a normalised <see cref="Signature"/>.
/// A run names the patterns not seen before (<see cref="Notice"/>, table <c>error_patterns</c>).
/// </summary>
internal static partial class ErrorPatterns
{
    private const int MaxSignature = 160;

    /// <summary>Finds the recurring errors.</summary>
    public static ErrorReport Find(SelftuneStore store, ErrorFilter filter)
    {
        var sessions = store.Query("SELECT session_id, parent_session_id, cwd FROM sessions", r => (Id: r.GetString(0), Parent: r.IsDBNull(1) ? null : r.GetString(1), Cwd: r.IsDBNull(2) ? null : r.GetString(2)));
        var parents = sessions.ToDictionary(s => s.Id, s => s.Parent, StringComparer.Ordinal);
        var cwd = sessions.ToDictionary(s => s.Id, s => s.Cwd, StringComparer.Ordinal);
        var skillsBySession = new Dictionary<string, List<(long At, string Skill)>>(StringComparer.Ordinal);
        foreach (var (session, at, skill) in store.Query("SELECT session_id, occurred_at, skill_name FROM skill_invocations WHERE kind <> 'read'", r => (r.GetString(0), r.GetInt64(1), r.GetString(2))))
        {
            var root = SessionReports.Root(parents, session);
            (skillsBySession.TryGetValue(root, out var list) ? list : skillsBySession[root] = []).Add((at, skill));
        }

        var since = filter.Since?.ToUnixTimeMilliseconds() ?? long.MinValue;
        var occurrences = store.Query(
            """
            SELECT e.session_id, e.occurred_at, e.kind, e.message, t.name, t.detail FROM session_errors e
            LEFT JOIN tool_calls t ON e.kind = 'tool_error' AND t.session_id = e.session_id AND t.tool_use_id = e.error_id
            WHERE e.kind <> 'interrupted' AND e.occurred_at >= $since
            UNION ALL
            SELECT t.session_id, t.occurred_at, 'tool_error', NULL, t.name, t.detail FROM tool_calls t
            WHERE t.is_error = 1 AND t.occurred_at >= $since
              AND NOT EXISTS (SELECT 1 FROM session_errors e WHERE e.session_id = t.session_id AND e.error_id = t.tool_use_id)
            """,
            r => new Occurrence(r.GetString(0), r.GetInt64(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)),
            ("$since", since));
        var noticed = store.Query("SELECT signature FROM error_patterns", r => r.GetString(0)).ToHashSet(StringComparer.Ordinal);
        var signatures = new Dictionary<string, string>(StringComparer.Ordinal);
        var groups = new Dictionary<string, Group>(StringComparer.Ordinal);
        var counted = 0;
        foreach (var o in occurrences)
        {
            var root = SessionReports.Root(parents, o.Session);
            if (filter.Project is not null && !(cwd.GetValueOrDefault(root)?.Contains(filter.Project, StringComparison.OrdinalIgnoreCase) ?? false))
            {
                continue;
            }

            var active = (skillsBySession.GetValueOrDefault(root) ?? []).Where(s => s.At <= o.At).Select(s => s.Skill).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (filter.Skill is not null && !active.Exists(s => SkillNames.Same(s, filter.Skill)))
            {
                continue;
            }

            var message = o.Message ?? $"{o.Tool ?? "tool"} failed" + (FirstWord(o.Detail) is { } command ? ": " + command : string.Empty);
            if (!signatures.TryGetValue(message, out var signature))
            {
                signature = signatures[message] = Signature(message);
            }

            var group = groups.TryGetValue(signature, out var g) ? g : groups[signature] = new Group(signature, Category(o.Kind, message, o.Detail, o.Tool));
            group.Add(o, root, message, active);
            counted++;
        }

        var patterns = groups.Values
            .OrderByDescending(g => g.Count).ThenByDescending(g => g.Last).ThenBy(g => g.Signature, StringComparer.Ordinal)
            .Take(Math.Max(1, filter.Limit))
            .Select(g => g.Pattern(!noticed.Contains(g.Signature)))
            .ToList();
        return new ErrorReport(counted, patterns);
    }

    /// <summary>Records <paramref name="patterns"/> as named (a run report names each new one once) and returns those that
    /// were new.</summary>
    public static IReadOnlyList<ErrorPattern> Notice(SelftuneStore store, IEnumerable<ErrorPattern> patterns, DateTimeOffset now)
    {
        var added = new List<ErrorPattern>();
        foreach (var p in patterns)
        {
            if (store.Execute(
                "INSERT INTO error_patterns (signature, category, first_seen_at, noticed_at) VALUES ($s, $c, $f, $n) ON CONFLICT (signature) DO NOTHING",
                ("$s", p.Signature), ("$c", p.Category), ("$f", p.FirstSeen.ToUnixTimeMilliseconds()), ("$n", now.ToUnixTimeMilliseconds())) > 0)
            {
                added.Add(p with { New = true });
            }
        }

        return added;
    }

    /// <summary>
    /// The normalised signature of an error message: tool-error tags and <c>Exit code N</c> lines dropped, the first
    /// line that names an error (error, failed, denied, not found, …; else the first line) kept, terminal colour codes
    /// dropped, then URLs, quoted values, paths, bare file names, UUIDs, hex ids and numbers masked (<c>&lt;url&gt;</c>,
    /// <c>&lt;str&gt;</c>, <c>&lt;path&gt;</c>, <c>&lt;file&gt;</c>, <c>&lt;id&gt;</c>, <c>&lt;n&gt;</c>), whitespace collapsed, at
    /// most 160 characters.
    /// The same error from another file, line or session has the same signature.
    /// </summary>
    public static string Signature(string message)
    {
        var text = Ansi().Replace(Tags().Replace(message, string.Empty), string.Empty).Replace("\\n", "\n", StringComparison.Ordinal);
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !ExitCode().IsMatch(l)).ToList();
        var line = lines.Find(l => Telling().IsMatch(l)) ?? lines.FirstOrDefault() ?? text.Trim();
        line = Url().Replace(line, "<url>");
        line = Quoted().Replace(line, "<str>");
        line = PathLike().Replace(line, "<path>");
        line = FileName().Replace(line, "<file>");
        line = Uuid().Replace(line, "<id>");
        line = HexId().Replace(line, "<id>");
        line = Number().Replace(line, "<n>");
        line = Spaces().Replace(line, " ").Trim();
        return line.Length <= MaxSignature ? line : line[..MaxSignature];
    }

    /// <summary>The category of an error (see <see cref="ErrorPattern.Category"/>).</summary>
    /// <param name="kind">Its stored kind (<c>tool_error</c>, <c>api_error</c>, …).</param>
    /// <param name="message">Its message.</param>
    /// <param name="command">For a tool error, the call's detail (a command line), if any.</param>
    /// <param name="tool">For a tool error, the tool's name, if known.</param>
    public static string Category(string kind, string message, string? command, string? tool) =>
        kind != "tool_error" && OutcomeRules.Wall(message) is ("rate_limit" or "context_limit") and var wall ? wall
        : Rejected().IsMatch(message) ? "rejected"
        : CommandNotFound().IsMatch(message) ? "command_not_found"
        : FileNotFound().IsMatch(message) ? "file_not_found"
        : EditConflict().IsMatch(message) ? "edit_conflict"
        : PermissionDenied().IsMatch(message) ? "permission"
        : Timeout().IsMatch(message) ? "timeout"
        : (command is not null && OutcomeRules.RunsTests(command)) || TestFailure().IsMatch(message) ? "test_failure"
        : kind == "tool_error" ? (ExitCode().IsMatch(message) || (tool is not null && Shell().IsMatch(tool)) ? "command_failed" : "tool_failed")
        : kind == "api_error" ? (OutcomeRules.Wall(message) ?? "api_error")
        : "other";

    private static string? Fix(string category, string signature, IEnumerable<string> examples) => category switch
    {
        "command_not_found" => MissingCommand(examples) is { } tool
            ? $"Install `{tool}` (or tell the agent in CLAUDE.md/AGENTS.md which command to use instead)."
            : "Install the missing command, or tell the agent in CLAUDE.md/AGENTS.md which one to use instead.",
        "file_not_found" => "Describe the project layout (where sources, tests and config live) in CLAUDE.md/AGENTS.md so the agent stops guessing paths.",
        "edit_conflict" => "Add to CLAUDE.md/AGENTS.md: read a file again right before editing it, and copy the text to replace exactly.",
        "permission" => "Allow the command in the agent's permission settings, or tell the agent in CLAUDE.md/AGENTS.md not to use it.",
        "rejected" => "You declined this action repeatedly: say in CLAUDE.md/AGENTS.md what the agent should do instead.",
        "timeout" => "Run long commands in the background or raise the tool's timeout; name the slow commands in CLAUDE.md/AGENTS.md.",
        "rate_limit" => "Spread work out or move to a plan with higher limits; a cheaper model for sub-agents uses less of the limit.",
        "context_limit" => "Compact earlier (/compact) or split the task; keep huge files and logs out of the prompt.",
        "test_failure" when signature.Contains("<path>", StringComparison.Ordinal) => "Tell the agent in CLAUDE.md/AGENTS.md how to run the tests (the exact command and folder).",
        _ => null,
    };

    private static string? MissingCommand(IEnumerable<string> examples)
    {
        foreach (var example in examples)
        {
            if (MissingCommandName().Match(example) is { Success: true } match)
            {
                return match.Groups["name"].Value;
            }
        }

        return null;
    }

    private static string? FirstWord(string? command)
    {
        var text = command?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var parts = text.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 1 && parts[0] is "npm" or "pnpm" or "yarn" or "dotnet" or "cargo" or "go" or "git" or "python" or "python3" or "uv" or "mix" or "bun"
            ? parts[0] + " " + parts[1]
            : parts[0];
    }

    private readonly record struct Occurrence(string Session, long At, string Kind, string? Message, string? Tool, string? Detail);

    private sealed class Group(string signature, string category)
    {
        private readonly HashSet<string> _sessions = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _tools = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _skills = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<(long At, string Message)> _examples = [];

        public string Signature => signature;

        public int Count { get; private set; }

        public long Last { get; private set; } = long.MinValue;

        private long First { get; set; } = long.MaxValue;

        public void Add(in Occurrence o, string root, string message, List<string> skills)
        {
            Count++;
            First = Math.Min(First, o.At);
            Last = Math.Max(Last, o.At);
            _sessions.Add(root);
            if (o.Tool is { } tool)
            {
                _tools.Add(tool);
            }

            foreach (var skill in skills)
            {
                _skills[skill] = _skills.GetValueOrDefault(skill) + 1;
            }

            var same = _examples.FindIndex(e => e.Message == message);
            if (same >= 0)
            {
                _examples[same] = (Math.Max(_examples[same].At, o.At), message);
            }
            else if (_examples.Count < 20)
            {
                _examples.Add((o.At, message));
            }
        }

        public ErrorPattern Pattern(bool isNew)
        {
            var examples = _examples.OrderByDescending(e => e.At).Select(e => e.Message).Take(3).ToList();
            return new ErrorPattern(
                signature, category, Count, _sessions.Count, DateTimeOffset.FromUnixTimeMilliseconds(First), DateTimeOffset.FromUnixTimeMilliseconds(Last),
                [.. _tools], _skills.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).ToList(), examples,
                Fix(category, signature, _examples.Select(e => e.Message)), isNew);
        }
    }

    [GeneratedRegex(@"</?[a-z_]+_error>|</?error>", RegexOptions.IgnoreCase)]
    private static partial Regex Tags();

    [GeneratedRegex(@"^Exit code:? -?\d+$", RegexOptions.IgnoreCase)]
    private static partial Regex ExitCode();

    [GeneratedRegex(@"\b[a-z][a-z0-9+.-]*://[^\s""'<>)]+", RegexOptions.IgnoreCase)]
    private static partial Regex Url();

    [GeneratedRegex(@"""[^""\n]*""|'[^'\n]*'|`[^`\n]*`")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"(?:~|\.{1,2}|(?<![A-Za-z0-9])[A-Za-z]:)?(?:[\\/][^\s\\/:""'<>|,;()\[\]]+)+[\\/]?(?::\d+(?::\d+)?)?")]
    private static partial Regex PathLike();

    [GeneratedRegex(@"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid();

    [GeneratedRegex(@"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b|\b(?:req|msg|toolu|call|ses|run)_[A-Za-z0-9]+\b", RegexOptions.IgnoreCase)]
    private static partial Regex HexId();

    [GeneratedRegex(@"\d+(?:\.\d+)*")]
    private static partial Regex Number();

    [GeneratedRegex(@"error|fail|denied|not found|no such|exception|cannot|can't|invalid|timed out|refused|not allowed|unknown", RegexOptions.IgnoreCase)]
    private static partial Regex Telling();

    [GeneratedRegex(@"^(bash|shell|sh|zsh|exec_command|run_shell_command|local_shell|terminal|powershell)$", RegexOptions.IgnoreCase)]
    private static partial Regex Shell();

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"(?<![\w<.-])[\w-]+(?:\.[\w-]+)*\.[A-Za-z][A-Za-z0-9]{0,5}(?![\w>])")]
    private static partial Regex FileName();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"doesn'?t want to proceed|user (rejected|denied|declined)|was rejected by the user|user doesn'?t want|interrupted by user", RegexOptions.IgnoreCase)]
    private static partial Regex Rejected();

    [GeneratedRegex(@"command not found|is not recognized as an internal or external command|: not found$|No such command|executable file not found", RegexOptions.IgnoreCase)]
    private static partial Regex CommandNotFound();

    [GeneratedRegex(@"(?<name>[A-Za-z0-9._+-]+): (?:command )?not found|'(?<name>[^']+)' is not recognized|exec: ""(?<name>[^""]+)"": executable file not found", RegexOptions.IgnoreCase)]
    private static partial Regex MissingCommandName();

    [GeneratedRegex(@"no such file|does not exist|ENOENT|file not found|cannot find (the )?(file|path|module)|path not found|not a directory", RegexOptions.IgnoreCase)]
    private static partial Regex FileNotFound();

    [GeneratedRegex(@"string to replace not found|old_string|has been modified since|has not been read yet|read it first|found \d+ matches|not unique", RegexOptions.IgnoreCase)]
    private static partial Regex EditConflict();

    [GeneratedRegex(@"permission denied|EACCES|EPERM|operation not permitted|not allowed|access is denied|requires approval|blocked by|haven'?t granted", RegexOptions.IgnoreCase)]
    private static partial Regex PermissionDenied();

    [GeneratedRegex(@"timed? ?out|timeout|deadline exceeded", RegexOptions.IgnoreCase)]
    private static partial Regex Timeout();

    [GeneratedRegex(@"\btests? failed\b|\bFAILED\b|AssertionError|assert(ion)? failed|\d+ failing\b|Failed: \d+", RegexOptions.None)]
    private static partial Regex TestFailure();
}
