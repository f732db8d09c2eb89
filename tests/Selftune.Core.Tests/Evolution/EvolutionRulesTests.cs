using Microsoft.Extensions.AI;
using Selftune.Core.Eval;
using Selftune.Core.Evolution;
using Selftune.Core.Llm;
using Selftune.Core.Skills;

namespace Selftune.Core.Tests.Evolution;

public sealed class EvolutionRulesTests
{
    [Theory]
    [InlineData(40, 20, 5, 1, true)]   // 1 regression < 5% of 40 (2)
    [InlineData(40, 20, 5, 2, false)]  // 2 regressions is not under 2
    [InlineData(40, 20, 1, 0, false)]  // +0.025 and 1 new pass: too small
    [InlineData(40, 20, 2, 0, true)]   // 2 new passes is enough
    [InlineData(8, 4, 1, 0, true)]     // +0.125 is enough
    [InlineData(8, 4, 2, 1, false)]    // any regression is ≥ 5% of 8
    [InlineData(10, 5, 0, 0, false)]   // a tie is not an improvement
    public void Acceptance_needs_a_higher_pass_rate_few_regressions_and_a_real_margin(int n, int originalPasses, int newPasses, int regressions, bool accepted)
    {
        var original = Enumerable.Range(0, n).Select(i => i < originalPasses).ToList();
        var candidate = original.ToList();
        for (var i = 0; i < newPasses; i++)
        {
            candidate[originalPasses + i] = true;
        }

        for (var i = 0; i < regressions; i++)
        {
            candidate[i] = false;
        }

        var entries = Enumerable.Range(0, n).Select(i => new EvalEntry($"q{i}", true, InvocationType.Implicit, null, null, false, "validation")).ToList();
        var comparison = Acceptance.Compare(DescriptionScore.Of(entries, original), DescriptionScore.Of(entries, candidate));

        Assert.Equal(accepted, comparison.Accepted);
        Assert.Equal(regressions, comparison.Regressions.Count);
        Assert.Equal(newPasses, comparison.NewPasses.Count);
    }

    [Theory]
    [InlineData("TT", null)]                     // 2 passes, 8 to go: can still reach 10
    [InlineData("FT", null)]                     // entry 1 is a new pass (the original failed it)
    [InlineData("TTF", "1 regression(s)")]       // entry 2 regresses: 1 ≥ 5% of 10
    [InlineData("FFTT", "cannot beat")]          // 2 fails + 6 to go: at most 8, not above the original's 8
    public void Validation_run_query_by_query_gives_up_once_a_candidate_cannot_be_accepted(string results, string? reason)
    {
        // 10 positives; the original fails the first two and passes the rest (8).
        var entries = Enumerable.Range(0, 10).Select(i => new EvalEntry($"q{i}", true, InvocationType.Implicit, null, null, false, "validation")).ToList();
        var original = DescriptionScore.Of(entries, Enumerable.Range(0, 10).Select(i => i >= 2).ToList());

        var why = Acceptance.Hopeless(original, entries, results.Select(c => c == 'T').ToList());

        if (reason is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Contains(reason, why, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Static_checks_enforce_the_agent_skills_limits_anchors_and_bounded_growth()
    {
        using var f = new EvolutionFixture("---\nname: research\ndescription: Research open-source libraries on GitHub.\n---\nbody\n");
        var skill = SkillFile.Load(f.SkillPath);
        string[] anchors = ["libraries", "github"];

        Assert.Empty(DescriptionChecks.Check(skill, "Research and compare open-source libraries and tools on GitHub and npm.", anchors));
        Assert.Contains(DescriptionChecks.Check(skill, "Research tools on npm.", anchors), m => m.Contains("drops anchor term(s) the original already wins with: libraries, github", StringComparison.Ordinal));
        Assert.Contains(DescriptionChecks.Check(skill, "Research <libraries> on GitHub.", anchors), m => m.Contains("angle bracket", StringComparison.Ordinal));
        Assert.Contains(DescriptionChecks.Check(skill, "  ", []), m => m.Contains("1–1024", StringComparison.Ordinal));
        Assert.Contains(DescriptionChecks.Check(skill, "Research open-source libraries on GitHub.", anchors), m => m.Contains("unchanged", StringComparison.Ordinal));
        var long1100 = "Research libraries on GitHub " + new string('x', 1100);
        Assert.Contains(DescriptionChecks.Check(skill, long1100, anchors), m => m.Contains("1–1024", StringComparison.Ordinal));
        var grown = "Research libraries on GitHub. " + string.Concat(Enumerable.Repeat("More words here. ", 20));
        Assert.Equal(skill.Description.Length + DescriptionChecks.MinGrowthAllowance, DescriptionChecks.LengthLimit(skill.Description));
        Assert.Contains(DescriptionChecks.Check(skill, grown, anchors), m => m.Contains("listing budget", StringComparison.Ordinal));
    }

    [Fact]
    public void Missed_queries_cluster_by_type_and_word_overlap_and_aims_are_distinct()
    {
        using var f = new EvolutionFixture("---\nname: research\ndescription: Research libraries.\n---\n");
        EvalEntry Positive(string q, InvocationType t) => new(q, true, t, null, null, true, "train");
        var train = new List<EvalEntry>
        {
            Positive("compare charting libraries for react dashboards", InvocationType.Implicit),
            Positive("compare charting libraries for vue dashboards", InvocationType.Implicit),
            Positive("which queue library should we use", InvocationType.Implicit),
            Positive("use research to survey orm packages", InvocationType.Explicit),
            new("fix the failing build", false, InvocationType.Negative, null, null, false, "train"),
        };

        var report = FailureAnalysis.Analyze(f.Store, "research", "Research libraries.", train, ["missed a library question"]);

        Assert.Equal(4, report.Missed.Count);
        Assert.Equal(2, report.Clusters[0].Queries.Count);
        Assert.Equal(3, report.Clusters.Count);
        var aims = report.Aims(10);
        Assert.Equal(["cluster 1: 2 missed implicit queries", "all missed queries", "all missed implicit queries", "all missed explicit queries", "cluster 2: 1 missed implicit query"], aims.Select(a => a.Label));
        Assert.Equal(2, report.Aims(2).Count);
    }

    [Fact]
    public async Task The_judge_votes_by_majority_over_runs_in_shuffled_orders_and_rejects_unusable_answers()
    {
        using var f = new EvolutionFixture("---\nname: research\ndescription: Research libraries.\n---\n");
        var skill = SkillFile.Load(f.SkillPath);
        var entries = Enumerable.Range(0, 5).Select(i => new EvalEntry($"query number {i}", i % 2 == 0, InvocationType.Implicit, null, null, false, "validation")).ToList();
        var run = 0;
        // Run 1 says YES to queries 0-2, run 2 to queries 0-1, run 3 to none: majority YES for 0 and 1 only.
        var chat = new FuncChat(user =>
        {
            var yes = run++ switch { 0 => 3, 1 => 2, _ => 0 };
            var lines = user.Split('\n').Where(l => l.Length > 2 && char.IsDigit(l[0])).Select(l =>
            {
                var number = l[..l.IndexOf('.', StringComparison.Ordinal)];
                var query = int.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                return $"{number}: {(query < yes ? "YES" : "NO")}";
            });
            return string.Join('\n', lines);
        });
        var judge = new JudgeValidator(new LlmClient(chat, LlmBackends.OpenAiCompatible, null), runs: 3, batchSize: 10);

        Assert.Equal([true, true, false, false, false], await judge.TriggersAsync(skill, "desc", entries, null, default));
        Assert.Equal(3, chat.Prompts.Count);
        Assert.Equal(3, chat.Prompts.Select(p => string.Join(',', p.Split('\n').Where(l => l.StartsWith("1. ", StringComparison.Ordinal)))).Distinct().Count());

        var rambling = new JudgeValidator(new LlmClient(new FuncChat(_ => "I think most of these would trigger the skill."), LlmBackends.OpenAiCompatible, null), 1, 10);
        var ex = await Assert.ThrowsAsync<SelftuneException>(() => rambling.TriggersAsync(skill, "desc", entries, null, default));
        Assert.Equal(ErrorCodes.LlmBadAnswer, ex.Code);
    }

    private sealed class FuncChat(Func<string, string> answer) : IChatClient
    {
        public List<string> Prompts { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var user = messages.Last().Text;
            lock (Prompts)
            {
                Prompts.Add(user);
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer(user))));
            }
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
