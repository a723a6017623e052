using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Strategies;

namespace Keisei.Evaluation;

/// <summary>Everything one evaluation needs: the agent, how to choose opponents and games, how to play them.</summary>
public sealed record EvaluationRequest
{
    public required IPlayerFactory Agent { get; init; }
    public required EvaluationStrategy Strategy { get; init; }

    /// <summary>The strategy parameters as given (kept with the evaluation in the store).</summary>
    public string StrategyConfigJson { get; init; } = "{}";

    /// <summary>Opponents given directly (command line); strategies may use their own pools instead.</summary>
    public IReadOnlyList<OpponentSpec> Opponents { get; init; } = [];

    public int NumGames { get; init; } = 20;
    public IReadOnlyList<Opening> Openings { get; init; } = [Opening.StartPosition];
    public int Seed { get; init; } = 1;
    public ArenaOptions Arena { get; init; } = new();

    /// <summary>Stop early once the agent's results decide between the SPRT's hypotheses (null: play every game).</summary>
    public SprtParameters? Sprt { get; init; }

    /// <summary>A fixed-length gating match: the agent passes with a score of at least the threshold over all its games; stops once decided.</summary>
    public FixedMatchGate? Gate { get; init; }

    /// <summary>Continue this stored evaluation (its plan must be the same); null finds one by plan or starts a new one.</summary>
    public long? ResumeId { get; init; }
}
