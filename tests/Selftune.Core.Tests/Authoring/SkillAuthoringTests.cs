using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Selftune.Core.Authoring;
using Selftune.Core.Eval;
using Selftune.Abstractions;
using Selftune.Core.Configuration;
using Selftune.Core.Evolution;
using Selftune.Core.Llm;
using Selftune.Core.Skills;
using Selftune.Core.Tests.Evolution;
using Selftune.Core.Tests.Support;

namespace Selftune.Core.Tests.Authoring;

public sealed class SkillAuthoringTests : IDisposable
{
    private readonly TestStore _store = new();
    private readonly FakeTimeProvider _time = new(TestStore.T0);
    private readonly string _skills;

    public SkillAuthoringTests() => _skills = Directory.CreateDirectory(Path.Combine(_store.Folder, "skills")).FullName;

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task A_created_skill_verifies_and_publishes_as_a_folder_and_a_zip_with_hashes_and_evidence()
    {
        var created = SkillScaffold.Create("pdf-forms", "Use this skill when the user asks to fill in, read or flatten PDF forms: \"AcroForm\" fields.", _skills);
        Assert.Equal(Path.Combine(_skills, "pdf-forms", "SKILL.md"), created.SkillPath);
        Assert.False(created.DescriptionIsPlaceholder);
        var doc = SkillDocument.Load(created.SkillPath);
        Assert.Equal("pdf-forms", doc.Name);
        Assert.Empty(doc.Warnings);
        Assert.Contains("\"AcroForm\"", doc.Description, StringComparison.Ordinal);

        var report = await Verifier().VerifyAsync(_store.Store, "pdf-forms", created.SkillPath, new VerifyTools(new LexicalValidator()), default);

        Assert.True(report.Verified, string.Join("\n", report.Steps.Select(s => $"{s.Name}: {s.Message}")));
        Assert.Equal(["frontmatter", "name", "description", "body", "links", "referenced_files", "evals", "baseline", "unit_tests"], report.Steps.Select(s => s.Name));
        Assert.Equal(VerifyStatus.Skipped, report.Steps.Single(s => s.Name == "evals").Status);
        Assert.Equal("selftune eval generate --skill pdf-forms --synthetic", report.Steps.Single(s => s.Name == "evals").NextCommand);
        var baseline = report.Steps.Single(s => s.Name == "baseline");
        Assert.Equal((VerifyStatus.Skipped, "selftune eval generate --skill pdf-forms --synthetic"), (baseline.Status, baseline.NextCommand));
        var units = report.Steps.Single(s => s.Name == "unit_tests");
        Assert.Equal((VerifyStatus.Skipped, $"selftune eval unit-test --skill pdf-forms --skill-path {created.SkillPath} --generate"), (units.Status, units.NextCommand));
        Assert.Contains("no unit tests yet", units.Message, StringComparison.Ordinal);

        var outFolder = Path.Combine(_store.Folder, "out");
        var folder = new SkillPublisher(_time).Publish(_store.Store, "pdf-forms", created.SkillPath, outFolder, zip: false);
        var zip = new SkillPublisher(_time).Publish(_store.Store, "pdf-forms", created.SkillPath, outFolder, zip: true);

        Assert.Equal(File.ReadAllBytes(created.SkillPath), File.ReadAllBytes(Path.Combine(folder.Output, "SKILL.md")));
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Output, "manifest.json"))).RootElement;
        Assert.Equal("pdf-forms", manifest.GetProperty("name").GetString());
        Assert.Equal(report.Fingerprint, manifest.GetProperty("fingerprint").GetString());
        Assert.Equal("0.0.0+" + report.Fingerprint[..12], manifest.GetProperty("version").GetString());
        var file = Assert.Single(manifest.GetProperty("files").EnumerateArray());
        Assert.Equal(SkillVerifier.Sha256(created.SkillPath), file.GetProperty("sha256").GetString());
        Assert.Equal("skipped", manifest.GetProperty("evidence").GetProperty("steps").GetProperty("evals").GetString());

        Assert.EndsWith(".zip", zip.Output, StringComparison.Ordinal);
        using var archive = ZipFile.OpenRead(zip.Output);
        Assert.Equal(["pdf-forms/SKILL.md", "pdf-forms/manifest.json"], archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(zip.Output + ".partial"));

        var again = Assert.Throws<SelftuneException>(() => new SkillPublisher(_time).Publish(_store.Store, "pdf-forms", created.SkillPath, outFolder, zip: false));
        Assert.Equal(ErrorCodes.InvalidArgument, again.Code);
    }

    [Fact]
    public async Task Verify_runs_the_latest_eval_set_and_publish_carries_its_figures()
    {
        var created = SkillScaffold.Create("pdf-forms", "Use this skill to fill PDF forms and read PDF form fields.", _skills);
        new EvalSetStore().Save(_store.Store, new EvalSet("evals-1", "pdf-forms", TestStore.T0, 1,
        [
            new EvalEntry("fill the pdf form fields for the tax return", true, InvocationType.Implicit, null, null, true, EvalEntry.ValidationSplit),
            new EvalEntry("read the form fields of this pdf", true, InvocationType.Implicit, null, null, true, EvalEntry.TrainSplit),
            new EvalEntry("rename the git branch", false, InvocationType.Negative, null, null, true, EvalEntry.TrainSplit),
        ]));

        var report = await Verifier().VerifyAsync(_store.Store, "pdf-forms", created.SkillPath, new VerifyTools(new LexicalValidator()), default);

        Assert.True(report.Verified);
        Assert.Equal(new VerifyEvalFigures("evals-1", "lexical", 3, 3, 1.0, 2, 2, 1, 1), report.Evals);
        var baseline = report.Steps.Single(s => s.Name == "baseline");
        Assert.Equal((VerifyStatus.Skipped, $"selftune baseline --skill pdf-forms --skill-path {created.SkillPath}"), (baseline.Status, baseline.NextCommand));
        Assert.Contains("--llm offline", baseline.Message, StringComparison.Ordinal);
        var published = new SkillPublisher(_time).Publish(_store.Store, "pdf-forms", created.SkillPath, Path.Combine(_store.Folder, "out"), zip: false);
        Assert.Equal(1.0, published.Manifest.Evidence.Evals!.PassRate);
    }

    [Fact]
    public async Task Verify_measures_the_baseline_with_the_llm_and_checks_the_unit_tests_it_can_run()
    {
        var created = SkillScaffold.Create("pdf-forms", "Use this skill to fill PDF forms and read PDF form fields.", _skills);
        new EvalSetStore().Save(_store.Store, new EvalSet("evals-1", "pdf-forms", TestStore.T0, 1,
        [
            new EvalEntry("fill the acroform fields for the tax return", true, InvocationType.Implicit, null, null, true, EvalEntry.ValidationSplit),
            new EvalEntry("read the fields of this fillable form", true, InvocationType.Implicit, null, null, true, EvalEntry.TrainSplit),
            new EvalEntry("rename the git branch", false, InvocationType.Negative, null, null, true, EvalEntry.TrainSplit),
            new EvalEntry("write the release notes", false, InvocationType.Negative, null, null, true, EvalEntry.TrainSplit),
        ]));
        var chat = new ScriptedLlm();
        var llm = new LlmClient(chat, "test", "m1");
        var unitTests = Path.Combine(_store.Folder, "evals", "pdf-forms", "unit-tests.json");
        Directory.CreateDirectory(Path.GetDirectoryName(unitTests)!);
        File.WriteAllText(unitTests, """{"skill": "pdf-forms", "tests": [{"id": "ut-1", "query": "fill the form", "assertions": [{"type": "skill_used"}]}]}""");

        var report = await Verifier().VerifyAsync(_store.Store, "pdf-forms", created.SkillPath, new VerifyTools(new LexicalValidator(), Llm: llm), default);

        // The scripted judge applies the lexical rule to the description it is shown: with the description both
        // positives share two terms with it (fill/fields, read/fields/form) and the negatives none, so 4/4 pass; with
        // an empty description only the name's terms (pdf, forms) are left, no positive triggers, 2/4 pass: lift 0.5.
        var baseline = report.Steps.Single(s => s.Name == "baseline");
        Assert.Equal(VerifyStatus.Passed, baseline.Status);
        Assert.Equal(new VerifyBaselineFigures("evals-1", 4, 1.0, 0.5, 0.5, 0.05, true), report.Baseline);
        Assert.Equal(1L, _store.Store.Scalar("SELECT count(*) FROM skill_baselines WHERE skill_name = 'pdf-forms' AND adds_value = 1"));
        Assert.NotEmpty(chat.JudgePrompts);

        // A unit-test file in another shape fails the step with the file and the fix; the skill is not verified.
        var units = report.Steps.Single(s => s.Name == "unit_tests");
        Assert.Equal(VerifyStatus.Failed, units.Status);
        Assert.StartsWith($"{unitTests}: unknown assertion type 'skill_used'", units.Message, StringComparison.Ordinal);
        Assert.False(report.Verified);

        // A good file with no agent CLI to replay through is skipped with the command that shows the agents.
        File.WriteAllText(unitTests, """{"skill": "pdf-forms", "tests": [{"id": "ut-1", "query": "fill the form", "assertions": [{"type": "skill_invoked"}]}]}""");
        var again = await Verifier().VerifyAsync(_store.Store, "pdf-forms", created.SkillPath, new VerifyTools(new LexicalValidator(), Llm: llm), default);

        units = again.Steps.Single(s => s.Name == "unit_tests");
        Assert.Equal((VerifyStatus.Skipped, "selftune plugins"), (units.Status, units.NextCommand));
        Assert.True(again.Verified);
        var published = new SkillPublisher(_time).Publish(_store.Store, "pdf-forms", created.SkillPath, Path.Combine(_store.Folder, "out"), zip: false);
        Assert.Equal(0.5, published.Manifest.Evidence.Baseline!.Lift);
        Assert.Null(published.Manifest.Evidence.UnitTests);
    }

    [Fact]
    public async Task Publish_refuses_a_skill_never_verified_failed_or_changed_since_its_verification()
    {
        var created = SkillScaffold.Create("notes", null, _skills);
        Assert.True(created.DescriptionIsPlaceholder);
        Assert.StartsWith("$EDITOR ", created.NextCommand, StringComparison.Ordinal);
        var publisher = new SkillPublisher(_time);
        var to = Path.Combine(_store.Folder, "out");

        var never = Assert.Throws<SelftuneException>(() => publisher.Publish(_store.Store, "notes", created.SkillPath, to, zip: false));
        Assert.Equal(ErrorCodes.SkillInvalid, never.Code);
        Assert.Contains("not verified", never.Message, StringComparison.Ordinal);
        Assert.Equal($"selftune verify --skill notes --skill-path {Path.GetDirectoryName(created.SkillPath)}", never.NextCommand);

        var placeholder = await Verifier().VerifyAsync(_store.Store, "notes", created.SkillPath, new VerifyTools(null, "no LLM"), default);
        Assert.False(placeholder.Verified);
        Assert.Contains("placeholder", placeholder.Steps.Single(s => s.Name == "description").Message, StringComparison.Ordinal);
        Assert.Contains("failed its verification", Assert.Throws<SelftuneException>(() => publisher.Publish(_store.Store, "notes", created.SkillPath, to, zip: false)).Message, StringComparison.Ordinal);

        File.WriteAllText(created.SkillPath, File.ReadAllText(created.SkillPath).Replace(SkillScaffold.PlaceholderDescription.Replace("\"", "\\\"", StringComparison.Ordinal), "Use this skill when the user keeps notes.", StringComparison.Ordinal));
        Assert.True((await Verifier().VerifyAsync(_store.Store, "notes", created.SkillPath, new VerifyTools(null, "no LLM"), default)).Verified);
        File.AppendAllText(created.SkillPath, "\nOne more line.\n");

        Assert.Contains("changed since", Assert.Throws<SelftuneException>(() => publisher.Publish(_store.Store, "notes", created.SkillPath, to, zip: false)).Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(to));
    }

    [Fact]
    public async Task Verify_names_each_problem_with_its_file_and_line()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_skills, "broken")).FullName;
        var path = Path.Combine(folder, "SKILL.md");
        File.WriteAllText(path, """
            ---
            name: Broken_Skill
            description: Use for <html> pages.
            colour: blue
            ---
            Some text without a title; see [the guide](references/guide.md) and [up](../../secret.md).
            Run `scripts/build.sh` first. Web: [site](https://example.com).
            """.ReplaceLineEndings("\n"));

        var report = await Verifier().VerifyAsync(_store.Store, "broken", path, new VerifyTools(null, "no LLM"), default);

        Assert.False(report.Verified);
        string[] Problems(string step) => report.Steps.Single(s => s.Name == step).Problems.ToArray();
        Assert.Contains(Problems("frontmatter"), p => p.Contains("unknown frontmatter key 'colour'", StringComparison.Ordinal));
        Assert.Contains(Problems("name"), p => p.StartsWith($"{path}:2: name 'Broken_Skill' breaks the naming rule", StringComparison.Ordinal));
        Assert.Contains(Problems("name"), p => p.Contains("differs from its folder 'broken'", StringComparison.Ordinal));
        Assert.Contains(Problems("description"), p => p.StartsWith($"{path}:3: ", StringComparison.Ordinal) && p.Contains("'<' or '>'", StringComparison.Ordinal));
        Assert.Contains(Problems("body"), p => p.StartsWith($"{path}:6: ", StringComparison.Ordinal));
        Assert.Equal([$"{path}:6: links to 'references/guide.md', which does not exist.", $"{path}:6: links to '../../secret.md', outside the skill folder: a published skill would not carry it."], Problems("links"));
        Assert.Equal([$"{path}:7: names 'scripts/build.sh', which does not exist."], Problems("referenced_files"));
        Assert.Equal("$EDITOR " + ShellCommand.Quote(path), report.NextCommand);
        Assert.Equal(1L, _store.Store.Scalar("SELECT count(*) FROM skill_verifications WHERE passed = 0"));
    }

    [Fact]
    public void Create_refuses_a_bad_name_a_bad_description_and_a_folder_in_use_without_writing()
    {
        Assert.Equal(ErrorCodes.InvalidArgument, Assert.Throws<SelftuneException>(() => SkillScaffold.Create("Bad--Name", null, _skills)).Code);
        Assert.Equal(ErrorCodes.InvalidArgument, Assert.Throws<SelftuneException>(() => SkillScaffold.Create("plugin:name", null, _skills)).Code);
        Assert.Contains("1024", Assert.Throws<SelftuneException>(() => SkillScaffold.Create("long", new string('a', 1025), _skills)).Message, StringComparison.Ordinal);
        Directory.CreateDirectory(Path.Combine(_skills, "taken"));
        File.WriteAllText(Path.Combine(_skills, "taken", "keep.txt"), "mine");
        Assert.Contains("not empty", Assert.Throws<SelftuneException>(() => SkillScaffold.Create("taken", null, _skills)).Message, StringComparison.Ordinal);
        Assert.Equal(["taken"], Directory.EnumerateFileSystemEntries(_skills).Select(Path.GetFileName));
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(Path.Combine(_skills, "taken")).Select(Path.GetFileName));
    }

    /// <summary>The verifier with the real baseline and unit-test services: no agent runner, an empty PATH, the store's folder as home.</summary>
    private SkillVerifier Verifier()
    {
        var context = new PlatformContext(_store.Folder, _store.Folder, name => name == "PATH" ? _store.Folder : null);
        var config = SelftuneConfig.Load(Path.Combine(_store.Folder, "config.json"), _ => null);
        var skills = new InstalledSkills(context, []);
        return new(new EvalSetStore(), new BaselineService(new EvalSetStore(), skills, config, _time),
            new UnitTestService(new EvalSetStore(), skills, [], context, new SelftuneHome(_store.Folder), config), _time);
    }
}
