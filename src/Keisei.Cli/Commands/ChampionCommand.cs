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
        var command = new Command("champion", "Show a run's current champion, the history of promotions with their evidence, and the rollbacks with their reasons.") { runOption, runsDir, json };
        command.SetAction(result =>
        {
            var (run, store) = Open(result.GetValue(runsDir)!, result.GetValue(runOption)!);
            using var _ = store;
            var ledger = new RunLedger(store);
            var history = ledger.ChampionHistory();
            var current = ledger.Champion();
            var rollbacks = ledger.Rollbacks();
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
                        ["status"] = SnakeCaseName.Of(c.Status),
                        ["promoted_at"] = c.PromotedAt.ToString("O"),
                        ["evidence"] = JsonNode.Parse(c.EvidenceJson),
                    }).ToArray()),
                    ["rollbacks"] = new JsonArray(rollbacks.Select(r => (JsonNode)new JsonObject
                    {
                        ["rolled_back_at"] = r.RolledBackAt.ToString("O"),
                        ["target"] = r.Target,
                        ["from_champion"] = r.FromChampion,
                        ["to_champion"] = r.ToChampion,
                        ["from_checkpoint"] = r.FromCheckpoint,
                        ["to_checkpoint"] = r.ToCheckpoint,
                        ["to_timesteps"] = r.ToTimesteps,
                        ["moved"] = r.Moved,
                        ["reason"] = r.Reason,
                    }).ToArray()),
                }.ToJsonString());
                return ExitCodes.Success;
            }
            stdout.WriteLine(current is null ? $"Run {run.Name} has no champion yet." : $"Champion of {run.Name}: {current.CheckpointPath} ({current.Timesteps:N0} timesteps)");
            if (history.Count > 0)
                ReportWriter.Table(stdout, ["#", "checkpoint", "timesteps", "status", "promoted", "evidence"], history.Select((c, i) => new[]
                {
                    (i + 1).ToString(), Path.GetFileName(c.CheckpointPath), c.Timesteps.ToString("N0"), SnakeCaseName.Of(c.Status), c.PromotedAt.ToString("u"), c.EvidenceJson,
                }));
            if (rollbacks.Count > 0)
            {
                stdout.WriteLine("Rollbacks:");
                ReportWriter.Table(stdout, ["when", "from champion", "to champion", "from checkpoint", "to checkpoint", "moved", "reason"], rollbacks.Select(r => new[]
                {
                    r.RolledBackAt.ToString("u"), FileName(r.FromChampion), FileName(r.ToChampion), FileName(r.FromCheckpoint), Path.GetFileName(r.ToCheckpoint),
                    r.Moved.ToString(), r.Reason,
                }));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static string FileName(string? path) => path is null ? "-" : Path.GetFileName(path);

    public static Command CreateRollback(TextWriter stdout)
    {
        var runOption = RunOption();
        var runsDir = RunsDirOption();
        var to = new Option<string>("--to") { Description = $"A checkpoint (file name or path) of the run, or {RunLedger.PreviousChampion}.", Required = true };
        var reason = new Option<string?>("--reason") { Description = "Why (kept with the rollback; keisei champion and the dashboard show it). Default: what was asked, e.g. \"rollback to the previous champion requested by the user\"." };
        var command = new Command("rollback",
            "Make training resume from an earlier checkpoint (keisei train --resume RUN then starts there). Later checkpoints are kept, " +
            "moved to checkpoints/rolled_back/ and marked rolled back; with previous-champion the current champion is rolled back too. " +
            "The rollback is stored with its reason.")
        {
            runOption, runsDir, to, reason,
        };
        command.SetAction(result =>
        {
            var (run, store) = Open(result.GetValue(runsDir)!, result.GetValue(runOption)!);
            using var _ = store;
            RollbackResult done;
            try
            {
                done = new RunLedger(store).RollBack(run, result.GetValue(to)!, result.GetValue(reason));
            }
            catch (RollbackException e)
            {
                throw new UserInputException($"--to{(e.Subject is null ? "" : " " + e.Subject)}: {e.Message}", e);
            }
            stdout.WriteLine($"Run {run.Name} will resume from {done.CheckpointPath} ({done.Timesteps:N0} timesteps); {done.Moved} later checkpoint(s) kept in {done.RolledBackFolder}.");
            stdout.WriteLine($"Reason: {done.Reason}");
            stdout.WriteLine($"Continue with: keisei train --resume {run.Name}");
            return ExitCodes.Success;
        });
        return command;
    }
}
