using System.Collections.Concurrent;
using System.Text.Json;

namespace Keisei.Evaluation.Storage;

/// <summary>A registered checkpoint: in the run's pool, or moved aside by a rollback. Stored as <c>active</c>, <c>rolled_back</c>.</summary>
public enum CheckpointStatus
{
    Active,
    RolledBack,
}

/// <summary>
/// A champion entry: the current champion, one a later promotion replaced, or one a rollback undid. Stored as <c>active</c>,
/// <c>replaced</c>, <c>rolled_back</c>.
/// </summary>
public enum ChampionStatus
{
    Active,
    Replaced,
    RolledBack,
}

/// <summary>
/// Where an evaluation stands or how it ended. Stored and printed in snake_case (<c>sprt_accepted_h1</c>). The last two
/// are the background service's own outcomes (a job that ran out of time or was cancelled) and are never stored.
/// </summary>
public enum EvaluationStatus
{
    Running,
    Completed,
    Stopped,
    Failed,
    GatePassed,
    GateFailed,
    SprtAcceptedH1,
    SprtAcceptedH0,
    TimedOut,
    Cancelled,
}

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
