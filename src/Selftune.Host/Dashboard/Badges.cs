using System.Globalization;
using System.Security;
using Selftune.Core.Reports;

namespace Selftune.Host.Dashboard;

/// <summary>A skill's badge (shields.io's flat layout): its name, then its trigger rate and trend, coloured by its
/// <c>status</c> health.</summary>
internal static class Badges
{
    /// <summary>The badge's SVG.</summary>
    /// <param name="skill">The skill's status record.</param>
    public static string Svg(SkillStatus skill)
    {
        ArgumentNullException.ThrowIfNull(skill);
        var arrow = skill.Trend switch { "up" => " ↑", "down" => " ↓", "stable" => " →", _ => string.Empty };
        var value = skill.Health == SkillHealth.Unused ? "unused"
            : skill.TriggerRate is { } rate ? rate.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", string.Empty, StringComparison.Ordinal) + arrow
            : "no data";
        var colour = skill.Health switch
        {
            SkillHealth.Critical => "#e05d44",
            SkillHealth.Warning => "#dfb317",
            SkillHealth.Healthy => "#4c1",
            _ => "#9f9f9f",
        };
        var label = SecurityElement.Escape(skill.Name);
        var text = SecurityElement.Escape(value);
        var left = 10 + (int)(skill.Name.Length * 6.5);
        var right = 10 + (int)(value.Length * 7);
        var width = left + right;
        var title = SecurityElement.Escape($"{skill.Name}: trigger rate {value}, {Core.Json.Name(skill.Health).Replace('_', ' ')}");
        return string.Create(CultureInfo.InvariantCulture, $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{title}"><title>{title}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/><rect x="{left}" width="{right}" height="20" fill="{colour}"/><rect width="{width}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="{left / 2.0:0.#}" y="14">{label}</text><text x="{left + right / 2.0:0.#}" y="14">{text}</text></g></svg>

            """);
    }
}
