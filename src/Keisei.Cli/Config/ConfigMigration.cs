using Keisei.Evaluation.Strategies;
using Keisei.Neural.Encoding;

namespace Keisei.Cli.Config;

/// <summary>What the migration did with one key.</summary>
public enum MigrationAction
{
    /// <summary>Same name and meaning in Keisei.</summary>
    Mapped,

    /// <summary>Moved to another name or section, same meaning.</summary>
    Renamed,

    /// <summary>The old value has no valid equivalent; a sensible valid one was chosen.</summary>
    Changed,

    /// <summary>Not in the old file; Keisei's default.</summary>
    Defaulted,

    /// <summary>No meaning in Keisei.</summary>
    Dropped,
}

/// <summary>One line of a migration report: the old key, the new key (if any), the value written and why.</summary>
public sealed record MigrationEntry(MigrationAction Action, string From, string? To, object? Value, string Reason);

/// <summary>The migrated, validated config with the report of what happened to every key.</summary>
public sealed record MigrationResult(string Source, KeiseiConfig Config, IReadOnlyList<MigrationEntry> Entries, IReadOnlyList<string> Notes);

/// <summary>Converts a Python Keisei config file (any of its layouts) into Keisei's schema, explaining each decision.</summary>
public static class ConfigMigration
{
    private const string SameMeaning = "same name and meaning";
    private const string Defaulted = "not in the old file; Keisei's default";
    private const string TorchCompile = "torch.compile is PyTorch-only; TorchSharp runs the model eagerly";

    /// <summary>A key move or removal: <c>To</c> null drops the key. Patterns end in <c>*</c> to match a prefix.</summary>
    private sealed record Rule(string Pattern, string? To, string Reason)
    {
        public bool Matches(string path) => Pattern.EndsWith('*') ? path.StartsWith(Pattern[..^1], StringComparison.Ordinal) : path == Pattern;
    }

    private static readonly Rule[] Rules =
    [
        new("training.model_type", "model.model_type", "model settings have their own section"),
        new("training.tower_depth", "model.tower_depth", "model settings have their own section"),
        new("training.tower_width", "model.tower_width", "model settings have their own section"),
        new("training.se_ratio", "model.se_ratio", "model settings have their own section"),
        new("training.input_features", "env.observation", "the observation encoding belongs to the environment; it fixes the network's input planes"),
        new("logging.model_dir", "logging.run_dir", "each run writes its checkpoints, database, logs and metrics under run_dir/<run_name>"),
        new("training.refresh_per_second", "display.refresh_per_second", "display settings have their own section"),
        new("NUM_GAMES", "evaluation.num_games", "flat legacy key"),
        new("OPPONENT_TYPE", "evaluation.opponent_type", "flat legacy key"),
        new("env.num_actions_total", null, "the action space is fixed at 13,527 moves; it is not a setting"),
        new("training.render_every_steps", null, "the live display redraws by time (display.refresh_per_second), not every N steps"),
        new("training.ddp", null, "no DistributedDataParallel: a run trains on one device (env.device) and scales self-play with training.num_envs"),
        new("training.enable_torch_compile", null, TorchCompile),
        new("training.torch_compile_*", null, TorchCompile),
        new("training.enable_compilation_*", null, TorchCompile),
        new("training.validate_compiled_output", null, TorchCompile),
        new("training.compilation_*", null, TorchCompile),
        new("wandb.*", null, "W&B is not built in; Keisei writes TensorBoard event files: use `wandb sync --sync-tensorboard {run_dir}/<run>`"),
        new("parallel.*", null, "no worker processes: Keisei plays training.num_envs self-play games in one process and batches their positions"),
        new("demo.*", null, "no demo mode: watch and export games with keisei evaluate and keisei games export"),
        new("display.*", null, "a panel setting of the Python dashboard; Keisei's display has only mode and refresh_per_second"),
    ];

    /// <summary>Python names of <c>lr_schedule_kwargs</c> keys that Keisei spells differently.</summary>
    private static readonly Dictionary<string, string> ScheduleRenames = new()
    {
        ["final_lr_fraction"] = "linear's final rate as a fraction of the base rate",
        ["eta_min_fraction"] = "cosine's minimum rate as a fraction of the base rate",
    };

    /// <summary>True for keys the Python Keisei had and Keisei moved or dropped (unknown-key errors then hint at <c>config migrate</c>).</summary>
    internal static bool IsLegacyKey(string path) =>
        path is "env.input_channels" or "training.enable_spinner" || Rules.Any(r => r.Pattern != "display.*" && r.Matches(path));

    /// <summary>Migrates a Python Keisei config file; the result is validated like any config file.</summary>
    /// <exception cref="UserInputException">The file cannot be read, or its values are invalid; every problem is listed with its line.</exception>
    public static MigrationResult Migrate(string path) => new Migrator(YamlTree.Load(path)).Run();

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically (temporary file, then rename); refuses to replace a file unless <paramref name="force"/>.</summary>
    /// <exception cref="UserInputException">The file exists (without <paramref name="force"/>) or cannot be written.</exception>
    public static void WriteAtomic(string path, string text, bool force)
    {
        if (!force && File.Exists(path)) throw new UserInputException($"'{path}' already exists (use --force to overwrite it)");
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(text);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: force);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            if (!force && File.Exists(full)) throw new UserInputException($"'{path}' already exists (use --force to overwrite it)", e);
            throw new UserInputException($"cannot write '{path}': {e.Message}", e);
        }
    }

    private sealed class Migrator(YamlTree tree)
    {
        private readonly Dictionary<string, object?> _root = new();
        private readonly ConfigOrigins _origins = new(tree.Path);
        private readonly List<MigrationEntry> _entries = new();
        private readonly List<string> _notes = new();
        private readonly List<ConfigError> _errors = new();
        private readonly Dictionary<string, string> _setFrom = new();

        public MigrationResult Run()
        {
            var deferred = new List<(string Path, object? Value)>();
            foreach (var (key, value) in tree.Root)
            {
                if (key is "NUM_GAMES" or "OPPONENT_TYPE")
                    deferred.Add((key, value));
                else if (value is null && ConfigSchema.Find(key)?.Type == ConfigType.Section)
                    continue;
                else if (value is IReadOnlyDictionary<string, object?> section)
                    foreach (var (name, child) in section)
                    {
                        string path = $"{key}.{name}";
                        if (path is "env.input_channels" or "training.enable_spinner") deferred.Add((path, child));
                        else Key(path, child);
                    }
                else
                    Key(key, value);
            }
            foreach (var (path, value) in deferred)
            {
                if (path == "env.input_channels") InputChannels(value);
                else if (path == "training.enable_spinner") Spinner(value);
                else Key(path, value);
            }
            NoteEmptyPools();

            var config = KeiseiConfig.Build(_root, _origins, _errors, tree.Path);
            foreach (var (leaf, _) in ConfigSchema.Leaves)
                if (!Has(leaf)) _entries.Add(new MigrationEntry(MigrationAction.Defaulted, leaf, leaf, config.Values[leaf], Defaulted));
            return new MigrationResult(tree.Path, config, _entries, _notes);
        }

        private string Where(string oldPath) => tree.Where(oldPath);

        private bool Has(string newPath)
        {
            object? node = _root;
            foreach (string part in newPath.Split('.'))
            {
                if (node is not IReadOnlyDictionary<string, object?> map || !map.TryGetValue(part, out node)) return false;
            }
            return true;
        }

        /// <summary>Puts a value at a new path, remembering the old key's line; false when an earlier key already set it.</summary>
        private bool Put(string newPath, object? value, string oldPath)
        {
            if (_setFrom.TryGetValue(newPath, out string? earlier))
            {
                Add(MigrationAction.Dropped, oldPath, null, value, $"{newPath} is already set by {earlier} ({Where(earlier)}), which is kept");
                return false;
            }
            string[] parts = newPath.Split('.');
            var map = _root;
            foreach (string part in parts[..^1])
            {
                if (map.TryGetValue(part, out var next) && next is Dictionary<string, object?> child) map = child;
                else map = (Dictionary<string, object?>)(map[part] = new Dictionary<string, object?>())!;
            }
            map[parts[^1]] = KeiseiConfig.DeepCopy(value);
            _setFrom[newPath] = oldPath;
            if (tree.Lines.TryGetValue(oldPath, out int line)) _origins.Set(newPath, $"{tree.Path}, line {line}", 0, line);
            return true;
        }

        private void Add(MigrationAction action, string from, string? to, object? value, string reason) =>
            _entries.Add(new MigrationEntry(action, from, to, value, reason));

        private void Map(string path, object? value)
        {
            string reason = ConfigSchema.Find(path) is { Inert: true } ? "kept so the file reads back; no effect in Keisei" : SameMeaning;
            if (Put(path, value, path)) Add(MigrationAction.Mapped, path, path, value, reason);
        }

        private void Key(string path, object? value)
        {
            switch (path)
            {
                case "training.lr_schedule_kwargs":
                    ScheduleKwargs(value);
                    return;
                case "evaluation.strategy_params":
                    StrategyParams(value);
                    return;
                case "evaluation.opponent_type" or "OPPONENT_TYPE" when value is "ppo":
                    if (Put("evaluation.opponent_type", "random", path))
                        Add(MigrationAction.Changed, path, "evaluation.opponent_type", "random",
                            "'ppo' meant earlier checkpoints of the same run, which Keisei names by path; Keisei's default 'random' is used " +
                            "(name one with ckpt:<path>, or list several in strategy_params.opponent_pool_config)");
                    return;
            }
            var rule = Rules.FirstOrDefault(r => r.To is not null && r.Matches(path));
            if (rule is not null)
            {
                if (Put(rule.To!, value, path)) Add(MigrationAction.Renamed, path, rule.To, value, rule.Reason);
                return;
            }
            var known = ConfigSchema.Find(path);
            if (known is not null)
            {
                Map(path, value);
                return;
            }
            rule = Rules.FirstOrDefault(r => r.Matches(path));
            if (rule is not null)
            {
                string runDir = _root.TryGetValue("logging", out var l) && l is IReadOnlyDictionary<string, object?> logging && logging.TryGetValue("run_dir", out var d) && d is string dir
                    ? dir.TrimEnd('/')
                    : ((string?)ConfigSchema.Find("logging.run_dir")!.Default)!;
                Add(MigrationAction.Dropped, path, null, value, rule.Reason.Replace("{run_dir}", runDir, StringComparison.Ordinal));
                return;
            }
            Unknown(path, value);
        }

        private void Unknown(string path, object? value)
        {
            int dot = path.LastIndexOf('.');
            string section = dot > 0 ? path[..dot] : "";
            string name = path[(dot + 1)..];
            var siblings = section.Length == 0 ? ConfigSchema.Root : ConfigSchema.Find(section)?.Children ?? [];
            string? near = ConfigSchema.Suggest(name, siblings.Select(k => k.Name));
            string suggestion = near is null ? "" : $" (did you mean '{(section.Length == 0 ? near : $"{section}.{near}")}'?)";
            if (siblings.Count == 0 && !section.Contains('.') && ConfigSchema.Suggest(section, ConfigSchema.Sections.Select(k => k.Name)) is { } nearSection)
                suggestion = $" (did you mean '{nearSection}.{name}'?)";
            Add(MigrationAction.Dropped, path, null, value, $"not a Keisei setting{suggestion}; the Python Keisei ignored unknown keys, so it had no effect there either");
        }

        private void ScheduleKwargs(object? value)
        {
            const string path = "training.lr_schedule_kwargs";
            if (value is not IReadOnlyDictionary<string, object?> kwargs)
            {
                Map(path, value);
                return;
            }
            foreach (var (name, v) in kwargs)
            {
                string old = $"{path}.{name}";
                if (ScheduleRenames.TryGetValue(name, out string? meaning))
                {
                    if (Put($"{path}.final_fraction", v, old)) Add(MigrationAction.Renamed, old, $"{path}.final_fraction", v, $"{meaning}; Keisei has one name for it");
                }
                else if (ConfigSchema.Find(old) is not null)
                {
                    Map(old, v);
                }
                else
                {
                    Unknown(old, v);
                }
            }
            if (!Has(path)) Put(path, null, path);
        }

        private void StrategyParams(object? value)
        {
            const string path = "evaluation.strategy_params";
            string strategy = tree.Root.TryGetValue("evaluation", out var e) && e is IReadOnlyDictionary<string, object?> evaluation && evaluation.TryGetValue("strategy", out var s) && s is string name
                ? name
                : (string)ConfigSchema.Find("evaluation.strategy")!.Default!;
            if (value is not IReadOnlyDictionary<string, object?> parameters)
            {
                Map(path, value);
                return;
            }
            Put(path, new Dictionary<string, object?>(), path);
            _setFrom.Remove(path);
            long rounds = parameters.TryGetValue("tournament_rounds", out var r) && r is long n && n >= 1 ? n : 1;
            foreach (var (key, v) in parameters)
            {
                string old = $"{path}.{key}";
                if (strategy == "tournament" && Tournament(old, key, v, rounds, parameters.ContainsKey("games_per_pairing"))) continue;
                if (StrategyKnows(strategy, key, v, out string knownKeys))
                {
                    Map(old, v);
                }
                else
                {
                    string? near = ConfigSchema.Suggest(key, knownKeys.Split(", ", StringSplitOptions.RemoveEmptyEntries));
                    Add(MigrationAction.Dropped, old, null, v,
                        $"not a parameter of Keisei's {strategy} strategy{(near is null ? "" : $" (did you mean '{near}'?)")}; its parameters: {knownKeys}");
                }
            }
        }

        /// <summary>The Python tournament's own parameters; true when handled.</summary>
        private bool Tournament(string old, string key, object? value, long rounds, bool hasGamesPerPairing)
        {
            const string prefix = "evaluation.strategy_params.";
            switch (key)
            {
                case "tournament_type" when value is "round_robin" or "gauntlet":
                    if (Put(prefix + "mode", value, old)) Add(MigrationAction.Renamed, old, prefix + "mode", value, "Keisei's tournament calls it mode (gauntlet or round_robin)");
                    return true;
                case "tournament_type":
                    Add(MigrationAction.Dropped, old, null, value, $"Keisei's tournament plays gauntlet (the default) or round_robin; {KeiseiConfig.Describe(value)} has no equivalent");
                    return true;
                case "games_per_pairing" when value is long games:
                    long total = games * rounds;
                    if (Put(prefix + "num_games_per_opponent", total, old))
                        Add(MigrationAction.Renamed, old, prefix + "num_games_per_opponent", total,
                            rounds == 1 ? "games against each opponent" : $"games against each opponent: {games} per pairing x {rounds} tournament_rounds");
                    return true;
                case "tournament_rounds":
                    Add(MigrationAction.Dropped, old, null, value, hasGamesPerPairing
                        ? "folded into num_games_per_opponent (games_per_pairing x rounds)"
                        : "rounds are not separate: set num_games_per_opponent to the games against each opponent");
                    return true;
                case "run_tournaments_in_background" or "background_tournament_interval":
                    Add(MigrationAction.Dropped, old, null, value,
                        "background tournament: Keisei's evaluation always runs beside training, every evaluation.evaluation_interval_timesteps");
                    return true;
                case "best_opponent_selection":
                    Add(MigrationAction.Dropped, old, null, value, "the tournament plays every opponent of its pool; the ladder strategy picks opponents by rating");
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>Whether the strategy accepts a parameter name (it rejects unknown ones first, naming its known keys).</summary>
        private static bool StrategyKnows(string strategy, string key, object? value, out string knownKeys)
        {
            knownKeys = "";
            try
            {
                _ = EvaluationStrategy.Create(strategy, new ParamReader(new Dictionary<string, object?> { [key] = value }, "evaluation.strategy_params"));
            }
            catch (EvaluationConfigException e) when (e.Message.StartsWith($"evaluation.strategy_params.{key}: unknown key", StringComparison.Ordinal))
            {
                const string marker = "known keys: ";
                int at = e.Message.IndexOf(marker, StringComparison.Ordinal);
                knownKeys = at >= 0 ? e.Message[(at + marker.Length)..] : "";
                return false;
            }
            catch (EvaluationConfigException)
            {
                // Another complaint (a missing suite, a bad value): the name is known; validation reports the rest.
            }
            return true;
        }

        private void InputChannels(object? value)
        {
            const string path = "env.input_channels";
            string? observation = _root.TryGetValue("env", out var env) && env is IReadOnlyDictionary<string, object?> e && e.TryGetValue("observation", out var o) ? o as string : null;
            if (observation is not null && !ObservationEncoder.Names.Contains(observation))
            {
                Add(MigrationAction.Dropped, path, null, value, "the observation encoding fixes the input channels");
                return;
            }
            if (observation is not null)
            {
                int channels = ObservationEncoder.ByName(observation).Channels;
                if (value is long n && n == channels)
                    Add(MigrationAction.Dropped, path, null, value, $"consistent with env.observation {observation} ({channels} planes), which fixes it");
                else
                    Error(path, $"expected {channels} to match env.observation '{observation}' ({Where(_setFrom["env.observation"])}), found {KeiseiConfig.Describe(value)}");
                return;
            }
            string? match = ObservationEncoder.Names.FirstOrDefault(name => value is long c && ObservationEncoder.ByName(name).Channels == c);
            if (match is null)
            {
                Error(path, $"expected {string.Join(" or ", ObservationEncoder.Names.Select(name => $"{ObservationEncoder.ByName(name).Channels} ({name})"))}, found {KeiseiConfig.Describe(value)}");
                return;
            }
            if (match == (string)ConfigSchema.Find("env.observation")!.Default!)
            {
                Add(MigrationAction.Dropped, path, null, value, $"consistent with the default env.observation {match} ({value} planes), which fixes it");
                return;
            }
            if (Put("env.observation", match, path))
                Add(MigrationAction.Renamed, path, "env.observation", match, $"{value} input planes is the {match} observation, which fixes the channels");
        }

        private void Spinner(object? value)
        {
            const string path = "training.enable_spinner";
            if (value is false && !Has("display.mode"))
            {
                if (Put("display.mode", "plain", path))
                    Add(MigrationAction.Renamed, path, "display.mode", "plain", "no animation: plain log lines instead of the live display");
                return;
            }
            Add(MigrationAction.Dropped, path, null, value, Has("display.mode")
                ? "display.mode is set and decides"
                : "the live display (display.mode auto on a terminal) animates its own progress");
        }

        private void NoteEmptyPools()
        {
            string strategy = Has("evaluation.strategy") && ((Dictionary<string, object?>)_root["evaluation"]!)["strategy"] is string s ? s : "single_opponent";
            string? pool = strategy switch { "tournament" or "ladder" => "opponent_pool_config", _ => null };
            if (pool is not null && !Has($"evaluation.strategy_params.{pool}"))
                _notes.Add($"evaluation.strategy is {strategy} and strategy_params.{pool} lists no opponents: pass them with keisei evaluate --opponent, " +
                    $"or add entries {{name, type: random|heuristic|checkpoint|usi, checkpoint_path | command}} to evaluation.strategy_params.{pool}");
        }

        private void Error(string oldPath, string message)
        {
            int? line = tree.Lines.TryGetValue(oldPath, out int l) ? l : null;
            _errors.Add(new ConfigError(Where(oldPath), oldPath, message, 0, line));
        }
    }

    /// <summary>The report as text lines, grouped by action (mapped, renamed, changed, defaulted, dropped), each with its reason.</summary>
    public static IEnumerable<string> Describe(MigrationResult result)
    {
        static string Section(string path) => path.Contains('.') ? path[..path.IndexOf('.')] : "";
        static string Short(string path) => path.Contains('.') ? path[(path.IndexOf('.') + 1)..] : path;
        static string Value(object? v) => ConfigYaml.Scalar(v);

        foreach (var action in Enum.GetValues<MigrationAction>())
        {
            var entries = result.Entries.Where(e => e.Action == action).ToList();
            if (entries.Count == 0) continue;
            string name = action.ToString().ToLowerInvariant();
            switch (action)
            {
                case MigrationAction.Mapped:
                    yield return $"{name} ({entries.Count}): {SameMeaning}";
                    foreach (var group in entries.GroupBy(e => Section(e.From)))
                        yield return $"  {(group.Key.Length == 0 ? "" : group.Key + ": ")}{string.Join(", ", group.Select(e => Short(e.From)))}";
                    break;
                case MigrationAction.Defaulted:
                    yield return $"{name} ({entries.Count}): {Defaulted}";
                    foreach (var group in entries.GroupBy(e => Section(e.From)))
                        yield return $"  {(group.Key.Length == 0 ? "" : group.Key + ": ")}{string.Join(", ", group.Select(e => $"{Short(e.From)} = {Value(e.Value)}"))}";
                    break;
                case MigrationAction.Dropped:
                    yield return $"{name} ({entries.Count}):";
                    foreach (var group in entries.GroupBy(e => (Section(e.From), e.Reason)))
                        yield return $"  {string.Join(", ", group.Select(e => e.From))}: {group.Key.Reason}";
                    break;
                default:
                    yield return $"{name} ({entries.Count}):";
                    foreach (var e in entries)
                        yield return $"  {e.From} -> {e.To} = {Value(e.Value)}: {e.Reason}";
                    break;
            }
        }
        foreach (string note in result.Notes) yield return $"note: {note}";
    }
}
