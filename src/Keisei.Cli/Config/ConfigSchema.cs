using System.Globalization;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using Keisei.Neural.Native;
using Keisei.Training;

namespace Keisei.Cli.Config;

/// <summary>What kind of value a config key holds.</summary>
public enum ConfigType
{
    /// <summary>A mapping with fixed keys (a section, or a map such as <c>lr_schedule_kwargs</c>).</summary>
    Section,

    /// <summary>A whole number within 32 bits.</summary>
    Int,

    /// <summary>A whole number within 64 bits (timestep counts).</summary>
    Long,

    Double,
    Bool,

    /// <summary>A non-empty string.</summary>
    String,

    /// <summary>One string of <see cref="ConfigKey.Choices"/>.</summary>
    Choice,

    /// <summary>A torch device: cpu, cuda, cuda:N or auto.</summary>
    Device,

    /// <summary>An opponent in command-line form: random, heuristic, ckpt:&lt;path&gt; or usi:&lt;command&gt;.</summary>
    Opponent,

    /// <summary>A mapping whose keys another component checks (evaluation <c>strategy_params</c>).</summary>
    FreeMap,
}

/// <summary>One key of the config schema: name, type, default, allowed values and a one-line description.</summary>
public sealed record ConfigKey(string Name, ConfigType Type, object? Default, string Description)
{
    /// <summary>Smallest allowed number (inclusive unless <see cref="MinExclusive"/>).</summary>
    public double? Min { get; init; }

    public bool MinExclusive { get; init; }

    /// <summary>Largest allowed number (inclusive).</summary>
    public double? Max { get; init; }

    /// <summary>Allowed strings of a <see cref="ConfigType.Choice"/>.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Whether <c>null</c> is an allowed value.</summary>
    public bool Nullable { get; init; }

    /// <summary>Keys of a <see cref="ConfigType.Section"/>, in order.</summary>
    public IReadOnlyList<ConfigKey> Children { get; init; } = [];

    /// <summary>Accepted so that Python Keisei configs load, but read by nothing; a value other than the default is warned about.</summary>
    public bool Inert { get; init; }

    /// <summary>The key of the same section this one is another name for (its value is read into that key).</summary>
    public string? AliasOf { get; init; }

    /// <summary>What a value must look like, in words ("an integer >= 1", "one of adam, adamw").</summary>
    public string Expected
    {
        get
        {
            string text = Type switch
            {
                ConfigType.Section => "a mapping of " + string.Join(", ", Children.Select(c => c.Name)),
                ConfigType.Int or ConfigType.Long => "an integer" + RangeText(),
                ConfigType.Double => "a number" + RangeText(),
                ConfigType.Bool => "true or false",
                ConfigType.String => "a non-empty string",
                ConfigType.Choice => "one of " + string.Join(", ", Choices),
                ConfigType.Device => "cpu, cuda, cuda:N or auto",
                ConfigType.Opponent => "random, heuristic, ckpt:<path> or usi:<command>",
                ConfigType.FreeMap => "a mapping",
                _ => Type.ToString(),
            };
            return Nullable && Type is not (ConfigType.Section or ConfigType.FreeMap) ? text + " or null" : text;
        }
    }

    private string RangeText()
    {
        static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        return (Min, Max) switch
        {
            ({ } lo, { } hi) => $" in {F(lo)}..{F(hi)}",
            ({ } lo, null) => MinExclusive ? $" > {F(lo)}" : $" >= {F(lo)}",
            (null, { } hi) => $" <= {F(hi)}",
            _ => "",
        };
    }
}

/// <summary>The schema of Keisei's config file: every section and key with its type, default, range and description (schema order).</summary>
public static class ConfigSchema
{
    /// <summary>The schema version this Keisei reads and writes.</summary>
    public const int Version = 1;

    public const string VersionKey = "schema_version";

    /// <summary>Most plies of a game (self-play or evaluation); real games end long before.</summary>
    public const int MaxPlies = 100_000;

    /// <summary>Most games of one evaluation or gating match.</summary>
    public const int MaxGames = 1_000_000;

    /// <summary>Most games played at once.</summary>
    public const int MaxConcurrentGames = 1024;

    private const long Megabyte = 1024 * 1024;

    /// <summary>Seconds in a week: the longest a game may last.</summary>
    public const double WeekSeconds = 604_800;

    private static readonly TrainingOptions T = new();
    private static readonly PpoOptions P = new();
    private static readonly LrScheduleOptions S = new();
    private static readonly ModelConfig M = ModelConfig.KeiseiDefault;
    private static readonly ArenaOptions A = new();
    private static readonly EvaluationServiceOptions E = new();
    private static readonly PeriodicEvaluationOptions PE = new();
    private static readonly GatingOptions G = new();

    private static ConfigKey Int(string name, long value, string description, long min = 0, long max = int.MaxValue) =>
        new(name, ConfigType.Int, value, description) { Min = min == int.MinValue ? null : min, Max = max == int.MaxValue ? null : max };

    private static ConfigKey Long(string name, long value, string description, long min = 1, long max = long.MaxValue) =>
        new(name, ConfigType.Long, value, description) { Min = min, Max = max == long.MaxValue ? null : max };

    private static ConfigKey Num(string name, double? value, string description, double? min = 0, double? max = null, bool exclusive = false) =>
        new(name, ConfigType.Double, value, description) { Min = min, Max = max, MinExclusive = exclusive };

    private static ConfigKey Bool(string name, bool value, string description) => new(name, ConfigType.Bool, value, description);

    private static ConfigKey Str(string name, string? value, string description) =>
        new(name, ConfigType.String, value, description) { Nullable = value is null };

    private static ConfigKey Choice(string name, string? value, IReadOnlyList<string> choices, string description) =>
        new(name, ConfigType.Choice, value, description) { Choices = choices, Nullable = value is null };

    /// <summary>The text of every inert key's description (what <c>keisei config show</c> prints for it).</summary>
    public const string InertText = "Accepted from Python Keisei configs; no effect.";

    /// <summary>A key kept for Python Keisei configs that nothing reads; <paramref name="python"/> says what it did there.</summary>
    private static ConfigKey Inert(ConfigKey key, string python) => key with { Inert = true, Description = $"{InertText} (Python Keisei: {python})" };

    private static ConfigKey Section(string name, string description, params ConfigKey[] keys) =>
        new(name, ConfigType.Section, null, description) { Children = keys };

    /// <summary>Evaluation log levels, as the Python Keisei named them.</summary>
    public static readonly string[] LogLevels = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

    /// <summary>Display modes: <c>auto</c> picks live on a terminal and plain otherwise.</summary>
    public static readonly string[] DisplayModes = ["auto", "live", "plain"];

    /// <summary>The top level: <c>schema_version</c> and the sections, in the order files are written.</summary>
    public static IReadOnlyList<ConfigKey> Root { get; } =
    [
        new(VersionKey, ConfigType.Int, (long)Version, "Version of this file's layout; Keisei reads version 1.") { Min = Version, Max = Version },
        Section("env", "The self-play environment.",
            Int("seed", T.Seed, "Seed of every random choice of a run (weights, self-play, minibatches).", int.MinValue),
            new("device", ConfigType.Device, T.Device, "Torch device for training: cpu, cuda, cuda:N or auto (CUDA when available)."),
            Int("max_moves_per_game", T.MaxMovesPerGame, "Plies after which a self-play game is a draw.", 1, MaxPlies),
            Choice("observation", M.Observation, ObservationEncoder.Names, "Observation encoding; fixes the network's input planes (core46: 46, core46+: 51, core46+attacks: 55).")),
        Section("training", "Self-play PPO.",
            Long("total_timesteps", T.TotalTimesteps, "Positions (plies) to collect over the whole run.", 1, TrainingOptions.MaxTotalTimesteps),
            Int("steps_per_epoch", T.StepsPerEpoch, "Positions collected per PPO update, across all games.", 1, TrainingOptions.MaxStepsPerEpoch),
            Int("num_envs", T.NumEnvs, "Self-play games played side by side (one batched forward pass per step).", 1, TrainingOptions.MaxNumEnvs),
            Int("ppo_epochs", P.PpoEpochs, "Passes over each collected batch per update.", 1, 1000),
            Int("minibatch_size", P.MinibatchSize, "Positions per gradient step; at most steps_per_epoch.", 1),
            Num("learning_rate", P.LearningRate, "Base learning rate of the optimiser.", 0, exclusive: true),
            Num("gamma", P.Gamma, "Discount factor of future rewards.", 0, 1),
            Num("lambda_gae", P.LambdaGae, "Lambda of generalised advantage estimation.", 0, 1),
            Num("clip_epsilon", P.ClipEpsilon, "PPO clipping range of the probability ratio.", 0, exclusive: true),
            Num("value_loss_coeff", P.ValueLossCoeff, "Weight of the value loss in the total loss."),
            Num("entropy_coef", P.EntropyCoef, "Weight of the entropy bonus in the total loss."),
            Num("gradient_clip_max_norm", P.GradientClipMaxNorm, "Largest global gradient norm; larger gradients are scaled down.", 0, exclusive: true),
            Num("weight_decay", P.WeightDecay, "L2 weight decay of the optimiser."),
            Choice("optimizer", P.Optimizer, ["adam", "adamw"], "Optimiser: adam (L2 in the gradient) or adamw (decoupled weight decay)."),
            Bool("normalize_advantages", P.NormalizeAdvantages, "Normalise advantages per minibatch."),
            Bool("enable_value_clipping", P.EnableValueClipping, "Clip the value update like the policy update."),
            Num("value_clip_epsilon", P.ValueClipEpsilon, "Clipping range of the value update (with enable_value_clipping).", 0, exclusive: true),
            Num("target_kl", P.TargetKl, "Stop an update's epochs early when the approximate KL exceeds 1.5 x this; null: never.", 0, exclusive: true) with { Nullable = true },
            Choice("lr_schedule_type", S.Type, LrScheduleOptions.Types, "Learning-rate schedule: null (constant), linear, cosine, exponential or step."),
            Choice("lr_schedule_step_on", LrScheduleOptions.StepOnName(S.StepOn), LrScheduleOptions.StepOnNames, "The schedule advances once per PPO epoch (epoch) or per optimiser step (update)."),
            Section("lr_schedule_kwargs", "Parameters of the learning-rate schedule.",
                Int("warmup_steps", S.WarmupSteps, "Steps over which the rate rises linearly from 0 to its base value."),
                Num("final_fraction", S.FinalFraction, "linear/cosine: the final rate as a fraction of the base rate.", 0, 1),
                Num("gamma", S.Gamma, "exponential: factor per step; step: factor every step_size steps.", 0, 1, exclusive: true),
                Int("step_size", S.StepSize, "step: steps between reductions.", 1)),
            Bool("mixed_precision", P.MixedPrecision, "Convolutions in bfloat16 (weights, gradients and optimiser state stay float32) on a CPU with native bfloat16 (AVX512-BF16 or AMX-BF16); ignored with a warning elsewhere."),
            Long("checkpoint_interval_timesteps", T.CheckpointIntervalTimesteps, "Write a checkpoint every this many positions."),
            Int("threads", T.Threads, "Torch intra-op threads; 0: torch's default.", 0, TrainingOptions.MaxThreads),
            Num("material_shaping", T.MaterialShaping, "Potential-based reward shaping by material balance (0: off); keeps the optimal policy, speeds up early learning.", 0, 1),
            Int("max_nonfinite_updates", T.MaxNonFiniteUpdates, "Updates in a row with a NaN or infinite loss, gradient or weight (each skipped) before training stops with exit code 1.", 1)),
        Section("model", "The policy/value network.",
            Choice("model_type", M.Architecture, [ModelConfig.ResNet, ModelConfig.Quick], "Architecture: resnet (SE-ResNet tower) or quick (small CNN)."),
            Int("tower_depth", M.TowerDepth, "resnet: residual blocks in the tower.", 1, 64),
            Int("tower_width", M.TowerWidth, "resnet: channels of the tower.", 1, 1024),
            Num("se_ratio", M.SeRatio, "resnet: squeeze-and-excitation bottleneck as a fraction of the width; 0 disables SE.", 0, 1),
            Int("channels", M.Channels, "quick: channels of every convolution.", 1, 1024),
            Int("layers", M.Layers, "quick: 3x3 convolutions after the first one.", 0, 32),
            Choice("policy_head", M.PolicyHead, [ModelConfig.ConvHead, ModelConfig.LinearHead],
                "conv: move planes in the side to move's frame (direction x distance, knight jumps, promotion, drops), read out by a fixed colour-aware map; linear: Keisei's original head (a linear layer to the 13,527 actions), for older checkpoints.")),
        Section("evaluation", "Evaluation during training and the defaults of keisei evaluate.",
            Bool("enable_periodic_evaluation", true, "Evaluate checkpoints in the background while training."),
            Int("evaluation_interval_timesteps", PE.IntervalTimesteps, "Positions between periodic evaluations.", 1),
            Choice("strategy", "single_opponent", EvaluationStrategy.Names, "keisei evaluate: how opponents and games are planned (periodic evaluation plays its own plan)."),
            Int("num_games", 20, "Games per evaluation (rounded up to colour-swapped pairs; periodic evaluation splits them over its anchors, at least 2 each).", 1, MaxGames),
            Int("max_concurrent_games", A.Concurrency, "Games played at once (periodic evaluation: before any throttling).", 1, MaxConcurrentGames),
            Num("timeout_per_game", null, "Seconds a whole game may last; null: no limit.", 0, WeekSeconds, exclusive: true) with { Nullable = true },
            new("strategy_params", ConfigType.FreeMap, null, "keisei evaluate: parameters of the strategy; the strategy checks their names and values."),
            new("opponent_type", ConfigType.Opponent, "random", "keisei evaluate: single_opponent's opponent when none is named; periodic evaluation: a third anchor beside random and heuristic. random, heuristic, ckpt:<path> or usi:<command>."),
            Int("max_moves_per_game", A.Rules.MaxPlies, "Plies after which an evaluation game is a draw.", 1, MaxPlies),
            Inert(Bool("randomize_positions", true, ""), "play from varied opening positions; Keisei: keisei evaluate --openings"),
            Int("random_seed", 0, "Seed of the evaluation plan and players; null: 1.", int.MinValue) with { Default = null, Nullable = true },
            Inert(Bool("save_games", true, ""), "keep the moves of every game; Keisei always stores them"),
            Inert(Str("save_path", null, ""), "where results were written; Keisei: the run's keisei.db, or keisei evaluate --db"),
            Inert(Str("log_file_path_eval", "eval_log.txt", "") with { Nullable = true }, "evaluation log file; Keisei logs to the run's log file"),
            Inert(Choice("log_level", "INFO", LogLevels, ""), "evaluation log level"),
            Inert(Bool("wandb_log_eval", false, ""), "W&B switch for evaluation metrics; Keisei writes them to TensorBoard"),
            Inert(Bool("update_elo", true, ""), "update pool ratings; Keisei refits the ladder after every periodic evaluation"),
            Inert(Str("elo_registry_path", "elo_ratings.json", "") with { Nullable = true }, "Elo registry file; Keisei keeps ratings in the results database"),
            Inert(Str("agent_id", null, ""), "name of the evaluated agent; Keisei: keisei evaluate --agent-name"),
            Inert(Str("opponent_id", null, ""), "name of the opponent; Keisei: keisei evaluate --opponent-name"),
            Int("previous_model_pool_size", PE.PreviousPoolSize, "Periodic evaluation: earlier checkpoints of the run played as opponents."),
            Inert(Bool("enable_in_memory_evaluation", true, ""), "hand weights over in memory; Keisei always does"),
            Inert(Int("model_weight_cache_size", 5, ""), "opponent weights kept in memory"),
            Inert(Bool("enable_parallel_execution", true, ""), "play games concurrently; Keisei: max_concurrent_games"),
            Inert(Int("process_restart_threshold", 100, "", 1), "games before a worker process restarts; Keisei has no worker processes"),
            new("temp_agent_device", ConfigType.Device, "cpu", "Periodic evaluation: torch device of the network players: cpu, cuda, cuda:N or auto."),
            Inert(Bool("clear_cache_after_evaluation", true, ""), "release cached opponent weights after each evaluation"),
            Inert(Bool("enable_background_tournaments", false, ""), "tournaments of the checkpoint pool between periodic evaluations"),
            Inert(Bool("enable_advanced_analytics", false, ""), "statistical analyses in reports"),
            Inert(Bool("enable_enhanced_opponents", false, ""), "adaptive choice of opponents"),
            Num("max_evaluation_time_minutes", 30, "Periodic evaluation: minutes an evaluation may take before its games are cancelled (recorded as timed out).", 0, 525_600, exclusive: true),
            Num("evaluation_timeout_per_game", null, "Another name for timeout_per_game (Python Keisei's name for periodic evaluation); a value here is read into timeout_per_game.", 0, WeekSeconds, exclusive: true)
                with { Nullable = true, AliasOf = "timeout_per_game" },
            Int("max_concurrent_evaluations", E.MaxConcurrentEvaluations, "Periodic evaluations that may run at the same time.", 1, 64),
            Inert(Bool("enable_performance_monitoring", true, ""), "switch for latency, memory and impact measurements; Keisei always measures them"),
            Int("memory_limit_mb", (int)(E.Targets.MemoryOverheadBytes / Megabyte), "Periodic evaluation: memory an evaluation may add, in MB; more is logged and counted as a service-level violation.", 1),
            Inert(Int("cpu_limit_percent", 80, "", 1, 100), "CPU share of the evaluation; Keisei: training_impact_limit_percent"),
            Inert(Int("gpu_limit_percent", 80, "", 1, 100), "GPU share of the evaluation"),
            Num("training_impact_limit_percent", E.Targets.TrainingImpact * 100, "Largest drop of training throughput an evaluation may cause before it throttles itself, in percent.", 0, 100),
            Bool("adaptive_throttling", E.Adaptive, "Evaluations play in every other training update (the ones between measure the training impact) and lower their concurrent games, then the share of time they play (resting between games), while training slows down more than training_impact_limit_percent; they loosen again when well below it."),
            Choice("gating", "none", ["none", "sprt", "fixed"], "Gate each new checkpoint against the champion: none, sprt, or fixed (KataGo: N games, threshold)."),
            Int("gating_games", G.Games, "Games of a gating match (fixed) or its maximum (sprt).", 2, MaxGames),
            Num("gating_threshold", G.Threshold, "Score a candidate needs in a fixed gating match (ties go to the candidate).", 0, 1),
            Str("gating_sprt", "elo0=0,elo1=10,alpha=0.05,beta=0.05,model=normalized", "SPRT bounds of a sprt gating match.")),
        Section("logging", "Where a run writes.",
            Str("run_dir", "runs", "Directory holding one folder per run (checkpoints, database, logs, metrics)."),
            Str("run_name", null, "Name of the run's folder; null: generated from the time and model."),
            Str("log_file", "train.log", "Log file inside the run's folder."),
            Bool("tensorboard", true, "Write TensorBoard event files."),
            Bool("metrics_jsonl", true, "Write metrics.jsonl (one JSON object per logged step).")),
        Section("display", "What the console shows during training.",
            Choice("mode", "auto", DisplayModes, "live (redrawn dashboard), plain (log lines) or auto (live on a terminal)."),
            Int("refresh_per_second", 2, "Redraws per second of the live display.", 1, 60)),
    ];

    /// <summary>The sections, by name.</summary>
    public static IReadOnlyList<ConfigKey> Sections { get; } = Root.Where(k => k.Type == ConfigType.Section).ToList();

    /// <summary>Keys of the <c>evaluation</c> section (Keisei's names), in schema order.</summary>
    public static IReadOnlyList<string> EvaluationKeys { get; } = Section("evaluation").Children.Select(k => k.Name).ToList();

    /// <summary>A section by name.</summary>
    public static ConfigKey Section(string name) => Sections.First(s => s.Name == name);

    /// <summary>Every key that holds a value (not a section), with its dotted path, in schema order.</summary>
    public static IReadOnlyList<(string Path, ConfigKey Key)> Leaves { get; } = Flatten(Root, "").ToList();

    /// <summary>The key at a dotted path (<c>training.lr_schedule_kwargs.gamma</c>), or null.</summary>
    public static ConfigKey? Find(string path)
    {
        IReadOnlyList<ConfigKey> level = Root;
        ConfigKey? found = null;
        foreach (string part in path.Split('.'))
        {
            found = level.FirstOrDefault(k => k.Name == part);
            if (found is null) return null;
            level = found.Children;
        }
        return found;
    }

    /// <summary>The default of the key at a dotted path as a config file writes it (<c>null</c> as "none"), for help texts.</summary>
    public static string DefaultText(string path) => Find(path)?.Default is { } value ? ConfigYaml.Scalar(value) : "none";

    /// <summary>A "did you mean" suggestion for an unknown key among <paramref name="known"/>, or null.</summary>
    public static string? Suggest(string key, IEnumerable<string> known) =>
        known.Select(k => (Name: k, Distance: ParamReader.Distance(k, key)))
            .Where(x => x.Distance <= Math.Max(2, key.Length / 3))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal)
            .Select(x => x.Name).FirstOrDefault();

    private static IEnumerable<(string, ConfigKey)> Flatten(IEnumerable<ConfigKey> keys, string prefix)
    {
        foreach (var key in keys)
        {
            string path = prefix + key.Name;
            if (key.Type == ConfigType.Section)
                foreach (var child in Flatten(key.Children, path + ".")) yield return child;
            else
                yield return (path, key);
        }
    }

    /// <summary>Checks the syntax of a device setting (see <see cref="TorchDevices.Validate"/>).</summary>
    internal static string? DeviceError(string spec) => TorchDevices.Validate(spec);
}
