using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;

namespace Keisei.Evaluation;

/// <summary>Live figures after each game.</summary>
public sealed record EvaluationProgress(int Done, int Planned, WdlCounts Agent, EloEstimate? Elo, SprtResult? Sprt);

/// <summary>The agent's results against one opponent.</summary>
public sealed record OpponentResult(string Opponent, WdlCounts Counts, WdlCounts AsBlack, WdlCounts AsWhite, PairCounts Pairs, EloEstimate Elo,
    EloEstimate? PairElo, MatchSummary Summary);

/// <summary>A benchmark case's outcome.</summary>
public sealed record BenchmarkCaseResult(string Case, string Opponent, WdlCounts Counts, double RequiredScore, bool Passed);

/// <summary>What an evaluation found.</summary>
public sealed record EvaluationReport(
    long EvaluationId,
    EvaluationStatus Status,
    string Strategy,
    string Agent,
    int PlannedGames,
    int PlayedGames,
    WdlCounts Total,
    EloEstimate TotalElo,
    EloEstimate? TotalPairElo,
    IReadOnlyList<OpponentResult> Opponents,
    SprtResult? Sprt,
    IReadOnlyList<BenchmarkCaseResult> Benchmark,
    double? BenchmarkPassRate,
    IReadOnlyList<PoolRating> Pool,
    TimeSpan Elapsed)
{
    /// <summary>Under a match clock: how close the agent came to it (null without a clock).</summary>
    public Arena.ClockSummary? Clock { get; init; }
}
