using System.Text.Json;
using Keisei.Cli.Config;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Models;

namespace Keisei.Cli.Tests;

public sealed class MigrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-migrate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Write(string name, string text)
    {
        File.WriteAllText(PathOf(name), text);
        return PathOf(name);
    }

    private static MigrationEntry Entry(MigrationResult result, string from) => Assert.Single(result.Entries, e => e.From == from);

    [Theory]
    [InlineData("default_config.yaml")]
    [InlineData("example_config_oldest.yaml")]
    public void BothPythonFixturesMigrateAndTheResultValidates(string fixture)
    {
        string output = PathOf("new.yaml");
        var run = CliRunner.Run("config", "migrate", Fixture(fixture), "-o", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        foreach (string group in new[] { "mapped (", "renamed (", "defaulted (", "dropped (" }) Assert.Contains("\n" + group, "\n" + run.Stdout);
        Assert.Contains("wandb.enabled", run.Stdout);
        Assert.Contains("wandb sync --sync-tensorboard models/<run>", run.Stdout);
        Assert.Contains("logging.model_dir -> logging.run_dir", run.Stdout);

        var validate = CliRunner.Run("config", "validate", output);
        Assert.True(validate.ExitCode == 0, validate.Stderr);
        Assert.Contains("is valid", validate.Stdout);

        // Every key of the old file is accounted for exactly once, and every schema key is either migrated or defaulted.
        var migration = ConfigMigration.Migrate(Fixture(fixture));
        var tree = YamlTree.Load(Fixture(fixture));
        var oldLeaves = tree.Lines.Keys.Where(k => !k.Contains('[') && !tree.Lines.Keys.Any(o => o.StartsWith(k + ".", StringComparison.Ordinal))).ToList();
        var accounted = migration.Entries.Where(e => e.Action != MigrationAction.Defaulted).Select(e => e.From).ToList();
        Assert.Equal(accounted.Count, accounted.Distinct().Count());
        foreach (string leaf in oldLeaves) Assert.Contains(leaf, accounted);

        // The written file reads back as the same config.
        var written = KeiseiConfig.Load(output);
        Assert.Equal(migration.Config.ToYaml(comments: false), written.ToYaml(comments: false));
        Assert.Equal(migration.Config.ToTrainingOptions(), written.ToTrainingOptions());
    }

    [Fact]
    public void TheDefaultFixtureKeepsItsValuesAndExplainsEveryMove()
    {
        var migration = ConfigMigration.Migrate(Fixture("default_config.yaml"));
        var config = migration.Config;
        var options = config.ToTrainingOptions();
        Assert.Equal(500_000, options.TotalTimesteps);
        Assert.Equal(0.0003, options.Ppo.LearningRate);
        Assert.Equal(10_000, options.CheckpointIntervalTimesteps);
        Assert.Equal(ModelConfig.KeiseiDefault, options.Model);
        Assert.Equal(new LoggingSettings("models/", null, "logs/training_log.txt", true, true), config.Logging);
        Assert.Equal(new DisplaySettings("auto", 2), config.Display);

        Assert.Equal(MigrationAction.Renamed, Entry(migration, "training.model_type").Action);
        Assert.Equal("model.tower_width", Entry(migration, "training.tower_width").To);
        Assert.Equal("env.observation", Entry(migration, "training.input_features").To);
        Assert.Equal("display.refresh_per_second", Entry(migration, "training.refresh_per_second").To);
        Assert.Equal(MigrationAction.Dropped, Entry(migration, "env.input_channels").Action);
        Assert.Contains("46 planes", Entry(migration, "env.input_channels").Reason);
        Assert.Contains("13,527", Entry(migration, "env.num_actions_total").Reason);
        foreach (string key in new[] { "training.ddp", "training.enable_torch_compile", "training.torch_compile_mode", "training.compilation_warmup_steps",
                     "training.enable_compilation_benchmarking", "parallel.num_workers", "display.board_cell_width", "display.log_layer_keyword_filters",
                     "training.render_every_steps", "training.enable_spinner" })
            Assert.Equal(MigrationAction.Dropped, Entry(migration, key).Action);
        Assert.Contains("torch.compile", Entry(migration, "training.torch_compile_backend").Reason);

        // The Python tournament's parameters become Keisei's, and the strategy accepts them.
        var evaluation = config.ToEvaluationSettings();
        Assert.Equal("tournament", evaluation.Strategy);
        Assert.Equal(2048, evaluation.IntervalTimesteps);
        Assert.Equal(500, evaluation.MaxMovesPerGame);
        Assert.Equal(true, config["evaluation.enable_background_tournaments"]);
        Assert.Contains("evaluation.enable_background_tournaments", config.InertKeysSet);
        Assert.Contains("no effect", Entry(migration, "evaluation.enable_background_tournaments").Reason);
        var parameters = evaluation.StrategyParamReader;
        Assert.Equal(["mode", "num_games_per_opponent"], parameters.Keys.Order());
        Assert.Equal("round_robin", parameters.String("mode"));
        Assert.Equal(2, parameters.Int("num_games_per_opponent", 0));
        var strategy = EvaluationStrategy.Create(evaluation.Strategy, parameters);
        Assert.Equal("tournament", strategy.Name);
        foreach (string key in new[] { "run_tournaments_in_background", "background_tournament_interval", "best_opponent_selection", "tournament_rounds" })
            Assert.Equal(MigrationAction.Dropped, Entry(migration, $"evaluation.strategy_params.{key}").Action);

        var opponent = Entry(migration, "evaluation.opponent_type");
        Assert.Equal(MigrationAction.Changed, opponent.Action);
        Assert.Equal("random", opponent.Value);
        Assert.Equal("random", evaluation.OpponentType);
        Assert.Contains("ckpt:<path>", opponent.Reason);
        Assert.Contains(migration.Notes, n => n.Contains("opponent_pool_config", StringComparison.Ordinal));

        Assert.Equal(16L, Entry(migration, "training.num_envs").Value);
        Assert.Equal(MigrationAction.Defaulted, Entry(migration, "training.num_envs").Action);
    }

    [Fact]
    public void TheOldestFixtureKeepsItsShortGamesAndDropsDemoAndWandb()
    {
        var migration = ConfigMigration.Migrate(Fixture("example_config_oldest.yaml"));
        var options = migration.Config.ToTrainingOptions();
        Assert.Equal(256, options.MaxMovesPerGame);
        Assert.Equal(4, options.Ppo.PpoEpochs);
        Assert.Equal(100_000, options.TotalTimesteps);
        Assert.Equal(256, migration.Config.ToEvaluationSettings().MaxMovesPerGame);
        Assert.Equal(50_000, migration.Config.ToEvaluationSettings().IntervalTimesteps);
        Assert.Equal("models", migration.Config.Logging.RunDir);
        Assert.Equal("train.log", migration.Config.Logging.LogFile);
        Assert.Equal(MigrationAction.Dropped, Entry(migration, "demo.demo_mode_delay").Action);
        Assert.Equal(MigrationAction.Dropped, Entry(migration, "wandb.project").Action);
        Assert.Equal(MigrationAction.Mapped, Entry(migration, "evaluation.wandb_log_eval").Action);
        Assert.Empty(migration.Notes);
    }

    [Fact]
    public void FlatLegacyKeysMoveIntoTheEvaluationSection()
    {
        string old = Write("flat.yaml", "NUM_GAMES: 10\nOPPONENT_TYPE: heuristic\n");
        string output = PathOf("flat-new.yaml");
        var run = CliRunner.Run("config", "migrate", old, "-o", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("NUM_GAMES -> evaluation.num_games = 10: flat legacy key", run.Stdout);
        Assert.Contains("OPPONENT_TYPE -> evaluation.opponent_type = heuristic: flat legacy key", run.Stdout);
        var config = KeiseiConfig.Load(output);
        Assert.Equal(10, config.ToEvaluationSettings().NumGames);
        Assert.Equal("heuristic", config.ToEvaluationSettings().OpponentType);
        Assert.Equal(0, CliRunner.Run("config", "validate", output).ExitCode);

        // Without migration the flat keys are errors that point at config migrate.
        string message = Assert.Throws<UserInputException>(() => KeiseiConfig.Load(old)).Message;
        Assert.Contains($"{old}, line 1: NUM_GAMES: unknown section", message);
        Assert.Contains("keisei config migrate", message);

        // A section value wins over a flat one; OPPONENT_TYPE ppo gets the same treatment as the section key.
        var both = ConfigMigration.Migrate(Write("both.yaml", "NUM_GAMES: 10\nOPPONENT_TYPE: ppo\nevaluation:\n  num_games: 30\n"));
        Assert.Equal(30, both.Config.ToEvaluationSettings().NumGames);
        Assert.Equal(MigrationAction.Dropped, Entry(both, "NUM_GAMES").Action);
        Assert.Contains("evaluation.num_games", Entry(both, "NUM_GAMES").Reason);
        Assert.Equal(MigrationAction.Changed, Entry(both, "OPPONENT_TYPE").Action);
    }

    [Fact]
    public void TournamentRoundsMultiplyTheGamesPerPairing()
    {
        var migration = ConfigMigration.Migrate(Write("rounds.yaml", """
            evaluation:
              strategy: tournament
              strategy_params:
                tournament_type: single_elimination
                tournament_rounds: 3
                games_per_pairing: 2
                opponent_pool_config:
                  - {name: r, type: random}
            """));
        var parameters = migration.Config.ToEvaluationSettings().StrategyParamReader;
        Assert.Equal(6, parameters.Int("num_games_per_opponent", 0));
        Assert.Contains("2 per pairing x 3 tournament_rounds", Entry(migration, "evaluation.strategy_params.games_per_pairing").Reason);
        Assert.Equal(MigrationAction.Dropped, Entry(migration, "evaluation.strategy_params.tournament_type").Action);
        Assert.Equal(MigrationAction.Mapped, Entry(migration, "evaluation.strategy_params.opponent_pool_config").Action);
        Assert.False(parameters.Has("mode"));
        Assert.Single(parameters.List("opponent_pool_config"));
        Assert.Empty(migration.Notes);
        Assert.Equal("tournament", EvaluationStrategy.Create("tournament", parameters).Name);
    }

    [Fact]
    public void ParametersAStrategyDoesNotKnowAreDroppedWithItsKnownOnes()
    {
        var migration = ConfigMigration.Migrate(Write("single.yaml", """
            evaluation:
              strategy_params:
                opponent_name: heuristic
                play_as_both_colours: true
            """));
        Assert.Equal("heuristic", migration.Config.ToEvaluationSettings().StrategyParamReader.String("opponent_name"));
        var dropped = Entry(migration, "evaluation.strategy_params.play_as_both_colours");
        Assert.Equal(MigrationAction.Dropped, dropped.Action);
        Assert.Contains("single_opponent", dropped.Reason);
        Assert.Contains("did you mean 'play_as_both_colors'?", dropped.Reason);
    }

    [Fact]
    public void ScheduleSpinnerAndChannelsAreTranslated()
    {
        var migration = ConfigMigration.Migrate(Write("sched.yaml", """
            env:
              input_channels: 51
            training:
              lr_schedule_type: linear
              lr_schedule_kwargs:
                final_lr_fraction: 0.1
                T_max: 100
              enable_spinner: false
              learning_rte: 0.1
            """));
        var options = migration.Config.ToTrainingOptions();
        Assert.Equal("linear", options.Ppo.Schedule.Type);
        Assert.Equal(0.1, options.Ppo.Schedule.FinalFraction);
        Assert.Equal("training.lr_schedule_kwargs.final_fraction", Entry(migration, "training.lr_schedule_kwargs.final_lr_fraction").To);
        Assert.Equal(MigrationAction.Dropped, Entry(migration, "training.lr_schedule_kwargs.T_max").Action);
        Assert.Equal("core46+", options.Model.Observation);
        Assert.Equal("env.observation", Entry(migration, "env.input_channels").To);
        Assert.Equal("plain", migration.Config.Display.Mode);
        Assert.Equal("display.mode", Entry(migration, "training.enable_spinner").To);
        var typo = Entry(migration, "training.learning_rte");
        Assert.Equal(MigrationAction.Dropped, typo.Action);
        Assert.Contains("did you mean 'training.learning_rate'?", typo.Reason);
        Assert.Equal(0.0003, options.Ppo.LearningRate);
    }

    [Fact]
    public void InconsistentOrInvalidOldValuesFailWithTheOldFilesLines()
    {
        string old = Write("bad.yaml", "env:\n  input_channels: 51\ntraining:\n  input_features: core46\n  learning_rate: -1\n  tower_depth: 0\n");
        string output = PathOf("bad-new.yaml");
        var run = CliRunner.Run("config", "migrate", old, "-o", output);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{old}, line 2: env.input_channels: expected 46 to match env.observation 'core46' ({old}, line 4), found 51", run.Stderr);
        Assert.Contains($"{old}, line 5: training.learning_rate: expected a number > 0, found -1", run.Stderr);
        Assert.Contains($"{old}, line 6: model.tower_depth: expected an integer in 1..64, found 0", run.Stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void MigrateRefusesToOverwriteWithoutForceAndWritesAtomically()
    {
        string output = Write("exists.yaml", "keep me\n");
        var refused = CliRunner.Run("config", "migrate", Fixture("example_config_oldest.yaml"), "-o", output);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("already exists (use --force to overwrite it)", refused.Stderr);
        Assert.Equal("keep me\n", File.ReadAllText(output));

        var forced = CliRunner.Run("config", "migrate", Fixture("example_config_oldest.yaml"), "-o", output, "--force");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.Contains("schema_version: 1", File.ReadAllText(output));
        Assert.Equal(["exists.yaml"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        Assert.Throws<UserInputException>(() => ConfigMigration.WriteAtomic(output, "x", force: false));
    }

    [Fact]
    public void MigrateReportsAsJson()
    {
        var run = CliRunner.Run("config", "migrate", Fixture("default_config.yaml"), "-o", PathOf("j.yaml"), "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var doc = JsonDocument.Parse(run.Stdout);
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("schema_version").GetInt32());
        var renamed = root.GetProperty("renamed").EnumerateArray().ToList();
        Assert.Contains(renamed, e => e.GetProperty("from").GetString() == "logging.model_dir" && e.GetProperty("to").GetString() == "logging.run_dir");
        var dropped = root.GetProperty("dropped").EnumerateArray().ToList();
        Assert.Contains(dropped, e => e.GetProperty("from").GetString() == "parallel.enabled" && e.GetProperty("to").ValueKind == JsonValueKind.Null);
        Assert.Single(root.GetProperty("changed").EnumerateArray());
        Assert.NotEmpty(root.GetProperty("mapped").EnumerateArray());
        Assert.NotEmpty(root.GetProperty("defaulted").EnumerateArray());
    }
}
