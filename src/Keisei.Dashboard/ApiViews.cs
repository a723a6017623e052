using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keisei.Evaluation;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Shogi;
using Keisei.Shogi.Records;
using Keisei.Training;

namespace Keisei.Dashboard;

/// <summary>The JSON the dashboard's API answers with (snake_case keys, numbers rounded for reading, null for no number).</summary>
public static class ApiViews
{
    /// <summary>How recently a run must have written to count as active.</summary>
    public static readonly TimeSpan ActiveWindow = TimeSpan.FromMinutes(2);

    /// <summary>The opponents whose latest periodic-evaluation score the runs list shows.</summary>
    public static readonly IReadOnlyList<string> AnchorOpponents = ["random", "heuristic"];

    /// <summary>A run in the runs list: status, steps, time, latest scores against the anchors, champion.</summary>
    public static JsonObject RunSummary(RunState run, DateTimeOffset now)
    {
        run.Metrics.Update();
        var data = run.Data();
        var last = run.Metrics.Last();
        var activity = run.LastActivity();
        var scores = new JsonObject();
        foreach (string opponent in AnchorOpponents)
            if (run.Metrics.LastOf($"evaluation/vs_{opponent}/score") is { } point)
                scores[opponent] = new JsonObject { ["score"] = Number(point.Value), ["step"] = point.Step };
        return new JsonObject
        {
            ["name"] = run.Name,
            ["status"] = activity is { } a && now - a < ActiveWindow ? "active" : "idle",
            ["last_activity"] = activity?.ToString("O", CultureInfo.InvariantCulture),
            ["started"] = run.Metrics.Start?.ToString("O", CultureInfo.InvariantCulture),
            ["steps"] = last?.Step,
            ["elapsed_s"] = last is { } l ? Number(l.Seconds) : null,
            ["games"] = last?.Games,
            ["metric_rows"] = run.Metrics.Rows,
            ["scores"] = scores,
            ["champion"] = data.Champion is { } c ? Champion(run, c) : null,
            ["evaluations"] = data.Evaluations.Count,
            ["running_evaluations"] = data.Evaluations.Count(e => e.Status == EvaluationStatus.Running),
            ["stored_games"] = data.GameCount,
            ["data_version"] = data.Version,
            ["schema_version"] = data.Version < 0 ? null : data.SchemaVersion,
            ["schema_note"] = data.Version >= 0 && data.SchemaVersion < ResultsStore.CurrentSchemaVersion
                ? $"keisei.db has schema version {data.SchemaVersion} (this Keisei writes {ResultsStore.CurrentSchemaVersion}): it is shown as it is, without what later " +
                  "versions keep (move times, rollback reasons). Any keisei command that writes to it brings it up to date, e.g. " +
                  $"keisei rate --db {run.Run.DatabasePath}."
                : null,
        };
    }

    /// <summary>One run: its summary, the metric tags it has, its checkpoints and problems reading its metrics.</summary>
    public static JsonObject Run(RunState run, DateTimeOffset now)
    {
        var o = RunSummary(run, now);
        var data = run.Data();
        o["tags"] = new JsonArray([.. run.Metrics.Tags().Select(t => (JsonNode)t)]);
        o["checkpoints"] = new JsonArray([.. data.Checkpoints.Select(c => (JsonNode)new JsonObject
        {
            ["name"] = RunLedger.ParticipantName(run.Name, c.Path),
            ["file"] = Path.GetFileName(c.Path),
            ["timesteps"] = c.Timesteps,
            ["status"] = SnakeCaseName.Of(c.Status),
            ["created_at"] = c.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        })]);
        o["metric_problems"] = new JsonArray([.. run.Metrics.Problems.Select(p => (JsonNode)p)]);
        return o;
    }

    /// <summary>
    /// Metric points by tag, as parallel arrays (row, step, seconds since the run's first row, cumulative games, value), with
    /// the cursor (<c>rows</c>) to ask for what comes next.
    /// </summary>
    public static JsonObject Metrics(MetricsLog log, IReadOnlyDictionary<string, IReadOnlyList<MetricPoint>> series, bool downsampled, int since)
    {
        var bySeries = new JsonObject();
        foreach (var (tag, points) in series.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            bySeries[tag] = new JsonObject
            {
                ["row"] = new JsonArray([.. points.Select(p => (JsonNode)p.Row)]),
                ["step"] = new JsonArray([.. points.Select(p => (JsonNode)p.Step)]),
                ["time"] = new JsonArray([.. points.Select(p => (JsonNode)Math.Round(p.Seconds, 1))]),
                ["games"] = new JsonArray([.. points.Select(p => (JsonNode)p.Games)]),
                ["value"] = new JsonArray([.. points.Select(p => Number(p.Value, 6))]),
            };
        }
        int rows = series.Count == 0 ? log.Rows : Math.Max(since, series.Values.Max(p => p[^1].Row) + 1);
        return new JsonObject
        {
            ["since"] = since,
            ["rows"] = downsampled ? log.Rows : rows,
            ["total_rows"] = log.Rows,
            ["downsampled"] = downsampled,
            ["start_time"] = log.Start?.ToString("O", CultureInfo.InvariantCulture),
            ["series"] = bySeries,
        };
    }

    /// <summary>The ladder (the same JSON as <c>keisei rate --json</c>), rating over checkpoints, and the head-to-head matrix.</summary>
    public static JsonObject Ratings(RunState run)
    {
        var data = run.Data();
        var ladder = data.Ladder;
        var checkpointSteps = data.Checkpoints.GroupBy(c => RunLedger.ParticipantName(run.Name, c.Path)).ToDictionary(g => g.Key, g => g.First().Timesteps);
        var players = ladder.Select(r => r.Name).ToList();
        var index = players.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i);
        var wins = new int[players.Count, players.Count];
        var draws = new int[players.Count, players.Count];
        foreach (var g in data.Games)
        {
            if (g.Result == GameResult.Ongoing || !index.TryGetValue(data.Names[g.BlackPlayerId], out int b) || !index.TryGetValue(data.Names[g.WhitePlayerId], out int w)) continue;
            if (g.Result == GameResult.BlackWin) wins[b, w]++;
            else if (g.Result == GameResult.WhiteWin) wins[w, b]++;
            else
            {
                draws[b, w]++;
                draws[w, b]++;
            }
        }
        var matrix = new JsonArray();
        for (int i = 0; i < players.Count; i++)
        {
            var row = new JsonArray();
            for (int j = 0; j < players.Count; j++)
                row.Add(i == j || wins[i, j] + wins[j, i] + draws[i, j] == 0 ? null
                    : new JsonObject { ["wins"] = wins[i, j], ["draws"] = draws[i, j], ["losses"] = wins[j, i] });
            matrix.Add(row);
        }
        return new JsonObject
        {
            ["anchor"] = ladder.FirstOrDefault()?.Anchor,
            ["games"] = data.Games.Count,
            ["players"] = ReportJson.Pool(ladder),
            ["checkpoints"] = new JsonArray([.. ladder.Where(r => checkpointSteps.ContainsKey(r.Name)).OrderBy(r => checkpointSteps[r.Name]).Select(r => (JsonNode)new JsonObject
            {
                ["name"] = r.Name,
                ["timesteps"] = checkpointSteps[r.Name],
                ["rating"] = Number(r.Rating),
                ["ci95"] = Number(r.StandardError * Normal.Z95),
                ["rated"] = r.Rated,
            })]),
            ["head_to_head"] = new JsonObject
            {
                ["players"] = new JsonArray([.. players.Select(p => (JsonNode)p)]),
                ["results"] = matrix,
            },
        };
    }

    /// <summary>
    /// The champion and its history (each promotion with its evidence: the reason, the gate's mode, W-D-L, score, Elo, LLR),
    /// the rollbacks (each with its time, the champion and checkpoint before and after, the checkpoints moved aside and its
    /// reason; none for a database from before they were kept), the checkpoints marked rolled back, and the gate matches
    /// (evaluations whose agent is one of the run's checkpoints) with their results, newest first.
    /// </summary>
    public static JsonObject ChampionHistory(RunState run)
    {
        var data = run.Data();
        // In a training run only a gate match has one of the run's checkpoints as its agent (periodic evaluations play the
        // in-memory snapshot, run@tsN).
        var checkpointNames = data.Checkpoints.Select(k => RunLedger.ParticipantName(run.Name, k.Path)).ToHashSet(StringComparer.Ordinal);
        var gates = data.Evaluations.Where(e => data.Names.TryGetValue(e.AgentPlayerId, out var agent) && checkpointNames.Contains(agent)).OrderByDescending(e => e.Id);
        return new JsonObject
        {
            ["champion"] = data.Champion is { } c ? Champion(run, c) : null,
            ["history"] = new JsonArray([.. data.Champions.Select(h => (JsonNode)Champion(run, h))]),
            ["rollbacks"] = new JsonArray([.. data.Rollbacks.Select(r => (JsonNode)new JsonObject
            {
                ["id"] = r.Id,
                ["rolled_back_at"] = r.RolledBackAt.ToString("O", CultureInfo.InvariantCulture),
                ["target"] = r.Target,
                ["from_champion"] = r.FromChampion is { } fc ? RunLedger.ParticipantName(run.Name, fc) : null,
                ["to_champion"] = r.ToChampion is { } tc ? RunLedger.ParticipantName(run.Name, tc) : null,
                ["from_checkpoint"] = r.FromCheckpoint,
                ["to_checkpoint"] = r.ToCheckpoint,
                ["to_timesteps"] = r.ToTimesteps,
                ["moved"] = r.Moved,
                ["reason"] = r.Reason,
            })]),
            ["rolled_back_checkpoints"] = new JsonArray([.. data.Checkpoints.Where(k => k.Status == CheckpointStatus.RolledBack).Select(k => (JsonNode)new JsonObject
            {
                ["file"] = Path.GetFileName(k.Path),
                ["path"] = k.Path,
                ["timesteps"] = k.Timesteps,
            })]),
            ["gates"] = new JsonArray([.. gates.Select(e => (JsonNode)EvaluationRow(data, e))]),
        };
    }

    private static JsonObject Champion(RunState run, StoredChampion c)
    {
        JsonNode? evidence;
        try
        {
            evidence = JsonNode.Parse(c.EvidenceJson);
        }
        catch (JsonException)
        {
            evidence = c.EvidenceJson;
        }
        return new JsonObject
        {
            ["id"] = c.Id,
            ["name"] = RunLedger.ParticipantName(run.Name, c.CheckpointPath),
            ["checkpoint"] = c.CheckpointPath,
            ["timesteps"] = c.Timesteps,
            ["status"] = SnakeCaseName.Of(c.Status),
            ["promoted_at"] = c.PromotedAt.ToString("O", CultureInfo.InvariantCulture),
            ["evidence"] = evidence,
        };
    }

    /// <summary>Every evaluation of the run, newest first, with its figures so far.</summary>
    public static JsonObject Evaluations(RunState run)
    {
        var data = run.Data();
        return new JsonObject
        {
            ["evaluations"] = new JsonArray([.. data.Evaluations.OrderByDescending(e => e.Id).Select(e => (JsonNode)EvaluationRow(data, e))]),
        };
    }

    private static JsonObject EvaluationRow(RunData data, StoredEvaluation e)
    {
        var report = data.Report(e);
        var o = new JsonObject
        {
            ["id"] = e.Id,
            ["status"] = SnakeCaseName.Of(e.Status),
            ["strategy"] = e.Strategy,
            ["agent"] = report.Agent,
            ["opponents"] = new JsonArray([.. report.Opponents.Select(op => (JsonNode)op.Opponent)]),
            ["planned_games"] = e.PlannedGames,
            ["played_games"] = report.PlayedGames,
            ["created_at"] = e.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["finished_at"] = e.FinishedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["wins"] = report.Total.Wins,
            ["draws"] = report.Total.Draws,
            ["losses"] = report.Total.Losses,
            ["score"] = Number(report.TotalElo.Score),
            ["elo"] = Number(report.TotalElo.Elo),
            ["elo_ci95"] = Number(report.TotalElo.EloHalfWidth),
        };
        if (report.Sprt is { } s)
            o["sprt"] = new JsonObject { ["llr"] = Number(s.Llr), ["lower"] = Number(s.LowerBound), ["upper"] = Number(s.UpperBound), ["decision"] = s.Decision.ToString() };
        return o;
    }

    /// <summary>
    /// One evaluation: its report rebuilt from the stored games (the JSON of <c>keisei evaluate --json</c>: W-D-L, pentanomial
    /// pairs, Elo ± 95 %, LLR and bounds), its plan, and its games.
    /// </summary>
    public static JsonObject Evaluation(RunState run, long id)
    {
        var data = run.Data();
        var e = data.Evaluations.FirstOrDefault(x => x.Id == id) ?? throw new NotFoundException($"run {run.Name} has no evaluation {id} (evaluations: {string.Join(", ", data.Evaluations.Select(x => x.Id))})");
        var o = ReportJson.Summary(data.Report(e));
        o.Remove("pool");
        o["created_at"] = e.CreatedAt.ToString("O", CultureInfo.InvariantCulture);
        o["finished_at"] = e.FinishedAt?.ToString("O", CultureInfo.InvariantCulture);
        try
        {
            o["plan"] = JsonNode.Parse(e.ConfigJson);
        }
        catch (JsonException)
        {
            o["plan"] = e.ConfigJson;
        }
        o["games"] = new JsonArray([.. data.GamesOf(id).Select(g => (JsonNode)new JsonObject
        {
            ["id"] = g.Id,
            ["game_index"] = g.GameIndex,
            ["pair_index"] = g.PairIndex,
            ["black"] = data.Names[g.BlackPlayerId],
            ["white"] = data.Names[g.WhitePlayerId],
            ["result"] = SnakeCaseName.Of(g.Result),
            ["termination"] = SnakeCaseName.Of(g.Termination),
            ["plies"] = g.Plies,
        })]);
        return o;
    }

    /// <summary>
    /// One stored game: players, result, termination reason and detail, and every move in USI and Japanese notation (KIF
    /// move text, ▲ Black, △ White) with the position after it as SFEN and the time it took.
    /// </summary>
    public static JsonObject Game(RunState run, long id)
    {
        var (game, names) = StoredGame(run, id);
        var position = Position.FromSfen(game.StartSfen);
        var moves = new JsonArray();
        int previousTo = -1;
        for (int i = 0; i < game.Moves.Count; i++)
        {
            Move move;
            try
            {
                move = UsiNotation.ParseMove(position, game.Moves[i]);
            }
            catch (FormatException e)
            {
                throw new ResultsStoreException($"Results database '{run.Run.DatabasePath}': stored game {id}, move {i + 1}: {e.Message}");
            }
            string japanese = (position.SideToMove == Color.Black ? "▲" : "△") + KifWriter.MoveText(position, move, previousTo);
            position.DoMove(move);
            previousTo = move.To;
            moves.Add(new JsonObject
            {
                ["ply"] = i + 1,
                ["usi"] = game.Moves[i],
                ["ja"] = japanese,
                ["sfen"] = position.ToSfen(),
                ["time_ms"] = game.MoveTimes is { } times ? (long)times[i].TotalMilliseconds : null,
            });
        }
        return new JsonObject
        {
            ["id"] = game.Id,
            ["evaluation_id"] = game.EvaluationId,
            ["game_index"] = game.GameIndex,
            ["pair_index"] = game.PairIndex,
            ["black"] = names[game.BlackPlayerId],
            ["white"] = names[game.WhitePlayerId],
            ["result"] = SnakeCaseName.Of(game.Result),
            ["termination"] = SnakeCaseName.Of(game.Termination),
            ["detail"] = game.Detail,
            ["plies"] = game.Plies,
            ["duration_ms"] = Number(game.DurationMs, 1),
            ["finished_at"] = game.FinishedAt.ToString("O", CultureInfo.InvariantCulture),
            ["start_sfen"] = game.StartSfen,
            ["moves"] = moves,
        };
    }

    /// <summary>A stored game of the run and the players' names.</summary>
    /// <exception cref="NotFoundException">No such game.</exception>
    public static (StoredGame Game, IReadOnlyDictionary<long, string> Names) StoredGame(RunState run, long id)
    {
        var store = run.Store ?? throw new NotFoundException($"run {run.Name} has no keisei.db, so no games");
        var game = store.Game(id) ?? throw new NotFoundException($"run {run.Name} has no game {id}");
        return (game, store.Players().ToDictionary(p => p.Id, p => p.Name));
    }

    /// <summary>A finite number rounded for reading, or null (JSON has no infinity or NaN).</summary>
    internal static JsonNode? Number(double v, int digits = 4)
    {
        if (!double.IsFinite(v)) return null;
        if (digits >= 6 && v != 0)
        {
            // Significant digits for metric values, which range from 1e-6 (KL) to 1e6 (samples per second).
            int magnitude = (int)Math.Floor(Math.Log10(Math.Abs(v))) + 1;
            int decimals = Math.Clamp(digits - magnitude, 0, 15);
            return JsonValue.Create(Math.Round(v, decimals));
        }
        return JsonValue.Create(Math.Round(v, digits));
    }
}
