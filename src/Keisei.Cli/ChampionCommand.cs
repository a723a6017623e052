using System.CommandLine;
using System.Text.Json.Nodes;
using Keisei.Cli.Config;
using Keisei.Evaluation.Storage;
using Keisei.Training;

namespace Keisei.Cli;

/// <summary><c>keisei champion</c> and <c>keisei rollback</c>: a run's gated champion, its history, and going back to an earlier checkpoint.</summary>
internal static class ChampionCommand
{
    private static Option<string> RunOption() => new("--run") { Description = "Run name (under --runs-dir) or folder.", Required = true };

    private static Option<string> RunsDirOption() => new("--runs-dir") { Description = "Folder holding the runs.", DefaultValueFactory = _ => KeiseiConfig.Defaults.Logging.RunDir };

    private static (RunDirectory Run, ResultsStore Store) Open(string runsDir, string name)
    {
        RunDirectory run;
        try
        {
            run = RunDirectory.Open(runsDir, name);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new UserInputException($"--run: {e.Message}", e);
        }
        if (!File.Exists(run.DatabasePath)) throw new UserInputException($"--run: '{run.Path}' has no keisei.db (is it a training run?)");
        return (run, ResultsStore.Open(run.DatabasePath));
    }

    public static Command CreateChampion(TextWriter stdout)
    {
        var runOption = RunOption();
        var runsDir = RunsDirOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("champion", "Show a run's current champion and the history of promotions with their evidence.") { runOption, runsDir, json };
        command.SetAction(result =>
        {
            var (run, store) = Open(result.GetValue(runsDir)!, result.GetValue(runOption)!);
            using var _ = store;
            var history = store.Champions();
            var current = history.LastOrDefault(c => c.Status == "active");
            if (result.GetValue(json))
            {
                stdout.WriteLine(new JsonObject
                {
                    ["run"] = run.Name,
                    ["champion"] = current?.CheckpointPath,
                    ["history"] = new JsonArray(history.Select(c => (JsonNode)new JsonObject
                    {
                        ["checkpoint"] = c.CheckpointPath,
                        ["timesteps"] = c.Timesteps,
                        ["status"] = c.Status,
                        ["promoted_at"] = c.PromotedAt.ToString("O"),
                        ["evidence"] = JsonNode.Parse(c.EvidenceJson),
                    }).ToArray()),
                }.ToJsonString());
                return ExitCodes.Success;
            }
            stdout.WriteLine(current is null ? $"Run {run.Name} has no champion yet." : $"Champion of {run.Name}: {current.CheckpointPath} ({current.Timesteps:N0} timesteps)");
            if (history.Count > 0)
                ReportWriter.Table(stdout, ["#", "checkpoint", "timesteps", "status", "promoted", "evidence"], history.Select((c, i) => new[]
                {
                    (i + 1).ToString(), Path.GetFileName(c.CheckpointPath), c.Timesteps.ToString("N0"), c.Status, c.PromotedAt.ToString("u"), c.EvidenceJson,
                }));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The path itself, or with -2, -3, ... before the extension when a file of that name is already kept.</summary>
    private static string UniquePath(string path)
    {
        string candidate = path;
        for (int i = 2; File.Exists(candidate); i++)
            candidate = Path.Combine(Path.GetDirectoryName(path)!, $"{Path.GetFileNameWithoutExtension(path)}-{i}{Path.GetExtension(path)}");
        return candidate;
    }

    public static Command CreateRollback(TextWriter stdout)
    {
        var runOption = RunOption();
        var runsDir = RunsDirOption();
        var to = new Option<string>("--to") { Description = "A checkpoint (file name or path) of the run, or previous-champion.", Required = true };
        var command = new Command("rollback",
            "Make training resume from an earlier checkpoint (keisei train --resume RUN then starts there). Later checkpoints are kept, " +
            "moved to checkpoints/rolled_back/ and marked rolled back; with previous-champion the current champion is rolled back too.")
        {
            runOption, runsDir, to,
        };
        command.SetAction(result =>
        {
            var (run, store) = Open(result.GetValue(runsDir)!, result.GetValue(runOption)!);
            using var _ = store;
            string target = result.GetValue(to)!;
            var checkpoints = store.Checkpoints();
            string path;
            if (target == "previous-champion")
            {
                var history = store.Champions();
                var current = history.LastOrDefault(c => c.Status == "active")
                    ?? throw new UserInputException($"--to previous-champion: run {run.Name} has no champion");
                var previous = history.LastOrDefault(c => c.Id < current.Id && c.Status == "replaced")
                    ?? throw new UserInputException($"--to previous-champion: {Path.GetFileName(current.CheckpointPath)} is the run's first champion");
                store.SetChampionStatus(current.Id, "rolled_back");
                store.SetChampionStatus(previous.Id, "active");
                path = previous.CheckpointPath;
            }
            else
            {
                string candidate = File.Exists(target) ? Path.GetFullPath(target) : Path.Combine(run.CheckpointsPath, target);
                path = checkpoints.FirstOrDefault(c => Path.GetFullPath(c.Path) == Path.GetFullPath(candidate))?.Path
                    ?? (File.Exists(candidate) ? candidate : throw new UserInputException(
                        $"--to: no checkpoint '{target}' in run {run.Name} (checkpoints: {string.Join(", ", checkpoints.Select(c => Path.GetFileName(c.Path)))})"));
            }
            if (!File.Exists(path)) throw new UserInputException($"--to: the checkpoint file '{path}' no longer exists");
            long timesteps;
            try
            {
                timesteps = Neural.Checkpoints.CheckpointFile.ReadInfo(path).Info.Counters.GetValueOrDefault("timesteps");
            }
            catch (Neural.Checkpoints.CheckpointException e)
            {
                throw new UserInputException($"--to: {e.Message}", e);
            }
            // Champions newer than the target are rolled back too; the newest remaining one becomes the champion again.
            var champions = store.Champions();
            foreach (var c in champions.Where(c => c.Timesteps > timesteps && c.Status != "rolled_back")) store.SetChampionStatus(c.Id, "rolled_back");
            if (store.Champions().All(c => c.Status != "active")
                && store.Champions().LastOrDefault(c => c.Timesteps <= timesteps && c.Status == "replaced") is { } restored)
                store.SetChampionStatus(restored.Id, "active");
            string rolledBack = Path.Combine(run.CheckpointsPath, "rolled_back");
            int moved = 0;
            foreach (var later in checkpoints.Where(c => c.Timesteps > timesteps && c.Status == "active" && File.Exists(c.Path)))
            {
                Directory.CreateDirectory(rolledBack);
                string destination = UniquePath(Path.Combine(rolledBack, Path.GetFileName(later.Path)));
                File.Move(later.Path, destination);
                store.SetCheckpointStatus(later.Path, "rolled_back", destination);
                moved++;
            }
            string final = run.FinalCheckpointPath;
            if (File.Exists(final) && Path.GetFullPath(final) != Path.GetFullPath(path)
                && Neural.Checkpoints.CheckpointFile.ReadInfo(final).Info.Counters.GetValueOrDefault("timesteps") > timesteps)
            {
                Directory.CreateDirectory(rolledBack);
                long finalSteps = Neural.Checkpoints.CheckpointFile.ReadInfo(final).Info.Counters.GetValueOrDefault("timesteps");
                File.Move(final, UniquePath(Path.Combine(rolledBack, $"final_ts{finalSteps}.ckpt")));
                moved++;
            }
            File.WriteAllText(run.ResumeFromPath, Path.GetFullPath(path));
            stdout.WriteLine($"Run {run.Name} will resume from {path} ({timesteps:N0} timesteps); {moved} later checkpoint(s) kept in {rolledBack}.");
            stdout.WriteLine($"Continue with: keisei train --resume {run.Name}");
            return ExitCodes.Success;
        });
        return command;
    }
}
