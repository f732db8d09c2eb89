using Selftune.Core.Configuration;
using Selftune.Core.Eval;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Evolution;

/// <summary>A skill's lift over no skill on its eval set.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="SkillPath">Its SKILL.md.</param>
/// <param name="SkillSha256">Hash of the SKILL.md measured.</param>
/// <param name="EvalSetId">The eval set.</param>
/// <param name="Method"><c>judge</c>: the LLM votes once with the skill's description and once with none.</param>
/// <param name="MeasuredAt">When (UTC).</param>
/// <param name="Entries">Eval entries measured (train and validation).</param>
/// <param name="WithSkillPassRate">Pass rate with the skill (0..1).</param>
/// <param name="NoSkillPassRate">Pass rate with no skill (0..1).</param>
/// <param name="Lift">With − without.</param>
/// <param name="MinLift">The lift that counts as adding value (<c>baseline.min_lift</c>).</param>
/// <param name="AddsValue">True when <paramref name="Lift"/> ≥ <paramref name="MinLift"/>.</param>
/// <param name="Spend">LLM calls, tokens, cost.</param>
/// <param name="Reason">The outcome in one sentence.</param>
/// <param name="NextCommand">What to run next.</param>
internal sealed record BaselineResult(
    string Skill,
    string SkillPath,
    string SkillSha256,
    string EvalSetId,
    string Method,
    DateTimeOffset MeasuredAt,
    int Entries,
    double WithSkillPassRate,
    double NoSkillPassRate,
    double Lift,
    double MinLift,
    bool AddsValue,
    EvolveSpend Spend,
    string Reason,
    string? NextCommand);

/// <summary>The latest stored baseline of a skill.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="MeasuredAt">When (UTC).</param>
/// <param name="Lift">With − without (0..1).</param>
/// <param name="AddsValue">True when the lift reached <c>baseline.min_lift</c>.</param>
internal sealed record StoredBaseline(string Skill, DateTimeOffset MeasuredAt, double Lift, bool AddsValue);

/// <summary>
/// <c>selftune baseline</c>: does the skill add value over no skill? Every entry of the skill's latest eval set is judged
/// twice by the trigger judge (<see cref="JudgeValidator"/>, <c>evolve.judge_runs</c> votes per entry): once with the
/// skill's description and once with an empty one; lift = pass rate with − pass rate without (selftune-spec §5.5). The
/// result is stored (migration 0011, <c>skill_baselines</c>); a skill whose lift is under <c>baseline.min_lift</c> is
/// named in <c>status</c> and the run report. LLM calls: 2 × ceil(entries / batch size) × runs.
/// </summary>
internal sealed class BaselineService(EvalSetStore evalSets, InstalledSkills skills, SelftuneConfig config, TimeProvider time)
{
    /// <summary>Measures and stores the lift of <paramref name="skill"/>.</summary>
    /// <param name="store">The store.</param>
    /// <param name="skill">The skill.</param>
    /// <param name="skillPath">Its SKILL.md or folder, when not the installed one.</param>
    /// <param name="llm">The judge's LLM.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.NotFound"/> without a SKILL.md; <see cref="ErrorCodes.NotEnoughData"/>
    /// without an eval set holding positives and negatives; <see cref="ErrorCodes.LlmUnavailable"/> offline; LLM errors.</exception>
    public async Task<BaselineResult> RunAsync(SelftuneStore store, string skill, string? skillPath, LlmClient llm, CancellationToken ct)
    {
        var document = skills.Find(skill, skillPath, store)
            ?? throw new SelftuneException(ErrorCodes.NotFound, $"No installed SKILL.md was found for {ShellCommand.Quoted(skill)}.", ShellCommand.Line($"selftune baseline --skill {skill:skill} --skill-path <folder or SKILL.md>"));
        if (llm.Backend == LlmBackends.Offline)
        {
            throw new SelftuneException(ErrorCodes.LlmUnavailable, "A baseline needs an LLM to judge the skill against no skill; --llm offline cannot measure it.", "selftune llm test");
        }

        var file = SkillFile.Of(document);
        var evalSet = evalSets.Latest(store, skill)
            ?? throw new SelftuneException(ErrorCodes.NotEnoughData, $"There is no eval set for {ShellCommand.Quoted(skill)} yet; the baseline is measured on it.", ShellCommand.Line($"selftune eval generate --skill {skill:skill}"));
        var entries = evalSet.Entries.ToList();
        if (!entries.Any(e => e.ShouldTrigger) || !entries.Any(e => !e.ShouldTrigger))
        {
            throw new SelftuneException(ErrorCodes.NotEnoughData, $"Eval set {evalSet.Id} needs prompts that should and prompts that should not trigger {ShellCommand.Quoted(skill)} to measure a lift.", ShellCommand.Line($"selftune eval generate --skill {skill:skill} --synthetic"));
        }

        var judge = new JudgeValidator(llm, (int)config.GetInt(ConfigKeys.EvolveJudgeRuns.Key), (int)config.GetInt(ConfigKeys.EvolveJudgeBatchSize.Key));
        var with = DescriptionScore.Of(entries, await judge.TriggersAsync(file, file.Description, entries, null, ct).ConfigureAwait(false));
        var without = DescriptionScore.Of(entries, await judge.TriggersAsync(file, string.Empty, entries, null, ct).ConfigureAwait(false));
        var lift = Math.Round(with.PassRate - without.PassRate, 4);
        var minLift = config.GetDouble(ConfigKeys.BaselineMinLift.Key);
        var adds = lift >= minLift - 1e-9;
        var usage = llm.Usage;
        var now = time.GetUtcNow();
        var reason = adds
            ? $"{skill} adds value: pass rate {with.PassRate:0.00} with it, {without.PassRate:0.00} without (lift {lift:+0.00;-0.00} ≥ {minLift:0.00})."
            : $"{skill} adds no value: pass rate {with.PassRate:0.00} with it, {without.PassRate:0.00} without (lift {lift:+0.00;-0.00} < {minLift:0.00}); an agent does as well without it.";
        var result = new BaselineResult(skill, file.Path, file.Sha256, evalSet.Id, "judge", now, entries.Count, with.PassRate, without.PassRate, lift, minLift, adds,
            new EvolveSpend(llm.Backend, llm.Model, usage.Calls, usage.InputTokens, usage.OutputTokens, usage.CostUsd, usage.ElapsedMs, 0, 0m),
            reason,
            adds ? null : ShellCommand.Line($"selftune evolve --skill {skill:skill} --target body"));
        store.Execute(
            """
            INSERT INTO skill_baselines (skill_name, measured_at, eval_set_id, method, entries, with_skill_pass_rate, no_skill_pass_rate, lift, adds_value, skill_sha256, evidence)
            VALUES ($s, $at, $es, $m, $n, $with, $without, $lift, $adds, $sha, $e)
            """,
            ("$s", skill), ("$at", now.ToUnixTimeMilliseconds()), ("$es", evalSet.Id), ("$m", result.Method), ("$n", entries.Count), ("$with", with.PassRate),
            ("$without", without.PassRate), ("$lift", lift), ("$adds", adds ? 1 : 0), ("$sha", file.Sha256),
            ("$e", System.Text.Json.JsonSerializer.Serialize(new
            {
                per_entry = entries.Select((e, i) => new { e.Query, expected = e.ShouldTrigger, with_skill = with.Triggered[i], no_skill = without.Triggered[i] }),
                llm = new { llm.Backend, llm.Model, usage.Calls, usage.CostUsd },
            }, Json.Options)));
        return result;
    }

    /// <summary>Each skill's latest baseline, by name (case-insensitive).</summary>
    public static IReadOnlyDictionary<string, StoredBaseline> Latest(SelftuneStore store) => store.Query(
            "SELECT skill_name, measured_at, lift, adds_value FROM skill_baselines b WHERE id = (SELECT max(id) FROM skill_baselines WHERE skill_name = b.skill_name)",
            r => new StoredBaseline(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetDouble(2), r.GetInt64(3) == 1))
        .GroupBy(b => b.Skill, StringComparer.OrdinalIgnoreCase)
        .ToDictionary(g => g.Key, g => g.MaxBy(b => b.MeasuredAt)!, StringComparer.OrdinalIgnoreCase);

    /// <summary>The skills whose latest baseline found no lift, by name.</summary>
    public static IReadOnlyList<string> WithoutLift(SelftuneStore store) =>
        Latest(store).Values.Where(b => !b.AddsValue).Select(b => b.Skill).Order(StringComparer.Ordinal).ToList();
}
