using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Selftune.Core;
using Selftune.Core.Configuration;
using Selftune.Core.Scheduling;

namespace Selftune.Host.Cli;

/// <summary>
/// The checks options get while the command line is parsed, in one place: a value outside its range or set is refused
/// before the command runs, exit code 2, with an error naming what is accepted (<c>--candidates must be a whole
/// number from 1 to 10 (was -1).</c>). An option that overrides a setting accepts exactly what the setting accepts
/// (<see cref="ConfigKey.Problem"/>).
/// </summary>
internal static class OptionRules
{
    /// <summary>Accepts what the setting <paramref name="key"/> accepts (<c>--candidates</c> ↔ <c>evolve.candidates</c>).</summary>
    public static Option<int?> Like(this Option<int?> option, ConfigKey key) =>
        option.Check(text => key.Problem(text) is null ? null : key.Accepts);

    /// <summary>Accepts what the setting <paramref name="key"/> accepts (<c>--llm</c> ↔ <c>llm.backend</c>); the accepted
    /// values of a choice are offered to shell completion.</summary>
    public static Option<string?> Like(this Option<string?> option, ConfigKey key)
    {
        if (key.Values.Count > 0)
        {
            option.CompletionSources.Add(key.Values.ToArray());
        }

        return option.Check(text => key.Problem(text) is null ? null : key.Accepts);
    }

    /// <summary>Accepts one of <paramref name="values"/> (offered to shell completion).</summary>
    public static Option<string?> OneOf(this Option<string?> option, params string[] values)
    {
        option.CompletionSources.Add(values);
        return option.Check(text => values.Contains(text, StringComparer.Ordinal) ? null : string.Join(", ", values[..^1]) + " or " + values[^1]);
    }

    /// <summary>Accepts whole numbers from <paramref name="minimum"/> up (to <paramref name="maximum"/> when given).</summary>
    public static Option<int> Between(this Option<int> option, int minimum, int maximum = int.MaxValue) =>
        option.Check(text => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= minimum && n <= maximum
            ? null
            : maximum == int.MaxValue ? $"a whole number of at least {minimum}" : $"a whole number from {minimum} to {maximum}");

    /// <summary>Accepts a date: <c>YYYY-MM-DD</c> or ISO-8601 (UTC when no offset is given); see <see cref="ParseDate"/>.</summary>
    public static Option<string?> Date(this Option<string?> option) =>
        option.Check(text => TryParseDate(text, out _) ? null : "a date, YYYY-MM-DD or ISO-8601");

    /// <summary>Accepts a schedule interval (<see cref="ScheduleInterval.Parse"/>: <c>5m</c>-<c>30m</c> dividing an hour,
    /// <c>1h</c>-<c>12h</c> dividing a day, or <c>1d</c>).</summary>
    public static Option<string> Interval(this Option<string> option) =>
        option.Check(text =>
        {
            try
            {
                ScheduleInterval.Parse(text);
                return null;
            }
            catch (SelftuneException)
            {
                return ScheduleInterval.Accepts;
            }
        });

    /// <summary>Refuses platform names that no loaded plugin provides (<c>sync --platform</c>, <c>install --agent</c>): the
    /// known ones come from the plugins, never from a list here.</summary>
    /// <param name="option">The option, as the error names it.</param>
    /// <param name="given">The names given.</param>
    /// <param name="known">The platforms of the loaded plugins that can do what was asked.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.InvalidArgument"/> (exit code 2) listing the known platforms.</exception>
    public static void RequirePlatforms(string option, IEnumerable<string> given, IEnumerable<string> known)
    {
        var names = known.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (given.Where(g => !names.Contains(g, StringComparer.Ordinal)).ToList() is { Count: > 0 } unknown)
        {
            throw new SelftuneException(
                ErrorCodes.InvalidArgument,
                $"{option} {string.Join(", ", unknown.Select(ShellCommand.Quoted))}: no loaded plugin provides {(unknown.Count == 1 ? "that platform" : "those platforms")}; known platforms: {(names.Count == 0 ? "none (no plugin loaded)" : string.Join(", ", names))}.{Suggest.DidYouMean(unknown[0], names)}",
                "selftune plugins",
                exitCode: 2);
        }
    }

    /// <summary>The value of a <see cref="Date"/> option, or null when it was not given.</summary>
    public static DateTimeOffset? ParseDate(string? text) =>
        text is null ? null
        : TryParseDate(text, out var date) ? date
        : throw new SelftuneException(ErrorCodes.InvalidArgument, $"{ShellCommand.Quoted(text)} is not a date; use YYYY-MM-DD or ISO-8601.", exitCode: 2);

    private static bool TryParseDate(string text, out DateTimeOffset date) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date);

    /// <summary>Adds a validator: <paramref name="accepts"/> gets each value given as text and returns null when it is
    /// accepted, else the phrase that says what is (the error reads <c>--name must be PHRASE (was 'value').</c>).</summary>
    private static T Check<T>(this T option, Func<string, string?> accepts) where T : Option
    {
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (accepts(token.Value) is { } phrase)
                {
                    result.AddError($"{option.Name} must be {phrase} (was {ShellCommand.Quoted(token.Value)}).");
                }
            }
        });
        return option;
    }
}
