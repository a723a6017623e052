using System.CommandLine;
using Keisei.Cli.Config;

namespace Keisei.Cli;

/// <summary><c>keisei config show | validate | migrate</c>: the effective configuration, its checks, and conversion of Python Keisei files.</summary>
internal static class ConfigCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("config", "Show, validate and migrate configuration files.");
        command.Subcommands.Add(CreateShow(stdout));
        command.Subcommands.Add(CreateValidate(stdout));
        command.Subcommands.Add(CreateMigrate(stdout));
        return command;
    }

    /// <summary>The <c>--set a.b=value</c> option (alias <c>--override</c>) of every command that reads a config file.</summary>
    public static Option<string[]> SetOption() => new("--set", "--override")
    {
        Description = "Override one setting, e.g. --set training.learning_rate=0.001 (value read as YAML: numbers, true/false, null, text). Repeatable.",
        HelpName = "key=value",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Command CreateShow(TextWriter stdout)
    {
        var config = new Option<string?>("--config") { Description = "YAML config file (default: the built-in defaults)." };
        var set = SetOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("show", "Print the effective configuration: defaults, then the file, then --set overrides; every key in schema order.")
        {
            config, set, json,
        };
        command.SetAction(result =>
        {
            string? path = result.GetValue(config);
            var effective = KeiseiConfig.Load(path, result.GetValue(set) ?? []);
            if (result.GetValue(json))
            {
                JsonOutput.Write(stdout, effective.WriteJson);
                return ExitCodes.Success;
            }
            string origin = path is null ? "defaults" : $"defaults < {path}";
            if ((result.GetValue(set) ?? []).Length > 0) origin += " < --set";
            stdout.Write(effective.ToYaml($"Effective Keisei configuration ({origin})"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateValidate(TextWriter stdout)
    {
        var file = new Argument<string>("FILE") { Description = "YAML config file to check." };
        var set = SetOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object ({file, valid, errors})." };
        var command = new Command("validate", "Check a config file and report every problem at once (exit code 2 when there are any).") { file, set, json };
        command.SetAction(result =>
        {
            string path = result.GetValue(file)!;
            string[] overrides = result.GetValue(set) ?? [];
            if (!result.GetValue(json))
            {
                _ = KeiseiConfig.Load(path, overrides);
                stdout.WriteLine($"{path} is valid");
                return ExitCodes.Success;
            }
            var errors = KeiseiConfig.Check(path, overrides);
            JsonOutput.Write(stdout, w =>
            {
                w.WriteString("file", path);
                w.WriteBoolean("valid", errors.Count == 0);
                w.WriteStartArray("errors");
                foreach (string error in errors) w.WriteStringValue(error);
                w.WriteEndArray();
            });
            return errors.Count == 0 ? ExitCodes.Success : ExitCodes.BadInput;
        });
        return command;
    }

    private static Command CreateMigrate(TextWriter stdout)
    {
        var old = new Argument<string>("OLD") { Description = "Python Keisei config file (YAML)." };
        var output = new Option<string>("--output", "-o") { Description = "Keisei config file to write.", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite the output file if it exists." };
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        var command = new Command("migrate",
            "Convert a Python Keisei config: keep, rename, default or drop every key, explaining each decision, and write a valid Keisei config.")
        {
            old, output, force, json,
        };
        command.SetAction(result =>
        {
            string source = result.GetValue(old)!, target = result.GetValue(output)!;
            if (!result.GetValue(force) && File.Exists(target)) throw new UserInputException($"--output: '{target}' already exists (use --force to overwrite it)");
            CliPaths.OutputFile("--output", target);
            var migration = ConfigMigration.Migrate(source);
            string header = $"Keisei configuration (schema_version {ConfigSchema.Version}) migrated from {Path.GetFileName(source)} by `keisei config migrate`.\n" +
                "Every key is written with its value, defaults filled in.";
            ConfigMigration.WriteAtomic(target, migration.Config.ToYaml(header), result.GetValue(force));
            if (result.GetValue(json))
            {
                JsonOutput.Write(stdout, w =>
                {
                    w.WriteString("source", source);
                    w.WriteString("output", target);
                    w.WriteNumber("schema_version", ConfigSchema.Version);
                    foreach (var action in Enum.GetValues<MigrationAction>())
                    {
                        w.WriteStartArray(action.ToString().ToLowerInvariant());
                        foreach (var e in migration.Entries.Where(e => e.Action == action))
                        {
                            w.WriteStartObject();
                            w.WriteString("from", e.From);
                            if (e.To is null) w.WriteNull("to");
                            else w.WriteString("to", e.To);
                            w.WriteString("value", ConfigYaml.Scalar(e.Value));
                            w.WriteString("reason", e.Reason);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                    }
                    w.WriteStartArray("notes");
                    foreach (string note in migration.Notes) w.WriteStringValue(note);
                    w.WriteEndArray();
                });
                return ExitCodes.Success;
            }
            stdout.WriteLine($"Migrated {source} -> {target} (schema_version {ConfigSchema.Version})");
            foreach (string line in ConfigMigration.Describe(migration)) stdout.WriteLine(line);
            stdout.WriteLine($"Wrote {target}; check it with: keisei config validate {target}");
            return ExitCodes.Success;
        });
        return command;
    }
}
