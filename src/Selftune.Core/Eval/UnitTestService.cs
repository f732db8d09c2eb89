using System.Globalization;
using System.Text;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Evolution;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Eval;

/// <summary>One assertion on what the agent did with the skill installed.</summary>
/// <param name="Type"><c>skill_invoked</c> (the agent invoked the skill), <c>skill_not_invoked</c>, or <c>file_written</c>
/// (<paramref name="Value"/> is a path relative to the workspace that exists after the turn).</param>
/// <param name="Value">The file's relative path for <c>file_written</c>; unused otherwise.</param>
internal sealed record UnitAssertion(string Type, string? Value = null);

/// <summary>One unit test: a prompt and what must be true after the agent handled it.</summary>
/// <param name="Id">Its id (<c>ut-N</c>).</param>
/// <param name="Query">The user prompt.</param>
/// <param name="Assertions">What must hold.</param>
internal sealed record UnitTest(string Id, string Query, IReadOnlyList<UnitAssertion> Assertions);

/// <summary>A skill's unit tests as stored in <c>&lt;home&gt;/evals/&lt;skill&gt;/unit-tests.json</c>.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="Tests">The tests.</param>
internal sealed record UnitTestFile(string Skill, IReadOnlyList<UnitTest> Tests);

/// <summary>One assertion's outcome.</summary>
/// <param name="Type">The assertion type.</param>
/// <param name="Value">Its value.</param>
/// <param name="Passed">True when it held.</param>
/// <param name="Detail">What was seen.</param>
internal sealed record AssertionResult(string Type, string? Value, bool Passed, string Detail);

/// <summary>One test's outcome.</summary>
/// <param name="Id">The test.</param>
/// <param name="Query">Its prompt.</param>
/// <param name="Passed">True when every assertion held.</param>
/// <param name="Assertions">Each assertion's outcome.</param>
/// <param name="Error">Why the agent could not run it, when it could not.</param>
internal sealed record UnitTestOutcome(string Id, string Query, bool Passed, IReadOnlyList<AssertionResult> Assertions, string? Error);

/// <summary>The result of <c>selftune eval unit-test</c>.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="File">The unit-test file.</param>
/// <param name="Generated">Tests the LLM drafted in this run (<c>--generate</c>).</param>
/// <param name="Agent">The agent CLI that ran them.</param>
/// <param name="Total">Tests run.</param>
/// <param name="Passed">Tests passed.</param>
/// <param name="PassRate">Passed / total (0..1).</param>
/// <param name="Results">Each test's outcome.</param>
/// <param name="AgentCostUsd">What the agent reported the runs cost (USD).</param>
internal sealed record UnitTestRun(string Skill, string File, int Generated, string Agent, int Total, int Passed, double PassRate, IReadOnlyList<UnitTestOutcome> Results, decimal AgentCostUsd);

/// <summary>
/// <c>selftune eval unit-test</c>: each test's prompt is replayed through the real agent CLI (<see cref="IAgentRunner.ReplayAsync"/>)
/// in a fresh workspace (an empty git project) with the skill's whole folder installed in the agent's project skill
/// folder; then the assertions are checked against what the agent did: whether it invoked the skill, and which files the
/// turn left in the workspace. <c>--generate</c> asks the LLM to draft tests from the SKILL.md and the eval set's positive
/// prompts. Tests live in a file beside the skill's eval data: <c>&lt;home&gt;/evals/&lt;skill&gt;/unit-tests.json</c>.
/// </summary>
internal sealed class UnitTestService(EvalSetStore evalSets, InstalledSkills skills, IEnumerable<IAgentRunner> runners, PlatformContext context, SelftuneHome home, SelftuneConfig config)
{
    /// <summary>Assertion types understood.</summary>
    public static readonly IReadOnlyList<string> Types = ["skill_invoked", "skill_not_invoked", "file_written"];

    /// <summary>Most tests one <c>--generate</c> drafts.</summary>
    public const int MaxGenerated = 8;

    private const string GenerateSystem =
        PromptClassifier.SelftuneMarker + " You are a test engineer writing unit tests for an agent skill (a SKILL.md). Each test is a realistic user " +
        "prompt and assertions on what a coding agent with the skill installed must do: skill_invoked (it uses the skill), skill_not_invoked " +
        "(a prompt the skill must leave alone), file_written with a workspace-relative path the skill's instructions make the agent write. " +
        "Answer with JSON only: {\"tests\": [{\"query\": \"…\", \"assertions\": [{\"type\": \"skill_invoked\"}, {\"type\": \"file_written\", \"value\": \"report.md\"}]}]}.";

    /// <summary>Where the unit tests of <paramref name="skill"/> are kept.</summary>
    public string FilePath(string skill) =>
        Path.Combine(home.Root, "evals", string.Concat(skill.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')), "unit-tests.json");

    /// <summary>Runs (after drafting, with <paramref name="generate"/>) the unit tests of <paramref name="skill"/>.</summary>
    /// <param name="store">The store (the eval set for drafting, the runner by usage).</param>
    /// <param name="skill">The skill.</param>
    /// <param name="skillPath">Its SKILL.md or folder, when not the installed one.</param>
    /// <param name="generate">Draft tests with the LLM first (replacing the file's tests).</param>
    /// <param name="llm">The LLM for drafting; unused without <paramref name="generate"/>.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> without a SKILL.md or, without <paramref name="generate"/>,
    /// without a unit-test file; <see cref="ErrorCodes.SkillInvalid"/> for a file in another shape (with the fix);
    /// <see cref="ErrorCodes.LlmUnavailable"/> when no installed agent CLI can replay; LLM errors while drafting.</exception>
    public async Task<UnitTestRun> RunAsync(SelftuneStore store, string skill, string? skillPath, bool generate, LlmClient? llm, CancellationToken ct)
    {
        var document = skills.Find(skill, skillPath, store)
            ?? throw new SelftuneException(ErrorCodes.NotFound, $"No installed SKILL.md was found for {ShellCommand.Quoted(skill)}.", ShellCommand.Line($"selftune eval unit-test --skill {skill:skill} --skill-path <folder or SKILL.md>"));
        var runner = EvolutionService.ReplayRunner(store, skill, runners, context)
            ?? throw new SelftuneException(ErrorCodes.LlmUnavailable, "Unit tests run through the real agent, but no installed agent CLI can replay a prompt (see selftune plugins).", "selftune plugins");
        var path = FilePath(skill);
        var generated = 0;
        UnitTestFile tests;
        if (generate)
        {
            tests = await GenerateAsync(store, skill, document.Path, llm ?? throw new ArgumentNullException(nameof(llm)), ct).ConfigureAwait(false);
            generated = tests.Tests.Count;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(tests, Json.Indented));
        }
        else
        {
            tests = Load(path, skill);
        }

        var timeout = TimeSpan.FromSeconds(config.GetInt(ConfigKeys.EvolveReplayTimeoutSeconds.Key));
        var folder = Path.GetDirectoryName(document.Path)!;
        var results = new List<UnitTestOutcome>();
        decimal cost = 0;
        foreach (var test in tests.Tests)
        {
            var workspace = Directory.CreateTempSubdirectory("selftune-unit-").FullName;
            try
            {
                Directory.CreateDirectory(Path.Combine(workspace, ".git"));
                Copy(folder, Path.Combine(workspace, runner.ProjectSkillFolder!, skill));
                ReplayResult replay;
                try
                {
                    replay = await runner.ReplayAsync(new ReplayRequest(test.Query, workspace, timeout), ct).ConfigureAwait(false);
                }
                catch (AgentRunnerException ex)
                {
                    results.Add(new UnitTestOutcome(test.Id, test.Query, false, [], $"{runner.Executable} could not run it: {ex.Message}"));
                    continue;
                }

                cost += replay.CostUsd ?? 0m;
                var invoked = replay.SkillsInvoked.Any(s => SkillNames.Same(s, skill));
                var checks = test.Assertions.Select(a => a.Type switch
                {
                    "skill_invoked" => new AssertionResult(a.Type, a.Value, invoked, invoked ? "invoked" : $"not invoked (invoked: {string.Join(", ", replay.SkillsInvoked.DefaultIfEmpty("none"))})"),
                    "skill_not_invoked" => new AssertionResult(a.Type, a.Value, !invoked, invoked ? "invoked" : "not invoked"),
                    _ => Written(workspace, a),
                }).ToList();
                results.Add(new UnitTestOutcome(test.Id, test.Query, checks.All(c => c.Passed), checks, null));
            }
            finally
            {
                Directory.Delete(workspace, recursive: true);
            }
        }

        var passed = results.Count(r => r.Passed);
        return new UnitTestRun(skill, path, generated, runner.Executable, results.Count, passed, results.Count == 0 ? 0 : Math.Round((double)passed / results.Count, 4), results, cost);
    }

    /// <summary>Reads and checks a unit-test file.</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when it is missing; <see cref="ErrorCodes.SkillInvalid"/>
    /// when it is not the expected JSON or names an unknown assertion type.</exception>
    public static UnitTestFile Load(string path, string skill)
    {
        if (!File.Exists(path))
        {
            throw new SelftuneException(ErrorCodes.NotFound, $"{ShellCommand.Quoted(skill)} has no unit tests yet ('{path}').", ShellCommand.Line($"selftune eval unit-test --skill {skill:skill} --generate"));
        }

        UnitTestFile? file;
        try
        {
            file = JsonSerializer.Deserialize<UnitTestFile>(File.ReadAllText(path), Json.Options);
        }
        catch (JsonException ex)
        {
            throw new SelftuneException(ErrorCodes.SkillInvalid, $"{path}:{(ex.LineNumber ?? 0) + 1}: not a unit-test file ({ex.Message}). Expected {{\"skill\", \"tests\": [{{\"id\", \"query\", \"assertions\": [{{\"type\", \"value\"}}]}}]}}.", $"$EDITOR '{path}'", inner: ex);
        }

        var unknown = file?.Tests?.SelectMany(t => t.Assertions ?? []).FirstOrDefault(a => !Types.Contains(a.Type, StringComparer.Ordinal));
        if (file?.Tests is null || unknown is not null)
        {
            throw new SelftuneException(ErrorCodes.SkillInvalid, $"{path}: {(unknown is null ? "no 'tests' list" : $"unknown assertion type '{unknown.Type}'")}; assertion types are {string.Join(", ", Types)}.", $"$EDITOR '{path}'");
        }

        return file;
    }

    private async Task<UnitTestFile> GenerateAsync(SelftuneStore store, string skill, string skillMd, LlmClient llm, CancellationToken ct)
    {
        var user = new StringBuilder().Append("Skill: ").AppendLine(skill).AppendLine("SKILL.md:").AppendLine("<<<").AppendLine(File.ReadAllText(skillMd).TrimEnd()).AppendLine(">>>");
        if (evalSets.Latest(store, skill) is { } set)
        {
            user.AppendLine("Real prompts that should use the skill:");
            foreach (var e in set.Entries.Where(e => e.ShouldTrigger).Take(10))
            {
                user.Append("- ").AppendLine(e.Query.ReplaceLineEndings(" "));
            }
        }

        user.AppendLine(CultureInfo.InvariantCulture, $"Write at most {MaxGenerated} tests.");
        var answer = await llm.CompleteJsonAsync<JsonElement>(new LlmRequest("eval.unit-test.generate", GenerateSystem, user.ToString(), MaxOutputTokens: 4096), ct).ConfigureAwait(false);
        var tests = new List<UnitTest>();
        if (answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("tests", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in list.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Object).Take(MaxGenerated))
            {
                var query = t.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
                var assertions = t.TryGetProperty("assertions", out var a) && a.ValueKind == JsonValueKind.Array
                    ? a.EnumerateArray()
                        .Where(x => x.ValueKind == JsonValueKind.Object && x.TryGetProperty("type", out var type) && Types.Contains(type.GetString() ?? string.Empty, StringComparer.Ordinal))
                        .Select(x => new UnitAssertion(x.GetProperty("type").GetString()!, x.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null))
                        .Where(x => x.Type != "file_written" || !string.IsNullOrWhiteSpace(x.Value))
                        .ToList()
                    : [];
                if (!string.IsNullOrWhiteSpace(query) && assertions.Count > 0)
                {
                    tests.Add(new UnitTest($"ut-{tests.Count + 1}", query, assertions));
                }
            }
        }

        return tests.Count > 0 ? new UnitTestFile(skill, tests) : throw new SelftuneException(ErrorCodes.LlmBadAnswer, $"The {llm.Backend} LLM drafted no usable unit test (each needs a query and a known assertion type).", "selftune llm test");
    }

    private static AssertionResult Written(string workspace, UnitAssertion a)
    {
        var relative = a.Value ?? string.Empty;
        var full = Path.GetFullPath(Path.Combine(workspace, relative));
        var inside = full.StartsWith(Path.GetFullPath(workspace) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        var exists = inside && File.Exists(full);
        return new AssertionResult(a.Type, a.Value, exists, !inside ? "the path leaves the workspace" : exists ? "written" : "not written");
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
