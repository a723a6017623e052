using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Shogi;

namespace Keisei.Evaluation;

/// <summary>One player's fitted rating in the whole pool.</summary>
/// <param name="Rated">False when the rating only exists thanks to regularisation (all wins, all losses, or not connected).</param>
/// <param name="LosVsNext">Probability of being stronger than the next player down the table; NaN for the last.</param>
/// <param name="IncrementalElo">The cheap live indicator (initial 1500, K 32) kept for compatibility.</param>
public sealed record PoolRating(string Name, double Rating, double StandardError, int Games, double Score, double LosVsNext, bool Rated,
    string? Anchor, double IncrementalElo);

/// <summary>Fits Bradley–Terry ratings over every game in a results store.</summary>
public static class PoolRatings
{
    /// <summary>
    /// Ratings of every player with games, highest first; <paramref name="anchor"/> is held at 1500 (null: the pool's mean is 1500).
    /// <paramref name="seriesOrder"/> (a checkpoint series, oldest first) adds KataGo's weak prior of virtual draws between neighbours.
    /// </summary>
    public static IReadOnlyList<PoolRating> Fit(ResultsStore store, string? anchor, IReadOnlyList<string>? seriesOrder = null, double seriesPriorDraws = 2)
    {
        var players = store.Players().ToDictionary(p => p.Id);
        var games = store.Games()
            .Where(g => g.Result != GameResult.Ongoing)
            .Select(g => new PairwiseGame(players[g.BlackPlayerId].Name, players[g.WhitePlayerId].Name, g.ScoreOf(g.BlackPlayerId)!.Value))
            .ToList();
        if (games.Count == 0) return [];
        var played = games.SelectMany(g => new[] { g.PlayerA, g.PlayerB }).ToHashSet();
        if (anchor is not null && !played.Contains(anchor)) anchor = null;
        var fit = BradleyTerry.Fit(games, new BradleyTerryOptions
        {
            Anchor = anchor,
            ReferenceRating = 1500,
            SeriesOrder = seriesOrder?.Where(played.Contains).ToList(),
            SeriesPriorDraws = seriesOrder is null ? 0 : seriesPriorDraws,
        });
        var byName = players.Values.ToDictionary(p => p.Name);
        return fit.Ratings.Select(r => new PoolRating(r.Player, r.Rating, r.StandardError, r.Games, r.Score, r.LosOverNext, !r.DependsOnRegularization,
            anchor, byName[r.Player].IncrementalElo)).ToList();
    }
}
