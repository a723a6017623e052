using System.Collections.Concurrent;
using System.Text.Json;

namespace Keisei.Evaluation.Storage;

/// <summary>The snake_case text an enum member is stored and printed as (<c>RolledBack</c> is <c>rolled_back</c>), and back.</summary>
public static class SnakeCaseName
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, object>> Names = new();

    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    /// <summary>Every member's text, in declaration order.</summary>
    public static IReadOnlyList<string> All<TEnum>() where TEnum : struct, Enum => [.. Enum.GetValues<TEnum>().Select(Of)];

    public static bool TryParse<TEnum>(string text, out TEnum value) where TEnum : struct, Enum
    {
        var names = Names.GetOrAdd(typeof(TEnum), _ => Enum.GetValues<TEnum>().ToDictionary(Of, v => (object)v, StringComparer.Ordinal));
        bool found = names.TryGetValue(text, out var boxed);
        value = found ? (TEnum)boxed! : default;
        return found;
    }

    /// <exception cref="ArgumentException"><paramref name="text"/> names no member.</exception>
    public static TEnum Parse<TEnum>(string text) where TEnum : struct, Enum => TryParse(text, out TEnum value)
        ? value
        : throw new ArgumentException($"'{text}' is not one of {string.Join(", ", All<TEnum>())}.", nameof(text));
}
