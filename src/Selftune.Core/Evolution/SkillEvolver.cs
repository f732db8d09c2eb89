using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary><c>selftune evolve</c> and the run's evolve phase: evolves one skill with the configured <c>evolve.*</c>
/// settings (finds its SKILL.md, proposes, validates and, unless a dry run, deploys the winner).</summary>
/// <param name="evolution">The description pipeline.</param>
/// <param name="content">The routing and body pipeline.</param>
/// <param name="skills">Finds the SKILL.md and the skill roots shadowed during replays.</param>
/// <param name="runners">The loaded plugins' agent runners (replay validation).</param>
/// <param name="context">The machine.</param>
/// <param name="home">The selftune home (the replay journal).</param>
/// <param name="config">The <c>evolve.*</c> settings.</param>
internal sealed class SkillEvolver(EvolutionService evolution, ContentEvolutionService content, InstalledSkills skills, IEnumerable<IAgentRunner> runners, PlatformContext context, SelftuneHome home, SelftuneConfig config)
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
        var (options, settings, tools) = Prepare(store, name, skillPath, dryRun, client);
        return await evolution.EvolveAsync(store, options, settings, tools, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Evolves the routing table or the body of <paramref name="name"/> with the configured gates
    /// (<c>evolve.quality_model</c>, <c>evolve.quality_threshold</c>, <c>evolve.review</c>), or runs the package search
    /// over at most <c>improve.max_candidates</c> variants (<see cref="ContentEvolutionService.SearchPackageAsync"/>).</summary>
    /// <param name="store">The store.</param>
    /// <param name="name">The skill.</param>
    /// <param name="skillPath">Its SKILL.md or folder, when not the installed one.</param>
    /// <param name="target"><see cref="EvolveTarget.Routing"/>, <see cref="EvolveTarget.Body"/> or <see cref="EvolveTarget.Package"/>.</param>
    /// <param name="dryRun">Gate but do not deploy.</param>
    /// <param name="client">The LLM.</param>
    /// <param name="progress">Receives progress lines, or null.</param>
    /// <param name="ct">Stops the work.</param>
    /// <exception cref="SelftuneException">As <see cref="EvolveAsync"/>; <see cref="ErrorCodes.LlmUnavailable"/> when
    /// <c>evolve.review</c> is on and no agent CLI is installed; the pipeline's errors (<see cref="ContentEvolutionService"/>).</exception>
    public async Task<ContentEvolveResult> EvolveContentAsync(SelftuneStore store, string name, string? skillPath, EvolveTarget target, bool dryRun, LlmClient client, IProgress<string>? progress, CancellationToken ct)
    {
        var (options, settings, tools) = Prepare(store, name, skillPath, dryRun, client);
        IAgentRunner? reviewer = null;
        if (config.GetBool(ConfigKeys.EvolveReview.Key))
        {
            reviewer = tools.ReplayRunner ?? runners.Where(r => r.IsAvailable(context)).OrderBy(r => r.Preference).ThenBy(r => r.Platform, StringComparer.Ordinal).FirstOrDefault()
                ?? throw new SelftuneException(ErrorCodes.LlmUnavailable, "evolve.review is on, but no agent CLI is installed to review the proposal.", "selftune config set evolve.review false");
        }

        var gates = new ContentGates(
            config.Get(ConfigKeys.EvolveQualityModel.Key) is { Length: > 0 } model ? model : null,
            config.GetDouble(ConfigKeys.EvolveQualityThreshold.Key),
            reviewer,
            settings.ReplayTimeout ?? TimeSpan.FromMinutes(2));
        return target == EvolveTarget.Package
            ? await content.SearchPackageAsync(store, options with { Candidates = (int)config.GetInt(ConfigKeys.ImproveMaxCandidates.Key) }, settings, gates, tools, progress, ct).ConfigureAwait(false)
            : await content.EvolveAsync(store, options, target, settings, gates, tools, progress, ct).ConfigureAwait(false);
    }

    private (EvolveOptions, ValidationSettings, EvolveTools) Prepare(SelftuneStore store, string name, string? skillPath, bool dryRun, LlmClient client)
    {
        var document = skills.Find(name, skillPath, store)
            ?? throw new SelftuneException(ErrorCodes.NotFound, $"No installed SKILL.md was found for {ShellCommand.Quoted(name)}.", ShellCommand.Line($"selftune evolve --skill {name:skill} --skill-path <folder or SKILL.md>"));
        var tools = new EvolveTools(client, client.Backend == LlmBackends.Offline, EvolutionService.ReplayRunner(store, name, runners, context), skills.Roots(), ReplayValidator.JournalPath(home));
        var settings = new ValidationSettings(
            Mode(config.Checked(ConfigKeys.EvolveValidation.Key)),
            (int)config.GetInt(ConfigKeys.EvolveJudgeRuns.Key),
            (int)config.GetInt(ConfigKeys.EvolveJudgeBatchSize.Key),
            TimeSpan.FromSeconds(config.GetInt(ConfigKeys.EvolveReplayTimeoutSeconds.Key)));
        return (new EvolveOptions(name, document.Path, (int)config.GetInt(ConfigKeys.EvolveCandidates.Key), dryRun), settings, tools);
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
