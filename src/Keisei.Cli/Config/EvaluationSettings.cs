using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Inference;
using Keisei.Neural.Native;
using Keisei.Shogi;
using Keisei.Training;
using Microsoft.Extensions.Logging;

namespace Keisei.Cli.Config;

/// <summary>
/// The <c>evaluation</c> section, typed: every key that has an effect, bound once by <see cref="KeiseiConfig.ToEvaluationSettings"/>
/// (defaults are the schema's). Keys accepted only from Python Keisei configs are not here; <see cref="KeiseiConfig.WarnInert"/>
/// names those set to something else than their default.
/// </summary>
public sealed record EvaluationSettings
{
    public required bool EnablePeriodicEvaluation { get; init; }
    public required long IntervalTimesteps { get; init; }
    public required string Strategy { get; init; }

    /// <summary><c>strategy_params</c> as given (the strategy checks them); see <see cref="StrategyParamReader"/>.</summary>
    public required IReadOnlyDictionary<string, object?> StrategyParams { get; init; }

    public required int NumGames { get; init; }
    public required int MaxConcurrentGames { get; init; }

    /// <summary>Seconds a whole game may last (<c>timeout_per_game</c>, alias <c>evaluation_timeout_per_game</c>); null: no limit.</summary>
    public required double? TimeoutPerGame { get; init; }

    public required string OpponentType { get; init; }
    public required int MaxMovesPerGame { get; init; }

    /// <summary><c>random_seed</c>; null means seed 1 (<see cref="Seed"/>).</summary>
    public required int? RandomSeed { get; init; }

    public required int PreviousModelPoolSize { get; init; }
    public required string TempAgentDevice { get; init; }
    public required double MaxEvaluationTimeMinutes { get; init; }
    public required int MaxConcurrentEvaluations { get; init; }
    public required int MemoryLimitMb { get; init; }
    public required double TrainingImpactLimitPercent { get; init; }
    public required bool AdaptiveThrottling { get; init; }
    public required string Gating { get; init; }
    public required int GatingGames { get; init; }
    public required double GatingThreshold { get; init; }

    /// <summary>SPRT bounds of a sprt gating match (checked when the config is validated).</summary>
    public required string GatingSprt { get; init; }

    /// <summary>The seed of the plan and players.</summary>
    public int Seed => RandomSeed ?? 1;

    /// <summary>The per-game limit as a time span (null: none).</summary>
    public TimeSpan? GameTimeout => TimeoutPerGame is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    /// <summary><see cref="StrategyParams"/> for typed reads, errors naming <c>evaluation.strategy_params.&lt;key&gt;</c>.</summary>
    public ParamReader StrategyParamReader => new(StrategyParams, "evaluation.strategy_params");

    /// <summary>The opponent of <c>opponent_type</c>.</summary>
    public OpponentSpec Opponent => OpponentSpec.Parse(OpponentType, "evaluation.opponent_type");

    /// <summary>The evaluation service of a training run: its resources and service-level targets.</summary>
    public EvaluationServiceOptions ToServiceOptions() => new()
    {
        MaxConcurrentEvaluations = MaxConcurrentEvaluations,
        GamesAtOnce = MaxConcurrentGames,
        EvaluationTimeout = TimeSpan.FromMinutes(MaxEvaluationTimeMinutes),
        Adaptive = AdaptiveThrottling,
        Targets = new ServiceLevelTargets
        {
            MemoryOverheadBytes = MemoryLimitMb * 1024L * 1024,
            TrainingImpact = TrainingImpactLimitPercent / 100,
        },
    };

    /// <summary>
    /// What periodic evaluation plays: the anchors random and heuristic (and <c>opponent_type</c> when it names another
    /// player), <c>num_games</c> split over them (at least 2 each), on the device of <c>temp_agent_device</c>.
    /// </summary>
    public PeriodicEvaluationOptions ToPeriodicOptions(ILogger logger)
    {
        var anchors = new List<OpponentSpec> { OpponentSpec.Parse("random"), OpponentSpec.Parse("heuristic") };
        var configured = Opponent;
        if (anchors.All(a => a.Name != configured.Name)) anchors.Add(configured);
        var device = TorchDevices.Resolve(TempAgentDevice, logger);
        return new PeriodicEvaluationOptions
        {
            IntervalTimesteps = IntervalTimesteps,
            Anchors = anchors,
            GamesPerOpponent = Math.Max(2, NumGames / anchors.Count),
            PreviousPoolSize = PreviousModelPoolSize,
            Seed = Seed,
            Gating = new GatingOptions
            {
                Mode = Keisei.Evaluation.Storage.SnakeCaseName.Parse<GatingMode>(Gating),
                Games = GatingGames,
                Threshold = GatingThreshold,
                Sprt = SprtParameters.Parse(GatingSprt),
            },
            Neural = new NeuralPlayOptions
            {
                MaxMovesPerGame = MaxMovesPerGame,
                Batcher = new InferenceBatcherOptions { MaxBatch = 2 * MaxConcurrentGames, Device = device },
            },
            Arena = new ArenaOptions
            {
                Concurrency = MaxConcurrentGames,
                Rules = new GameRules { MaxPlies = MaxMovesPerGame },
                GameTimeout = GameTimeout,
            },
        };
    }
}
