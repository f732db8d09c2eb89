using System.Text.Json;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Eval;
using Selftune.Core.Skills;

namespace Selftune.Core.Evolution;

/// <summary>
/// The real agent decides: each description is staged as a real project skill — <c>&lt;workspace&gt;/&lt;runner's
/// project skill folder&gt;/&lt;name&gt;/SKILL.md</c> in a temporary workspace (with an empty <c>.git/</c> so it is a
/// project root), with the skill's sibling skills copied beside it — and the agent is run once per query; the query
/// triggers when the agent invokes the staged skill — by its own name, not a plugin's skill of the same name —
/// anywhere in the turn (<see cref="ReplayResult.SkillsInvoked"/>).
/// The user's own skills of the same name would take precedence over the staged one (user beats project), so for the
/// duration of the replays each one is shadowed: its <c>SKILL.md</c> is renamed to <c>SKILL.md.selftune-shadowed</c>
/// in place, journaled under the selftune home, and restored afterwards — also on the next run if this one crashed.
/// (The measurement pitfalls this avoids: peers-and-formats §3.)
/// </summary>
internal sealed class ReplayValidator : ITriggerValidator
{
    /// <summary>The name a shadowed SKILL.md is given while replays run.</summary>
    public const string ShadowSuffix = ".selftune-shadowed";

    private const string SkillFileName = "SKILL.md";

    private readonly IAgentRunner _runner;
    private readonly IReadOnlyList<string> _userSkillRoots;
    private readonly string _journal;
    private readonly TimeSpan _timeout;
    private readonly string? _model;

    /// <summary>Creates the validator.</summary>
    /// <param name="runner">A runner whose <see cref="IAgentRunner.ProjectSkillFolder"/> is set.</param>
    /// <param name="userSkillRoots">Skill folders the agent reads outside the workspace; same-name skills there are shadowed.</param>
    /// <param name="journalPath">The file recording shadowed skills until they are restored.</param>
    /// <param name="timeout">Wall-clock limit of one replay.</param>
    /// <param name="model">Model to ask for; null for the agent's default.</param>
    public ReplayValidator(IAgentRunner runner, IReadOnlyList<string> userSkillRoots, string journalPath, TimeSpan timeout, string? model = null)
    {
        if (runner.ProjectSkillFolder is null)
        {
            throw new ArgumentException($"The {runner.Platform} runner cannot replay.", nameof(runner));
        }

        _runner = runner;
        _userSkillRoots = userSkillRoots;
        _journal = journalPath;
        _timeout = timeout;
        _model = model;
    }

    /// <inheritdoc />
    public string Method => "replay";

    /// <summary>The platform replayed on.</summary>
    public string Platform => _runner.Platform;

    /// <summary>Agent runs made so far.</summary>
    public int Runs { get; private set; }

    /// <summary>Cost of the runs so far, as the agent reported it (USD).</summary>
    public decimal CostUsd { get; private set; }

    /// <summary>The journal of shadowed skills in <paramref name="home"/>.</summary>
    public static string JournalPath(SelftuneHome home) => Path.Combine(home.Root, "replay-shadowed.json");

    /// <summary>Restores every SKILL.md a previous, interrupted replay left shadowed.</summary>
    /// <param name="journalPath">The journal.</param>
    /// <returns>The SKILL.md files restored.</returns>
    public static IReadOnlyList<string> RecoverShadowed(string journalPath)
    {
        if (!File.Exists(journalPath))
        {
            return [];
        }

        var restored = new List<string>();
        foreach (var path in JsonSerializer.Deserialize<List<string>>(File.ReadAllText(journalPath)) ?? [])
        {
            if (File.Exists(path + ShadowSuffix) && !File.Exists(path))
            {
                File.Move(path + ShadowSuffix, path);
                restored.Add(path);
            }
        }

        File.Delete(journalPath);
        return restored;
    }

    /// <inheritdoc />
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.LlmUnavailable"/> when the agent could not run a query (after one retry of a transient failure).</exception>
    public async Task<IReadOnlyList<bool>> TriggersAsync(SkillFile skill, string description, IReadOnlyList<EvalEntry> entries, Func<IReadOnlyList<bool>, bool>? giveUp, CancellationToken ct)
    {
        var name = skill.Name ?? Path.GetFileName(Path.GetDirectoryName(skill.Path))!;
        var workspace = Directory.CreateTempSubdirectory("selftune-replay-").FullName;
        try
        {
            Stage(skill, description, name, workspace);
            RecoverShadowed(_journal);
            var shadowed = Shadow(name);
            try
            {
                var triggered = new List<bool>(entries.Count);
                foreach (var entry in entries)
                {
                    var result = await ReplayAsync(entry.Query, workspace, ct).ConfigureAwait(false);
                    triggered.Add(result.SkillsInvoked.Any(s => s.Equals(name, StringComparison.OrdinalIgnoreCase)));
                    if (triggered.Count < entries.Count && giveUp?.Invoke(triggered) == true)
                    {
                        break;
                    }
                }

                return triggered;
            }
            finally
            {
                if (shadowed > 0)
                {
                    RecoverShadowed(_journal);
                }
            }
        }
        finally
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    private async Task<ReplayResult> ReplayAsync(string query, string workspace, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Runs++;
                var result = await _runner.ReplayAsync(new ReplayRequest(query, workspace, _timeout, _model), ct).ConfigureAwait(false);
                CostUsd += result.CostUsd ?? 0m;
                return result;
            }
            catch (AgentRunnerException ex) when (ex.Transient && attempt == 1)
            {
            }
            catch (AgentRunnerException ex)
            {
                throw new SelftuneException(ErrorCodes.LlmUnavailable, $"Replaying a query through {_runner.Executable} failed: {ex.Message}", "selftune evolve --validation judge", inner: ex);
            }
        }
    }

    private void Stage(SkillFile skill, string description, string name, string workspace)
    {
        Directory.CreateDirectory(Path.Combine(workspace, ".git"));
        var skills = Path.Combine(workspace, _runner.ProjectSkillFolder!);
        var target = Path.Combine(skills, name);
        Directory.CreateDirectory(target);
        File.WriteAllBytes(Path.Combine(target, SkillFileName), description == skill.Description ? skill.Bytes : DescriptionEditor.Replace(skill, description));
        var home = Path.GetDirectoryName(Path.GetDirectoryName(skill.Path));
        if (home is null || !Directory.Exists(home))
        {
            return;
        }

        foreach (var sibling in SkillCatalog.Discover([home]).Where(s => s.ShadowedBy is null && !s.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
        {
            var folder = Path.Combine(skills, sibling.Name);
            Directory.CreateDirectory(folder);
            File.Copy(sibling.SkillFile, Path.Combine(folder, SkillFileName), overwrite: true);
        }
    }

    private int Shadow(string name)
    {
        var files = SkillCatalog.Discover(_userSkillRoots)
            .Where(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(s => s.SkillFile)
            .Where(File.Exists)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            return 0;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(_journal)!);
        AtomicFile.WriteAllText(_journal, JsonSerializer.Serialize(files));
        foreach (var file in files)
        {
            File.Move(file, file + ShadowSuffix);
        }

        return files.Count;
    }
}
