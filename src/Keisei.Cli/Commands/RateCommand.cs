using System.CommandLine;
using Keisei.Evaluation;
using Keisei.Evaluation.Storage;

namespace Keisei.Cli;

/// <summary><c>keisei rate</c>: whole-pool Bradley–Terry ratings with error bars from every stored game.</summary>
internal static class RateCommand
{
    public static Command Create(TextWriter stdout)
    {
        var db = new Option<string>("--db") { Description = $"Results database (SQLite; default {ResultsDefaults.Database}).", DefaultValueFactory = _ => ResultsDefaults.Database };
        var anchor = new Option<string?>("--anchor") { Description = "Player held at 1500 (default: the pool's mean is 1500)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("rate", "Fit ratings of every player in the results database (Bradley-Terry, one anchor) with 95% intervals.")
        {
            db, anchor, json,
        };
        command.SetAction(result =>
        {
            string path = CliPaths.InputFile("--db", result.GetValue(db)!);
            using var store = ResultsStore.Open(path);
            string? anchorName = result.GetValue(anchor);
            if (anchorName is not null && store.FindPlayer(anchorName) is null)
                throw new UserInputException($"--anchor: no player named '{anchorName}' in '{path}' (players: {string.Join(", ", store.Players().Select(p => p.Name))})");
            var pool = PoolRatings.Fit(store, anchorName);
            if (result.GetValue(json))
            {
                stdout.WriteLine(new System.Text.Json.Nodes.JsonObject
                {
                    ["database"] = Path.GetFullPath(path),
                    ["anchor"] = anchorName,
                    ["games"] = store.Games().Count,
                    ["players"] = ReportJson.Pool(pool),
                }.ToJsonString());
                return ExitCodes.Success;
            }
            stdout.WriteLine($"{store.Games().Count} games, {pool.Count} players; {(anchorName is null ? "pool mean" : anchorName)} = 1500");
            ReportWriter.Table(stdout, ReportWriter.PoolHeader, ReportWriter.PoolRows(pool));
            if (pool.Any(p => !p.Rated)) stdout.WriteLine(ReportWriter.UnratedNote);
            return ExitCodes.Success;
        });
        return command;
    }
}
