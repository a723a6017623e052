using System.CommandLine;
using System.Globalization;
using Keisei.Cli.Config;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Models;

namespace Keisei.Cli;

/// <summary><c>keisei model init</c> and <c>keisei model info</c>: create and inspect checkpoints.</summary>
internal static class ModelCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("model", "Create and inspect model checkpoints.");
        command.Subcommands.Add(CreateInit(stdout));
        command.Subcommands.Add(CreateInfo(stdout));
        return command;
    }

    private static Command CreateInit(TextWriter stdout)
    {
        var arch = new Option<string>("--arch")
        {
            Description = "Architecture: quick (small CNN for CPU runs) or resnet (Keisei's SE-ResNet, 9 x 256 by default).",
            Required = true,
        };
        arch.AcceptOnlyFromAmong(ModelConfig.Quick, ModelConfig.ResNet);
        var set = new Option<string[]>("--set")
        {
            Description = "Override a model setting as in a config file, e.g. --set model.tower_depth=4 (model.* keys and env.observation; the value is read as YAML).",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--out", "-o") { Description = "Checkpoint file to write.", Required = true };
        var seed = new Option<long>("--seed") { Description = "Seed of the random initial weights.", DefaultValueFactory = _ => 42 };
        var force = new Option<bool>("--force") { Description = "Overwrite the output file if it exists." };
        var command = new Command("init", "Write a checkpoint with freshly initialised (seeded) weights.") { arch, set, output, seed, force };
        command.SetAction(result =>
        {
            var config = ModelSettings.From(result.GetValue(arch)!, result.GetValue(set) ?? []);
            string path = result.GetValue(output)!;
            if (File.Exists(path) && !result.GetValue(force))
                throw new UserInputException($"--out: '{path}' already exists (use --force to overwrite it)");
            CliPaths.OutputFile("--out", path);
            using var model = PolicyValueModel.Create(config, result.GetValue(seed));
            var info = new CheckpointInfo
            {
                Model = config,
                Extra = { ["created_by"] = "keisei model init", ["seed"] = result.GetValue(seed).ToString(CultureInfo.InvariantCulture) },
            };
            string sha;
            try
            {
                sha = CheckpointFile.Save(path, model, info);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserInputException($"--out: cannot write '{path}': {e.Message}", e);
            }
            stdout.WriteLine($"Wrote {config.Describe()} ({model.ParameterCount:N0} parameters) to {path}");
            stdout.WriteLine($"sha256 {sha}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateInfo(TextWriter stdout)
    {
        var file = new Argument<string>("FILE") { Description = "Checkpoint file." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("info", "Verify a checkpoint's hash, rebuild its model and print what it contains.") { file, json };
        command.SetAction(result =>
        {
            string path = CliPaths.InputFile("FILE", result.GetValue(file)!);
            LoadedCheckpoint checkpoint;
            try
            {
                checkpoint = CheckpointFile.Load(path);
            }
            catch (CheckpointException e)
            {
                throw new UserInputException(e.Message, e);
            }
            using var model = checkpoint.Model;
            var info = checkpoint.Info;
            var config = info.Model;
            long parameters = model.ParameterCount;
            if (result.GetValue(json))
            {
                JsonOutput.Write(stdout, w =>
                {
                    w.WriteString("path", path);
                    w.WriteString("architecture", config.Architecture);
                    w.WriteStartObject("hyperparameters");
                    foreach (var (key, value) in ModelSettings.Describe(config)) w.WriteString(key, value);
                    w.WriteEndObject();
                    w.WriteNumber("parameters", parameters);
                    w.WriteString("observation_encoding", config.Observation);
                    w.WriteNumber("input_channels", config.InputChannels);
                    w.WriteString("action_encoding", info.ActionEncoding);
                    w.WriteNumber("actions", config.Actions);
                    w.WriteStartObject("counters");
                    foreach (var (key, value) in info.Counters) w.WriteNumber(key, value);
                    w.WriteEndObject();
                    w.WriteBoolean("optimizer_state", checkpoint.HasOptimizerState);
                    w.WriteString("created_at", info.CreatedAt);
                    w.WriteString("sha256", checkpoint.Sha256);
                    w.WriteBoolean("hash_verified", true);
                });
                return ExitCodes.Success;
            }
            stdout.WriteLine($"Checkpoint     {path}");
            stdout.WriteLine($"Architecture   {config.Describe()}");
            foreach (var (key, value) in ModelSettings.Describe(config)) stdout.WriteLine($"  {key,-13}{value}");
            stdout.WriteLine($"Parameters     {parameters:N0}");
            stdout.WriteLine($"Encodings      observation {config.Observation} ({config.InputChannels} planes), actions {info.ActionEncoding} ({config.Actions})");
            stdout.WriteLine($"Counters       {(info.Counters.Count == 0 ? "none" : string.Join(", ", info.Counters.Select(c => $"{c.Key} {c.Value:N0}")))}");
            stdout.WriteLine($"Optimizer      {(checkpoint.HasOptimizerState ? "state saved" : "none")}");
            stdout.WriteLine($"Created        {info.CreatedAt:u}");
            stdout.WriteLine($"SHA-256        {checkpoint.Sha256} (verified)");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>The <c>model.*</c> settings a user can override, by their config-file names.</summary>
internal static class ModelSettings
{
    /// <summary>
    /// The model of architecture <paramref name="architecture"/> with <c>--set</c> overrides, read through the config schema
    /// exactly as <c>config</c> and <c>train</c> read them (YAML values, the same checks and messages); only the model's keys
    /// may be set here.
    /// </summary>
    public static ModelConfig From(string architecture, IReadOnlyList<string> assignments)
    {
        foreach (string assignment in assignments)
        {
            string key = Keisei.Shogi.KeyValues.Pair(assignment)?.Key ?? assignment.Trim();
            if (!key.StartsWith("model.", StringComparison.Ordinal) && key != "env.observation")
                throw new UserInputException($"--set '{assignment}': only model.* keys and env.observation can be set here");
            if (key == "model.model_type")
                throw new UserInputException($"--set '{assignment}': the architecture is --arch here");
        }
        return KeiseiConfig.Load(null, [$"model.model_type={architecture}", .. assignments]).ToModelConfig();
    }

    /// <summary>The hyper-parameters that matter for the configuration's architecture.</summary>
    public static IEnumerable<(string Key, string Value)> Describe(ModelConfig c) => c.Architecture == ModelConfig.ResNet
        ? [("tower_depth", c.TowerDepth.ToString(CultureInfo.InvariantCulture)), ("tower_width", c.TowerWidth.ToString(CultureInfo.InvariantCulture)),
            ("se_ratio", c.SeRatio.ToString(CultureInfo.InvariantCulture)), ("policy_head", c.PolicyHead)]
        : [("channels", c.Channels.ToString(CultureInfo.InvariantCulture)), ("layers", c.Layers.ToString(CultureInfo.InvariantCulture)),
            ("policy_head", c.PolicyHead)];
}
