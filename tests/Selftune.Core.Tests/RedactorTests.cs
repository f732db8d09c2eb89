using Selftune.Core.Privacy;

namespace Selftune.Core.Tests;

public sealed class RedactorTests
{
    [Theory]
    [InlineData("key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "key [REDACTED:anthropic_key]")]
    [InlineData("OPENAI_KEY=sk-proj-Ab3dEfGhIjKlMnOpQrStUvWxYz123456", "OPENAI_KEY=[REDACTED:openai_key]")]
    [InlineData("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "token [REDACTED:github_token]")]
    [InlineData("github_pat_11ABCDEFG0abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH", "[REDACTED:github_token]")]
    [InlineData("glpat-abcdefghijklmnopqrst", "[REDACTED:gitlab_token]")]
    [InlineData("id AKIAIOSFODNN7EXAMPLE ok", "id [REDACTED:aws_access_key] ok")]
    [InlineData("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = [REDACTED:aws_secret_key]")]
    [InlineData("maps AIzaSyA1234567890abcdefghijklmnopqrstuv", "maps [REDACTED:google_api_key]")]
    [InlineData("slack xoxb-1234567890-abcdefghij", "slack [REDACTED:slack_token]")]
    [InlineData("stripe sk_live_abcdefghijklmnopqrstuvwx", "stripe [REDACTED:stripe_key]")]
    [InlineData("npm npm_abcdefghijklmnopqrstuvwxyz0123456789 end", "npm [REDACTED:npm_token] end")]
    [InlineData("hf hf_abcdefghijklmnopqrstuvwxyzABCDEF", "hf [REDACTED:huggingface_token]")]
    [InlineData("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop", "jwt [REDACTED:jwt]")]
    [InlineData("Authorization: Bearer abcdefghijklmnopqrstuvwxyz", "Authorization: Bearer [REDACTED:bearer_token]")]
    [InlineData("postgres://admin:hunter2secret@db.example.com/app", "postgres://admin:[REDACTED:url_password]@db.example.com/app")]
    [InlineData("password=Sup3rS3cretValue99!", "password=[REDACTED:secret_assignment]!")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "[REDACTED:private_key]")]
    [InlineData("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGX3k2sBCAC5\n=tA9v\n-----END PGP PRIVATE KEY BLOCK-----\nok", "[REDACTED:private_key]\nok")]
    [InlineData("git clone https://deploy:pa/ss@word9@git.example.com/repo.git", "git clone https://deploy:[REDACTED:url_password]@git.example.com/repo.git")]
    public void EachProviderPatternIsRedacted(string text, string expected)
    {
        Assert.Equal(expected, new Redactor().Redact(text, out var count));
        Assert.Equal(1, count);
    }

    [Theory]
    [InlineData("Please refactor the token counting so tokens are summed per session.")]
    [InlineData("The task-management-system-for-teams repo uses a secret sauce: caching.")]
    [InlineData("const password = readFromVault(); // no literal here")]
    [InlineData("See https://github.com/anthropics/skills and http://localhost:8080/path")]
    [InlineData("open http://localhost:3000/users/@alice and https://example.com:8443/@team")]
    [InlineData("git checkout -b feature/sk-learn-integration-for-the-models")]
    [InlineData("The AKIA prefix marks AWS keys; eyJ marks base64 JSON.")]
    [InlineData("def bearer_auth(request):\n    return request.headers.get('Authorization')")]
    [InlineData("mongosh \"mongodb://$DB_USER:$DB_PASSWORD@$DB_HOST:$DB_PORT/$DB_NAME\"")]
    public void OrdinaryTextAndCodeAreLeftAlone(string text)
    {
        Assert.Equal(text, new Redactor().Redact(text, out var count));
        Assert.Equal(0, count);
    }

    [Fact]
    public void TheRealSkillFilesOfTheCorpusHoldNoSecrets()
    {
        var redactor = new Redactor();
        var files = Directory.EnumerateFiles(Selftune.AdapterKit.IngestorContractTests.CorpusPath("skills"), "*.md", SearchOption.AllDirectories).ToList();
        Assert.True(files.Count > 100);
        foreach (var file in files)
        {
            redactor.Redact(File.ReadAllText(file), out var count);
            Assert.True(count == 0, $"{file}: {count} false positive(s)");
        }
    }

    [Fact]
    public void DisabledRedactionLeavesTextAlone()
    {
        const string text = "key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        Assert.Equal(text, new Redactor(enabled: false).Redact(text, out var count));
        Assert.Equal(0, count);
    }
}
