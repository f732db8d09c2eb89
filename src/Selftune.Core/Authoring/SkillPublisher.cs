using System.IO.Compression;
using System.Text.Json;
using Selftune.Core.Skills;
using Selftune.Core.Store;

namespace Selftune.Core.Authoring;

/// <summary>One file of a published skill.</summary>
/// <param name="Path">Relative to the skill folder, with <c>/</c>.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of its bytes.</param>
/// <param name="Bytes">Its size in bytes.</param>
internal sealed record ManifestFile(string Path, string Sha256, long Bytes);

/// <summary>The evidence a published skill carries: the verification it passed.</summary>
/// <param name="VerifiedAt">When it was verified (UTC).</param>
/// <param name="Steps">Each step's name and outcome (<c>passed</c>, <c>warning</c>, <c>skipped</c>).</param>
/// <param name="Evals">The eval figures, when evals ran.</param>
/// <param name="Baseline">The no-skill baseline figures, when the baseline ran.</param>
/// <param name="UnitTests">The unit-test figures, when unit tests ran.</param>
internal sealed record ManifestEvidence(DateTimeOffset VerifiedAt, IReadOnlyDictionary<string, VerifyStatus> Steps, VerifyEvalFigures? Evals, VerifyBaselineFigures? Baseline = null, VerifyUnitTestFigures? UnitTests = null);

/// <summary><c>manifest.json</c> of a published skill.</summary>
/// <param name="Name">The skill's name.</param>
/// <param name="Version">The frontmatter's <c>metadata.version</c>, else <c>0.0.0+</c> and the fingerprint's first 12 characters.</param>
/// <param name="Fingerprint">SHA-256 over the files (<see cref="SkillVerifier.Fingerprint"/>).</param>
/// <param name="Description">The frontmatter description.</param>
/// <param name="PublishedAt">When (UTC).</param>
/// <param name="Files">Every file, in ordinal order of path (the manifest itself not included).</param>
/// <param name="Evidence">The verification.</param>
internal sealed record SkillManifest(string Name, string Version, string Fingerprint, string? Description, DateTimeOffset PublishedAt, IReadOnlyList<ManifestFile> Files, ManifestEvidence Evidence);

/// <summary>What <c>selftune publish</c> wrote.</summary>
/// <param name="Skill">The skill.</param>
/// <param name="Output">The folder or zip written.</param>
/// <param name="Format"><c>folder</c> or <c>zip</c>.</param>
/// <param name="Manifest">The manifest written with it.</param>
internal sealed record PublishResult(string Skill, string Output, string Format, SkillManifest Manifest);

/// <summary><c>selftune publish</c>: packages a skill folder whose exact files passed <c>selftune verify</c> — a copy of
/// the folder, or a zip with the folder inside — with a <c>manifest.json</c> naming every file's hash and the evidence.</summary>
internal sealed class SkillPublisher(TimeProvider time)
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestName = "manifest.json";

    /// <summary>Publishes the skill whose SKILL.md is <paramref name="skillPath"/> into <paramref name="to"/>.</summary>
    /// <param name="store">The store holding the verifications.</param>
    /// <param name="skill">The skill's name.</param>
    /// <param name="skillPath">Its SKILL.md (absolute).</param>
    /// <param name="to">The folder to write into (created when missing).</param>
    /// <param name="zip">Write <c>&lt;name&gt;-&lt;version&gt;.zip</c> instead of a <c>&lt;name&gt;/</c> folder.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.SkillInvalid"/> when these exact files have no passed
    /// verification; <see cref="ErrorCodes.InvalidArgument"/> when the output exists already (nothing is written).</exception>
    public PublishResult Publish(SelftuneStore store, string skill, string skillPath, string to, bool zip)
    {
        var folder = Path.GetDirectoryName(skillPath)!;
        var fingerprint = SkillVerifier.Fingerprint(folder);
        var verifyCommand = ShellCommand.Line($"selftune verify --skill {skill:skill} --skill-path {folder}");
        var reportJson = store.Query(
            "SELECT report FROM skill_verifications WHERE fingerprint = $f AND passed = 1 ORDER BY verified_at DESC LIMIT 1",
            r => r.GetString(0), ("$f", fingerprint)).FirstOrDefault();
        if (reportJson is null)
        {
            var failed = store.Query("SELECT count(*) FROM skill_verifications WHERE fingerprint = $f", r => r.GetInt64(0), ("$f", fingerprint))[0] > 0;
            throw new SelftuneException(ErrorCodes.SkillInvalid,
                failed
                    ? $"'{folder}' failed its verification; fix what verify reports, verify again, then publish."
                    : $"'{folder}' is not verified as it is now (never verified, or changed since): run verify first.",
                verifyCommand);
        }

        var report = JsonSerializer.Deserialize<VerifyReport>(reportJson, Json.Options)!;
        var doc = SkillDocument.Load(skillPath);
        var version = (doc.Frontmatter.GetValueOrDefault("metadata") as IReadOnlyDictionary<string, object?>)?.GetValueOrDefault("version") as string
            ?? "0.0.0+" + fingerprint[..12];
        var files = SkillVerifier.Files(folder).Select(f => new ManifestFile(f, SkillVerifier.Sha256(Path.Combine(folder, f)), new FileInfo(Path.Combine(folder, f)).Length)).ToList();
        var manifest = new SkillManifest(doc.Name, version, fingerprint, doc.DescriptionOneLine, time.GetUtcNow(), files,
            new ManifestEvidence(report.VerifiedAt, report.Steps.ToDictionary(s => s.Name, s => s.Status), report.Evals, report.Baseline, report.UnitTests));
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, Json.Indented);

        Directory.CreateDirectory(to);
        var output = zip ? Path.Combine(to, $"{doc.Name}-{Safe(version)}.zip") : Path.Combine(to, doc.Name);
        if (File.Exists(output) || Directory.Exists(output))
        {
            throw new SelftuneException(ErrorCodes.InvalidArgument, $"'{output}' exists already; nothing was written. Publish to another folder or remove it.", ShellCommand.Line($"selftune publish --skill {skill:skill} --skill-path {folder} --to {Path.Combine(to, "next")}"));
        }

        if (zip)
        {
            var partial = output + ".partial";
            using (var archive = ZipFile.Open(partial, ZipArchiveMode.Create))
            {
                foreach (var f in files)
                {
                    archive.CreateEntryFromFile(Path.Combine(folder, f.Path), $"{doc.Name}/{f.Path}", CompressionLevel.Optimal);
                }

                using var entry = archive.CreateEntry($"{doc.Name}/{ManifestName}").Open();
                entry.Write(manifestBytes);
            }

            File.Move(partial, output);
        }
        else
        {
            var partial = output + ".partial";
            foreach (var f in files)
            {
                var target = Path.Combine(partial, f.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(Path.Combine(folder, f.Path), target);
            }

            File.WriteAllBytes(Path.Combine(partial, ManifestName), manifestBytes);
            Directory.Move(partial, output);
        }

        return new PublishResult(skill, output, zip ? "zip" : "folder", manifest);
    }

    private static string Safe(string version) => string.Concat(version.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '+' or '_' ? c : '_'));
}
