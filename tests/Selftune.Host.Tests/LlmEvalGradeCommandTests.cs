using System.Text.Json;
using Selftune.Abstractions;
using Selftune.AdapterKit;
using Selftune.Core.Ingest;
using Selftune.Core.Llm;
using Selftune.Core.Privacy;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary><c>llm test</c>, <c>eval</c> and <c>grade</c> through the real executable, with a fake <c>claude</c> on PATH as
/// the default agent backend.</summary>
public sealed class LlmEvalGradeCommandTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 10, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly Provenance Transcript = new(Platforms.ClaudeCode, CaptureMode.Transcript, 1.0, "/logs/s.jsonl", 1);
    private readonly SelftuneCli _cli = new();
    private readonly FakeAgentCli _claude = new FakeAgentCli("claude").Install();

    public LlmEvalGradeCommandTests()
    {
        _cli.Environment["PATH"] = _claude.Folder + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH");
    }

    [Fact]
    public void LlmTestCallsTheAgentEndToEndAndRecordsTheCall()
    {
        _claude.Stdout = ClaudeResult("""{"ok": true, "echo": "selftune"}""", cost: 0.0021m);

        var result = _cli.Run("llm", "test");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("agent:claude_code", result.Json.GetProperty("backend").GetString());
        Assert.True(result.Json.GetProperty("ok").GetBoolean());
        Assert.Equal(0.0021m, result.Json.GetProperty("usage").GetProperty("cost_usd").GetDecimal());
        Assert.Contains("-p", _claude.Arguments);
        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"));
        var call = store.Query("SELECT purpose, backend, model, input_tokens, cost_usd, run_id FROM llm_calls", r => (r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetDouble(4), r.GetString(5))).Single();
        Assert.Equal(("llm-test", "agent:claude_code", "claude-haiku-4-5-20251001", 1240L, 0.0021), (call.Item1, call.Item2, call.Item3, call.Item4, call.Item5));
        Assert.StartsWith("llm-test-", call.Item6, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAnLlmTheCommandsThatNeedOneFailClearlyAndTheOthersWork()
    {
        var failed = _cli.Run("llm", "test", "--llm", "offline");
        Assert.Equal(1, failed.ExitCode);
        Assert.Equal("LLM_UNAVAILABLE", failed.Error.GetProperty("code").GetString());
        Assert.Equal("selftune config set llm.backend agent", failed.Error.GetProperty("next_command").GetString());

        _cli.Environment["PATH"] = "/usr/bin:/bin";
        var doctor = _cli.Run("doctor");
        var llm = doctor.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "llm");
        Assert.Equal("warn", llm.GetProperty("status").GetString());
        Assert.Contains("claude", llm.GetProperty("message").GetString());

        var list = _cli.Run("eval", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(0, list.Json.GetProperty("skills").GetArrayLength());
    }

    [Fact]
    public void EvalGenerateSavesAndExportsTheSetAndEvalListShowsTheEvidence()
    {
        Seed();
        var output = Path.Combine(_cli.Root, "pdf.json");

        var generated = _cli.Run("eval", "generate", "--skill", "pdf-tools", "--seed", "3", "--output", output);

        Assert.True(generated.ExitCode == 0, generated.Stderr);
        var set = generated.Json.GetProperty("eval_set");
        Assert.Equal(3, set.GetProperty("entries").EnumerateArray().Count(e => e.GetProperty("should_trigger").GetBoolean()));
        using var exported = JsonDocument.Parse(File.ReadAllText(output));
        Assert.Equal(set.GetProperty("id").GetString(), exported.RootElement.GetProperty("id").GetString());
        Assert.All(exported.RootElement.GetProperty("entries").EnumerateArray(), e => Assert.Contains(e.GetProperty("split").GetString(), new[] { "train", "validation" }));

        var list = _cli.Run("eval", "list").Json.GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("skill").GetString() == "pdf-tools");
        Assert.Equal("ready", list.GetProperty("readiness").GetString());
        Assert.Equal(set.GetProperty("id").GetString(), list.GetProperty("latest_eval_set_id").GetString());
    }

    [Fact]
    public void GradeAndGradeAutoStoreTheGradersAnswer()
    {
        Seed();
        _claude.Stdout = ClaudeResult("""
            {"expectations":[{"id":"E1","passed":true,"score":1,"evidence":"P1 was served"},{"id":"E2","passed":false,"score":0.2,"evidence":"asked twice"}],
             "claims":[],"failure_feedback":[{"prompt":"P1","failure_reason":"Missed the second table","improvement_hint":"Mention multi-table PDFs"}],"summary":"ok"}
            """, cost: 0.01m);

        var one = _cli.Run("grade", "--skill", "pdf-tools");

        Assert.True(one.ExitCode == 0, one.Stderr);
        var grading = one.Json.GetProperty("grading");
        Assert.Equal("s3", grading.GetProperty("session_id").GetString());
        Assert.Equal(4, grading.GetProperty("summary").GetProperty("passed").GetInt32());
        Assert.Equal("Missed the second table", grading.GetProperty("failure_feedback")[0].GetProperty("failure_reason").GetString());

        var auto = _cli.Run("grade", "auto", "--max", "5");
        Assert.True(auto.ExitCode == 0, auto.Stderr);
        Assert.Equal(["s2", "s1"], auto.Json.GetProperty("graded").EnumerateArray().Select(g => g.GetProperty("session_id").GetString()));
        Assert.Equal(0, _cli.Run("grade", "auto").Json.GetProperty("candidates").GetInt32());

        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"));
        Assert.Equal(3L, store.Scalar("SELECT count(*) FROM grading_results"));
        Assert.Equal(3L, store.Scalar("SELECT count(*) FROM llm_calls WHERE purpose = 'grade'"));

        var status = _cli.Run("status").Json.GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "pdf-tools");
        Assert.Equal(3, status.GetProperty("grades").GetProperty("graded").GetInt32());
        Assert.Equal(3, status.GetProperty("grades").GetProperty("open_failures").GetInt32()); // the fake grader reports one failure per session
    }

    [Fact]
    public void GradeAutoStopsCleanlyWhenTheBudgetIsSpent()
    {
        Seed();
        _claude.Stdout = ClaudeResult("""{"expectations":[{"id":"E1","passed":true},{"id":"E2","passed":true}]}""", cost: 0.01m);
        _cli.Environment["SELFTUNE_LLM_MAX_CALLS"] = "1";

        var auto = _cli.Run("grade", "auto");

        Assert.True(auto.ExitCode == 0, auto.Stderr);
        Assert.Single(auto.Json.GetProperty("graded").EnumerateArray());
        Assert.Contains("budget", auto.Json.GetProperty("stopped").GetString());
        Assert.Equal(1, _claude.Runs);
    }

    [Fact]
    public void GradeAutoSkipsASessionWhoseAnswerIsUnusableAndGoesOn()
    {
        Seed();
        _claude.Stdout = ClaudeResult("I would rather not grade this.", cost: 0.001m);

        var auto = _cli.Run("grade", "auto", "--max", "2");

        Assert.True(auto.ExitCode == 0, auto.Stderr);
        Assert.Empty(auto.Json.GetProperty("graded").EnumerateArray());
        Assert.Equal(["LLM_BAD_ANSWER", "LLM_BAD_ANSWER"], auto.Json.GetProperty("skipped").EnumerateArray().Select(s => s.GetProperty("code").GetString()));
        Assert.Equal(2, _claude.Runs);
    }

    public void Dispose()
    {
        _cli.Dispose();
        _claude.Dispose();
    }

    private static string ClaudeResult(string text, decimal cost) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["type"] = "result",
        ["subtype"] = "success",
        ["is_error"] = false,
        ["duration_ms"] = 1200,
        ["num_turns"] = 1,
        ["result"] = text,
        ["session_id"] = "0b9f3a52-4c1e-4f57-8d0e-2f6a1c9b7e10",
        ["total_cost_usd"] = cost,
        ["usage"] = new { input_tokens = 40, cache_creation_input_tokens = 1200, cache_read_input_tokens = 0, output_tokens = 30 },
        ["modelUsage"] = new Dictionary<string, object> { ["claude-haiku-4-5-20251001"] = new { inputTokens = 40, outputTokens = 30, costUSD = cost } },
    });

    /// <summary>Three sessions in which pdf-tools triggered (s3 newest), and unrelated prompts.</summary>
    private void Seed()
    {
        Directory.CreateDirectory(_cli.SelftuneHome);
        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"));
        using var writer = new RecordWriter(store, new Redactor(), null, p => new IngestCounters { Platform = p }, T0);
        using var tx = store.BeginTransaction();
        string[][] sessions =
        [
            ["extract the tables from report.pdf into csv", "rename the variable foo"],
            ["merge these two PDF files into one", "run the unit tests"],
            ["fill in the form fields of the application", "deploy the api to staging", "why is the build failing"],
        ];
        for (var s = 0; s < sessions.Length; s++)
        {
            var id = $"s{s + 1}";
            var start = T0.AddHours(s);
            writer.Session(new SessionRecord(id, Transcript, StartedAt: start, EndedAt: start.AddMinutes(10), Status: CompletionStatus.Completed));
            for (var p = 0; p < sessions[s].Length; p++)
            {
                writer.Prompt(new PromptRecord($"{id}:p{p}", id, start.AddMinutes(p), sessions[s][p], PromptKind.User, Transcript));
            }

            writer.SkillInvocation(new SkillInvocationRecord($"{id}:skill", id, start.AddSeconds(20), "pdf-tools", InvocationKind.Implicit, Transcript, $"{id}:p0"));
            writer.ToolCall(new ToolCallRecord($"{id}:t1", id, start.AddSeconds(30), "Bash", Transcript, Detail: "python run.py"));
        }

        tx.Commit();
    }
}
