using System.Collections.Immutable;

namespace Keisei.Evaluation.Statistics;

/// <summary>Game-by-game Elo per player, as the Python Keisei kept it (initial 1500, K = 32): a cheap live indicator, not a fitted rating.</summary>
/// <remarks>Expected E_A = 1/(1 + 10^((R_B − R_A)/400)); after a game R_A' = R_A + K(S_A − E_A) and R_B' = R_B + K((1 − S_A) − E_B).
/// Each update returns a new instance; unknown players start at the initial rating.</remarks>
public sealed record IncrementalElo
{
    /// <summary>The Python Keisei's starting rating.</summary>
    public const double DefaultInitialRating = 1500;

    /// <summary>The Python Keisei's K-factor.</summary>
    public const double DefaultK = 32;

    /// <summary>An empty table with the given initial rating and K-factor.</summary>
    public IncrementalElo(double initialRating = DefaultInitialRating, double k = DefaultK)
    {
        if (!double.IsFinite(initialRating))
        {
            throw new ArgumentOutOfRangeException(nameof(initialRating), initialRating, "the initial rating must be finite");
        }

        if (!(k > 0) || !double.IsFinite(k))
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "K must be a positive finite number");
        }

        InitialRating = initialRating;
        K = k;
        Ratings = ImmutableSortedDictionary.Create<string, double>(StringComparer.Ordinal);
        GameCounts = ImmutableSortedDictionary.Create<string, int>(StringComparer.Ordinal);
    }

    public double InitialRating { get; }
    public double K { get; }

    /// <summary>Current rating of every player that has played.</summary>
    public ImmutableSortedDictionary<string, double> Ratings { get; private init; }

    /// <summary>Games played by every player that has played.</summary>
    public ImmutableSortedDictionary<string, int> GameCounts { get; private init; }

    /// <summary>The player's current rating (the initial rating if it has not played).</summary>
    public double Rating(string player) => Ratings.TryGetValue(player, out var r) ? r : InitialRating;

    /// <summary>Expected score of a player rated <paramref name="ratingA"/> against one rated <paramref name="ratingB"/>.</summary>
    public static double Expected(double ratingA, double ratingB) => 1.0 / (1.0 + Math.Pow(10.0, (ratingB - ratingA) / 400.0));

    /// <summary>Both new ratings after one game in which A scored <paramref name="scoreA"/> (0, 0.5 or 1).</summary>
    public static (double A, double B) Updated(double ratingA, double ratingB, double scoreA, double k = DefaultK)
    {
        GameScore.Validate(scoreA);
        var expectedA = Expected(ratingA, ratingB);
        var expectedB = Expected(ratingB, ratingA);
        return (ratingA + k * (scoreA - expectedA), ratingB + k * ((1 - scoreA) - expectedB));
    }

    /// <summary>The table after one game between <paramref name="playerA"/> and <paramref name="playerB"/> in which A scored <paramref name="scoreA"/>.</summary>
    public IncrementalElo Update(string playerA, string playerB, double scoreA)
    {
        ArgumentException.ThrowIfNullOrEmpty(playerA);
        ArgumentException.ThrowIfNullOrEmpty(playerB);
        if (playerA == playerB)
        {
            throw new ArgumentException($"player '{playerA}' cannot play against itself", nameof(playerB));
        }

        var (a, b) = Updated(Rating(playerA), Rating(playerB), scoreA, K);
        return this with
        {
            Ratings = Ratings.SetItem(playerA, a).SetItem(playerB, b),
            GameCounts = GameCounts.SetItem(playerA, GameCounts.GetValueOrDefault(playerA) + 1)
                .SetItem(playerB, GameCounts.GetValueOrDefault(playerB) + 1),
        };
    }

    /// <summary>The table after a sequence of games, applied in order.</summary>
    public IncrementalElo UpdateAll(IEnumerable<PairwiseGame> games)
    {
        ArgumentNullException.ThrowIfNull(games);
        var table = this;
        foreach (var g in games)
        {
            table = table.Update(g.PlayerA, g.PlayerB, g.ScoreA);
        }

        return table;
    }
}
