using Keisei.Cli.Config;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Statistics;
using Keisei.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Cli.Tests;

/// <summary>The <c>evaluation</c> section bound once to <see cref="EvaluationSettings"/>; inert keys; the per-game timeout's alias.</summary>
public sealed class EvaluationSettingsTests
{
    /// <summary>Every key with an effect: a value other than its default (as --set text, or a sub-key and its value), and how the bound settings show it.</summary>
    private static readonly (string Key, string Value, Func<EvaluationSettings, object?> Read, object? Expected)[] Bound =
    [
        ("enable_periodic_evaluation", "false", s => s.EnablePeriodicEvaluation, false),
        ("evaluation_interval_timesteps", "1234", s => s.IntervalTimesteps, 1234L),
        ("strategy", "tournament", s => s.Strategy, "tournament"),
        ("num_games", "42", s => s.NumGames, 42),
        ("max_concurrent_games", "7", s => s.MaxConcurrentGames, 7),
        ("timeout_per_game", "12.5", s => s.TimeoutPerGame, 12.5),
        ("strategy_params", ".mode=round_robin", s => s.StrategyParamReader.String("mode"), "round_robin"),
        ("opponent_type", "heuristic", s => s.OpponentType, "heuristic"),
        ("max_moves_per_game", "321", s => s.MaxMovesPerGame, 321),
        ("random_seed", "-9", s => s.RandomSeed, -9),
        ("previous_model_pool_size", "3", s => s.PreviousModelPoolSize, 3),
        ("temp_agent_device", "auto", s => s.TempAgentDevice, "auto"),
        ("max_evaluation_time_minutes", "2.5", s => s.MaxEvaluationTimeMinutes, 2.5),
        ("max_concurrent_evaluations", "2", s => s.MaxConcurrentEvaluations, 2),
        ("memory_limit_mb", "77", s => s.MemoryLimitMb, 77),
        ("training_impact_limit_percent", "12.5", s => s.TrainingImpactLimitPercent, 12.5),
        ("adaptive_throttling", "false", s => s.AdaptiveThrottling, false),
        ("gating", "fixed", s => s.Gating, "fixed"),
        ("gating_games", "50", s => s.GatingGames, 50),
        ("gating_threshold", "0.55", s => s.GatingThreshold, 0.55),
        ("gating_sprt", "elo0=0,elo1=5", s => s.GatingSprt, "elo0=0,elo1=5"),
    ];

    private static IEnumerable<ConfigKey> EvaluationKeys => ConfigSchema.Section("evaluation").Children;

    [Fact]
    public void EveryKeyWithAnEffectIsBoundToItsTypedValue()
    {
        // The table covers exactly the keys that are neither inert nor aliases: a new key must be bound (or marked) to pass.
        Assert.Equal(EvaluationKeys.Where(k => !k.Inert && k.AliasOf is null).Select(k => k.Name).Order(), Bound.Select(b => b.Key).Order());
        var settings = KeiseiConfig.Load(null, Bound.Select(b => $"evaluation.{b.Key}{(b.Value.StartsWith('.') ? "" : "=")}{b.Value}").ToArray()).ToEvaluationSettings();
        foreach (var (key, _, read, expected) in Bound)
            Assert.True(Equals(expected, read(settings)), $"{key}: expected {expected}, bound {read(settings)}");
        Assert.Equal(-9, settings.Seed);
        Assert.Equal(TimeSpan.FromSeconds(12.5), settings.GameTimeout);
    }

    [Fact]
    public void TheBoundDefaultsAreTheSchemasAndTheOptionsRecordsAgree()
    {
        var settings = KeiseiConfig.Defaults.ToEvaluationSettings();
        foreach (var (key, _, read, _) in Bound.Where(b => b.Key != "strategy_params"))
        {
            object? schema = ConfigSchema.Find($"evaluation.{key}")!.Default;
            object? bound = read(settings) switch { int i => (long)i, var v => v };
            Assert.True(Equals(schema, bound), $"{key}: schema default {schema}, bound {bound}");
        }
        Assert.Empty(settings.StrategyParams);
        Assert.Equal(1, settings.Seed);
        Assert.Null(settings.GameTimeout);

        // The library's own defaults are the same numbers (once: the schema reads them).
        var service = settings.ToServiceOptions();
        var library = new EvaluationServiceOptions();
        Assert.Equal(library.Targets, service.Targets);
        Assert.Equal(1000L * 1024 * 1024, service.Targets.MemoryOverheadBytes);
        Assert.Equal((library.GamesAtOnce, library.MaxConcurrentEvaluations, library.Adaptive), (service.GamesAtOnce, service.MaxConcurrentEvaluations, service.Adaptive));
        Assert.Equal(TimeSpan.FromMinutes(30), service.EvaluationTimeout);
        var periodic = settings.ToPeriodicOptions(NullLogger.Instance);
        Assert.Equal(new ArenaOptions(), periodic.Arena);
        Assert.Equal(new Keisei.Training.PeriodicEvaluationOptions().Arena, periodic.Arena);
        Assert.Equal(["random", "heuristic"], periodic.Anchors.Select(a => a.Name));
        Assert.Equal(10, periodic.GamesPerOpponent);
        Assert.Equal(SprtParameters.Parse("elo0=0,elo1=10,alpha=0.05,beta=0.05,model=normalized"), periodic.Gating.Sprt);
        Assert.Equal(8, periodic.Neural.Batcher.MaxBatch);
        Assert.Equal(500, periodic.Neural.MaxMovesPerGame);
    }

    [Fact]
    public void PeriodicEvaluationAddsAnotherOpponentAsAThirdAnchor()
    {
        var periodic = KeiseiConfig.Load(null, ["evaluation.opponent_type=usi:engine", "evaluation.num_games=9", "evaluation.timeout_per_game=60"])
            .ToEvaluationSettings().ToPeriodicOptions(NullLogger.Instance);
        Assert.Equal(3, periodic.Anchors.Count);
        Assert.Equal(3, periodic.GamesPerOpponent);
        Assert.Equal(TimeSpan.FromSeconds(60), periodic.Arena.GameTimeout);
    }

    [Fact]
    public void InertKeysSayTheyHaveNoEffectAndNoOtherKeyDoes()
    {
        var inert = EvaluationKeys.Where(k => k.Inert).Select(k => k.Name).ToList();
        Assert.Equal(21, inert.Count);
        Assert.Contains("save_games", inert);
        Assert.Contains("cpu_limit_percent", inert);
        Assert.Contains("gpu_limit_percent", inert);
        foreach (var (path, key) in ConfigSchema.Leaves)
            Assert.True(key.Inert == key.Description.StartsWith(ConfigSchema.InertText, StringComparison.Ordinal), path);
    }

    [Fact]
    public void ConfigShowSaysAnInertKeyHasNoEffect()
    {
        var output = CliRunner.Run("config", "show", "--set", "evaluation.save_games=false");
        Assert.Equal(0, output.ExitCode);
        string[] lines = output.Stdout.Split('\n');
        int at = Array.IndexOf(lines, "  save_games: false");
        Assert.True(at > 0, output.Stdout);
        Assert.Equal("  # Accepted from Python Keisei configs; no effect. (Python Keisei: keep the moves of every game; Keisei always stores them)", lines[at - 1]);
    }

    [Fact]
    public void AnInertKeySetToAnotherValueIsWarnedAboutOnceByName()
    {
        var config = KeiseiConfig.Load(null, ["evaluation.save_games=false", "evaluation.cpu_limit_percent=50", "evaluation.log_level=INFO", "evaluation.num_games=4"]);
        Assert.Equal(["evaluation.save_games", "evaluation.cpu_limit_percent"], config.InertKeysSet);
        var logger = new ListLogger();
        config.WarnInert(logger);
        Assert.Equal(2, logger.Entries.Count);
        Assert.All(logger.Entries, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.Equal("evaluation.save_games: false has no effect (the key is accepted from Python Keisei configs only)", logger.Entries[0].Message);
        Assert.StartsWith("evaluation.cpu_limit_percent: 50 ", logger.Entries[1].Message);

        var defaults = new ListLogger();
        KeiseiConfig.Defaults.WarnInert(defaults);
        Assert.Empty(defaults.Entries);
    }

    [Fact]
    public void KeiseiEvaluateWarnsAboutAnInertKeyOnStderr()
    {
        string dir = Directory.CreateTempSubdirectory("keisei-inert-").FullName;
        try
        {
            var output = CliRunner.RunProcess("evaluate", "--agent", "random", "--opponent", "random", "-n", "2", "--max-plies", "20",
                "--db", Path.Combine(dir, "r.db"), "--set", "evaluation.wandb_log_eval=true");
            Assert.True(output.ExitCode == 0, output.Stderr);
            Assert.Single(output.Stderr.Split('\n'), l => l.Contains("evaluation.wandb_log_eval: true has no effect", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void EvaluationTimeoutPerGameIsAnotherNameForTimeoutPerGame()
    {
        var alias = ConfigSchema.Find("evaluation.evaluation_timeout_per_game")!;
        Assert.Equal("timeout_per_game", alias.AliasOf);

        var config = KeiseiConfig.Load(null, ["evaluation.evaluation_timeout_per_game=90"]);
        Assert.Equal(90, config.ToEvaluationSettings().TimeoutPerGame);
        Assert.Null(config["evaluation.evaluation_timeout_per_game"]);
        Assert.Contains("  timeout_per_game: 90.0\n", config.ToYaml());

        // Both names with one value are fine; with two values the alias is named.
        Assert.Equal(90, KeiseiConfig.Load(null, ["evaluation.evaluation_timeout_per_game=90", "evaluation.timeout_per_game=90"]).ToEvaluationSettings().TimeoutPerGame);
        var error = Assert.Throws<UserInputException>(() =>
            KeiseiConfig.Load(null, ["evaluation.timeout_per_game=60", "evaluation.evaluation_timeout_per_game=90"]));
        Assert.Equal("--set evaluation.evaluation_timeout_per_game=90: evaluation.evaluation_timeout_per_game: another name for evaluation.timeout_per_game, " +
            "which is 60 here; give one of them", error.Message);
    }
}
