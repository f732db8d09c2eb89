using System.Text.RegularExpressions;

namespace Selftune.Core.Privacy;

/// <summary>
/// Removes secrets from text before it is stored: API keys and tokens of the common providers, private key
/// blocks, bearer tokens, and passwords in URLs. Each match becomes <c>[REDACTED:&lt;kind&gt;]</c>. Patterns follow the
/// providers' documented key formats (Anthropic <c>sk-ant-</c>, OpenAI <c>sk-</c>/<c>sk-proj-</c>, GitHub
/// <c>ghp_/gho_/ghu_/ghs_/ghr_/github_pat_</c>, AWS <c>AKIA…</c>, Google <c>AIza…</c>, Slack <c>xox?-</c>, Stripe
/// <c>sk_live_/rk_live_</c>, npm <c>npm_</c>, Hugging Face <c>hf_</c>, GitLab <c>glpat-</c>).
/// Thread-safe.
/// </summary>
public sealed class Redactor
{
    private static readonly (string Kind, Regex Pattern)[] Patterns =
    [
        ("private_key", new Regex(@"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)", RegexOptions.Compiled)),
        ("anthropic_key", new Regex(@"\bsk-ant-[A-Za-z0-9_\-]{20,}", RegexOptions.Compiled)),
        ("openai_key", new Regex(@"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", RegexOptions.Compiled)),
        ("github_token", new Regex(@"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})", RegexOptions.Compiled)),
        ("gitlab_token", new Regex(@"\bglpat-[A-Za-z0-9_\-]{20,}", RegexOptions.Compiled)),
        ("aws_access_key", new Regex(@"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", RegexOptions.Compiled)),
        ("aws_secret_key", new Regex(@"(?i)(aws_secret_access_key\s*[=:]\s*[""']?)[A-Za-z0-9/+=]{40}", RegexOptions.Compiled)),
        ("google_api_key", new Regex(@"\bAIza[0-9A-Za-z_\-]{35}", RegexOptions.Compiled)),
        ("slack_token", new Regex(@"\bxox[abposr]-[A-Za-z0-9\-]{10,}", RegexOptions.Compiled)),
        ("stripe_key", new Regex(@"\b(?:sk|rk)_live_[A-Za-z0-9]{20,}", RegexOptions.Compiled)),
        ("npm_token", new Regex(@"\bnpm_[A-Za-z0-9]{36}\b", RegexOptions.Compiled)),
        ("huggingface_token", new Regex(@"\bhf_[A-Za-z0-9]{30,}", RegexOptions.Compiled)),
        ("jwt", new Regex(@"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}", RegexOptions.Compiled)),
        ("bearer_token", new Regex(@"(?i)(\bbearer\s+)[A-Za-z0-9_\-\.=]{20,}", RegexOptions.Compiled)),
        ("url_password", new Regex(@"(\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+(@)", RegexOptions.Compiled | RegexOptions.IgnoreCase)),
        ("secret_assignment", new Regex(@"(?i)(\b(?:api[_-]?key|secret|password|passwd|token|access[_-]?key)\s*[=:]\s*[""']?)[A-Za-z0-9_\-/+=]{16,}", RegexOptions.Compiled)),
    ];

    /// <summary>Creates a redactor.</summary>
    /// <param name="enabled">When false, <see cref="Redact"/> returns the text unchanged (config <c>redaction.enabled</c>).</param>
    public Redactor(bool enabled = true) => Enabled = enabled;

    /// <summary>Whether redaction is on.</summary>
    public bool Enabled { get; }

    /// <summary>Redacts <paramref name="text"/>.</summary>
    /// <param name="text">Text that may hold secrets.</param>
    /// <param name="count">How many secrets were replaced.</param>
    /// <returns>The text with each secret replaced by <c>[REDACTED:&lt;kind&gt;]</c>; prefixes such as <c>Bearer </c> or
    /// <c>password=</c> and the URL's user name are kept so the text still reads.</returns>
    public string Redact(string text, out int count)
    {
        count = 0;
        if (!Enabled || text.Length < 8)
        {
            return text;
        }

        var result = text;
        foreach (var (kind, pattern) in Patterns)
        {
            var n = 0;
            result = pattern.Replace(result, m =>
            {
                n++;
                return m.Groups.Count switch
                {
                    3 => m.Groups[1].Value + $"[REDACTED:{kind}]" + m.Groups[2].Value,
                    2 => m.Groups[1].Value + $"[REDACTED:{kind}]",
                    _ => $"[REDACTED:{kind}]",
                };
            });
            count += n;
        }

        return result;
    }
}
