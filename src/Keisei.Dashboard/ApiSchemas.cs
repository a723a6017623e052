using System.Text.Json.Nodes;

namespace Keisei.Dashboard;

// The shapes of the API's JSON answers, for the OpenAPI document (each route declares its 200 answer with one of these).
// ApiViews writes the answers; the API tests check every route's answer against the document's schema, key by key, so
// these records and the answers cannot drift apart. Keys are snake_case (the document's serializer options say so).
// Properties typed JsonObject/JsonNode are free-form JSON (a promotion's evidence, an evaluation's plan, and the parts of
// an evaluation report that keisei evaluate --json defines).

/// <summary><c>GET /api/runs</c>.</summary>
public sealed record RunsAnswer(string RunsRoot, IReadOnlyList<RunSummaryAnswer> Runs);

/// <summary>A run in the runs list.</summary>
public sealed record RunSummaryAnswer(string Name, string Status, string? LastActivity, string? Started, long? Steps, double? ElapsedS, long? Games,
    int MetricRows, IReadOnlyDictionary<string, AnchorScoreAnswer> Scores, ChampionAnswer? Champion, int Evaluations, int RunningEvaluations,
    int StoredGames, long DataVersion, int? SchemaVersion, string? SchemaNote);

/// <summary>The latest periodic-evaluation score against an anchor opponent.</summary>
public sealed record AnchorScoreAnswer(double? Score, long Step);

/// <summary><c>GET /api/runs/{run}</c>: the summary with the metric tags, checkpoints and unreadable metric lines.</summary>
public sealed record RunAnswer(string Name, string Status, string? LastActivity, string? Started, long? Steps, double? ElapsedS, long? Games,
    int MetricRows, IReadOnlyDictionary<string, AnchorScoreAnswer> Scores, ChampionAnswer? Champion, int Evaluations, int RunningEvaluations,
    int StoredGames, long DataVersion, int? SchemaVersion, string? SchemaNote, IReadOnlyList<string> Tags, IReadOnlyList<CheckpointAnswer> Checkpoints,
    IReadOnlyList<string> MetricProblems);

/// <summary>A registered checkpoint.</summary>
public sealed record CheckpointAnswer(string Name, string File, long Timesteps, string Status, string CreatedAt);

/// <summary><c>GET /api/runs/{run}/metrics</c>.</summary>
public sealed record MetricsAnswer(int Since, int Rows, int TotalRows, bool Downsampled, string? StartTime, IReadOnlyDictionary<string, MetricSeriesAnswer> Series);

/// <summary>One tag's points as parallel arrays.</summary>
public sealed record MetricSeriesAnswer(IReadOnlyList<int> Row, IReadOnlyList<long> Step, IReadOnlyList<double> Time, IReadOnlyList<long> Games, IReadOnlyList<double?> Value);

/// <summary><c>GET /api/runs/{run}/ratings</c>.</summary>
public sealed record RatingsAnswer(string? Anchor, int Games, IReadOnlyList<PoolRatingAnswer> Players, IReadOnlyList<RatingPointAnswer> Checkpoints, HeadToHeadAnswer HeadToHead);

/// <summary>A ladder entry (as <c>keisei rate --json</c>).</summary>
public sealed record PoolRatingAnswer(string Name, double? Rating, double? Se, double? Ci95, int Games, double? Score, double? LosVsNext, bool Rated, double? IncrementalElo);

/// <summary>A checkpoint's rating.</summary>
public sealed record RatingPointAnswer(string Name, long Timesteps, double? Rating, double? Ci95, bool Rated);

/// <summary>The head-to-head matrix: results[i][j] is player i's W-D-L against player j (null: no games).</summary>
public sealed record HeadToHeadAnswer(IReadOnlyList<string> Players, IReadOnlyList<IReadOnlyList<WdlAnswer?>> Results);

/// <summary>Wins, draws, losses.</summary>
public sealed record WdlAnswer(int Wins, int Draws, int Losses);

/// <summary><c>GET /api/runs/{run}/champion</c>.</summary>
public sealed record ChampionHistoryAnswer(ChampionAnswer? Champion, IReadOnlyList<ChampionAnswer> History, IReadOnlyList<RollbackAnswer> Rollbacks,
    IReadOnlyList<RolledBackCheckpointAnswer> RolledBackCheckpoints, IReadOnlyList<EvaluationRowAnswer> Gates);

/// <summary>A promotion with its evidence (free-form JSON: reason, gate mode, W-D-L, score, Elo, LLR).</summary>
public sealed record ChampionAnswer(long Id, string Name, string Checkpoint, long Timesteps, string Status, string PromotedAt, JsonNode? Evidence);

/// <summary>A rollback with its reason.</summary>
public sealed record RollbackAnswer(long Id, string RolledBackAt, string Target, string? FromChampion, string? ToChampion, string? FromCheckpoint,
    string ToCheckpoint, long ToTimesteps, int Moved, string Reason);

/// <summary>A checkpoint moved aside by a rollback.</summary>
public sealed record RolledBackCheckpointAnswer(string File, string Path, long Timesteps);

/// <summary><c>GET /api/runs/{run}/evaluations</c>.</summary>
public sealed record EvaluationsAnswer(IReadOnlyList<EvaluationRowAnswer> Evaluations);

/// <summary>An evaluation in a list.</summary>
public sealed record EvaluationRowAnswer(long Id, string Status, string Strategy, string Agent, IReadOnlyList<string> Opponents, int PlannedGames, int PlayedGames,
    string CreatedAt, string? FinishedAt, int Wins, int Draws, int Losses, double? Score, double? Elo, double? EloCi95, SprtAnswer? Sprt);

/// <summary>An SPRT's log-likelihood ratio, bounds and decision.</summary>
public sealed record SprtAnswer(double? Llr, double? Lower, double? Upper, string Decision);

/// <summary>
/// <c>GET /api/runs/{run}/evaluations/{id}</c>: the report of <c>keisei evaluate --json</c> (total and opponents as it defines
/// them; sprt and benchmark only when the evaluation has them), the plan, and the games.
/// </summary>
public sealed record EvaluationAnswer(long EvaluationId, string Status, string Strategy, string Agent, int PlannedGames, int PlayedGames, double ElapsedS,
    JsonObject Total, IReadOnlyList<JsonObject> Opponents, SprtAnswer? Sprt, IReadOnlyList<JsonObject>? Benchmark, double? BenchmarkPassRate,
    string CreatedAt, string? FinishedAt, JsonNode? Plan, IReadOnlyList<EvaluationGameAnswer> Games);

/// <summary>A game in an evaluation's list.</summary>
public sealed record EvaluationGameAnswer(long Id, int GameIndex, int PairIndex, string Black, string White, string Result, string Termination, int Plies);

/// <summary><c>GET /api/runs/{run}/games/{id}</c>.</summary>
public sealed record GameAnswer(long Id, long EvaluationId, int GameIndex, int PairIndex, string Black, string White, string Result, string Termination,
    string? Detail, int Plies, double? DurationMs, string FinishedAt, string StartSfen, IReadOnlyList<GameMoveAnswer> Moves);

/// <summary>A move in USI and Japanese notation, the position after it, and its time (null when not kept).</summary>
public sealed record GameMoveAnswer(int Ply, string Usi, string Ja, string Sfen, long? TimeMs);

/// <summary>An error answer (400, 404, 503).</summary>
public sealed record ErrorAnswer(string Error);
