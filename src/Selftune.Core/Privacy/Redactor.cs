using System.Buffers;
using System.Text.RegularExpressions;

namespace Selftune.Core.Privacy;

/// <summary>
/// Removes secrets from text before it is stored: API keys and tokens of the common providers, private key
/// blocks, bearer tokens, and passwords in URLs. Each match becomes <c>[REDACTED:&lt;kind&gt;]</c>. Patterns follow the
/// providers' documented key formats (Anthropic <c>sk-ant-</c>, OpenAI <c>sk-</c>/<c>sk-proj-</c>, GitHub
/// <c>ghp_/gho_/ghu_/ghs_/ghr_/github_pat_</c>, AWS <c>AKIA…</c>, Google <c>AIza…</c>, Slack <c>xox?-</c>, Stripe
/// <c>sk_live_/rk_live_</c>, npm <c>npm_</c>, Hugging Face <c>hf_</c>, GitLab <c>glpat-</c>).
/// A text is scanned once for all the patterns' literal anchors (one vectorized search); a pattern runs only when one of
/// its anchors occurs (at a word start where the pattern starts one), so ordinary text costs one scan, not sixteen
/// regular expressions. Thread-safe.
/// </summary>
internal sealed partial class Redactor
{
    private static readonly Lazy<Rules> All = new(() => new Rules(
    [
        new("private_key", PrivateKey(), false, "-----BEGIN"),
        new("anthropic_key", AnthropicKey(), true, "sk-ant-"),
        new("openai_key", OpenAiKey(), true, "sk-"),
        new("github_token", GitHubToken(), true, "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        new("gitlab_token", GitLabToken(), true, "glpat-"),
        new("aws_access_key", AwsAccessKey(), true, "AKIA", "ASIA"),
        new("aws_secret_key", AwsSecretKey(), false, "aws_secret_access_key"),
        new("google_api_key", GoogleApiKey(), true, "AIza"),
        new("slack_token", SlackToken(), true, "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"),
        new("stripe_key", StripeKey(), false, "_live_"),
        new("npm_token", NpmToken(), true, "npm_"),
        new("huggingface_token", HuggingFaceToken(), true, "hf_"),
        new("jwt", Jwt(), true, "eyJ"),
        new("bearer_token", BearerToken(), true, "bearer"),
        new("url_password", UrlPassword(), false, "://"),
        new("secret_assignment", SecretAssignment(), true, "api_key", "api-key", "apikey", "secret", "password", "passwd", "token", "access_key", "access-key", "accesskey"),
    ]));

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

        var rules = All.Value;
        Span<bool> candidates = stackalloc bool[rules.Items.Length];
        if (!rules.FindCandidates(text, candidates))
        {
            return text;
        }

        var result = text;
        for (var r = 0; r < rules.Items.Length; r++)
        {
            if (!candidates[r])
            {
                continue;
            }

            var rule = rules.Items[r];
            var n = 0;
            result = rule.Pattern.Replace(result, m =>
            {
                n++;
                return m.Groups.Count switch
                {
                    3 => m.Groups[1].Value + $"[REDACTED:{rule.Kind}]" + m.Groups[2].Value,
                    2 => m.Groups[1].Value + $"[REDACTED:{rule.Kind}]",
                    _ => $"[REDACTED:{rule.Kind}]",
                };
            });
            count += n;
        }

        return result;
    }

    // PEM (RSA, EC, OPENSSH, ENCRYPTED …) and OpenPGP armor (RFC 4880 §6.2: "PGP PRIVATE KEY BLOCK"); an unterminated
    // block is redacted to the end of the text.
    [GeneratedRegex(@"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)")]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"\bsk-ant-[A-Za-z0-9_\-]{20,}")]
    private static partial Regex AnthropicKey();

    // Keys are random base62/base64url: they hold a digit and an upper-case letter, which kebab-case names do not.
    [GeneratedRegex(@"\bsk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Z])[A-Za-z0-9_\-]{20,}")]
    private static partial Regex OpenAiKey();

    [GeneratedRegex(@"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\bglpat-[A-Za-z0-9_\-]{20,}")]
    private static partial Regex GitLabToken();

    [GeneratedRegex(@"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")]
    private static partial Regex AwsAccessKey();

    [GeneratedRegex(@"(?i)(aws_secret_access_key\s*[=:]\s*[""']?)[A-Za-z0-9/+=]{40}")]
    private static partial Regex AwsSecretKey();

    [GeneratedRegex(@"\bAIza[0-9A-Za-z_\-]{35}")]
    private static partial Regex GoogleApiKey();

    [GeneratedRegex(@"\bxox[abposr]-[A-Za-z0-9\-]{10,}")]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"\b(?:sk|rk)_live_[A-Za-z0-9]{20,}")]
    private static partial Regex StripeKey();

    [GeneratedRegex(@"\bnpm_[A-Za-z0-9]{36}\b")]
    private static partial Regex NpmToken();

    [GeneratedRegex(@"\bhf_[A-Za-z0-9]{30,}")]
    private static partial Regex HuggingFaceToken();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}")]
    private static partial Regex Jwt();

    [GeneratedRegex(@"(?i)(\bbearer\s+)[A-Za-z0-9_\-\.=]{20,}")]
    private static partial Regex BearerToken();

    // Placeholders ($VAR, ${VAR}, <password>, ***) are not secrets. The password runs to the last '@' before the host
    // (a password may hold '/' or '@' when the user did not percent-encode it); a port followed by a path is no password.
    [GeneratedRegex(@"(\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:)(?![$<{*%])(?!\d{1,5}(?:/|$|\s))[^\s]+(@)(?=[^\s@/]+)", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?i)(\b(?:api[_-]?key|secret|password|passwd|token|access[_-]?key)\s*[=:]\s*[""']?)[A-Za-z0-9_\-/+=]{16,}")]
    private static partial Regex SecretAssignment();

    /// <summary>One kind of secret: its pattern, and literals one of which every match contains (case-insensitive).</summary>
    /// <param name="Kind">The name in <c>[REDACTED:kind]</c>.</param>
    /// <param name="Pattern">The pattern.</param>
    /// <param name="WordStart">True when a match starts a word, so an anchor inside a word (<c>ta<b>sk-</b>list</c>) is no candidate.</param>
    /// <param name="Anchors">The literals.</param>
    private sealed record Rule(string Kind, Regex Pattern, bool WordStart, params string[] Anchors);

    /// <summary>The rules, and one vectorized search for all their anchors: a text is scanned once, and only the rules
    /// whose anchors occur in it run their pattern.</summary>
    private sealed class Rules(Rule[] items)
    {
        private readonly (string Text, int Rule, bool WordStart)[] _anchors =
            items.SelectMany((rule, index) => rule.Anchors.Select(a => (a, index, rule.WordStart))).ToArray();

        private readonly SearchValues<string> _search = SearchValues.Create(items.SelectMany(r => r.Anchors).ToArray(), StringComparison.OrdinalIgnoreCase);

        public Rule[] Items { get; } = items;

        /// <summary>Marks the rules with an anchor in <paramref name="text"/>; false when there is none.</summary>
        public bool FindCandidates(string text, Span<bool> candidates)
        {
            var found = false;
            var span = text.AsSpan();
            for (var at = span.IndexOfAny(_search); at >= 0;)
            {
                var rest = span[at..];
                foreach (var (anchor, rule, wordStart) in _anchors)
                {
                    if (!candidates[rule] && rest.StartsWith(anchor, StringComparison.OrdinalIgnoreCase)
                        && (!wordStart || at == 0 || !(char.IsLetterOrDigit(span[at - 1]) || span[at - 1] == '_')))
                    {
                        candidates[rule] = found = true;
                    }
                }

                var next = span[(at + 1)..].IndexOfAny(_search);
                at = next < 0 ? -1 : at + 1 + next;
            }

            return found;
        }
    }
}
