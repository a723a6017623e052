using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Keisei.Cli;

/// <summary>
/// Range checks for numeric options, run by System.CommandLine while parsing: NaN, infinities and values outside
/// [min, max] (or (min, max] with <c>minExclusive</c>) are parse errors that name the option, what was expected and what
/// was found. Every numeric option of every command declares its range here.
/// </summary>
internal static class OptionRules
{
    /// <summary>Seconds in a day: the longest a single move may take.</summary>
    public const double DaySeconds = 86_400;

    /// <summary>Minutes in a year: the longest wall-clock budget a command accepts.</summary>
    public const double YearMinutes = 525_600;

    public static Option<T> InRange<T>(this Option<T> option, T min, T max, bool minExclusive = false, string? unit = null)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (Value<T>(result) is { } value) Check(result, option.Name, value, min, max, minExclusive, unit);
        });
        option.Description += " " + Describe(min, max, minExclusive, unit) + ".";
        return option;
    }

    public static Option<T?> InRange<T>(this Option<T?> option, T min, T max, bool minExclusive = false, string? unit = null)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (Value<T>(result) is { } value) Check(result, option.Name, value, min, max, minExclusive, unit);
        });
        option.Description += " " + Describe(min, max, minExclusive, unit) + ".";
        return option;
    }

    /// <summary>The option's value, or null when it was not given or could not be read as a number (that parse error is reported on its own).</summary>
    private static T? Value<T>(OptionResult result) where T : struct, INumber<T>
    {
        try
        {
            return result.GetValueOrDefault<T?>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static void Check<T>(OptionResult result, string name, T value, T min, T max, bool minExclusive, string? unit) where T : struct, INumber<T>
    {
        bool ok = T.IsFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
        if (!ok) result.AddError($"{name}: expected {Describe(min, max, minExclusive, unit)}, found {Text(value)}");
    }

    private static string Describe<T>(T min, T max, bool minExclusive, string? unit) where T : struct, INumber<T>
    {
        string what = unit ?? (T.IsInteger(min) && T.IsInteger(max) && typeof(T) != typeof(double) && typeof(T) != typeof(float) ? "an integer" : "a number");
        return minExclusive ? $"{what} > {Text(min)} and <= {Text(max)}" : $"{what} in {Text(min)}..{Text(max)}";
    }

    private static string Text<T>(T value) where T : struct, INumber<T> => value.ToString(null, CultureInfo.InvariantCulture);
}
