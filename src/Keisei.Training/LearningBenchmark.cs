using System.Diagnostics;
using System.Globalization;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Statistics;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Training;

/// <summary>What <see cref="LearningBenchmark"/> measures and how.</summary>
public sealed record LearningBenchmarkOptions
{
    /// <summary>Training time per seed (wall clock of the training loop; evaluation comes after and is not counted).</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Training times at which the weights are kept and later evaluated; the budget itself is always one.</summary>
    public IReadOnlyList<TimeSpan> Marks { get; init; } = [];

    /// <summary>The seeds, trained one after another.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [1, 2, 3];

    /// <summary>Games against the random player at each mark (rounded up to colour-swapped pairs; 0: none).</summary>
    public int RandomGames { get; init; } = 400;

    /// <summary>Games against the heuristic player at each mark (rounded up to colour-swapped pairs; 0: none).</summary>
    public int HeuristicGames { get; init; } = 200;

    /// <summary>Ply limit of evaluation games (a draw).</summary>
    public int MaxPlies { get; init; } = 512;

    /// <summary>Evaluation games played at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Softmax temperature of the agent in evaluation: 1 (the default) plays the policy as trained, 0 its most probable move.</summary>
    public double Temperature { get; init; } = 1;

    /// <summary>Every problem with these values, each naming the option (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(Budget > TimeSpan.Zero)) errors.Add($"--minutes: expected a positive number of minutes, found {Budget.TotalMinutes}");
        if (Marks.Any(m => m <= TimeSpan.Zero || m > Budget))
            errors.Add($"--marks: expected minutes in (0, {Budget.TotalMinutes:0.##}], found {string.Join(",", Marks.Select(m => m.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture)))}");
        if (Seeds.Count == 0) errors.Add("--seeds: expected at least one seed");
        if (RandomGames < 0) errors.Add($"--random-games: expected 0 or more, found {RandomGames}");
        if (HeuristicGames < 0) errors.Add($"--heuristic-games: expected 0 or more, found {HeuristicGames}");
        if (RandomGames == 0 && HeuristicGames == 0) errors.Add("--random-games and --heuristic-games are both 0: nothing to measure");
        if (MaxPlies < 1) errors.Add($"--max-plies: expected 1 or more, found {MaxPlies}");
        if (Concurrency < 1) errors.Add($"--concurrency: expected 1 or more, found {Concurrency}");
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) errors.Add($"--temperature: expected 0 or more, found {Temperature}");
        return errors;
    }

    /// <summary>The marks in order, ending with the budget.</summary>
    public IReadOnlyList<TimeSpan> AllMarks => Marks.Append(Budget).Distinct().Order().ToList();
}

/// <summary>One point of a learning curve: a seed's weights at a mark scored against one opponent.</summary>
/// <param name="Minutes">Training minutes when the weights were kept (at the end of the first update past the mark).</param>
/// <param name="Score">Points per game (win 1, draw ½).</param>
/// <param name="Lower">Lower end of the 95 % Wilson interval of the score.</param>
/// <param name="Upper">Upper end of the 95 % Wilson interval of the score.</param>
/// <param name="Terminations">How the games ended (e.g. "Checkmate 85, MaxMoves 15"), most frequent first.</param>
public sealed record CurvePoint(long Seed, double MarkMinutes, double Minutes, long Timesteps, string Opponent, WdlCounts Counts, double Score, double Lower,
    double Upper, string Terminations);

/// <summary>What one seed's training did, besides its curve.</summary>
/// <param name="PliesPerSecond">Median self-play plies per second over its updates.</param>
/// <param name="SamplesPerSecond">Median PPO sample-passes per second over its updates.</param>
public sealed record SeedSummary(long Seed, long Timesteps, int Updates, long Episodes, long NonFiniteUpdates, double PliesPerSecond, double SamplesPerSecond,
    double FinalEntropy, string RunPath);

/// <summary>The result of a learning benchmark: every curve point, the per-seed summaries and the medians across seeds.</summary>
public sealed record LearningCurve(IReadOnlyList<CurvePoint> Points, IReadOnlyList<SeedSummary> Seeds)
{
    /// <summary>Stopped by cancellation: the points and seeds are those finished before it.</summary>
    public bool Interrupted { get; init; }

    /// <summary>The median score across seeds at each mark, per opponent.</summary>
    public IReadOnlyList<(string Opponent, double MarkMinutes, double MedianScore, int SeedCount)> Medians =>
        Points.GroupBy(p => (p.Opponent, p.MarkMinutes))
            .OrderBy(g => g.Key.Opponent, StringComparer.Ordinal).ThenBy(g => g.Key.MarkMinutes)
            .Select(g => (g.Key.Opponent, g.Key.MarkMinutes, Median(g.Select(p => p.Score)), g.Count()))
            .ToList();

    /// <summary>The median of some numbers (the mean of the middle two for an even count); NaN for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>
/// The evidence command for training changes: trains a configuration for a wall-clock budget once per seed (one seed after
/// another, alone on the machine), keeps the weights at fixed training-time marks, and then scores each kept network
/// against the random and the heuristic player in colour-swapped pairs from the start position. Evaluation happens after
/// training, so it never takes CPU from the training it measures.
/// </summary>
public sealed class LearningBenchmark(TrainingOptions training, LearningBenchmarkOptions options, string outputDirectory, ILogger? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Called with a line of progress (seed started, mark kept, evaluation finished).</summary>
    public Action<string>? Progress { get; init; }

    /// <summary>Trains and scores every seed; on cancellation returns what was finished, marked <see cref="LearningCurve.Interrupted"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid (the message names each problem).</exception>
    /// <exception cref="IOException">The output folder already holds a run of one of the seeds (nothing was trained).</exception>
    public async Task<LearningCurve> RunAsync(CancellationToken cancellationToken)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
        foreach (int seed in options.Seeds)
        {
            string checkpoints = Path.Combine(outputDirectory, SeedFolder(seed), "checkpoints");
            if (Directory.Exists(checkpoints) && Directory.EnumerateFiles(checkpoints, "*.ckpt").Any())
                throw new IOException($"'{checkpoints}' already holds checkpoints of seed {seed}; benchmark into an empty folder.");
        }
        var points = new List<CurvePoint>();
        var seeds = new List<SeedSummary>();
        try
        {
            foreach (int seed in options.Seeds)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (summary, kept) = await TrainAsync(seed, cancellationToken).ConfigureAwait(false);
                seeds.Add(summary);
                foreach (var mark in kept)
                {
                    if (options.RandomGames > 0)
                        points.Add(await ScoreAsync(seed, mark, new RandomPlayerFactory(), options.RandomGames, cancellationToken).ConfigureAwait(false));
                    if (options.HeuristicGames > 0)
                        points.Add(await ScoreAsync(seed, mark, new HeuristicPlayerFactory(), options.HeuristicGames, cancellationToken).ConfigureAwait(false));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new LearningCurve(points, seeds) { Interrupted = true };
        }
        return new LearningCurve(points, seeds);
    }

    private static string SeedFolder(int seed) => $"seed-{seed}";

    private sealed record KeptWeights(double MarkMinutes, double Minutes, long Timesteps, string Path);

    private async Task<(SeedSummary, List<KeptWeights>)> TrainAsync(int seed, CancellationToken cancellationToken)
    {
        var run = RunDirectory.Create(outputDirectory, SeedFolder(seed));
        Progress?.Invoke($"seed {seed}: training {training.Model.Describe()} for {options.Budget.TotalMinutes:0.##} min -> {run.Path}");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var keeper = new MarkKeeper(options.AllMarks, run, limit, Progress, seed);
        // The marks are the checkpoints that matter: no periodic ones (they would only cost time and disk).
        var seedTraining = training with { Seed = seed, TotalTimesteps = long.MaxValue / 2, CheckpointIntervalTimesteps = long.MaxValue / 2 };
        using var trainer = Trainer.Create(seedTraining, run, _logger, [keeper]);
        var result = await trainer.RunAsync(null, limit.Token).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var summary = new SeedSummary(seed, result.Timesteps, result.Updates, result.Episodes, keeper.NonFiniteUpdates,
            LearningCurve.Median(keeper.Plies), LearningCurve.Median(keeper.Samples), keeper.Entropy, run.Path);
        return (summary, keeper.Kept);
    }

    /// <summary>Keeps the weights at each mark and stops training at the last one.</summary>
    private sealed class MarkKeeper(IReadOnlyList<TimeSpan> marks, RunDirectory run, CancellationTokenSource stop, Action<string>? progress, long seed)
        : ITrainingCallback
    {
        private int _next;

        public List<KeptWeights> Kept { get; } = [];
        public List<double> Plies { get; } = [];
        public List<double> Samples { get; } = [];
        public long NonFiniteUpdates { get; private set; }
        public double Entropy { get; private set; } = double.NaN;

        public async ValueTask OnUpdateAsync(Trainer trainer, TrainingStatus status, CancellationToken cancellationToken)
        {
            Plies.Add(status.PliesPerSecond);
            Samples.Add(status.SamplesPerSecond);
            NonFiniteUpdates = status.NonFiniteUpdates;
            if (status.Ppo is { NonFinite: null } ppo) Entropy = ppo.Entropy;
            while (_next < marks.Count && status.Elapsed >= marks[_next])
            {
                var mark = marks[_next++];
                string path = Path.Combine(run.CheckpointsPath, $"mark-{mark.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture)}min.ckpt");
                await trainer.SaveCheckpointAsync(path, CancellationToken.None).ConfigureAwait(false);
                Kept.Add(new KeptWeights(mark.TotalMinutes, status.Elapsed.TotalMinutes, status.Timesteps, path));
                progress?.Invoke($"seed {seed}: {mark.TotalMinutes:0.##} min mark at {status.Elapsed.TotalMinutes:0.00} min, {status.Timesteps:N0} timesteps, " +
                    $"{status.Updates} updates, entropy {Entropy:0.000}");
            }
            if (_next >= marks.Count) await stop.CancelAsync().ConfigureAwait(false);
        }

        public ValueTask OnCheckpointAsync(Trainer trainer, string path, long timesteps, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private async Task<CurvePoint> ScoreAsync(long seed, KeptWeights weights, IPlayerFactory opponent, int games, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var neural = new NeuralPlayOptions
        {
            Temperature = options.Temperature,
            MaxMovesPerGame = options.MaxPlies,
            Batcher = new Neural.Inference.InferenceBatcherOptions { MaxBatch = 2 * options.Concurrency },
        };
        await using var agent = NeuralPlayerFactory.FromCheckpoint(weights.Path, $"seed{seed}@{weights.MarkMinutes:0.##}min", neural, _logger);
        await using var _ = opponent;
        int pairs = (games + 1) / 2;
        var schedule = new List<ScheduledGame>(2 * pairs);
        for (int p = 0; p < pairs; p++)
        {
            int gameSeed = unchecked((int)(seed * 1_000_003 + p * 7919));
            schedule.Add(new ScheduledGame(2 * p, p, Opening.StartPosition, agent, opponent, gameSeed));
            schedule.Add(new ScheduledGame(2 * p + 1, p, Opening.StartPosition, opponent, agent, gameSeed + 1));
        }
        var arena = new MatchArena(new ArenaOptions { Concurrency = options.Concurrency, Rules = new GameRules { MaxPlies = options.MaxPlies } }, _logger);
        var counts = WdlCounts.Empty;
        var endings = new Dictionary<TerminationReason, int>();
        await arena.RunAsync(schedule, (game, _) =>
        {
            counts = counts.Add(game.ScoreOf(agent));
            endings[game.Termination] = endings.GetValueOrDefault(game.Termination) + 1;
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        string terminations = string.Join(", ", endings.OrderByDescending(e => e.Value).ThenBy(e => e.Key).Select(e => $"{e.Key} {e.Value}"));
        cancellationToken.ThrowIfCancellationRequested();
        var interval = ProportionInterval.Wilson(counts.Points, counts.Games);
        string name = opponent.Descriptor.Name;
        Progress?.Invoke($"seed {seed}: {weights.MarkMinutes:0.##} min vs {name}: {counts} ({counts.Games} games), score {counts.Score:0.000} " +
            $"[{interval.Lower:0.000}, {interval.Upper:0.000}], {terminations}, in {clock.Elapsed.TotalSeconds:0} s");
        return new CurvePoint(seed, weights.MarkMinutes, weights.Minutes, weights.Timesteps, name, counts, counts.Score, interval.Lower, interval.Upper, terminations);
    }
}
