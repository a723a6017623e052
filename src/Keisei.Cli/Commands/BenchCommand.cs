using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Keisei.Cli.Config;
using Keisei.Training;
using Microsoft.Extensions.Logging;

namespace Keisei.Cli;

/// <summary><c>keisei bench</c>: measurements that back performance and learning claims.</summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, ILoggerFactory logging)
    {
        var command = new Command("bench", "Measurements behind Keisei's claims (run them alone on the machine).");
        command.Subcommands.Add(CreateLearning(stdout, stderr, logging));
        command.Subcommands.Add(BenchSearchCommand.Create(stdout, stderr, logging));
        command.Subcommands.Add(BenchDashboardCommand.Create(stdout, stderr, logging));
        return command;
    }

    private static Command CreateLearning(TextWriter stdout, TextWriter stderr, ILoggerFactory logging)
    {
        var config = new Option<string?>("--config", "-c") { Description = "YAML config to train (default: configs/quickstart.yaml)." };
        var set = ConfigCommand.SetOption();
        var minutes = new Option<double>("--minutes") { Description = "Training minutes per seed.", DefaultValueFactory = _ => 15 }
            .InRange(0, OptionRules.YearMinutes, minExclusive: true, unit: "minutes");
        var seeds = new Option<int>("--seeds") { Description = "Seeds to train, one after another.", DefaultValueFactory = _ => 3 }.InRange(1, 1000);
        var firstSeed = new Option<int>("--first-seed") { Description = "The first seed; the others follow it (1, 2, 3 by default).", DefaultValueFactory = _ => 1 };
        var marks = new Option<string?>("--marks")
        {
            Description = "Training minutes at which the weights are kept and scored, comma-separated (default: a third and two thirds of --minutes); the end is always one.",
        };
        var randomGames = new Option<int>("--random-games") { Description = "Games against the random player per mark (colour-swapped pairs).", DefaultValueFactory = _ => 400 }
            .InRange(0, ConfigSchema.MaxGames);
        var heuristicGames = new Option<int>("--heuristic-games") { Description = "Games against the heuristic player per mark (colour-swapped pairs).", DefaultValueFactory = _ => 200 }
            .InRange(0, ConfigSchema.MaxGames);
        var maxPlies = new Option<int?>("--max-plies") { Description = "Ply limit of evaluation games (default: the config's env.max_moves_per_game)." }
            .InRange(1, ConfigSchema.MaxPlies);
        var concurrency = new Option<int>("--concurrency") { Description = "Evaluation games played at once.", DefaultValueFactory = _ => 4 }
            .InRange(1, ConfigSchema.MaxConcurrentGames);
        var temperature = new Option<double>("--temperature")
        {
            Description = "The agent's sampling temperature in evaluation: 1 plays the policy as trained; 0 plays its most probable move (greedy play repeats positions and draws by sennichite).",
            DefaultValueFactory = _ => 1,
        }.InRange(0, 100);
        var output = new Option<string?>("--out") { Description = "Folder for the runs, curve.csv and curve.svg (default: runs/bench-learning-<date>-<time>)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table." };
        var command = new Command("learning",
            "Train a config for a wall-clock budget with several seeds, keep the weights at fixed training-time marks, then score them against " +
            "the random and heuristic players; print the learning curve with 95% intervals per seed and the median across seeds, and write " +
            "curve.csv and curve.svg. Evaluation runs after each seed's training, so it does not slow the training it measures.")
        {
            config, set, minutes, seeds, firstSeed, marks, randomGames, heuristicGames, maxPlies, concurrency, temperature, output, json,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = KeiseiConfig.Load(result.GetValue(config) ?? TrainCommand.DefaultConfigPath, result.GetValue(set) ?? []);
            var training = settings.ToTrainingOptions();
            double budget = result.GetValue(minutes);
            int seedCount = result.GetValue(seeds);
            if ((long)result.GetValue(firstSeed) + seedCount - 1 > int.MaxValue)
                throw new UserInputException($"--first-seed: expected at most {int.MaxValue - seedCount + 1} with --seeds {seedCount}, found {result.GetValue(firstSeed)}");
            var options = new LearningBenchmarkOptions
            {
                Budget = TimeSpan.FromMinutes(budget),
                Marks = ParseMarks(result.GetValue(marks), budget),
                Seeds = Enumerable.Range(result.GetValue(firstSeed), seedCount).ToList(),
                RandomGames = result.GetValue(randomGames),
                HeuristicGames = result.GetValue(heuristicGames),
                MaxPlies = result.GetValue(maxPlies) ?? training.MaxMovesPerGame,
                Concurrency = result.GetValue(concurrency),
                Temperature = result.GetValue(temperature),
            };
            var errors = options.Validate();
            if (errors.Count > 0) throw new UserInputException(string.Join("; ", errors));
            string folder = Path.GetFullPath(CliPaths.OutputFolder("--out", result.GetValue(output)
                ?? Path.Combine(settings.Logging.RunDir, "bench-learning-" + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture))));
            bool asJson = result.GetValue(json);
            var progress = asJson ? stderr : stdout;
            progress.WriteLine($"keisei bench learning: {training.Model.Describe()}, {options.Seeds.Count} seed(s) x {budget:0.##} min, marks at " +
                $"{string.Join(", ", options.AllMarks.Select(m => m.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture)))} min -> {folder}");
            var bench = new LearningBenchmark(training, options, folder, logging.CreateLogger("bench"))
            {
                Progress = line => { progress.WriteLine(line); progress.Flush(); },
            };
            LearningCurve curve;
            try
            {
                curve = await bench.RunAsync(cancellationToken);
            }
            catch (IOException e) when (e is not FileNotFoundException)
            {
                // An earlier benchmark wrote to this --out (checked before anything is trained), or the folder cannot be written.
                throw new UserInputException($"--out {folder}: {e.Message}", e);
            }
            catch (NonFiniteTrainingException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
            CurveFiles.Write(folder, curve);
            if (asJson) WriteJson(stdout, curve, options, folder);
            else WriteTable(stdout, curve);
            stdout.WriteLine(curve.Interrupted ? $"Interrupted; what finished is in {folder}" : $"Curve: {Path.Combine(folder, "curve.csv")}, {Path.Combine(folder, "curve.svg")}");
            return curve.Interrupted ? ExitCodes.Interrupted : ExitCodes.Success;
        });
        return command;
    }

    private static IReadOnlyList<TimeSpan> ParseMarks(string? text, double budget)
    {
        if (text is null) return [TimeSpan.FromMinutes(budget / 3), TimeSpan.FromMinutes(2 * budget / 3)];
        var marks = new List<TimeSpan>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double m) || !double.IsFinite(m) || m <= 0 || m > budget)
                throw new UserInputException($"--marks: expected minutes in (0, {budget:0.##}] separated by commas, found '{part}' in '{text}'");
            marks.Add(TimeSpan.FromMinutes(m));
        }
        return marks;
    }

    private static string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);

    private static void WriteTable(TextWriter stdout, LearningCurve curve)
    {
        stdout.WriteLine();
        stdout.WriteLine("seed  mark  minutes   timesteps  opponent    W-D-L          score  95% interval    endings");
        foreach (var p in curve.Points.OrderBy(p => p.Opponent, StringComparer.Ordinal).ThenBy(p => p.Seed).ThenBy(p => p.MarkMinutes))
            stdout.WriteLine($"{p.Seed,4}  {F(p.MarkMinutes, "0.##"),4}  {F(p.Minutes, "0.00"),7}  {p.Timesteps,10:N0}  {p.Opponent,-10}  {p.Counts,-13}  {F(p.Score)}  [{F(p.Lower)}, {F(p.Upper)}]  {p.Terminations}");
        stdout.WriteLine();
        stdout.WriteLine("median across seeds");
        foreach (var (opponent, mark, median, count) in curve.Medians)
            stdout.WriteLine($"  {opponent,-10} {F(mark, "0.##"),5} min  {F(median)}  ({count} seeds)");
        stdout.WriteLine();
        stdout.WriteLine("seed   timesteps  updates    games  skipped  self-play plies/s  PPO sample-passes/s  final entropy");
        foreach (var s in curve.Seeds)
            stdout.WriteLine($"{s.Seed,4}  {s.Timesteps,10:N0}  {s.Updates,7}  {s.Episodes,7:N0}  {s.NonFiniteUpdates,7}  {s.PliesPerSecond,17:N0}  {s.SamplesPerSecond,19:N0}  {F(s.FinalEntropy)}");
        if (curve.Seeds.Count > 1)
            stdout.WriteLine($"median      {"",10}  {"",7}  {"",7}  {"",7}  {LearningCurve.Median(curve.Seeds.Select(s => s.PliesPerSecond)),17:N0}  " +
                $"{LearningCurve.Median(curve.Seeds.Select(s => s.SamplesPerSecond)),19:N0}");
    }

    private static void WriteJson(TextWriter stdout, LearningCurve curve, LearningBenchmarkOptions options, string folder) =>
        JsonOutput.Write(stdout, w =>
        {
            w.WriteString("folder", folder);
            w.WriteBoolean("interrupted", curve.Interrupted);
            w.WriteNumber("minutes", options.Budget.TotalMinutes);
            w.WriteNumber("temperature", options.Temperature);
            w.WriteStartArray("points");
            foreach (var p in curve.Points)
            {
                w.WriteStartObject();
                w.WriteNumber("seed", p.Seed);
                w.WriteNumber("mark_minutes", p.MarkMinutes);
                w.WriteNumber("minutes", p.Minutes);
                w.WriteNumber("timesteps", p.Timesteps);
                w.WriteString("opponent", p.Opponent);
                w.WriteNumber("wins", p.Counts.Wins);
                w.WriteNumber("draws", p.Counts.Draws);
                w.WriteNumber("losses", p.Counts.Losses);
                w.WriteNumber("score", p.Score);
                w.WriteNumber("lower95", p.Lower);
                w.WriteNumber("upper95", p.Upper);
                w.WriteString("terminations", p.Terminations);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("medians");
            foreach (var (opponent, mark, median, count) in curve.Medians)
            {
                w.WriteStartObject();
                w.WriteString("opponent", opponent);
                w.WriteNumber("mark_minutes", mark);
                w.WriteNumber("median_score", median);
                w.WriteNumber("seeds", count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("seeds");
            foreach (var s in curve.Seeds)
            {
                w.WriteStartObject();
                w.WriteNumber("seed", s.Seed);
                w.WriteNumber("timesteps", s.Timesteps);
                w.WriteNumber("updates", s.Updates);
                w.WriteNumber("games", s.Episodes);
                w.WriteNumber("nonfinite_updates", s.NonFiniteUpdates);
                w.WriteNumber("plies_per_second", s.PliesPerSecond);
                w.WriteNumber("ppo_sample_passes_per_second", s.SamplesPerSecond);
                if (double.IsFinite(s.FinalEntropy)) w.WriteNumber("final_entropy", s.FinalEntropy);
                w.WriteString("run", s.RunPath);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
}

/// <summary>The learning curve as files: <c>curve.csv</c> (one row per seed, mark and opponent, plus the medians) and <c>curve.svg</c>.</summary>
internal static class CurveFiles
{
    private static string F(double value, string format = "0.####") => value.ToString(format, CultureInfo.InvariantCulture);

    public static void Write(string folder, LearningCurve curve)
    {
        var csv = new StringBuilder("seed,mark_minutes,minutes,timesteps,opponent,wins,draws,losses,games,score,lower95,upper95,terminations\n");
        foreach (var p in curve.Points)
            csv.Append(CultureInfo.InvariantCulture, $"{p.Seed},{F(p.MarkMinutes)},{F(p.Minutes)},{p.Timesteps},{p.Opponent},{p.Counts.Wins},{p.Counts.Draws},{p.Counts.Losses},{p.Counts.Games},{F(p.Score)},{F(p.Lower)},{F(p.Upper)},{p.Terminations.Replace(", ", ";", StringComparison.Ordinal)}\n");
        foreach (var (opponent, mark, median, _) in curve.Medians)
            csv.Append(CultureInfo.InvariantCulture, $"median,{F(mark)},,,{opponent},,,,,{F(median)},,,\n");
        File.WriteAllText(Path.Combine(folder, "curve.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(folder, "curve.svg"), Svg(curve));
    }

    /// <summary>Score (0–1) against training minutes: one panel per opponent, a thin line with 95 % bars per seed, the median thick.</summary>
    public static string Svg(LearningCurve curve)
    {
        var opponents = curve.Points.Select(p => p.Opponent).Distinct().Order(StringComparer.Ordinal).ToList();
        const int panelWidth = 420, panelHeight = 300, left = 50, top = 30, plotWidth = 340, plotHeight = 220;
        double maxMinutes = Math.Max(1e-9, curve.Points.Select(p => p.MarkMinutes).DefaultIfEmpty(1).Max());
        string[] colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
        var svg = new StringBuilder();
        int width = Math.Max(1, opponents.Count) * panelWidth;
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{panelHeight + 20}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{panelHeight + 20}\" fill=\"white\"/>\n");
        for (int o = 0; o < opponents.Count; o++)
        {
            string opponent = opponents[o];
            int x0 = o * panelWidth + left;
            double X(double minutes) => x0 + minutes / maxMinutes * plotWidth;
            double Y(double score) => top + (1 - score) * plotHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + plotWidth / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">score against {opponent}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x0}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#444\"/>\n");
            foreach (double s in new[] { 0, 0.25, 0.5, 0.75, 1 })
            {
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x0}\" x2=\"{x0 + plotWidth}\" y1=\"{F(Y(s))}\" y2=\"{F(Y(s))}\" stroke=\"#ddd\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 - 6}\" y=\"{F(Y(s) + 4)}\" text-anchor=\"end\">{F(s, "0.00")}</text>\n");
            }
            foreach (double m in curve.Points.Select(p => p.MarkMinutes).Distinct().Order())
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(m))}\" y=\"{top + plotHeight + 14}\" text-anchor=\"middle\">{F(m, "0.##")}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + plotWidth / 2}\" y=\"{top + plotHeight + 30}\" text-anchor=\"middle\">training minutes</text>\n");
            var bySeed = curve.Points.Where(p => p.Opponent == opponent).GroupBy(p => p.Seed).OrderBy(g => g.Key).ToList();
            for (int k = 0; k < bySeed.Count; k++)
            {
                string colour = colours[k % colours.Length];
                var line = bySeed[k].OrderBy(p => p.MarkMinutes).ToList();
                svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1\" points=\"{string.Join(' ', line.Select(p => $"{F(X(p.MarkMinutes))},{F(Y(p.Score))}"))}\"/>\n");
                foreach (var p in line)
                    svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(p.MarkMinutes))}\" x2=\"{F(X(p.MarkMinutes))}\" y1=\"{F(Y(p.Lower))}\" y2=\"{F(Y(p.Upper))}\" stroke=\"{colour}\"/><circle cx=\"{F(X(p.MarkMinutes))}\" cy=\"{F(Y(p.Score))}\" r=\"2.5\" fill=\"{colour}\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + 6}\" y=\"{top + 14 + 13 * k}\" fill=\"{colour}\">seed {bySeed[k].Key}</text>\n");
            }
            var medians = curve.Medians.Where(m => m.Opponent == opponent).ToList();
            if (medians.Count > 0 && bySeed.Count > 1)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"black\" stroke-width=\"2.5\" points=\"{string.Join(' ', medians.Select(m => $"{F(X(m.MarkMinutes))},{F(Y(m.MedianScore))}"))}\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + 6}\" y=\"{top + 14 + 13 * bySeed.Count}\">median</text>\n");
            }
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
