using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Native;
using Keisei.Search;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Keisei.Cli;

/// <summary><c>keisei bench search</c>: search playouts per second next to the raw batched forward throughput of the same model.</summary>
internal static class BenchSearchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, ILoggerFactory logging)
    {
        var model = new Option<string>("--model") { Description = "Checkpoint whose network is measured.", Required = true };
        var batch = new Option<int>("--batch") { Description = "Batch size of both measurements.", DefaultValueFactory = _ => 64 }.InRange(1, 4096);
        var games = new Option<int>("--games") { Description = "Searches side by side; each sends batch/games leaves at a time.", DefaultValueFactory = _ => 8 }
            .InRange(1, 4096);
        var search = new Option<string>("--search") { Description = "Search settings, key=value,... as --agent-search (batch is set from --batch/--games).", DefaultValueFactory = _ => "playouts=200" };
        var seconds = new Option<double>("--seconds") { Description = "Seconds of each measurement.", DefaultValueFactory = _ => 10 }
            .InRange(0, OptionRules.DaySeconds, minExclusive: true, unit: "seconds");
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the lines." };
        var command = new Command("search",
            "Measure PUCT search (playouts/s, searches sharing one batcher) and then the raw batched forward pass (positions/s, after a " +
            "warm-up as long as the measurement) of one model at one batch size, and print both and their ratio.")
        {
            model, batch, games, search, seconds, device, json,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            string path = CliPaths.InputFile("--model", result.GetValue(model)!);
            int batchSize = result.GetValue(batch), searches = result.GetValue(games);
            if (searches > batchSize) throw new UserInputException($"--games: expected at most --batch ({batchSize}) searches, found {searches}");
            SearchOptions options;
            try
            {
                options = SearchOptions.Parse(result.GetValue(search)!);
            }
            catch (FormatException e)
            {
                throw new UserInputException($"--search: {e.Message}", e);
            }
            torch.Device torchDevice;
            try
            {
                torchDevice = TorchDevices.Resolve(result.GetValue(device)!, logging.CreateLogger("bench"));
            }
            catch (ArgumentException e)
            {
                throw new UserInputException($"--{e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)}", e);
            }
            LoadedCheckpoint checkpoint;
            try
            {
                checkpoint = CheckpointFile.Load(path);
            }
            catch (CheckpointException e)
            {
                throw new UserInputException($"--model: {e.Message}", e);
            }
            using var network = checkpoint.Model;
            if (torchDevice.type != DeviceType.CPU) network.to(torchDevice);
            var duration = TimeSpan.FromSeconds(result.GetValue(seconds));
            var measured = await SearchThroughput.MeasureAsync(network, torchDevice, batchSize, searches, options, duration, cancellationToken);
            if (result.GetValue(json))
            {
                stdout.WriteLine(new JsonObject
                {
                    ["model"] = path,
                    ["batch"] = batchSize,
                    ["games"] = searches,
                    ["forward_positions_per_second"] = measured.ForwardPositionsPerSecond,
                    ["search_playouts_per_second"] = measured.SearchPlayoutsPerSecond,
                    ["ratio"] = measured.Ratio,
                    ["playouts"] = measured.Playouts,
                    ["mean_batch"] = measured.MeanBatch,
                    ["leaves_per_second"] = measured.LeavesPerSecond,
                }.ToJsonString());
            }
            else
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"forward  {measured.ForwardPositionsPerSecond,10:0.0} positions/s  (batch {batchSize}, {checkpoint.Info.Model.Describe()}, {result.GetValue(device)})"));
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"search   {measured.SearchPlayoutsPerSecond,10:0.0} playouts/s   ({searches} searches x {Math.Max(1, batchSize / searches)} leaves, mean batch {measured.MeanBatch:0.0}, {measured.Playouts} playouts, {measured.LeavesPerSecond:0.0} leaves/s)"));
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio    {measured.Ratio,10:0.000}  search / forward"));
            }
            return cancellationToken.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Success;
        });
        return command;
    }
}
