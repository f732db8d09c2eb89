using Selftune.Core.Llm;

namespace Selftune.Core.Configuration;

/// <summary>Every setting selftune reads, with the values each accepts. Add a key here (one place) and it is loadable
/// from file, environment and flags, checked on <c>selftune config set</c> and when read, and listed by
/// <c>selftune config list</c>; options that override a key (<c>--candidates</c>, <c>--llm</c>) accept what it accepts.</summary>
internal static class ConfigKeys
{
    /// <summary>Redact secrets from prompt text before it is stored.</summary>
    public static readonly ConfigKey RedactionEnabled = new("redaction.enabled", "true", "Redact API keys, tokens, private keys and URL passwords from prompts before storing them.") { Kind = ConfigKind.Boolean };

    /// <summary>The agent platforms selftune installed hooks for (comma-separated; set by <c>selftune init</c>).</summary>
    public static readonly ConfigKey Agents = new("agents", null, "Agent platforms selftune captures live (comma-separated, set by `selftune init`); `selftune install` uses them when --agent is not given.");

    /// <summary>Which LLM selftune asks: <c>agent</c>, <c>anthropic</c>, <c>openai-compatible</c> or <c>offline</c>.</summary>
    public static readonly ConfigKey LlmBackend = new("llm.backend", "agent", "LLM backend: agent (your agent CLI, no API key), anthropic (ANTHROPIC_API_KEY), openai-compatible (llm.base_url: Ollama, vLLM, LM Studio...) or offline.") { Kind = ConfigKind.Choice, Values = [LlmBackends.Agent, LlmBackends.Anthropic, LlmBackends.OpenAiCompatible, LlmBackends.Offline] };

    /// <summary>For the agent backend: the platform whose CLI answers (a runner's platform id); unset picks the installed
    /// runner with the lowest <see cref="Abstractions.IAgentRunner.Preference"/>.</summary>
    public static readonly ConfigKey LlmAgent = new("llm.agent", null, "Agent backend: which agent CLI to call (a runner's platform id from `selftune plugins`); unset = the preferred one installed.");

    /// <summary>The model to ask for; unset = the backend's default.</summary>
    public static readonly ConfigKey LlmModel = new("llm.model", null, "Model id or alias to ask for; unset = the agent's default (anthropic: claude-haiku-4-5; openai-compatible: required).");

    /// <summary>Base URL of the API backends.</summary>
    public static readonly ConfigKey LlmBaseUrl = new("llm.base_url", null, "API base URL (openai-compatible: e.g. http://localhost:11434/v1; anthropic: overrides https://api.anthropic.com).") { Kind = ConfigKind.Url };

    /// <summary>The environment variable holding the API key.</summary>
    public static readonly ConfigKey LlmApiKeyEnv = new("llm.api_key_env", null, "Environment variable holding the API key (default ANTHROPIC_API_KEY for anthropic, OPENAI_API_KEY for openai-compatible).") { Kind = ConfigKind.EnvironmentVariable };

    /// <summary>Wall-clock limit of one LLM attempt, in seconds.</summary>
    public static readonly ConfigKey LlmTimeoutSeconds = new("llm.timeout_seconds", "300", "Seconds one LLM attempt may take before it is abandoned (and retried).") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 86_400 };

    /// <summary>Most LLM requests one run may make.</summary>
    public static readonly ConfigKey LlmMaxCalls = new("llm.max_calls", "100", "Budget: most LLM requests one run (one command) may make; work stops cleanly when reached.") { Kind = ConfigKind.Integer, Minimum = 1 };

    /// <summary>Most LLM tokens (input + output) one run may use.</summary>
    public static readonly ConfigKey LlmMaxTokens = new("llm.max_tokens", "2000000", "Budget: most LLM tokens (input + output) one run may use; work stops cleanly when reached.") { Kind = ConfigKind.Integer, Minimum = 1 };

    /// <summary>Candidate descriptions one evolve proposes.</summary>
    public static readonly ConfigKey EvolveCandidates = new("evolve.candidates", "3", "Candidate descriptions one evolve proposes, each aimed at a different cluster of missed queries or invocation type.") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 10 };

    /// <summary>How evolve validates: <c>auto</c>, <c>judge</c> or <c>replay</c>.</summary>
    public static readonly ConfigKey EvolveValidation = new("evolve.validation", "auto", "How evolve proves a proposal: auto (replay through the agent when its runner can, else judge), judge (LLM YES/NO votes) or replay (the real agent, one run per query).") { Kind = ConfigKind.Choice, Values = ["auto", "judge", "replay"] };

    /// <summary>Judge votes per query.</summary>
    public static readonly ConfigKey EvolveJudgeRuns = new("evolve.judge_runs", "3", "Judge validation: votes per query (majority wins; odd numbers avoid ties).") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 15 };

    /// <summary>Queries per judge call.</summary>
    public static readonly ConfigKey EvolveJudgeBatchSize = new("evolve.judge_batch_size", "25", "Judge validation: queries per LLM call.") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 200 };

    /// <summary>Wall-clock limit of one replay, in seconds.</summary>
    public static readonly ConfigKey EvolveReplayTimeoutSeconds = new("evolve.replay_timeout_seconds", "120", "Replay validation: seconds one agent run may take.") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 3600 };

    /// <summary>Body and routing evolution: the model that judges a proposal's quality; unset = <c>llm.model</c>.</summary>
    public static readonly ConfigKey EvolveQualityModel = new("evolve.quality_model", null, "Body/routing evolve: a second model that judges each proposal's quality (clarity, completeness, routing accuracy); unset = llm.model.");

    /// <summary>Body and routing evolution: the quality score (0..1) a proposal needs.</summary>
    public static readonly ConfigKey EvolveQualityThreshold = new("evolve.quality_threshold", "0.7", "Body/routing evolve: the quality score (0..1) the judge must give a proposal, above the original's, for it to pass.") { Kind = ConfigKind.Number, Minimum = 0, Maximum = 1 };

    /// <summary>Package search (<c>improve --scope package</c>): most variants one search considers.</summary>
    public static readonly ConfigKey ImproveMaxCandidates = new("improve.max_candidates", "5", "improve --scope package: most skill variants (description, routing and body together) one bounded search considers; each distinct variant is evaluated once.") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 20 };

    /// <summary>Body and routing evolution: ask the agent CLI to review the winner before deploy.</summary>
    public static readonly ConfigKey EvolveReview = new("evolve.review", "false", "Body/routing evolve: a last gate where your agent CLI reviews the winner and answers APPROVE or REJECT (needs an installed agent).") { Kind = ConfigKind.Boolean };

    /// <summary>Smallest lift over no skill that counts as adding value.</summary>
    public static readonly ConfigKey BaselineMinLift = new("baseline.min_lift", "0.05", "Baseline: the smallest lift in eval pass rate over no skill (0..1) for a skill to count as adding value.") { Kind = ConfigKind.Number, Minimum = 0, Maximum = 1 };

    /// <summary>Sessions watch needs on each side of a deploy.</summary>
    public static readonly ConfigKey WatchMinSessions = new("watch.min_sessions", "3", "Watch: sessions using the skill needed after a deploy (and before it) before judging it.") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 10_000 };

    /// <summary>Sessions watch compares on each side of a deploy.</summary>
    public static readonly ConfigKey WatchWindowSessions = new("watch.window_sessions", "20", "Watch: most recent sessions using the skill compared on each side of a deploy.") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 10_000 };

    /// <summary>Largest tolerated worsening of a watched rate.</summary>
    public static readonly ConfigKey WatchThreshold = new("watch.threshold", "0.10", "Watch: largest tolerated worsening (absolute, 0..1) of the trigger, false-trigger or tool error rate before a deploy counts as regressed.") { Kind = ConfigKind.Number, Minimum = 0, Maximum = 1 };

    /// <summary>Largest tolerated fall of the graded pass rate after a deploy (default 0.10, absolute).</summary>
    public static readonly ConfigKey WatchGradeThreshold = new("watch.grade_threshold", "0.10", "Watch: largest tolerated fall (absolute, 0..1) of the graded pass rate after a deploy, against the baseline graded before it.") { Kind = ConfigKind.Number, Minimum = 0, Maximum = 1 };

    /// <summary>Graded sessions needed on each side of a deploy before pass rates are compared (default 2).</summary>
    public static readonly ConfigKey WatchMinGradedSessions = new("watch.min_graded_sessions", "2", "Watch: graded sessions needed before and after a deploy before their pass rates are compared.") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 10_000 };

    /// <summary>Largest tolerated relative rise of per-session tokens, turns, duration or tool errors (default 0.25).</summary>
    public static readonly ConfigKey WatchEfficiencyThreshold = new("watch.efficiency_threshold", "0.25", "Watch: largest tolerated relative rise (0.25 = 25%) of tokens, turns, duration or tool errors per session in which the skill ran.") { Kind = ConfigKind.Number, Minimum = 0, Maximum = 100 };

    /// <summary>The most skills one <c>selftune run</c> evolves.</summary>
    public static readonly ConfigKey RunMaxSkills = new("run.max_skills", "3", "selftune run: the most skills evolved in one run (--max-skills overrides it).") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 100 };

    /// <summary>Hours after a deploy during which a run leaves the skill alone.</summary>
    public static readonly ConfigKey RunCooldownHours = new("run.cooldown_hours", "24", "selftune run: hours after a skill's deploy during which it is not evolved again (watch judges the deploy first).") { Kind = ConfigKind.Integer, Minimum = 0, Maximum = 8760 };

    /// <summary>Fewest real prompts a skill needs before a run touches it.</summary>
    public static readonly ConfigKey RunMinRealQueries = new("run.min_real_queries", "3", "selftune run: fewest real prompts that triggered a skill before it is evolved, unless the user asked for it (an improvement signal).") { Kind = ConfigKind.Integer, Minimum = 0, Maximum = 10_000 };

    /// <summary>Most sessions a run grades.</summary>
    public static readonly ConfigKey RunMaxGrade = new("run.max_grade", "5", "selftune run: most ungraded sessions graded per run (within the LLM budget).") { Kind = ConfigKind.Integer, Minimum = 0, Maximum = 1000 };

    /// <summary>Days after a deploy during which runs watch it.</summary>
    public static readonly ConfigKey RunWatchDays = new("run.watch_days", "14", "selftune run: days after a deploy during which each run watches it (and rolls a regression back).") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 365 };

    /// <summary>Validate without deploying, on every run.</summary>
    public static readonly ConfigKey RunReviewRequired = new("run.review_required", "false", "selftune run: validate proposals but deploy nothing; they wait for `selftune proposals approve ID` (like --review-required, for every run, scheduled ones included).") { Kind = ConfigKind.Boolean };

    /// <summary>How long a run may go without a heartbeat before its lock counts as stale.</summary>
    public static readonly ConfigKey RunLockStaleMinutes = new("run.lock_stale_minutes", "180", "selftune run: minutes without a heartbeat after which another run's lock is taken over (a dead process's lock is taken over at once).") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 10_080 };

    /// <summary>Minimum minutes between two runs started by improvement signals.</summary>
    public static readonly ConfigKey RunSignalIntervalMinutes = new("run.signal_interval_minutes", "30", "Minutes between two background runs started by a session that ended with pending improvement signals (0 turns them off).") { Kind = ConfigKind.Integer, Minimum = 0, Maximum = 10_080 };

    /// <summary>The team's PostgreSQL store (an Npgsql connection string); unset = no team.</summary>
    public static readonly ConfigKey TeamDatabase = new("team.database", null, "The team's PostgreSQL (Npgsql connection string, e.g. Host=db;Database=selftune;Username=me; password in ~/.pgpass or PGPASSWORD); `selftune team push` sends this machine's records there. Unset = no team.");

    /// <summary>Push to the team database at the end of every <c>selftune run</c>.</summary>
    public static readonly ConfigKey TeamPush = new("team.push", "false", "Push this machine's records to team.database at the end of every `selftune run` (nothing is pushed unless this is on or you run `selftune team push`).") { Kind = ConfigKind.Boolean };

    /// <summary>Send prompt text to the team database, or only its hash and length.</summary>
    public static readonly ConfigKey TeamSharePrompts = new("team.share_prompts", "true", "Send prompt text (redacted as stored), tool error details, grading and run reports and evolution evidence to the team database; false = prompt hashes and lengths only.") { Kind = ConfigKind.Boolean };
    /// <summary>In-turn hooks: tell the agent once per session that prompts keep missing skills.</summary>
    public static readonly ConfigKey HooksNudgeUnmatched = new("hooks.nudge_unmatched", "true", "In-turn hook: on a prompt, tell the agent once per session when this session's prompts keep using no skill (see hooks.nudge_unmatched_min).") { Kind = ConfigKind.Boolean };

    /// <summary>How many prompts of a session that used no skill make the unmatched nudge.</summary>
    public static readonly ConfigKey HooksNudgeUnmatchedMin = new("hooks.nudge_unmatched_min", "3", "In-turn hook: prompts of one session that used no skill before the agent is told (once).") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 1000 };

    /// <summary>In-turn hooks: tell the agent once per session about skills whose latest grading failed.</summary>
    public static readonly ConfigKey HooksNudgeFailingGradings = new("hooks.nudge_failing_gradings", "true", "In-turn hook: on a prompt, tell the agent once per session which skills failed their latest grading.") { Kind = ConfigKind.Boolean };

    /// <summary>In-turn hooks: tell the agent once per session that proposals wait for review.</summary>
    public static readonly ConfigKey HooksNudgePendingProposals = new("hooks.nudge_pending_proposals", "true", "In-turn hook: on a prompt, tell the agent once per session that validated proposals wait for `selftune proposals`.") { Kind = ConfigKind.Boolean };

    /// <summary>In-turn hooks: warn once per skill per session when the agent writes a SKILL.md.</summary>
    public static readonly ConfigKey HooksSkillChangeGuard = new("hooks.skill_change_guard", "true", "In-turn hook: when the agent writes or edits a SKILL.md, tell it once per skill per session that selftune tracks it.") { Kind = ConfigKind.Boolean };

    /// <summary>In-turn hooks: block an edit of a SKILL.md selftune deployed and is still watching.</summary>
    public static readonly ConfigKey HooksEvolutionGuard = new("hooks.evolution_guard", "true", "In-turn hook: block (exit 2) an agent's edit of a SKILL.md that selftune deployed and is still watching, naming `selftune watch`/`rollback`.") { Kind = ConfigKind.Boolean };
    /// <summary>Where notifications are posted (Slack- and Discord-compatible incoming webhook); unset = none.</summary>
    public static readonly ConfigKey NotifyWebhookUrl = new("notify.webhook_url", null, "Notifications: a Slack- or Discord-compatible incoming webhook URL; selftune posts a deploy, regression or rollback, a failed or costly session, a new recurring error. Unset = none.") { Kind = ConfigKind.Url };

    /// <summary>A command run for each notification, with the title and text as its last two arguments; unset = none.</summary>
    public static readonly ConfigKey NotifyCommand = new("notify.command", null, "Notifications: a shell command run for each one with the title and text appended as two arguments (e.g. notify-send). Unset = none.");

    /// <summary>Cost above which a session is notified; unset = none.</summary>
    public static readonly ConfigKey NotifySessionCostUsd = new("notify.session_cost_usd", null, "Notifications: a session that cost more than this (USD, sub-agents included) is notified. Unset = only failed sessions.") { Kind = ConfigKind.Number, Minimum = 0, Maximum = 1_000_000 };

    /// <summary>Seconds one notification attempt may take.</summary>
    public static readonly ConfigKey NotifyTimeoutSeconds = new("notify.timeout_seconds", "5", "Notifications: seconds one send may take before it is abandoned (retried twice, then logged in logs/notify.log).") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 60 };

    /// <summary>The cheap model <c>sessions classify --llm</c> asks first (default <c>claude-haiku-4-5</c>).</summary>
    public static readonly ConfigKey OutcomesModel = new("outcomes.model", "claude-haiku-4-5", "sessions classify --llm: the cheap model asked first about sessions the rules leave unknown (an Anthropic id, which the anthropic backend and Claude Code accept; set it for another backend; --model overrides it).");

    /// <summary>The stronger model <c>sessions classify --llm</c> asks about ambiguous answers (default <c>claude-sonnet-4-5</c>).</summary>
    public static readonly ConfigKey OutcomesEscalationModel = new("outcomes.escalation_model", "claude-sonnet-4-5", "sessions classify --llm: the stronger model asked again about the sessions whose first answer had a confidence below 0.6 (set it to outcomes.model's value for no escalation).");

    /// <summary>All declared keys.</summary>
    public static IReadOnlyList<ConfigKey> All { get; } =
    [
        RedactionEnabled,
        Agents,
        LlmBackend,
        LlmAgent,
        LlmModel,
        LlmBaseUrl,
        LlmApiKeyEnv,
        LlmTimeoutSeconds,
        LlmMaxCalls,
        LlmMaxTokens,
        EvolveCandidates,
        EvolveValidation,
        EvolveJudgeRuns,
        EvolveJudgeBatchSize,
        EvolveReplayTimeoutSeconds,
        EvolveQualityModel,
        EvolveQualityThreshold,
        EvolveReview,
        ImproveMaxCandidates,
        BaselineMinLift,
        WatchMinSessions,
        WatchWindowSessions,
        WatchThreshold,
        WatchGradeThreshold,
        WatchMinGradedSessions,
        WatchEfficiencyThreshold,
        RunMaxSkills,
        RunCooldownHours,
        RunMinRealQueries,
        RunMaxGrade,
        RunWatchDays,
        RunReviewRequired,
        RunLockStaleMinutes,
        RunSignalIntervalMinutes,
        TeamDatabase,
        TeamPush,
        TeamSharePrompts,
        HooksNudgeUnmatched,
        HooksNudgeUnmatchedMin,
        HooksNudgeFailingGradings,
        HooksNudgePendingProposals,
        HooksSkillChangeGuard,
        HooksEvolutionGuard,
        NotifyWebhookUrl,
        NotifyCommand,
        NotifySessionCostUsd,
        NotifyTimeoutSeconds,
        OutcomesModel,
        OutcomesEscalationModel,
    ];

    /// <summary>The declared key called <paramref name="key"/>, or null.</summary>
    public static ConfigKey? Find(string key) => All.FirstOrDefault(k => k.Key == key);
}
