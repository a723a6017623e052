using System.Text.Json.Nodes;
using Keisei.Evaluation.Statistics;

namespace Keisei.Evaluation;

/// <summary>The JSON form of an evaluation report (stored with the evaluation and printed by <c>--json</c>).</summary>
public static class ReportJson
{
    public static JsonObject Summary(EvaluationReport r)
    {
        var o = new JsonObject
        {
            ["evaluation_id"] = r.EvaluationId,
            ["status"] = Storage.SnakeCaseName.Of(r.Status),
            ["strategy"] = r.Strategy,
            ["agent"] = r.Agent,
            ["planned_games"] = r.PlannedGames,
            ["played_games"] = r.PlayedGames,
            ["elapsed_s"] = Math.Round(r.Elapsed.TotalSeconds, 3),
            ["total"] = Estimate(r.Total, r.TotalElo, r.TotalPairElo),
            ["opponents"] = new JsonArray(r.Opponents.Select(op =>
            {
                var e = Estimate(op.Counts, op.Elo, op.PairElo);
                e["opponent"] = op.Opponent;
                e["as_black"] = Wdl(op.AsBlack);
                e["as_white"] = Wdl(op.AsWhite);
                e["pairs"] = new JsonObject
                {
                    ["LL"] = op.Pairs.LL, ["LD"] = op.Pairs.LD, ["WL"] = op.Pairs.WL, ["DD"] = op.Pairs.DD, ["WD"] = op.Pairs.WD, ["WW"] = op.Pairs.WW,
                };
                e["game_length"] = new JsonObject
                {
                    ["min"] = op.Summary.Lengths.Min, ["median"] = op.Summary.Lengths.Median, ["mean"] = Number(op.Summary.Lengths.Mean),
                    ["p90"] = op.Summary.Lengths.P90, ["max"] = op.Summary.Lengths.Max,
                };
                e["terminations"] = new JsonObject(op.Summary.Terminations.Select(t => KeyValuePair.Create(t.Key.ToString(), (JsonNode?)t.Value)));
                return (JsonNode)e;
            }).ToArray()),
        };
        if (r.Clock is { } c)
            o["clock"] = new JsonObject
            {
                ["time_control"] = c.TimeControl.ToString(), ["games"] = c.Games, ["time_losses"] = c.TimeLosses,
                ["least_time_left_ms"] = c.LeastLeftMs, ["longest_move_ms"] = c.LongestMoveMs,
            };
        if (r.Sprt is { } s)
            o["sprt"] = new JsonObject { ["llr"] = Number(s.Llr), ["lower"] = Number(s.LowerBound), ["upper"] = Number(s.UpperBound), ["decision"] = s.Decision.ToString() };
        if (r.Benchmark.Count > 0)
        {
            o["benchmark"] = new JsonArray(r.Benchmark.Select(b => (JsonNode)new JsonObject
            {
                ["case"] = b.Case, ["opponent"] = b.Opponent, ["wdl"] = Wdl(b.Counts), ["required_score"] = b.RequiredScore, ["passed"] = b.Passed,
            }).ToArray());
            o["benchmark_pass_rate"] = r.BenchmarkPassRate;
        }
        o["pool"] = Pool(r.Pool);
        return o;
    }

    public static JsonArray Pool(IReadOnlyList<PoolRating> pool) => new(pool.Select(p => (JsonNode)new JsonObject
    {
        ["name"] = p.Name,
        ["rating"] = Number(p.Rating),
        ["se"] = Number(p.StandardError),
        ["ci95"] = Number(p.StandardError * Normal.Z95),
        ["games"] = p.Games,
        ["score"] = Number(p.Score),
        ["los_vs_next"] = Number(p.LosVsNext),
        ["rated"] = p.Rated,
        ["incremental_elo"] = Number(p.IncrementalElo),
    }).ToArray());

    private static JsonObject Estimate(WdlCounts counts, EloEstimate elo, EloEstimate? pairElo)
    {
        var o = new JsonObject
        {
            ["games"] = counts.Games,
            ["wins"] = counts.Wins,
            ["draws"] = counts.Draws,
            ["losses"] = counts.Losses,
            ["score"] = Number(elo.Score),
            ["score_ci95"] = new JsonArray(Number(elo.ScoreInterval.Lower), Number(elo.ScoreInterval.Upper)),
            ["win_rate"] = Number(elo.WinRate.Estimate),
            ["win_rate_ci95"] = new JsonArray(Number(elo.WinRate.Lower), Number(elo.WinRate.Upper)),
            ["elo"] = Number(elo.Elo),
            ["elo_ci95"] = Number(elo.EloHalfWidth),
            ["nelo"] = Number(elo.NElo),
            ["los"] = Number(elo.Los),
        };
        if (pairElo is not null)
        {
            o["pentanomial_elo"] = Number(pairElo.Elo);
            o["pentanomial_elo_ci95"] = Number(pairElo.EloHalfWidth);
        }
        return o;
    }

    private static JsonObject Wdl(WdlCounts c) => new() { ["wins"] = c.Wins, ["draws"] = c.Draws, ["losses"] = c.Losses };

    /// <summary>A finite number rounded for reading, or null (JSON has no infinity or NaN).</summary>
    private static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 4)) : null;
}
