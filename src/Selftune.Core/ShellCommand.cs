using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Selftune.Core.Skills;

namespace Selftune.Core;

/// <summary>
/// The one place where command lines shown to people and agents are built (<c>next_command</c>, run reports, error
/// messages): agents run them as they are, so every value put into one is POSIX-shell quoted, and a skill name that is
/// not a valid skill name is never put into one. Write the command as an interpolated string: literal text is kept as
/// written, each hole is quoted when it needs it (<c>it's</c> → <c>'it'\''s'</c>), and a hole formatted
/// <c>:skill</c> must hold a valid skill name (<see cref="SkillNames.Problem"/>) or no command is built at all.
/// </summary>
/// <example><c>ShellCommand.Line($"selftune watch --skill {skill:skill}")</c> is <c>selftune watch --skill pdf</c>, and null
/// for the skill name <c>rep$(touch x)</c>.</example>
internal static class ShellCommand
{
    /// <summary>The format that marks a hole as a skill name.</summary>
    public const string SkillFormat = "skill";

    /// <summary>Builds a command line; see <see cref="ShellCommand"/>.</summary>
    /// <returns>The command, or null when a <c>:skill</c> hole held an invalid skill name (say why with
    /// <see cref="SkillNames.Problem"/>).</returns>
    public static string? Line([InterpolatedStringHandlerArgument] ref ShellCommandHandler command) => command.Result;

    /// <summary><paramref name="value"/> as one POSIX shell word: as it is when it holds only characters no shell treats
    /// specially (letters, digits and <c>_@%+=:,./-</c>), else in single quotes, each <c>'</c> written <c>'\''</c>.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length > 0 && value.All(IsPlain) ? value : Quoted(value);
    }

    /// <summary><paramref name="value"/> always in POSIX single quotes (each <c>'</c> written <c>'\''</c>): how messages
    /// echo a value the user gave, so that no value can pass for part of the sentence or of a command. Null is <c>''</c>.</summary>
    public static string Quoted(string? value) => "'" + (value ?? string.Empty).Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '@' or '%' or '+' or '=' or ':' or ',' or '.' or '/' or '-';
}

/// <summary>Builds a <see cref="ShellCommand.Line"/>: literals as written, holes quoted, <c>:skill</c> holes checked.</summary>
[InterpolatedStringHandler]
internal ref struct ShellCommandHandler
{
    private readonly StringBuilder _text;
    private bool _refused;

    /// <summary>Called by the compiler for each interpolated string.</summary>
    public ShellCommandHandler(int literalLength, int formattedCount)
    {
        _text = new StringBuilder(literalLength + (formattedCount * 16));
        _refused = false;
    }

    /// <summary>The command, or null when a skill name was refused.</summary>
    internal readonly string? Result => _refused ? null : _text.ToString();

    /// <summary>Literal text of the command, kept as written.</summary>
    public readonly void AppendLiteral(string value) => _text.Append(value);

    /// <summary>A value: quoted when it needs it.</summary>
    public readonly void AppendFormatted<T>(T value) => _text.Append(ShellCommand.Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty));

    /// <summary>A value with a format: <c>skill</c> checks a skill name (an invalid one refuses the command); any other
    /// format is applied, then the text quoted.</summary>
    public void AppendFormatted<T>(T value, string? format)
    {
        if (format == ShellCommand.SkillFormat)
        {
            var name = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
            _refused |= SkillNames.Problem(name) is not null;
            _text.Append(ShellCommand.Quote(name));
            return;
        }

        _text.Append(ShellCommand.Quote(value is IFormattable f ? f.ToString(format, CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty));
    }
}
