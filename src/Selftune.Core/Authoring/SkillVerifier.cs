using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Authoring;

/// <summary>The outcome of one verification step.</summary>
internal enum VerifyStatus
{
    /// <summary>The check held.</summary>
    Passed,
    /// <summary>A deviation that does not stop the skill from working (it is still verified).</summary>
    Warning,
    /// <summary>The check failed: the skill is not verified.</summary>
    Failed,
    /// <summary>Not run, with the reason and the command that enables it (e.g. no eval set yet, no LLM, no agent CLI,
    /// or the frontmatter did not parse).</summary>
    Skipped,
}

/// <summary>One step of <c>selftune verify</c>.</summary>
/// <param name="Name">The step: <c>frontmatter</c>, <c>name</c>, <c>description</c>, <c>body</c>, <c>links</c>,
/// <c>referenced_files</c>, <c>evals</c>, <c>baseline</c>, <c>unit_tests</c>.</param>
/// <param name="Status">Its outcome.</param>
/// <param name="Problems">What is wrong, one sentence each, with the file and line where known.</param>
/// <param name="Message">The outcome for a person.</param>
/// <param name="NextCommand">What fixes it or runs it, when anything.</param>
internal sealed record VerifyStep(string Name, VerifyStatus Status, IReadOnlyList<string> Problems, string Message, string? NextCommand = null);

/// <summary>The eval figures of a verification: the current description run over the skill's latest eval set.</summary>
/// <param name="EvalSetId">The eval set.</param>
/// <param name="Method">How triggering was decided: <c>judge</c> (the LLM) or <c>lexical</c> (<c>--llm offline</c>).</param>
/// <param name="Entries">Entries run.</param>
/// <param name="Passed">Entries where the skill triggered exactly when it should.</param>
/// <param name="PassRate"><paramref name="Passed"/> / <paramref name="Entries"/>.</param>
/// <param name="PositivesTriggered">Should-trigger entries that triggered.</param>
/// <param name="Positives">Should-trigger entries.</param>
/// <param name="NegativesQuiet">Should-not-trigger entries that did not trigger.</param>
/// <param name="Negatives">Should-not-trigger entries.</param>
internal sealed record VerifyEvalFigures(string EvalSetId, string Method, int Entries, int Passed, double PassRate, int PositivesTriggered, int Positives, int NegativesQuiet, int Negatives);

/// <summary>The baseline figures of a verification (<see cref="BaselineService"/>, stored in <c>skill_baselines</c> too).</summary>
/// <param name="EvalSetId">The eval set measured.</param>
/// <param name="Entries">Its entries.</param>
/// <param name="WithSkillPassRate">Pass rate with the skill's description (0..1).</param>
/// <param name="NoSkillPassRate">Pass rate with no description (0..1).</param>
/// <param name="Lift">With − without.</param>
/// <param name="MinLift">The lift that counts as adding value (<c>baseline.min_lift</c>).</param>
/// <param name="AddsValue">True when <paramref name="Lift"/> reached <paramref name="MinLift"/>.</param>
internal sealed record VerifyBaselineFigures(string EvalSetId, int Entries, double WithSkillPassRate, double NoSkillPassRate, double Lift, double MinLift, bool AddsValue);

/// <summary>The unit-test figures of a verification (<see cref="UnitTestService"/>).</summary>
/// <param name="Agent">The agent CLI that ran them.</param>
/// <param name="Total">Tests run.</param>
/// <param name="Passed">Tests passed.</param>
/// <param name="PassRate"><paramref name="Passed"/> / <paramref name="Total"/>.</param>
/// <param name="AgentCostUsd">What the agent reported the runs cost (USD).</param>
internal sealed record VerifyUnitTestFigures(string Agent, int Total, int Passed, double PassRate, decimal AgentCostUsd);

/// <summary>What <c>selftune verify</c> found.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="SkillPath">Its SKILL.md.</param>
/// <param name="Fingerprint">SHA-256 over the folder's files (see <see cref="SkillVerifier.Fingerprint"/>); publish packages only these bytes.</param>
/// <param name="Verified">True when no step failed.</param>
/// <param name="Steps">Every step, in order.</param>
/// <param name="Evals">The eval figures, when the eval step ran.</param>
/// <param name="VerifiedAt">When (UTC).</param>
/// <param name="NextCommand">What to do next: the first failed step's fix, or publish.</param>
/// <param name="Baseline">The baseline figures, when the baseline step ran.</param>
/// <param name="UnitTests">The unit-test figures, when the unit-test step ran.</param>
internal sealed record VerifyReport(string Skill, string SkillPath, string Fingerprint, bool Verified, IReadOnlyList<VerifyStep> Steps, VerifyEvalFigures? Evals, DateTimeOffset VerifiedAt, string? NextCommand,
    VerifyBaselineFigures? Baseline = null, VerifyUnitTestFigures? UnitTests = null);

/// <summary>What verify's LLM steps use, or why there is no LLM.</summary>
/// <param name="Validator">The eval step's trigger validator (the LLM judge, or the lexical matcher with <c>--llm offline</c>), or null.</param>
/// <param name="Unavailable">Why there is no LLM at all (one clause, e.g. no API key), when <paramref name="Validator"/> is null.</param>
/// <param name="NextCommand">What runs the evals without an LLM, when <paramref name="Validator"/> is null.</param>
/// <param name="Llm">The LLM the baseline step judges with; null (offline, or no LLM) skips that step.</param>
internal sealed record VerifyTools(ITriggerValidator? Validator, string? Unavailable = null, string? NextCommand = null, LlmClient? Llm = null);

/// <summary>
/// <c>selftune verify</c>: checks a skill folder against the Agent Skills specification (agentskills.io/specification;
/// Anthropic's <c>quick_validate.py</c> for the angle-bracket rule; Claude Code's 1,536-character listing cut for the
/// description budget) — frontmatter, name rules, description budget, body, links and referenced files — then runs its
/// latest eval set with the current description, its no-skill baseline (<see cref="BaselineService"/>, when an LLM is
/// available and the eval set holds positives and negatives) and its unit tests (<see cref="UnitTestService"/>, when it
/// has some and an agent CLI can replay); a step that cannot run is skipped with the reason and the command that enables
/// it. Every verification is stored with the folder's fingerprint; <see cref="SkillPublisher"/> packages only a
/// fingerprint that passed.
/// </summary>
internal sealed partial class SkillVerifier(EvalSetStore evalSets, BaselineService baselines, UnitTestService unitTests, TimeProvider time)
{
    /// <summary>Claude Code shows at most this many characters of <c>description</c> + <c>when_to_use</c> in its skill listing.</summary>
    public const int ListingBudget = 1536;

    /// <summary>The body length the specification recommends staying under, in lines.</summary>
    public const int MaxBodyLines = 500;

    /// <summary>Folders the specification names for a skill's files; backticked paths under them must exist.</summary>
    public static readonly IReadOnlyList<string> ResourceFolders = ["scripts", "references", "assets"];

    /// <summary>Why <paramref name="description"/> breaks the specification's rules: empty, over 1024 characters, or
    /// containing <c>&lt;</c> or <c>&gt;</c>.</summary>
    public static IEnumerable<string> DescriptionProblems(string description)
    {
        if (string.IsNullOrWhiteSpace(description))
        {
            yield return "the description is empty: say what the skill does and when to use it.";
        }

        if (description.Length > SkillDocument.MaxDescriptionLength)
        {
            yield return $"the description is {description.Length} characters; the limit is {SkillDocument.MaxDescriptionLength}.";
        }

        if (description.IndexOfAny(['<', '>']) >= 0)
        {
            yield return "the description contains '<' or '>', which skill loaders reject: write the words instead.";
        }
    }

    /// <summary>Verifies the skill at <paramref name="skillPath"/> and stores the verification.</summary>
    /// <param name="store">The store (the eval set is read from it; the verification written to it).</param>
    /// <param name="skill">The name the skill is expected to have.</param>
    /// <param name="skillPath">Its SKILL.md (absolute).</param>
    /// <param name="tools">The eval step's validator and the baseline's LLM.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<VerifyReport> VerifyAsync(SelftuneStore store, string skill, string skillPath, VerifyTools tools, CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(skillPath)!;
        var fingerprint = Fingerprint(folder);
        var steps = new List<VerifyStep>();
        VerifyEvalFigures? evals = null;
        VerifyBaselineFigures? baseline = null;
        VerifyUnitTestFigures? units = null;
        SkillDocument? doc = null;
        try
        {
            doc = SkillDocument.Load(skillPath);
            var unknown = doc.Frontmatter.Keys.Where(k => !SkillDocument.KnownKeys.Contains(k)).Select(k => $"{skillPath}:2: unknown frontmatter key '{k}' (the specification's validator rejects it; move it under 'metadata:').").ToList();
            steps.Add(Step("frontmatter", unknown, "The frontmatter parses and has only known keys."));
        }
        catch (SkillDocumentException ex)
        {
            steps.Add(new VerifyStep("frontmatter", VerifyStatus.Failed, [ex.Message], ex.Message, ex.NextCommand));
        }

        if (doc is null)
        {
            steps.AddRange(new[] { "name", "description", "body", "links", "referenced_files", "evals", "baseline", "unit_tests" }
                .Select(n => new VerifyStep(n, VerifyStatus.Skipped, [], "Skipped: the frontmatter did not parse.")));
        }
        else
        {
            var lines = File.ReadAllText(skillPath).Split('\n');
            steps.Add(NameStep(doc, skill, folder));
            steps.Add(DescriptionStep(doc, lines));
            steps.Add(BodyStep(doc));
            steps.Add(LinksStep(doc, folder));
            steps.Add(ReferencedFilesStep(doc, folder));
            (var evalStep, evals) = await EvalStepAsync(store, skill, skillPath, tools, ct).ConfigureAwait(false);
            steps.Add(evalStep);
            (var baselineStep, baseline) = await BaselineStepAsync(store, skill, skillPath, tools, ct).ConfigureAwait(false);
            steps.Add(baselineStep);
            (var unitStep, units) = await UnitTestStepAsync(store, skill, skillPath, ct).ConfigureAwait(false);
            steps.Add(unitStep);
        }

        var verified = steps.All(s => s.Status != VerifyStatus.Failed);
        var next = verified
            ? ShellCommand.Line($"selftune publish --skill {skill:skill} --skill-path {folder} --to <folder>")
            : steps.First(s => s.Status == VerifyStatus.Failed).NextCommand ?? $"$EDITOR {ShellCommand.Quote(skillPath)}";
        var report = new VerifyReport(skill, skillPath, fingerprint, verified, steps, evals, time.GetUtcNow(), next, baseline, units);
        store.Execute(
            "INSERT INTO skill_verifications (skill_name, skill_path, fingerprint, verified_at, passed, report) VALUES ($s, $p, $f, $at, $ok, $r)",
            ("$s", skill), ("$p", skillPath), ("$f", fingerprint), ("$at", report.VerifiedAt.ToUnixTimeMilliseconds()), ("$ok", verified ? 1 : 0),
            ("$r", JsonSerializer.Serialize(report, Json.Options)));
        return report;
    }

    /// <summary>The folder's files, relative paths with <c>/</c>, ordinal order; hidden entries (names starting with a
    /// dot) and links are left out.</summary>
    public static IReadOnlyList<string> Files(string folder) =>
        Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(r => !r.Split('/').Any(part => part.StartsWith('.')))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Lower-case hex SHA-256 over <c>"&lt;relative path&gt;\t&lt;sha256 of its bytes&gt;\n"</c> for each of
    /// <see cref="Files"/>: any change to any file changes it.</summary>
    public static string Fingerprint(string folder)
    {
        var text = new StringBuilder();
        foreach (var file in Files(folder))
        {
            text.Append(file).Append('\t').Append(Sha256(Path.Combine(folder, file))).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Lower-case hex SHA-256 of a file's bytes.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static VerifyStep Step(string name, List<string> problems, string ok, VerifyStatus failing = VerifyStatus.Failed, string? next = null) =>
        problems.Count == 0
            ? new VerifyStep(name, VerifyStatus.Passed, [], ok)
            : new VerifyStep(name, failing, problems, string.Join(" ", problems), next);

    private static VerifyStep NameStep(SkillDocument doc, string skill, string folder)
    {
        var problems = new List<string>();
        var name = doc.Frontmatter.GetValueOrDefault("name") as string;
        var folderName = Path.GetFileName(folder);
        if (string.IsNullOrWhiteSpace(name))
        {
            problems.Add($"{doc.Path}:2: no 'name' in the frontmatter: add 'name: {folderName}'.");
        }
        else
        {
            if (name.Length > SkillNames.MaxLength || !SkillNames.FollowsNamingRule(name))
            {
                problems.Add($"{doc.Path}:2: name '{name}' breaks the naming rule: 1-{SkillNames.MaxLength} lower-case letters, digits and single hyphens, no hyphen first or last.");
            }

            if (name != folderName)
            {
                problems.Add($"{doc.Path}:2: name '{name}' differs from its folder '{folderName}': they must match.");
            }

            if (!SkillNames.Same(name, skill))
            {
                problems.Add($"{doc.Path}:2: name '{name}' is not the skill '{skill}' asked for.");
            }
        }

        return Step("name", problems, $"'{name}' follows the naming rule and matches its folder.");
    }

    private static VerifyStep DescriptionStep(SkillDocument doc, string[] lines)
    {
        var line = Array.FindIndex(lines, l => l.StartsWith("description:", StringComparison.Ordinal)) + 1;
        var at = $"{doc.Path}:{Math.Max(line, 2)}";
        var description = doc.Frontmatter.GetValueOrDefault("description") as string ?? string.Empty;
        var problems = DescriptionProblems(description).Select(p => $"{at}: {p}").ToList();
        if (description.Contains(SkillScaffold.PlaceholderDescription[..20], StringComparison.Ordinal))
        {
            problems.Add($"{at}: the description is still the placeholder 'selftune create' wrote: say what the skill does and when to use it.");
        }

        if (problems.Count > 0)
        {
            return Step("description", problems, string.Empty, next: $"$EDITOR {ShellCommand.Quote(doc.Path)}");
        }

        var listed = description.Length + ((doc.Frontmatter.GetValueOrDefault("when_to_use") as string)?.Length ?? 0);
        return listed > ListingBudget
            ? new VerifyStep("description", VerifyStatus.Warning, [$"{at}: description and when_to_use are {listed} characters; agents' skill listings cut at {ListingBudget}, so the end is not seen."], $"Over the {ListingBudget}-character listing budget.")
            : new VerifyStep("description", VerifyStatus.Passed, [], $"{description.Length} of {SkillDocument.MaxDescriptionLength} characters ({listed} of the {ListingBudget}-character listing budget).");
    }

    private static VerifyStep BodyStep(SkillDocument doc)
    {
        var lines = doc.Body.Split('\n');
        if (!lines.Any(l => l.StartsWith("# ", StringComparison.Ordinal)))
        {
            return new VerifyStep("body", VerifyStatus.Failed, [$"{doc.Path}:{doc.BodyLine}: the body has no '# Title' line: add one after the frontmatter."], "The body has no '# Title'.", $"$EDITOR {ShellCommand.Quote(doc.Path)}");
        }

        return lines.Length > MaxBodyLines
            ? new VerifyStep("body", VerifyStatus.Warning, [$"{doc.Path}: the body is {lines.Length} lines; keep SKILL.md under {MaxBodyLines} and move detail to references/."], "Long body.")
            : new VerifyStep("body", VerifyStatus.Passed, [], $"A titled body of {lines.Length} lines.");
    }

    private static VerifyStep LinksStep(SkillDocument doc, string folder)
    {
        var problems = new List<string>();
        var checkedLinks = 0;
        foreach (var (target, line) in Matches(doc, MarkdownLink()))
        {
            var path = target.Split('#', 2)[0].Split('?', 2)[0];
            if (path.Length == 0 || target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            checkedLinks++;
            problems.AddRange(Missing(doc, folder, Uri.UnescapeDataString(path), line, "links to"));
        }

        return Step("links", problems, $"{checkedLinks} relative link(s) resolve inside the skill folder (web links are not fetched).", next: $"$EDITOR {ShellCommand.Quote(doc.Path)}");
    }

    private static VerifyStep ReferencedFilesStep(SkillDocument doc, string folder)
    {
        var problems = new List<string>();
        var count = 0;
        foreach (var (path, line) in Matches(doc, BacktickPath()).Where(m => ResourceFolders.Any(f => m.Value.TrimStart('.', '/').StartsWith(f + "/", StringComparison.Ordinal))))
        {
            count++;
            problems.AddRange(Missing(doc, folder, path, line, "names"));
        }

        return Step("referenced_files", problems, $"{count} file(s) named under {string.Join("/, ", ResourceFolders)}/ exist.", next: $"$EDITOR {ShellCommand.Quote(doc.Path)}");
    }

    private static IEnumerable<string> Missing(SkillDocument doc, string folder, string relative, int line, string verb)
    {
        var full = Path.GetFullPath(Path.Combine(folder, relative));
        var root = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            yield return $"{doc.Path}:{line}: {verb} '{relative}', outside the skill folder: a published skill would not carry it.";
        }
        else if (!File.Exists(full) && !Directory.Exists(full))
        {
            yield return $"{doc.Path}:{line}: {verb} '{relative}', which does not exist.";
        }
    }

    private static IEnumerable<(string Value, int Line)> Matches(SkillDocument doc, Regex regex)
    {
        var lines = doc.Body.Split('\n');
        var fenced = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }

            if (!fenced)
            {
                foreach (Match m in regex.Matches(lines[i]))
                {
                    yield return (m.Groups[1].Value, doc.BodyLine + i);
                }
            }
        }
    }

    private async Task<(VerifyStep, VerifyEvalFigures?)> EvalStepAsync(SelftuneStore store, string skill, string skillPath, VerifyTools tools, CancellationToken ct)
    {
        var set = evalSets.Latest(store, skill);
        if (set is null || set.Entries.Count == 0)
        {
            return (new VerifyStep("evals", VerifyStatus.Skipped, [], "Skipped: the skill has no eval set yet (a new skill has no real prompts; --synthetic writes some).",
                ShellCommand.Line($"selftune eval generate --skill {skill:skill} --synthetic")), null);
        }

        if (tools.Validator is not { } validator)
        {
            return (new VerifyStep("evals", VerifyStatus.Skipped, [], $"Skipped: no LLM to judge the evals ({tools.Unavailable}); --llm offline runs them with a lexical matcher.", tools.NextCommand), null);
        }

        var file = SkillFile.Load(skillPath);
        var triggered = await validator.TriggersAsync(file, file.Description, set.Entries, null, ct).ConfigureAwait(false);
        var entries = set.Entries.Take(triggered.Count).ToList();
        var positives = entries.Select((e, i) => (e, t: triggered[i])).Where(x => x.e.ShouldTrigger).ToList();
        var negatives = entries.Select((e, i) => (e, t: triggered[i])).Where(x => !x.e.ShouldTrigger).ToList();
        var passed = positives.Count(x => x.t) + negatives.Count(x => !x.t);
        var figures = new VerifyEvalFigures(set.Id, validator.Method, entries.Count, passed, entries.Count == 0 ? 0 : Math.Round((double)passed / entries.Count, 4),
            positives.Count(x => x.t), positives.Count, negatives.Count(x => !x.t), negatives.Count);
        var message = $"{passed}/{entries.Count} eval entries pass ({validator.Method}): {figures.PositivesTriggered}/{figures.Positives} should-trigger triggered, {figures.NegativesQuiet}/{figures.Negatives} should-not stayed quiet.";
        return figures.PassRate >= 0.5
            ? (new VerifyStep("evals", VerifyStatus.Passed, [], message), figures)
            : (new VerifyStep("evals", VerifyStatus.Failed, [$"{message} Fewer than half pass: the description does not say when to use the skill."], message, ShellCommand.Line($"selftune evolve --skill {skill:skill} --skill-path {skillPath}")), figures);
    }

    private async Task<(VerifyStep, VerifyBaselineFigures?)> BaselineStepAsync(SelftuneStore store, string skill, string skillPath, VerifyTools tools, CancellationToken ct)
    {
        var entries = evalSets.Latest(store, skill)?.Entries ?? [];
        if (!entries.Any(e => e.ShouldTrigger) || !entries.Any(e => !e.ShouldTrigger))
        {
            return (new VerifyStep("baseline", VerifyStatus.Skipped, [], "Skipped: the baseline is measured on an eval set with prompts that should and should not trigger the skill, and there is none yet.",
                ShellCommand.Line($"selftune eval generate --skill {skill:skill} --synthetic")), null);
        }

        if (tools.Llm is not { } llm)
        {
            return tools.Validator is null
                ? (new VerifyStep("baseline", VerifyStatus.Skipped, [], $"Skipped: the no-skill baseline needs an LLM judge, and there is none ({tools.Unavailable}).", "selftune llm test"), null)
                : (new VerifyStep("baseline", VerifyStatus.Skipped, [], "Skipped: --llm offline; the no-skill baseline needs an LLM judge.",
                    ShellCommand.Line($"selftune baseline --skill {skill:skill} --skill-path {skillPath}")), null);
        }

        BaselineResult result;
        try
        {
            result = await baselines.RunAsync(store, skill, skillPath, llm, ct).ConfigureAwait(false);
        }
        catch (SelftuneException ex)
        {
            return (new VerifyStep("baseline", VerifyStatus.Skipped, [], $"Skipped: the baseline could not be measured: {ex.Message}", ex.NextCommand), null);
        }

        var figures = new VerifyBaselineFigures(result.EvalSetId, result.Entries, result.WithSkillPassRate, result.NoSkillPassRate, result.Lift, result.MinLift, result.AddsValue);
        return result.AddsValue
            ? (new VerifyStep("baseline", VerifyStatus.Passed, [], result.Reason), figures)
            : (new VerifyStep("baseline", VerifyStatus.Failed, [result.Reason], result.Reason, result.NextCommand), figures);
    }

    private async Task<(VerifyStep, VerifyUnitTestFigures?)> UnitTestStepAsync(SelftuneStore store, string skill, string skillPath, CancellationToken ct)
    {
        var generate = ShellCommand.Line($"selftune eval unit-test --skill {skill:skill} --skill-path {skillPath} --generate");
        var file = unitTests.FilePath(skill);
        if (!File.Exists(file))
        {
            return (new VerifyStep("unit_tests", VerifyStatus.Skipped, [], $"Skipped: the skill has no unit tests yet ('{file}'); --generate drafts them with the LLM.", generate), null);
        }

        try
        {
            UnitTestService.Load(file, skill);
        }
        catch (SelftuneException ex)
        {
            return (new VerifyStep("unit_tests", VerifyStatus.Failed, [ex.Message], ex.Message, ex.NextCommand), null);
        }

        UnitTestRun run;
        try
        {
            run = await unitTests.RunAsync(store, skill, skillPath, generate: false, llm: null, ct).ConfigureAwait(false);
        }
        catch (SelftuneException ex)
        {
            return (new VerifyStep("unit_tests", VerifyStatus.Skipped, [], $"Skipped: {ex.Message}", ex.NextCommand), null);
        }

        var rerun = ShellCommand.Line($"selftune eval unit-test --skill {skill:skill} --skill-path {skillPath}");
        if (run.Total == 0)
        {
            return (new VerifyStep("unit_tests", VerifyStatus.Skipped, [], $"Skipped: '{run.File}' holds no tests.", generate), null);
        }

        if (run.Results.All(r => r.Error is not null))
        {
            return (new VerifyStep("unit_tests", VerifyStatus.Skipped, [], $"Skipped: the agent could not run any test ({run.Results[0].Error}).", rerun), null);
        }

        var figures = new VerifyUnitTestFigures(run.Agent, run.Total, run.Passed, run.PassRate, run.AgentCostUsd);
        var message = $"{run.Passed}/{run.Total} unit tests pass through {run.Agent} with the skill installed.";
        var problems = run.Results.Where(r => !r.Passed)
            .Select(r => $"{run.File}: {r.Id} ('{r.Query}') failed: {r.Error ?? string.Join("; ", r.Assertions.Where(a => !a.Passed).Select(a => $"{a.Type}{(a.Value is null ? string.Empty : " " + a.Value)}: {a.Detail}"))}.")
            .ToList();
        return problems.Count == 0
            ? (new VerifyStep("unit_tests", VerifyStatus.Passed, [], message), figures)
            : (new VerifyStep("unit_tests", VerifyStatus.Failed, problems, message, rerun), figures);
    }

    [GeneratedRegex(@"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"`((?:\./)?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)`")]
    private static partial Regex BacktickPath();
}
