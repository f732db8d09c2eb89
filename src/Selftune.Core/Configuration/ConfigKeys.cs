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

    /// <summary>Sessions watch needs on each side of a deploy.</summary>
    public static readonly ConfigKey WatchMinSessions = new("watch.min_sessions", "3", "Watch: sessions using the skill needed after a deploy (and before it) before judging it.") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 10_000 };

    /// <summary>Sessions watch compares on each side of a deploy.</summary>
    public static readonly ConfigKey WatchWindowSessions = new("watch.window_sessions", "20", "Watch: most recent sessions using the skill compared on each side of a deploy.") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 10_000 };

    /// <summary>Largest tolerated worsening of a watched rate.</summary>
    public static readonly ConfigKey WatchThreshold = new("watch.threshold", "0.10", "Watch: largest tolerated worsening (absolute, 0..1) of the trigger, false-trigger or tool error rate before a deploy counts as regressed.") { Kind = ConfigKind.Number, Minimum = 0, Maximum = 1 };

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

    /// <summary>Where notifications are posted (Slack- and Discord-compatible incoming webhook); unset = none.</summary>
    public static readonly ConfigKey NotifyWebhookUrl = new("notify.webhook_url", null, "Notifications: a Slack- or Discord-compatible incoming webhook URL; selftune posts a deploy, regression or rollback, a failed or costly session, a new recurring error. Unset = none.") { Kind = ConfigKind.Url };

    /// <summary>A command run for each notification, with the title and text as its last two arguments; unset = none.</summary>
    public static readonly ConfigKey NotifyCommand = new("notify.command", null, "Notifications: a shell command run for each one with the title and text appended as two arguments (e.g. notify-send). Unset = none.");

    /// <summary>Cost above which a session is notified; unset = none.</summary>
    public static readonly ConfigKey NotifySessionCostUsd = new("notify.session_cost_usd", null, "Notifications: a session that cost more than this (USD, sub-agents included) is notified. Unset = only failed sessions.") { Kind = ConfigKind.Number, Minimum = 0, Maximum = 1_000_000 };

    /// <summary>Seconds one notification attempt may take.</summary>
    public static readonly ConfigKey NotifyTimeoutSeconds = new("notify.timeout_seconds", "5", "Notifications: seconds one send may take before it is abandoned (retried twice, then logged in logs/notify.log).") { Kind = ConfigKind.Integer, Minimum = 1, Maximum = 60 };

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
        WatchMinSessions,
        WatchWindowSessions,
        WatchThreshold,
        RunMaxSkills,
        RunCooldownHours,
        RunMinRealQueries,
        RunMaxGrade,
        RunWatchDays,
        RunReviewRequired,
        RunLockStaleMinutes,
        RunSignalIntervalMinutes,
        NotifyWebhookUrl,
        NotifyCommand,
        NotifySessionCostUsd,
        NotifyTimeoutSeconds,
    ];

    /// <summary>The declared key called <paramref name="key"/>, or null.</summary>
    public static ConfigKey? Find(string key) => All.FirstOrDefault(k => k.Key == key);
}
