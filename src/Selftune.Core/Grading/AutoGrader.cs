using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Grading;

/// <summary>A session <see cref="AutoGrader"/> could not grade.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Skill">The skill whose use was graded.</param>
/// <param name="Code">The error code (<see cref="ErrorCodes.LlmBadAnswer"/> or <see cref="ErrorCodes.NotFound"/>).</param>
/// <param name="Reason">The error's message.</param>
internal sealed record GradeSkip(string SessionId, string Skill, string Code, string Reason);

/// <summary>What <see cref="AutoGrader.GradeUngradedAsync"/> did.</summary>
/// <param name="Candidates">Ungraded sessions found (up to the maximum asked).</param>
/// <param name="Graded">The gradings made and stored.</param>
/// <param name="Skipped">Sessions whose grading answer was unusable, and why.</param>
/// <param name="Stopped">Why grading stopped early (the LLM budget), or null.</param>
internal sealed record AutoGradeResult(int Candidates, IReadOnlyList<GradingResult> Graded, IReadOnlyList<GradeSkip> Skipped, string? Stopped);

/// <summary><c>selftune grade auto</c> and the run's grade phase: grades the most recent ungraded sessions.</summary>
/// <param name="grader">Grades one session.</param>
/// <param name="gradings">Stores the gradings.</param>
/// <param name="skills">Finds each skill's SKILL.md (its expectations).</param>
internal sealed class AutoGrader(SessionGrader grader, GradingStore gradings, InstalledSkills skills)
{
    /// <summary>Grades the most recent ungraded sessions of skills that have data, newest first, until <paramref name="max"/>
    /// or the LLM budget is reached; a session whose grading answer is unusable is skipped and reported. Results are stored.</summary>
    /// <param name="store">The store.</param>
    /// <param name="max">Most sessions graded.</param>
    /// <param name="llm">The LLM (its budget bounds the work).</param>
    /// <param name="ct">Stops the work.</param>
    /// <exception cref="SelftuneException">The LLM is unavailable, or the store fails.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public async Task<AutoGradeResult> GradeUngradedAsync(SelftuneStore store, int max, LlmClient llm, CancellationToken ct)
    {
        var candidates = SessionGrader.UngradedSessions(store, max);
        var graded = new List<GradingResult>();
        var skipped = new List<GradeSkip>();
        string? stopped = null;
        var documents = new Dictionary<string, SkillDocument?>(StringComparer.Ordinal);
        foreach (var (sessionId, skillName) in candidates)
        {
            if (!documents.TryGetValue(skillName, out var document))
            {
                documents[skillName] = document = skills.Find(skillName, null, store);
            }

            var request = new GradeRequest(skillName, sessionId, SessionGrader.DeriveExpectations(skillName, document), document is null ? "generic" : "skill_md", document?.DescriptionOneLine);
            try
            {
                var result = await grader.GradeAsync(store, request, llm, ct).ConfigureAwait(false);
                gradings.Save(store, result);
                graded.Add(result);
            }
            catch (SelftuneException ex) when (ex.Code == ErrorCodes.BudgetExhausted)
            {
                stopped = ex.Message;
                break;
            }
            catch (SelftuneException ex) when (ex.Code is ErrorCodes.LlmBadAnswer or ErrorCodes.NotFound)
            {
                skipped.Add(new GradeSkip(sessionId, skillName, ex.Code, ex.Message));
            }
        }

        return new AutoGradeResult(candidates.Count, graded, skipped, stopped);
    }
}
