using System.Globalization;
using System.Text.Json;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Models;
using Keisei.Training;
using Microsoft.Extensions.Logging;

namespace Keisei.Cli.Config;

/// <summary>Where a run writes: <c>logging.*</c>.</summary>
public sealed record LoggingSettings(string RunDir, string? RunName, string LogFile, bool Tensorboard, bool MetricsJsonl);

/// <summary>What the console shows during training: <c>display.*</c>.</summary>
public sealed record DisplaySettings(string Mode, int RefreshPerSecond);

/// <summary>
/// The validated, effective configuration: schema defaults, then a YAML file, then <c>--set a.b=value</c> overrides.
/// The one entry point of commands that read config files.
/// </summary>
public sealed class KeiseiConfig
{
    private readonly Dictionary<string, object?> _values;

    private KeiseiConfig(Dictionary<string, object?> values, string? source)
    {
        _values = values;
        Source = source;
    }

    /// <summary>The file the config was read from (null: defaults only).</summary>
    public string? Source { get; }

    /// <summary>Every value by dotted path (<c>training.learning_rate</c>) in schema order: long, double, bool, string, null, or a mapping for <c>evaluation.strategy_params</c>.</summary>
    public IReadOnlyDictionary<string, object?> Values => _values;

    /// <summary>The schema's defaults.</summary>
    public static KeiseiConfig Defaults => Load(null);

    /// <summary>Reads <paramref name="path"/> (null: none) over the defaults, applies <c>key.path=value</c> overrides and validates everything.</summary>
    /// <exception cref="UserInputException">Every problem found, one per line, each naming the file and line (or the override), the key, what was expected and what was found.</exception>
    public static KeiseiConfig Load(string? path, IEnumerable<string>? overrides = null)
    {
        var tree = path is null ? null : YamlTree.Load(path);
        var root = tree is null ? new Dictionary<string, object?>() : (Dictionary<string, object?>)DeepCopy(tree.Root)!;
        var origins = new ConfigOrigins(path);
        if (tree is not null)
            foreach (var (key, line) in tree.Lines) origins.Set(key, $"{path}, line {line}", 0, line);
        var errors = new List<ConfigError>();
        ApplyOverrides(root, overrides ?? [], origins, errors);
        return Build(root, origins, errors, path);
    }

    /// <summary>Validates a tree built elsewhere (migration); <paramref name="errors"/> holds problems found before.</summary>
    internal static KeiseiConfig Build(Dictionary<string, object?> root, ConfigOrigins origins, List<ConfigError> errors, string? source)
    {
        var validator = new Validator(origins, errors);
        var values = validator.Run(root);
        if (errors.Count > 0)
        {
            var lines = Ordered(errors);
            throw new UserInputException(Format(lines, errors.Any(e => e.LooksLegacy), source, errors.Any(e => e.Group != 1)), new ConfigValidationException(lines));
        }
        return new KeiseiConfig(values, source);
    }

    /// <summary>Every problem of a config file with overrides, one line each (empty when it is valid).</summary>
    public static IReadOnlyList<string> Check(string path, IEnumerable<string>? overrides = null)
    {
        try
        {
            _ = Load(path, overrides);
            return [];
        }
        catch (UserInputException e)
        {
            return e.InnerException is ConfigValidationException v ? v.Errors : [e.Message];
        }
    }

    /// <summary>The value at a dotted path.</summary>
    public object? this[string path] => _values.TryGetValue(path, out var v) ? v : throw new KeyNotFoundException($"no config key '{path}'");

    private long L(string path) => (long)_values[path]!;

    private int I(string path) => checked((int)L(path));

    private double D(string path) => (double)_values[path]!;

    private bool B(string path) => (bool)_values[path]!;

    private string? S(string path) => (string?)_values[path];

    /// <summary>The options of a training run (PPO, schedule and model filled; the model's observation from <c>env.observation</c>).</summary>
    public TrainingOptions ToTrainingOptions() => new()
    {
        TotalTimesteps = L("training.total_timesteps"),
        StepsPerEpoch = I("training.steps_per_epoch"),
        NumEnvs = I("training.num_envs"),
        CheckpointIntervalTimesteps = L("training.checkpoint_interval_timesteps"),
        Seed = I("env.seed"),
        Device = S("env.device")!,
        MaxMovesPerGame = I("env.max_moves_per_game"),
        Threads = I("training.threads"),
        MaterialShaping = D("training.material_shaping"),
        MaxNonFiniteUpdates = I("training.max_nonfinite_updates"),
        Ppo = new PpoOptions
        {
            LearningRate = D("training.learning_rate"),
            Gamma = D("training.gamma"),
            LambdaGae = D("training.lambda_gae"),
            ClipEpsilon = D("training.clip_epsilon"),
            PpoEpochs = I("training.ppo_epochs"),
            MinibatchSize = I("training.minibatch_size"),
            ValueLossCoeff = D("training.value_loss_coeff"),
            EntropyCoef = D("training.entropy_coef"),
            GradientClipMaxNorm = D("training.gradient_clip_max_norm"),
            WeightDecay = D("training.weight_decay"),
            Optimizer = S("training.optimizer")!,
            NormalizeAdvantages = B("training.normalize_advantages"),
            EnableValueClipping = B("training.enable_value_clipping"),
            ValueClipEpsilon = D("training.value_clip_epsilon"),
            TargetKl = (double?)_values["training.target_kl"],
            MixedPrecision = B("training.mixed_precision"),
            Schedule = new LrScheduleOptions
            {
                Type = S("training.lr_schedule_type"),
                StepOn = LrScheduleOptions.ParseStepOn(S("training.lr_schedule_step_on")!),
                WarmupSteps = I("training.lr_schedule_kwargs.warmup_steps"),
                FinalFraction = D("training.lr_schedule_kwargs.final_fraction"),
                Gamma = D("training.lr_schedule_kwargs.gamma"),
                StepSize = I("training.lr_schedule_kwargs.step_size"),
            },
        },
        Model = ToModelConfig(),
    };

    /// <summary>The network: <c>model.*</c> with the observation of <c>env.observation</c>.</summary>
    public ModelConfig ToModelConfig() => ModelFrom(_values);

    private static ModelConfig ModelFrom(IReadOnlyDictionary<string, object?> v) => new()
    {
        Architecture = (string)v["model.model_type"]!,
        TowerDepth = (int)(long)v["model.tower_depth"]!,
        TowerWidth = (int)(long)v["model.tower_width"]!,
        SeRatio = (double)v["model.se_ratio"]!,
        Channels = (int)(long)v["model.channels"]!,
        Layers = (int)(long)v["model.layers"]!,
        PolicyHead = (string)v["model.policy_head"]!,
        Observation = (string)v["env.observation"]!,
    };

    /// <summary>The <c>evaluation</c> section: every key with an effect, typed (used by <c>train</c>, its periodic evaluation and <c>evaluate</c>).</summary>
    public EvaluationSettings ToEvaluationSettings() => new()
    {
        EnablePeriodicEvaluation = B("evaluation.enable_periodic_evaluation"),
        IntervalTimesteps = L("evaluation.evaluation_interval_timesteps"),
        Strategy = S("evaluation.strategy")!,
        StrategyParams = (IReadOnlyDictionary<string, object?>)_values["evaluation.strategy_params"]!,
        NumGames = I("evaluation.num_games"),
        MaxConcurrentGames = I("evaluation.max_concurrent_games"),
        TimeoutPerGame = (double?)_values["evaluation.timeout_per_game"],
        OpponentType = S("evaluation.opponent_type")!,
        MaxMovesPerGame = I("evaluation.max_moves_per_game"),
        RandomSeed = _values["evaluation.random_seed"] is long seed ? checked((int)seed) : null,
        PreviousModelPoolSize = I("evaluation.previous_model_pool_size"),
        TempAgentDevice = S("evaluation.temp_agent_device")!,
        MaxEvaluationTimeMinutes = D("evaluation.max_evaluation_time_minutes"),
        MaxConcurrentEvaluations = I("evaluation.max_concurrent_evaluations"),
        MemoryLimitMb = I("evaluation.memory_limit_mb"),
        TrainingImpactLimitPercent = D("evaluation.training_impact_limit_percent"),
        AdaptiveThrottling = B("evaluation.adaptive_throttling"),
        Gating = S("evaluation.gating")!,
        GatingGames = I("evaluation.gating_games"),
        GatingThreshold = D("evaluation.gating_threshold"),
        GatingSprt = S("evaluation.gating_sprt")!,
    };

    /// <summary>Keys accepted from Python Keisei configs that have no effect (<see cref="ConfigKey.Inert"/>) and are set to something else than their default, by dotted path.</summary>
    public IReadOnlyList<string> InertKeysSet =>
        ConfigSchema.Leaves.Where(l => l.Key.Inert && !Equals(_values[l.Path], l.Key.Default)).Select(l => l.Path).ToList();

    /// <summary>Logs one warning for each of <see cref="InertKeysSet"/>, naming the key and its value.</summary>
    public void WarnInert(ILogger logger)
    {
        foreach (string path in InertKeysSet)
            logger.LogWarning("{Key}: {Value} has no effect (the key is accepted from Python Keisei configs only)", path, ConfigYaml.Scalar(_values[path]));
    }

    /// <summary><c>logging.*</c>.</summary>
    public LoggingSettings Logging => new(S("logging.run_dir")!, S("logging.run_name"), S("logging.log_file")!, B("logging.tensorboard"), B("logging.metrics_jsonl"));

    /// <summary><c>display.*</c>.</summary>
    public DisplaySettings Display => new(S("display.mode")!, I("display.refresh_per_second"));

    /// <summary>The effective config as YAML: every key in schema order with <c>schema_version</c>; reading it back gives the same config.</summary>
    public string ToYaml(string? header = null, bool comments = true) => ConfigYaml.Write(_values, header, comments);

    /// <summary>The effective config as one JSON object, nested like the YAML.</summary>
    public void WriteJson(Utf8JsonWriter writer) => WriteJsonLevel(writer, ConfigSchema.Root, "");

    private void WriteJsonLevel(Utf8JsonWriter writer, IReadOnlyList<ConfigKey> keys, string prefix)
    {
        foreach (var key in keys)
        {
            writer.WritePropertyName(key.Name);
            if (key.Type == ConfigType.Section)
            {
                writer.WriteStartObject();
                WriteJsonLevel(writer, key.Children, $"{prefix}{key.Name}.");
                writer.WriteEndObject();
            }
            else
            {
                WriteJsonValue(writer, _values[prefix + key.Name]);
            }
        }
    }

    private static void WriteJsonValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case long l: writer.WriteNumberValue(l); break;
            case double d: writer.WriteNumberValue(d); break;
            case string s: writer.WriteStringValue(s); break;
            case IReadOnlyDictionary<string, object?> map:
                writer.WriteStartObject();
                foreach (var (k, v) in map)
                {
                    writer.WritePropertyName(k);
                    WriteJsonValue(writer, v);
                }
                writer.WriteEndObject();
                break;
            case IEnumerable<object?> list:
                writer.WriteStartArray();
                foreach (var item in list) WriteJsonValue(writer, item);
                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    /// <summary>Applies <c>a.b=value</c> assignments (values read as YAML scalars) to a tree, recording where each came from.</summary>
    internal static void ApplyOverrides(Dictionary<string, object?> root, IEnumerable<string> overrides, ConfigOrigins origins, List<ConfigError> errors)
    {
        foreach (string assignment in overrides)
        {
            string where = $"--set {assignment}";
            var pair = Keisei.Shogi.KeyValues.Pair(assignment);
            string key = pair?.Key ?? "";
            string[] parts = key.Split('.');
            if (pair is null || parts.Any(p => p.Length == 0))
            {
                errors.Add(new ConfigError(where, null, $"expected section.key=value, e.g. training.learning_rate=0.001", 1, null));
                continue;
            }
            object? value;
            try
            {
                value = YamlTree.ParseScalar(pair.Value.Value);
            }
            catch (UserInputException e)
            {
                errors.Add(new ConfigError(where, key, e.Message, 1, null));
                continue;
            }
            var map = root;
            foreach (string part in parts[..^1])
            {
                if (map.TryGetValue(part, out var next) && next is Dictionary<string, object?> child)
                {
                    map = child;
                }
                else
                {
                    var created = new Dictionary<string, object?>();
                    map[part] = created;
                    map = created;
                }
            }
            map[parts[^1]] = value;
            origins.Set(key, where, 1, null);
        }
    }

    internal static object? DeepCopy(object? value) => value switch
    {
        IReadOnlyDictionary<string, object?> map => map.ToDictionary(kv => kv.Key, kv => DeepCopy(kv.Value)),
        IEnumerable<object?> list when value is not string => list.Select(DeepCopy).ToList(),
        _ => value,
    };

    private static List<string> Ordered(List<ConfigError> errors) =>
        errors.Select((e, i) => (e, i)).OrderBy(x => x.e.Group).ThenBy(x => x.e.Line ?? int.MaxValue).ThenBy(x => x.i).Select(x => x.e.ToString()).ToList();

    /// <param name="fromSource">Whether any error comes from the file itself (not only from <c>--set</c>): only then does the heading name the file.</param>
    private static string Format(List<string> ordered, bool legacy, string? source, bool fromSource)
    {
        string hint = legacy
            ? $"\nhint: this looks like a Python Keisei config; convert it with `keisei config migrate {source ?? "OLD.yaml"} -o NEW.yaml`"
            : "";
        return ordered.Count == 1
            ? ordered[0] + hint
            : $"{(source is null || !fromSource ? "" : source + ": ")}{ordered.Count} errors in the configuration:\n  " + string.Join("\n  ", ordered) + hint;
    }

    /// <summary>Walks the schema over a tree, converting values and collecting every error.</summary>
    private sealed class Validator(ConfigOrigins origins, List<ConfigError> errors)
    {
        private readonly Dictionary<string, object?> _values = new();
        private readonly HashSet<string> _failed = new();

        public Dictionary<string, object?> Run(Dictionary<string, object?> root)
        {
            CheckMap(ConfigSchema.Root, root, "");
            Aliases();
            CrossChecks();
            return ConfigSchema.Leaves.ToDictionary(l => l.Path, l => _values[l.Path]);
        }

        private void Error(string path, string message, bool legacy = false)
        {
            var (where, group, line) = origins.Where(path);
            errors.Add(new ConfigError(where, path, message, group, line) { LooksLegacy = legacy });
            _failed.Add(path);
        }

        private void CheckMap(IReadOnlyList<ConfigKey> keys, IReadOnlyDictionary<string, object?>? map, string prefix)
        {
            if (map is not null)
                foreach (string name in map.Keys.Where(n => keys.All(k => k.Name != n)))
                    Unknown(prefix, name, keys);
            foreach (var key in keys)
            {
                string path = prefix + key.Name;
                object? raw = null;
                bool present = map is not null && map.TryGetValue(key.Name, out raw);
                if (key.Type == ConfigType.Section)
                {
                    if (present && raw is not null and not IReadOnlyDictionary<string, object?>)
                    {
                        Error(path, $"expected {key.Expected}, found {Describe(raw)}");
                        raw = null;
                    }
                    CheckMap(key.Children, raw as IReadOnlyDictionary<string, object?>, path + ".");
                    continue;
                }
                if (!present)
                {
                    _values[path] = key.Type == ConfigType.FreeMap ? new Dictionary<string, object?>() : key.Default;
                    continue;
                }
                if (TryConvert(key, path, raw, out object? value, out string? error))
                {
                    _values[path] = value;
                }
                else
                {
                    Error(path, error!);
                    _values[path] = key.Type == ConfigType.FreeMap ? new Dictionary<string, object?>() : key.Default;
                }
            }
        }

        private void Unknown(string prefix, string name, IReadOnlyList<ConfigKey> keys)
        {
            string path = prefix + name;
            string section = prefix.TrimEnd('.');
            bool legacy = ConfigMigration.IsLegacyKey(path);
            // A key that exists in another section (training.model_type → model.model_type) is suggested there.
            string? elsewhere = ConfigSchema.Leaves.Select(l => l.Path).FirstOrDefault(p => p.EndsWith("." + name, StringComparison.Ordinal) && p != path);
            string? near = ConfigSchema.Suggest(name, keys.Select(k => k.Name));
            string what = prefix.Length == 0 ? "unknown section" : "unknown key";
            string message = elsewhere is not null && (prefix.Length == 0 || !elsewhere.StartsWith(prefix, StringComparison.Ordinal))
                ? $"{what} (did you mean '{elsewhere}'?)"
                : near is not null
                    ? $"{what} (did you mean '{near}'?)"
                    : prefix.Length == 0
                        ? $"{what}; sections: {string.Join(", ", keys.Select(k => k.Name))}"
                        : $"{what}; keys of {section}: {string.Join(", ", keys.Select(k => k.Name))}";
            Error(path, message, legacy);
        }

        private static bool TryConvert(ConfigKey key, string path, object? raw, out object? value, out string? error)
        {
            value = null;
            error = null;
            string found = Describe(raw);
            if (raw is null)
            {
                if (key.Nullable || key.Type == ConfigType.FreeMap)
                {
                    value = key.Type == ConfigType.FreeMap ? new Dictionary<string, object?>() : null;
                    return true;
                }
                error = $"expected {key.Expected}, found nothing";
                return false;
            }
            if (path == ConfigSchema.VersionKey)
            {
                if (raw is long v && v == ConfigSchema.Version)
                {
                    value = v;
                    return true;
                }
                error = $"expected {ConfigSchema.Version} (the only schema version this Keisei reads), found {found}";
                return false;
            }
            switch (key.Type)
            {
                case ConfigType.Int:
                case ConfigType.Long:
                {
                    long? n = raw switch
                    {
                        long l => l,
                        double d when Math.Floor(d) == d && Math.Abs(d) < 9e18 => (long)d,
                        _ => null,
                    };
                    bool inRange = n is { } x && (key.Type == ConfigType.Long || x is >= int.MinValue and <= int.MaxValue)
                        && (key.Min is not { } lo || x >= lo) && (key.Max is not { } hi || x <= hi);
                    if (!inRange)
                    {
                        error = $"expected {key.Expected}, found {found}";
                        return false;
                    }
                    value = n;
                    return true;
                }
                case ConfigType.Double:
                {
                    double? d = raw switch { long l => l, double v => v, _ => null };
                    bool inRange = d is { } x && double.IsFinite(x)
                        && (key.Min is not { } lo || (key.MinExclusive ? x > lo : x >= lo)) && (key.Max is not { } hi || x <= hi);
                    if (!inRange)
                    {
                        error = $"expected {key.Expected}, found {found}";
                        return false;
                    }
                    value = d;
                    return true;
                }
                case ConfigType.Bool:
                    if (raw is bool b)
                    {
                        value = b;
                        return true;
                    }
                    error = $"expected {key.Expected}, found {found}";
                    return false;
                case ConfigType.FreeMap:
                    if (raw is IReadOnlyDictionary<string, object?> map)
                    {
                        value = DeepCopy(map);
                        return true;
                    }
                    error = $"expected {key.Expected}, found {found}";
                    return false;
            }
            string? text = raw switch
            {
                string s => s,
                long or bool => Convert.ToString(raw, CultureInfo.InvariantCulture)!.ToLowerInvariant(),
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                _ => null,
            };
            if (text is null || text.Length == 0)
            {
                error = $"expected {key.Expected}, found {found}";
                return false;
            }
            switch (key.Type)
            {
                case ConfigType.Choice when !key.Choices.Contains(text):
                    string? near = ConfigSchema.Suggest(text, key.Choices);
                    error = $"expected {key.Expected}, found {found}{(near is null ? "" : $" (did you mean '{near}'?)")}";
                    return false;
                case ConfigType.Device when ConfigSchema.DeviceError(text) is { } deviceError:
                    error = deviceError;
                    return false;
                case ConfigType.Opponent:
                    try
                    {
                        _ = OpponentSpec.Parse(text, path);
                    }
                    catch (EvaluationConfigException e)
                    {
                        error = e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;
                        return false;
                    }
                    break;
            }
            value = text;
            return true;
        }

        /// <summary>Moves the value of each alias key into the key it names; both given with different values is an error.</summary>
        private void Aliases()
        {
            foreach (var (path, key) in ConfigSchema.Leaves.Where(l => l.Key.AliasOf is not null))
            {
                string target = path[..(path.LastIndexOf('.') + 1)] + key.AliasOf;
                if (_values[path] is not { } value || _failed.Contains(target)) continue;
                if (_values[target] is { } other && !Equals(other, value))
                    Error(path, $"another name for {target}, which is {Describe(other)} here; give one of them");
                else
                    _values[target] = value;
                _values[path] = null;
            }
        }

        private bool Ok(params string[] paths) => paths.All(p => !_failed.Contains(p));

        private void CrossChecks()
        {
            // The trainer's own limits (buffer sizes, minibatch within an update), checked here exactly as the trainer checks them.
            // Keys that failed hold their defaults here; a problem is reported only when the values it relates were all given correctly.
            if (Ok("training.steps_per_epoch", "training.minibatch_size"))
            {
                foreach (string problem in new KeiseiConfig(_values, null).ToTrainingOptions().Validate())
                {
                    int colon = problem.IndexOf(':');
                    string path = "training." + problem[..colon];
                    if (!_failed.Contains(path)) Error(path, problem[(colon + 1)..].Trim());
                }
            }

            if (Ok("logging.log_file") && RunDirectory.LogFileError((string)_values["logging.log_file"]!) is { } logError) Error("logging.log_file", logError);
            if (Ok("logging.run_name") && _values["logging.run_name"] is string runName && RunDirectory.NameError(runName) is { } nameError)
                Error("logging.run_name", nameError);
            if (Ok("evaluation.gating_sprt") && !Keisei.Evaluation.Statistics.SprtParameters.TryParse((string)_values["evaluation.gating_sprt"]!, out _, out string sprtError))
                Error("evaluation.gating_sprt", sprtError);

            if (Ok("model.model_type", "env.observation"))
            {
                foreach (string problem in ModelFrom(_values).Validate())
                {
                    int colon = problem.IndexOf(':');
                    string name = colon > 0 ? problem[..colon] : "";
                    string path = name switch { "arch" => "model.model_type", "observation" => "env.observation", _ => $"model.{name}" };
                    if (!_failed.Contains(path)) Error(path, colon > 0 ? problem[(colon + 1)..].Trim() : problem);
                }
            }

            if (Ok("evaluation.strategy", "evaluation.strategy_params"))
            {
                var parameters = (IReadOnlyDictionary<string, object?>)_values["evaluation.strategy_params"]!;
                try
                {
                    _ = EvaluationStrategy.Create((string)_values["evaluation.strategy"]!, new ParamReader(parameters, "evaluation.strategy_params"));
                }
                catch (EvaluationConfigException e)
                {
                    int colon = e.Message.IndexOf(": ", StringComparison.Ordinal);
                    string path = colon > 0 && e.Message.StartsWith("evaluation.", StringComparison.Ordinal) ? e.Message[..colon] : "evaluation.strategy_params";
                    Error(path, colon > 0 ? e.Message[(colon + 2)..] : e.Message);
                }
            }
        }
    }

    /// <summary>How a value is named in a message: 'text', nothing, a list, a mapping.</summary>
    internal static string Describe(object? v) => v switch
    {
        null => "nothing",
        string s => $"'{s}'",
        bool b => b ? "true" : "false",
        double d => $"{d.ToString("R", CultureInfo.InvariantCulture)}",
        IReadOnlyDictionary<string, object?> => "a mapping",
        IEnumerable<object?> => "a list",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture)!,
    };
}

/// <summary>The list of problems behind a configuration's <see cref="UserInputException"/>, one line each.</summary>
public sealed class ConfigValidationException(IReadOnlyList<string> errors) : Exception(string.Join("\n", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>One problem in a configuration: where (file and line, or the override), the key path and what is wrong.</summary>
internal sealed record ConfigError(string Where, string? Path, string Message, int Group, int? Line)
{
    /// <summary>The key is one the Python Keisei had (a hint to migrate).</summary>
    public bool LooksLegacy { get; init; }

    public override string ToString() => Path is null ? $"{Where}: {Message}" : $"{Where}: {Path}: {Message}";
}

/// <summary>Where each key of a tree came from: "file, line N", "--set k=v", or the source as a whole.</summary>
internal sealed class ConfigOrigins(string? source)
{
    private readonly Dictionary<string, (string Where, int Group, int? Line)> _origins = new();

    public void Set(string path, string where, int group, int? line) => _origins[path] = (where, group, line);

    /// <summary>The origin of a path or of its nearest enclosing key; the source otherwise.</summary>
    public (string Where, int Group, int? Line) Where(string path)
    {
        for (string p = path; p.Length > 0;)
        {
            if (_origins.TryGetValue(p, out var origin)) return origin;
            int cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
            p = cut > 0 ? p[..cut] : "";
        }
        return (source ?? "defaults", 2, null);
    }
}
