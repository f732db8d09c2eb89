using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary><c>selftune evolve</c> and the run's evolve phase: evolves one skill with the configured <c>evolve.*</c>
/// settings (finds its SKILL.md, proposes, validates and, unless a dry run, deploys the winner).</summary>
/// <param name="evolution">The pipeline.</param>
/// <param name="skills">Finds the SKILL.md and the skill roots shadowed during replays.</param>
/// <param name="runners">The loaded plugins' agent runners (replay validation).</param>
/// <param name="context">The machine.</param>
/// <param name="home">The selftune home (the replay journal).</param>
/// <param name="config">The <c>evolve.*</c> settings.</param>
internal sealed class SkillEvolver(EvolutionService evolution, InstalledSkills skills, IEnumerable<IAgentRunner> runners, PlatformContext context, SelftuneHome home, SelftuneConfig config)
{
    /// <summary>Evolves <paramref name="name"/>.</summary>
    /// <param name="store">The store.</param>
    /// <param name="name">The skill.</param>
    /// <param name="skillPath">Its SKILL.md or folder, when not the installed one.</param>
    /// <param name="dryRun">Validate but do not deploy (the winner stays <c>validated</c>).</param>
    /// <param name="client">The LLM; the offline backend means heuristic mode.</param>
    /// <param name="progress">Receives progress lines, or null.</param>
    /// <param name="ct">Stops the work.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> when no SKILL.md is found;
    /// <see cref="ErrorCodes.ConfigInvalid"/> when <c>evolve.validation</c> is not a mode; the pipeline's errors.</exception>
    public async Task<EvolveResult> EvolveAsync(SelftuneStore store, string name, string? skillPath, bool dryRun, LlmClient client, IProgress<string>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        var document = skills.Find(name, skillPath, store)
            ?? throw new SelftuneException(ErrorCodes.NotFound, $"No installed SKILL.md was found for {ShellCommand.Quoted(name)}.", ShellCommand.Line($"selftune evolve --skill {name:skill} --skill-path <folder or SKILL.md>"));
        var tools = new EvolveTools(client, client.Backend == LlmBackends.Offline, EvolutionService.ReplayRunner(store, name, runners, context), skills.Roots(), ReplayValidator.JournalPath(home));
        var settings = new ValidationSettings(
            Mode(config.Checked(ConfigKeys.EvolveValidation.Key)),
            (int)config.GetInt(ConfigKeys.EvolveJudgeRuns.Key),
            (int)config.GetInt(ConfigKeys.EvolveJudgeBatchSize.Key),
            TimeSpan.FromSeconds(config.GetInt(ConfigKeys.EvolveReplayTimeoutSeconds.Key)));
        var options = new EvolveOptions(name, document.Path, (int)config.GetInt(ConfigKeys.EvolveCandidates.Key), dryRun);
        return await evolution.EvolveAsync(store, options, settings, tools, progress, ct).ConfigureAwait(false);
    }

    /// <summary>The validation mode named <paramref name="value"/> (<c>auto</c>, <c>judge</c> or <c>replay</c>).</summary>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.ConfigInvalid"/> for any other value.</exception>
    public static ValidationMode Mode(string? value) => value switch
    {
        "auto" => ValidationMode.Auto,
        "judge" => ValidationMode.Judge,
        "replay" => ValidationMode.Replay,
        _ => throw new SelftuneException(ErrorCodes.ConfigInvalid, $"Setting 'evolve.validation' is '{value}', but it must be auto, judge or replay.", "selftune config set evolve.validation auto"),
    };
}
