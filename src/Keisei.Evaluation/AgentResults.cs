using System.Text.Json;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Shogi;

namespace Keisei.Evaluation;

/// <summary>One game of an evaluation from its agent's side: score, colour, length, ending, opponent, pair and game index.</summary>
public readonly record struct AgentGame(double Score, Color Color, int Plies, TerminationReason Reason, string Opponent, int Pair, int Index);

/// <summary>
/// The figures of an evaluation from its agent's games: W-D-L, pentanomial pairs, Elo with intervals, per-opponent results
/// and the SPRT. The runner computes them while it plays; <see cref="FromStore"/> rebuilds them from stored games (a
/// running evaluation on the dashboard), so both show the same numbers.
/// </summary>
public static class AgentResults
{
    /// <summary>Colour-swapped pairs: the pairs with both games played, scored in game order.</summary>
    public static PairCounts Pairs(IEnumerable<AgentGame> games) =>
        PairCounts.FromPairs(games.GroupBy(g => g.Pair).Where(p => p.Count() == 2)
            .Select(p => p.OrderBy(g => g.Index).ToArray()).Select(p => (p[0].Score, p[1].Score)));

    /// <summary>The SPRT on the agent's pairs (its games when none are paired), or null without parameters or games.</summary>
    public static SprtResult? Sprt(SprtParameters? parameters, IReadOnlyCollection<AgentGame> games)
    {
        if (parameters is null || games.Count == 0) return null;
        var pairs = Pairs(games);
        return pairs.Pairs > 0 ? Statistics.Sprt.Evaluate(parameters, pairs) : Statistics.Sprt.Evaluate(parameters, WdlCounts.FromScores(games.Select(g => g.Score)));
    }

    /// <summary>Results against each opponent, by opponent name.</summary>
    public static IReadOnlyList<OpponentResult> Opponents(IEnumerable<AgentGame> games) =>
        games.GroupBy(g => g.Opponent).OrderBy(g => g.Key, StringComparer.Ordinal).Select(group =>
        {
            var list = group.ToList();
            var counts = WdlCounts.FromScores(list.Select(g => g.Score));
            var pairs = Pairs(list);
            return new OpponentResult(group.Key, counts,
                WdlCounts.FromScores(list.Where(g => g.Color == Color.Black).Select(g => g.Score)),
                WdlCounts.FromScores(list.Where(g => g.Color == Color.White).Select(g => g.Score)),
                pairs, EloEstimate.FromCounts(counts), pairs.Pairs > 0 ? EloEstimate.FromPairs(pairs) : null,
                MatchSummary.From(list.Select(g => new GameOutcome(g.Score, g.Color, g.Plies, g.Reason))));
        }).ToList();

    /// <summary>
    /// The report of a stored evaluation rebuilt from its stored games (<paramref name="games"/>: the evaluation's, any order;
    /// <paramref name="names"/>: player id → name). Benchmark cases and pool ratings are not part of it (they need the plan
    /// and the whole pool); the SPRT uses the parameters the evaluation was planned with. A running evaluation's elapsed time
    /// runs to <paramref name="now"/>.
    /// </summary>
    public static EvaluationReport FromStore(StoredEvaluation evaluation, IReadOnlyList<StoredGame> games, IReadOnlyDictionary<long, string> names,
        DateTimeOffset now)
    {
        long agent = evaluation.AgentPlayerId;
        var agentGames = games.Where(g => g.EvaluationId == evaluation.Id && g.ScoreOf(agent) is not null)
            .Select(g =>
            {
                bool black = g.BlackPlayerId == agent;
                return new AgentGame(g.ScoreOf(agent)!.Value, black ? Color.Black : Color.White, g.Plies, g.Termination,
                    names[black ? g.WhitePlayerId : g.BlackPlayerId], g.PairIndex, g.GameIndex);
            }).ToList();
        var total = WdlCounts.FromScores(agentGames.Select(g => g.Score));
        var totalPairs = Pairs(agentGames);
        return new EvaluationReport(evaluation.Id, evaluation.Status, evaluation.Strategy, names[agent], evaluation.PlannedGames,
            games.Count(g => g.EvaluationId == evaluation.Id), total, EloEstimate.FromCounts(total), totalPairs.Pairs > 0 ? EloEstimate.FromPairs(totalPairs) : null,
            Opponents(agentGames), Sprt(PlannedSprt(evaluation), agentGames), [], null, [], (evaluation.FinishedAt ?? now) - evaluation.CreatedAt);
    }

    /// <summary>The SPRT parameters an evaluation was planned with (its stored plan's <c>sprt</c>), or null for none.</summary>
    /// <exception cref="ResultsStoreException">The stored plan is not JSON or its <c>sprt</c> cannot be read.</exception>
    public static SprtParameters? PlannedSprt(StoredEvaluation evaluation)
    {
        try
        {
            using var plan = JsonDocument.Parse(evaluation.ConfigJson);
            if (plan.RootElement.ValueKind != JsonValueKind.Object || !plan.RootElement.TryGetProperty("sprt", out var sprt) || sprt.ValueKind == JsonValueKind.Null)
                return null;
            return SprtParameters.Parse(sprt.GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new ResultsStoreException($"Evaluation {evaluation.Id}: its stored plan's sprt cannot be read: {e.Message}", e);
        }
    }
}
