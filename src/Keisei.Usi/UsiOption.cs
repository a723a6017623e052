using System.Globalization;

namespace Keisei.Usi;

/// <summary>The type of an option an engine advertises.</summary>
public enum UsiOptionType
{
    Unknown,
    Check,
    Spin,
    Combo,
    Button,
    String,
    Filename,
}

/// <summary>An option advertised by an engine in its <c>option name ... type ...</c> line.</summary>
public sealed record UsiOption
{
    public required string Name { get; init; }

    public required UsiOptionType Type { get; init; }

    /// <summary>The type word as the engine wrote it.</summary>
    public required string TypeName { get; init; }

    /// <summary>The default value; an advertised <c>&lt;empty&gt;</c> is the empty string.</summary>
    public string? Default { get; init; }

    public long? Min { get; init; }

    public long? Max { get; init; }

    /// <summary>The choices of a combo option.</summary>
    public IReadOnlyList<string> Vars { get; init; } = [];

    /// <summary>Parses an <c>option</c> line; null if it has no name or no type.</summary>
    public static UsiOption? TryParse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var tokens = UsiTokens.Split(line);
        if (tokens.Length == 0 || tokens[0] != "option") return null;
        string? name = null, type = null, defaultValue = null;
        long? min = null, max = null;
        var vars = new List<string>();
        int i = 1;
        while (i < tokens.Length)
        {
            string key = tokens[i++];
            int start = i;
            // A value runs to the next keyword; names and string defaults may contain spaces.
            while (i < tokens.Length && !IsKeyword(tokens[i])) i++;
            string value = string.Join(' ', tokens[start..i]);
            switch (key)
            {
                case "name": name = value; break;
                case "type": type = value; break;
                case "default": defaultValue = value; break;
                case "min": min = ParseLong(value); break;
                case "max": max = ParseLong(value); break;
                case "var": vars.Add(value); break;
            }
        }
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(type)) return null;
        return new UsiOption
        {
            Name = name,
            TypeName = type,
            Type = type switch
            {
                "check" => UsiOptionType.Check,
                "spin" => UsiOptionType.Spin,
                "combo" => UsiOptionType.Combo,
                "button" => UsiOptionType.Button,
                "string" => UsiOptionType.String,
                "filename" => UsiOptionType.Filename,
                _ => UsiOptionType.Unknown,
            },
            Default = defaultValue == "<empty>" ? "" : defaultValue,
            Min = min,
            Max = max,
            Vars = vars,
        };
    }

    private static bool IsKeyword(string token) => token is "name" or "type" or "default" or "min" or "max" or "var";

    private static long? ParseLong(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : null;
}

internal static class UsiTokens
{
    private static readonly char[] Separators = [' ', '\t', '\r', '\n', '\f', '\v'];

    public static string[] Split(string line) => line.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
}
