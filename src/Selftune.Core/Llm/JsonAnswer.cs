using System.Text.Json;

namespace Selftune.Core.Llm;

/// <summary>
/// Reads JSON out of an LLM's answer. Models wrap JSON in code fences, put prose before or after it, or answer with
/// several blocks; this tries, in order: the whole answer, each fenced block, then each balanced <c>{…}</c> or
/// <c>[…]</c> span (strings and escapes respected), and returns the first that deserializes to the expected type.
/// Names are snake_case (<see cref="Json.Options"/>), matched case-insensitively; trailing commas and comments are allowed;
/// a candidate lacking a required constructor parameter or holding null where the type says non-null is rejected.
/// </summary>
internal static class JsonAnswer
{
    private const int MaxSpans = 64;

    private static readonly JsonSerializerOptions Options = new(Json.Options)
    {
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <summary>Parses <paramref name="answer"/> as <typeparamref name="T"/>.</summary>
    /// <param name="answer">The raw answer.</param>
    /// <param name="what">What the answer is, for the error message (e.g. "anthropic answer to the 'grade' request").</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.LlmBadAnswer"/> naming <paramref name="what"/>, the expected
    /// type and an excerpt of the answer when no candidate deserializes.</exception>
    public static T Parse<T>(string answer, string what)
    {
        string? firstError = null;
        foreach (var candidate in Candidates(answer))
        {
            try
            {
                if (JsonSerializer.Deserialize<T>(candidate, Options) is { } value)
                {
                    return value;
                }
            }
            catch (JsonException ex)
            {
                firstError ??= ex.Message;
            }
        }

        var excerpt = answer.Length <= 400 ? answer : answer[..300] + " … " + answer[^80..];
        throw new SelftuneException(
            ErrorCodes.LlmBadAnswer,
            $"The {what} is not the JSON expected ({typeof(T).Name}{(firstError is null ? ", none found" : ": " + firstError)}). Answer: «{excerpt.ReplaceLineEndings(" ")}»",
            "selftune llm test");
    }

    /// <summary>The spans of <paramref name="answer"/> that may be the JSON, most likely first.</summary>
    internal static IEnumerable<string> Candidates(string answer)
    {
        var text = answer.Trim();
        if (text.Length == 0)
        {
            yield break;
        }

        yield return text;
        foreach (var block in FencedBlocks(text))
        {
            yield return block;
        }

        var spans = 0;
        for (var i = 0; i < text.Length && spans < MaxSpans; i++)
        {
            if (text[i] is '{' or '[' && BalancedEnd(text, i) is var end and > 0)
            {
                spans++;
                yield return text[i..(end + 1)];
            }
        }
    }

    private static IEnumerable<string> FencedBlocks(string text)
    {
        var at = 0;
        while ((at = text.IndexOf("```", at, StringComparison.Ordinal)) >= 0)
        {
            var bodyStart = text.IndexOf('\n', at);
            if (bodyStart < 0)
            {
                yield break;
            }

            var close = text.IndexOf("```", bodyStart, StringComparison.Ordinal);
            if (close < 0)
            {
                yield return text[(bodyStart + 1)..].Trim();
                yield break;
            }

            yield return text[(bodyStart + 1)..close].Trim();
            at = close + 3;
        }
    }

    /// <summary>The index of the bracket closing the one at <paramref name="start"/>, or -1.</summary>
    private static int BalancedEnd(string text, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{' or '[':
                    depth++;
                    break;
                case '}' or ']':
                    if (--depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }
}
