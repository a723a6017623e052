using System.Text.Json;
using Keisei.Cli.Config;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Models;
using Keisei.Training;

namespace Keisei.Cli.Tests;

public sealed class ConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static UserInputException LoadFails(string? path, params string[] overrides) =>
        Assert.Throws<UserInputException>(() => KeiseiConfig.Load(path, overrides));

    [Fact]
    public void DefaultsAreValidAndBindToTheOptionsRecordsDefaults()
    {
        var config = KeiseiConfig.Defaults;
        Assert.Equal(new TrainingOptions(), config.ToTrainingOptions());
        Assert.Equal(ModelConfig.KeiseiDefault, config.ToModelConfig());
        Assert.Equal(new LoggingSettings("runs", null, "train.log", true, true), config.Logging);
        Assert.Equal(new DisplaySettings("auto", 2), config.Display);
        Assert.Equal(1L, config[ConfigSchema.VersionKey]);
        Assert.Equal("cpu", config["env.device"]);
        Assert.Equal(16L, config["training.num_envs"]);
        Assert.Equal(10_000L, config["training.checkpoint_interval_timesteps"]);
        Assert.Equal(0L, config["training.threads"]);

        var evaluation = config.ToEvaluationSettings();
        Assert.Equal("single_opponent", evaluation.Strategy);
        Assert.Equal(20, evaluation.NumGames);
        Assert.Equal(50_000, evaluation.IntervalTimesteps);
        Assert.Equal("random", evaluation.OpponentType);
        Assert.Null(evaluation.TimeoutPerGame);
        Assert.Empty(evaluation.StrategyParams);
        Assert.Equal("single_opponent", EvaluationStrategy.Create(evaluation.Strategy, evaluation.StrategyParamReader).Name);
        Assert.Empty(config.InertKeysSet);
    }

    [Fact]
    public void TheScheduleStepIsAnEnumNamedAsInTheFile()
    {
        Assert.Equal(LrStepOn.Epoch, KeiseiConfig.Defaults.ToTrainingOptions().Ppo.Schedule.StepOn);
        var config = KeiseiConfig.Load(null, ["training.lr_schedule_step_on=update"]);
        Assert.Equal(LrStepOn.Update, config.ToTrainingOptions().Ppo.Schedule.StepOn);
        Assert.Contains("  lr_schedule_step_on: update\n", config.ToYaml());
        Assert.Equal("expected one of epoch, update, found 'step'",
            LoadFails(null, "training.lr_schedule_step_on=step").Message.Split(": ")[^1]);
    }

    [Fact]
    public void TheSchemaListsEachKeyOnceWithADescriptionAndAValidDefault()
    {
        var paths = ConfigSchema.Leaves.Select(l => l.Path).ToList();
        Assert.Equal(paths.Count, paths.Distinct().Count());
        Assert.Equal(["schema_version", "env", "training", "model", "evaluation", "logging", "display"], ConfigSchema.Root.Select(k => k.Name));
        foreach (var (path, key) in ConfigSchema.Leaves)
        {
            Assert.False(string.IsNullOrWhiteSpace(key.Description), path);
            if (key.Type == ConfigType.Choice && key.Default is string choice) Assert.Contains(choice, key.Choices);
            Assert.Same(key, ConfigSchema.Find(path));
        }
        // The evaluation keys of keisei-python.md, in its order (the one list that keisei evaluate checks too), then Keisei's
        // own keys for throttling and gating.
        Assert.Equal(
        [
            "enable_periodic_evaluation", "evaluation_interval_timesteps", "strategy", "num_games", "max_concurrent_games", "timeout_per_game",
            "strategy_params", "opponent_type", "max_moves_per_game", "randomize_positions", "random_seed", "save_games", "save_path",
            "log_file_path_eval", "log_level", "wandb_log_eval", "update_elo", "elo_registry_path", "agent_id", "opponent_id",
            "previous_model_pool_size", "enable_in_memory_evaluation", "model_weight_cache_size", "enable_parallel_execution",
            "process_restart_threshold", "temp_agent_device", "clear_cache_after_evaluation", "enable_background_tournaments",
            "enable_advanced_analytics", "enable_enhanced_opponents", "max_evaluation_time_minutes", "evaluation_timeout_per_game",
            "max_concurrent_evaluations", "enable_performance_monitoring", "memory_limit_mb", "cpu_limit_percent", "gpu_limit_percent",
            "training_impact_limit_percent", "adaptive_throttling", "gating", "gating_games", "gating_threshold", "gating_sprt",
        ], ConfigSchema.EvaluationKeys);
    }

    [Fact]
    public void AFileIsReadOverTheDefaultsAndBound()
    {
        string path = Write("run.yaml", """
            schema_version: 1
            env:
              seed: 7
              device: cuda:1
              observation: core46+
            training:
              total_timesteps: 1e6
              num_envs: 4
              optimizer: adamw
              target_kl: 0.02
              lr_schedule_type: cosine
              lr_schedule_kwargs:
                warmup_steps: 100
                final_fraction: 0.1
            model:
              model_type: quick
              channels: 16
              layers: 3
            logging:
              run_name: first
              tensorboard: false
            display:
              mode: plain
            """);
        var config = KeiseiConfig.Load(path);
        var options = config.ToTrainingOptions();
        Assert.Equal(7, options.Seed);
        Assert.Equal("cuda:1", options.Device);
        Assert.Equal(1_000_000, options.TotalTimesteps);
        Assert.Equal(4, options.NumEnvs);
        Assert.Equal(2048, options.StepsPerEpoch);
        Assert.Equal("adamw", options.Ppo.Optimizer);
        Assert.Equal(0.02, options.Ppo.TargetKl);
        Assert.Equal(new LrScheduleOptions { Type = "cosine", WarmupSteps = 100, FinalFraction = 0.1 }, options.Ppo.Schedule);
        Assert.Equal(ModelConfig.QuickDefault with { Channels = 16, Layers = 3, Observation = "core46+" }, options.Model);
        Assert.Equal(new LoggingSettings("runs", "first", "train.log", false, true), config.Logging);
        Assert.Equal("plain", config.Display.Mode);
        Assert.Equal(path, config.Source);
    }

    [Fact]
    public void AFileWithSeveralMistakesReportsAllOfThemWithLinesAndSuggestions()
    {
        string path = Write("bad.yaml", """
            schema_version: 2
            env:
              device: gpu
              observation: core64
            training:
              lerning_rate: 0.001
              minibatch_size: 4096
              num_envs: 0
              model_type: resnet
              lr_schedule_type: cosin
              lr_schedule_kwargs:
                final_lr_fraction: 0.1
              gamma: high
            model:
              tower_depth: 0
            evaluation:
              strategi: ladder
              num_games: 2.5
            displey:
              mode: live
            seed: 3
            """);
        string message = LoadFails(path).Message;
        string[] expected =
        [
            "bad.yaml, line 1: schema_version: expected 1",
            "bad.yaml, line 3: env.device: expected cpu, cuda, cuda:N",
            "bad.yaml, line 4: env.observation: expected one of core46, core46+, core46+attacks, found 'core64' (did you mean 'core46'?)",
            "bad.yaml, line 6: training.lerning_rate: unknown key (did you mean 'learning_rate'?)",
            "bad.yaml, line 7: training.minibatch_size: expected at most training.steps_per_epoch (2048), found 4096",
            "bad.yaml, line 8: training.num_envs: expected an integer in 1..65536, found 0",
            "bad.yaml, line 9: training.model_type: unknown key (did you mean 'model.model_type'?)",
            "bad.yaml, line 10: training.lr_schedule_type: expected one of linear, cosine, exponential, step or null, found 'cosin' (did you mean 'cosine'?)",
            "bad.yaml, line 12: training.lr_schedule_kwargs.final_lr_fraction: unknown key (did you mean 'final_fraction'?)",
            "bad.yaml, line 13: training.gamma: expected a number in 0..1, found 'high'",
            "bad.yaml, line 15: model.tower_depth: expected an integer in 1..64, found 0",
            "bad.yaml, line 17: evaluation.strategi: unknown key (did you mean 'strategy'?)",
            "bad.yaml, line 18: evaluation.num_games: expected an integer in 1..1000000, found 2.5",
            "bad.yaml, line 19: displey: unknown section (did you mean 'display'?)",
            "bad.yaml, line 21: seed: unknown section (did you mean 'env.seed'?)",
        ];
        foreach (string e in expected) Assert.Contains(e, message);
        Assert.StartsWith($"{path}: {expected.Length} errors in the configuration:", message);
        // One line per error, in file order, each reported once (model.tower_depth by the schema, not again by ModelConfig.Validate).
        var errors = KeiseiConfig.Check(path);
        Assert.Equal(expected.Length, errors.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Contains(expected[i], errors[i]);
        Assert.Contains("hint: this looks like a Python Keisei config", message);
    }

    [Fact]
    public void ASingleMistakeIsOneLine()
    {
        string path = Write("one.yaml", "evaluation:\n  num_games: 10\n  max_concurent_games: 2\n");
        string message = LoadFails(path).Message;
        Assert.Equal($"{path}, line 3: evaluation.max_concurent_games: unknown key (did you mean 'max_concurrent_games'?)", message);
    }

    [Fact]
    public void CrossKeyAndStrategyChecksNameTheKeyAndLine()
    {
        string path = Write("cross.yaml", """
            training:
              steps_per_epoch: 256
              minibatch_size: 512
            evaluation:
              strategy: tournament
              strategy_params:
                mode: swiss
              opponent_type: stockfish
              temp_agent_device: cuda:x
            """);
        var errors = KeiseiConfig.Check(path);
        Assert.Equal(4, errors.Count);
        Assert.Contains($"{path}, line 3: training.minibatch_size: expected at most training.steps_per_epoch (256), found 512", errors);
        Assert.Contains($"{path}, line 7: evaluation.strategy_params.mode: expected gauntlet or round_robin, found 'swiss'", errors);
        Assert.Contains(errors, e => e.StartsWith($"{path}, line 8: evaluation.opponent_type: expected random, heuristic", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith($"{path}, line 9: evaluation.temp_agent_device: expected cpu, cuda", StringComparison.Ordinal));
    }

    [Fact]
    public void NullsAreAcceptedOnlyWhereAllowed()
    {
        string path = Write("nulls.yaml", "training:\n  target_kl: null\n  lr_schedule_kwargs: null\n  learning_rate: null\nevaluation:\n  strategy_params: null\n  random_seed: ~\n");
        var errors = KeiseiConfig.Check(path);
        Assert.Equal([$"{path}, line 4: training.learning_rate: expected a number > 0, found nothing"], errors);
    }

    [Fact]
    public void OverridesWinOverTheFileWhichWinsOverTheDefaults()
    {
        string path = Write("base.yaml", "training:\n  learning_rate: 0.001\n  ppo_epochs: 4\nlogging:\n  run_name: base\n");
        var config = KeiseiConfig.Load(path,
            ["training.learning_rate=0.002", "training.mixed_precision=true", "training.target_kl=0.05", "logging.run_name=null", "display.mode=live",
             "evaluation.strategy_params.opponent_name=heuristic", "training.lr_schedule_kwargs.gamma=0.5", "logging.log_file=\"007\"",
             "training.learning_rate=0.003"]);
        var options = config.ToTrainingOptions();
        Assert.Equal(0.003, options.Ppo.LearningRate); // the last override of a key wins
        Assert.Equal(4, options.Ppo.PpoEpochs); // from the file
        Assert.Equal(0.2, options.Ppo.ClipEpsilon); // default
        Assert.True(options.Ppo.MixedPrecision);
        Assert.Equal(0.05, options.Ppo.TargetKl);
        Assert.Equal(0.5, options.Ppo.Schedule.Gamma);
        Assert.Null(config.Logging.RunName);
        Assert.Equal("007", config.Logging.LogFile);
        Assert.Equal("live", config.Display.Mode);
        Assert.Equal("heuristic", config.ToEvaluationSettings().StrategyParamReader.String("opponent_name"));

        Assert.Equal(0.01, KeiseiConfig.Load(null, ["training.entropy_coef=1e-2"]).ToTrainingOptions().Ppo.EntropyCoef);
    }

    [Fact]
    public void OverrideMistakesAreReportedWithTheFilesMistakes()
    {
        string path = Write("base.yaml", "training:\n  ppo_epochs: zero\n");
        string message = LoadFails(path, "training.lerning_rate=0.1", "training.num_envs=many", "env.device", "=3", "evaluation.strategy=ladderr").Message;
        Assert.Contains($"{path}, line 2: training.ppo_epochs: expected an integer in 1..1000, found 'zero'", message);
        Assert.Contains("--set training.lerning_rate=0.1: training.lerning_rate: unknown key (did you mean 'learning_rate'?)", message);
        Assert.Contains("--set training.num_envs=many: training.num_envs: expected an integer in 1..65536, found 'many'", message);
        Assert.Contains("--set env.device: expected section.key=value", message);
        Assert.Contains("--set =3: expected section.key=value", message);
        Assert.Contains("--set evaluation.strategy=ladderr: evaluation.strategy: expected one of single_opponent, tournament, ladder, benchmark, custom, found 'ladderr' (did you mean 'ladder'?)", message);
        Assert.Contains("6 errors", message);
        // The file's errors come first (by line), then the overrides' in the order given.
        Assert.True(message.IndexOf("line 2", StringComparison.Ordinal) < message.IndexOf("--set training.lerning_rate", StringComparison.Ordinal));
    }

    [Fact]
    public void OverridingAWrongValueInTheFileFixesIt()
    {
        string path = Write("fix.yaml", "training:\n  num_envs: 0\n");
        Assert.Single(KeiseiConfig.Check(path));
        Assert.Equal(8, KeiseiConfig.Load(path, ["training.num_envs=8"]).ToTrainingOptions().NumEnvs);
    }

    [Fact]
    public void ToYamlLoadsBackToTheSameConfig()
    {
        string path = Write("custom.yaml", """
            env:
              seed: -3
              device: auto
            training:
              learning_rate: 1.5e-5
              weight_decay: 1
              gradient_clip_max_norm: 0.123456789012345
              lr_schedule_type: step
              lr_schedule_kwargs: {step_size: 50, gamma: 0.5}
            model:
              model_type: quick
            evaluation:
              strategy: tournament
              timeout_per_game: 90
              opponent_type: "usi:engine --threads 2"
              strategy_params:
                mode: round_robin
                opponent_pool_config:
                  - {name: weak, type: random}
                  - name: "yes"
                    type: checkpoint
                    checkpoint_path: "runs/a b/ckpt #1.ckpt"
                    metadata: {note: "line: one", tags: [a, "true"], empty: {}}
            logging:
              run_name: "123"
              run_dir: /tmp/runs
            """);
        var config = KeiseiConfig.Load(path, ["training.gamma=0.9"]);
        foreach (bool comments in new[] { true, false })
        {
            string yaml = config.ToYaml(comments: comments);
            var reloaded = KeiseiConfig.Load(Write($"back-{comments}.yaml", yaml));
            Assert.Equal(yaml, reloaded.ToYaml(comments: comments));
            Assert.Equal(config.ToTrainingOptions(), reloaded.ToTrainingOptions());
            Assert.Equal(config.Logging, reloaded.Logging);
            Assert.Equal(config.Display, reloaded.Display);
            Assert.Equal(90, reloaded.ToEvaluationSettings().TimeoutPerGame);
            Assert.Equal(Json(config), Json(reloaded));
        }
        string text = config.ToYaml();
        Assert.Contains("schema_version: 1", text);
        Assert.Contains("  run_name: \"123\"", text);
        Assert.Contains("  learning_rate: 1.5E-05", text);
        Assert.Contains("  weight_decay: 1.0", text);
        Assert.Equal("123", KeiseiConfig.Load(Write("again.yaml", text)).Logging.RunName);
        var pool = KeiseiConfig.Load(Write("pool.yaml", text)).ToEvaluationSettings().StrategyParamReader.List("opponent_pool_config");
        Assert.Equal("runs/a b/ckpt #1.ckpt", pool[1].String("checkpoint_path"));
        Assert.Equal("yes", pool[1].String("name"));

        // Every schema key is written, in schema order.
        var defaults = "\n" + KeiseiConfig.Defaults.ToYaml(comments: false);
        int at = 0;
        foreach (var (leaf, _) in ConfigSchema.Leaves)
        {
            string[] parts = leaf.Split('.');
            int next = defaults.IndexOf($"\n{new string(' ', 2 * (parts.Length - 1))}{parts[^1]}:", at, StringComparison.Ordinal);
            Assert.True(next >= 0, leaf);
            at = next;
        }
    }

    private static string Json(KeiseiConfig config)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            config.WriteJson(writer);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    [Fact]
    public void ConfigShowPrintsTheEffectiveConfigAsYamlOrJson()
    {
        string path = Write("show.yaml", "training:\n  ppo_epochs: 3\n");
        var yaml = CliRunner.Run("config", "show", "--config", path, "--set", "training.num_envs=2");
        Assert.True(yaml.ExitCode == 0, yaml.Stderr);
        Assert.Contains("schema_version: 1", yaml.Stdout);
        Assert.Contains("  ppo_epochs: 3", yaml.Stdout);
        Assert.Contains("  num_envs: 2", yaml.Stdout);
        Assert.Contains("  minibatch_size: 64", yaml.Stdout);

        var json = CliRunner.Run("config", "show", "--config", path, "--override", "training.learning_rate=0.005", "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        using var doc = JsonDocument.Parse(json.Stdout);
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("schema_version").GetInt32());
        Assert.Equal(0.005, root.GetProperty("training").GetProperty("learning_rate").GetDouble());
        Assert.Equal(3, root.GetProperty("training").GetProperty("ppo_epochs").GetInt32());
        Assert.Equal(0.99, root.GetProperty("training").GetProperty("lr_schedule_kwargs").GetProperty("gamma").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("logging").GetProperty("run_name").ValueKind);
        Assert.Equal(["env", "training", "model", "evaluation", "logging", "display"],
            root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).Select(p => p.Name));

        var defaults = CliRunner.Run("config", "show");
        Assert.Equal(0, defaults.ExitCode);
        Assert.Equal(KeiseiConfig.Defaults.ToYaml("Effective Keisei configuration (defaults)"), defaults.Stdout);
    }

    [Fact]
    public void ConfigValidateSaysValidOrListsEveryErrorWithExitCode2()
    {
        string good = Write("good.yaml", "training:\n  num_envs: 8\n");
        var ok = CliRunner.Run("config", "validate", good);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal($"{good} is valid", ok.Stdout.Trim());

        var overridden = CliRunner.Run("config", "validate", good, "--set", "training.num_envs=0", "--override", "env.seed=x");
        Assert.Equal(2, overridden.ExitCode);
        Assert.Contains("--set training.num_envs=0: training.num_envs: expected an integer in 1..65536, found 0", overridden.Stderr);
        Assert.Contains("--set env.seed=x: env.seed: expected an integer, found 'x'", overridden.Stderr);
        Assert.DoesNotContain("   at ", overridden.Stderr);

        string bad = Write("bad.yaml", "env:\n  sed: 1\ntraining:\n  gamma: 2\n");
        var failed = CliRunner.Run("config", "validate", bad);
        Assert.Equal(2, failed.ExitCode);
        Assert.Contains($"{bad}, line 2: env.sed: unknown key (did you mean 'seed'?)", failed.Stderr);
        Assert.Contains($"{bad}, line 4: training.gamma: expected a number in 0..1, found 2", failed.Stderr);
        Assert.Equal("", failed.Stdout);

        var json = CliRunner.Run("config", "validate", bad, "--json");
        Assert.Equal(2, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.False(doc.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(2, doc.RootElement.GetProperty("errors").GetArrayLength());

        var missing = CliRunner.Run("config", "validate", Path.Combine(_dir, "missing.yaml"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr);

        string broken = Write("broken.yaml", "training:\n  gamma: [1\n");
        var invalid = CliRunner.Run("config", "validate", broken);
        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains("invalid YAML", invalid.Stderr);
    }

    [Fact]
    public void EvaluateReadsItsDefaultsThroughTheSchemaAndAcceptsOverrides()
    {
        string path = Write("eval.yaml", "training:\n  num_envs: 0\nevaluation:\n  num_games: 4\n");
        var result = CliRunner.Run("evaluate", "--agent", "heuristic", "--config", path, "--set", "evaluation.num_gams=2", "--db", Path.Combine(_dir, "e.db"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{path}, line 2: training.num_envs: expected an integer in 1..65536, found 0", result.Stderr);
        Assert.Contains("--set evaluation.num_gams=2: evaluation.num_gams: unknown key (did you mean 'num_games'?)", result.Stderr);
    }
}
