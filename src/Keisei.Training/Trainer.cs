using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Models;
using Keisei.Neural.Native;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Training;

/// <summary>What the live display shows after each update.</summary>
public sealed record TrainingStatus(
    long Timesteps,
    long TotalTimesteps,
    int Updates,
    long Episodes,
    double PliesPerSecond,
    double SamplesPerSecond,
    PpoStats? Ppo,
    double BlackWinRate,
    double WhiteWinRate,
    double DrawRate,
    double EpisodeLength,
    string? LastCheckpoint,
    TimeSpan Elapsed,
    IterationTiming? Timing)
{
    /// <summary>Timesteps this update added (the last update of a run may add fewer than <see cref="TrainingOptions.StepsPerEpoch"/>); 0 when not an update.</summary>
    public long StepsThisUpdate { get; init; }

    /// <summary>Updates of the run skipped so far because a loss, gradient or weight was NaN or infinite.</summary>
    public long NonFiniteUpdates { get; init; }
}

/// <summary>Where an iteration's time went.</summary>
public sealed record IterationTiming(TimeSpan Engine, TimeSpan Encoding, TimeSpan Inference, TimeSpan Update)
{
    public TimeSpan Total => Engine + Encoding + Inference + Update;
}

/// <summary>How a training run ended.</summary>
public sealed record TrainingResult(long Timesteps, int Updates, long Episodes, string FinalCheckpoint, bool Interrupted, TimeSpan Elapsed);

/// <summary>
/// Training stopped because its numbers went non-finite: <see cref="TrainingOptions.MaxNonFiniteUpdates"/> updates in a row
/// were skipped, or the network played a NaN. The trainer's weights and optimizer state are the last good ones; the message
/// names the last good checkpoint.
/// </summary>
public sealed class NonFiniteTrainingException(string message, string? lastGoodCheckpoint, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The newest checkpoint written by this run (all of them hold finite weights), or null if none was.</summary>
    public string? LastGoodCheckpoint { get; } = lastGoodCheckpoint;
}

/// <summary>
/// The self-play PPO loop: rollout (N games, one batched forward per step) → GAE per player → PPO update → metrics →
/// checkpoint every <see cref="TrainingOptions.CheckpointIntervalTimesteps"/> and at the end (also on cancellation).
/// Seeded and reproducible on CPU; a resumed run continues exactly (weights, optimiser, schedule, generators, games).
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainingOptions _options;
    private readonly RunDirectory _run;
    private readonly ILogger _logger;
    private readonly List<ITrainingCallback> _callbacks;
    private readonly Device _device;
    private readonly PolicyValueModel _model;
    private readonly Ppo _ppo;
    private readonly SelfPlay _selfPlay;
    private readonly Xoshiro _playRng, _shuffleRng;
    private readonly RolloutBuffer _buffer;
    private long _timesteps, _episodes, _nonFiniteUpdates;
    private int _updates, _nonFiniteInARow;
    private string? _lastCheckpoint;

    /// <summary>
    /// Whether <c>training.mixed_precision</c> takes effect: bfloat16 convolutions on a CPU that multiplies bfloat16
    /// natively. Elsewhere it is ignored with a warning that says why (emulated bfloat16 is slower than float32; on CUDA
    /// Keisei has no mixed precision).
    /// </summary>
    internal static bool MixedPrecisionApplies(Device device, bool nativeBfloat16, ILogger logger)
    {
        if (device.type != DeviceType.CPU)
        {
            logger.LogWarning("training.mixed_precision is ignored on {Device}: Keisei's mixed precision is bfloat16 convolutions on CPU", device);
            return false;
        }
        if (!nativeBfloat16)
        {
            logger.LogWarning("training.mixed_precision is ignored: this CPU has no native bfloat16 arithmetic (AVX512-BF16 or AMX-BF16), and emulated bfloat16 convolutions are slower than float32 ones");
            return false;
        }
        logger.LogInformation("Mixed precision: convolutions in bfloat16, weights, gradients and optimiser state in float32");
        return true;
    }

    private Trainer(TrainingOptions options, RunDirectory run, ILogger? logger, IEnumerable<ITrainingCallback>? callbacks, LoadedCheckpoint? resume)
    {
        if (options.Validate() is { Count: > 0 } invalid) throw new ArgumentException("training." + string.Join("; training.", invalid), nameof(options));
        _options = options;
        _run = run;
        _logger = logger ?? NullLogger.Instance;
        _callbacks = callbacks?.ToList() ?? [];
        _device = TorchDevices.Resolve(options.Device, _logger);
        if (options.Threads > 0) torch.set_num_threads(options.Threads);

        _model = resume?.Model ?? PolicyValueModel.Create(options.Model, options.Seed);
        if (_device.type != DeviceType.CPU) _model.to(_device);
        if (options.Ppo.MixedPrecision) _model.Bfloat16Convolutions = MixedPrecisionApplies(_device, CpuFeatures.NativeBfloat16, _logger);
        long updates = Math.Max(1, (options.TotalTimesteps + options.StepsPerEpoch - 1) / options.StepsPerEpoch);
        long perUpdate = options.Ppo.Schedule.StepOn == LrStepOn.Update
            ? options.Ppo.PpoEpochs * (long)Math.Ceiling(options.StepsPerEpoch / (double)options.Ppo.MinibatchSize)
            : options.Ppo.PpoEpochs;
        _ppo = new Ppo(_model, options.Ppo, updates * perUpdate, _device);
        _playRng = new Xoshiro(options.Seed * 7919L + 1);
        _shuffleRng = new Xoshiro(options.Seed * 7919L + 2);
        _selfPlay = new SelfPlay(_model, options.NumEnvs, options.MaxMovesPerGame, _playRng, _device, options.MaterialShaping, options.Ppo.Gamma);
        _buffer = new RolloutBuffer(options.StepsPerEpoch, ObservationEncoderSize(options.Model));

        if (resume is not null)
        {
            var info = resume.Info;
            _timesteps = info.Counters.GetValueOrDefault("timesteps");
            _updates = (int)info.Counters.GetValueOrDefault("updates");
            _episodes = info.Counters.GetValueOrDefault("episodes");
            _ppo.ScheduleStep = info.Counters.GetValueOrDefault("schedule_step");
            _nonFiniteUpdates = info.Counters.GetValueOrDefault("nonfinite_updates");
            if (resume.HasOptimizerState) resume.RestoreOptimizer(_ppo.Optimizer);
            _ppo.SyncLearningRate();
            if (info.RngState.TryGetValue("selfplay", out var play)) _playRng.RestoreState(play);
            if (info.RngState.TryGetValue("shuffle", out var shuffle)) _shuffleRng.RestoreState(shuffle);
            if (info.Extra.TryGetValue("games", out var games)) _selfPlay.RestoreGames(JsonSerializer.Deserialize<List<string>>(games)!);
            _lastCheckpoint = resume.Path;
        }
    }

    private static int ObservationEncoderSize(ModelConfig model) => Neural.Encoding.ObservationEncoder.ByName(model.Observation).Size;

    /// <summary>A new run from freshly initialised (seeded) weights.</summary>
    public static Trainer Create(TrainingOptions options, RunDirectory run, ILogger? logger = null, IEnumerable<ITrainingCallback>? callbacks = null) =>
        new(options, run, logger, callbacks, null);

    /// <summary>
    /// Continues a run from its latest checkpoint (or the one a rollback chose). A checkpoint that cannot be used (truncated,
    /// corrupted, holding non-finite weights) is skipped with a warning naming it and why, and the next newest one is used.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run has no usable checkpoint (the message lists why each failed), or its architecture differs from the options.</exception>
    public static Trainer Resume(TrainingOptions options, RunDirectory run, ILogger? logger = null, IEnumerable<ITrainingCallback>? callbacks = null)
    {
        var candidates = run.ResumeCandidates();
        if (candidates.Count == 0) throw new InvalidOperationException($"Run '{run.Path}' has no checkpoint to resume from.");
        var refused = new List<string>();
        LoadedCheckpoint? checkpoint = null;
        foreach (string candidate in candidates)
        {
            try
            {
                checkpoint = CheckpointFile.Load(candidate);
                break;
            }
            catch (CheckpointException e)
            {
                refused.Add(e.Message);
                logger?.LogWarning("Not resuming from {Checkpoint}: {Problem}", candidate, e.Message);
            }
        }
        if (checkpoint is null)
            throw new InvalidOperationException($"Run '{run.Path}' has no usable checkpoint: {string.Join(" ", refused)}");
        string path = checkpoint.Path;
        if (refused.Count > 0)
            logger?.LogWarning("Resuming from {Checkpoint}, the newest intact checkpoint ({Count} newer one(s) damaged, see above)", path, refused.Count);
        if (checkpoint.Info.Model != options.Model)
            throw new InvalidOperationException(
                $"Checkpoint '{path}' holds {checkpoint.Info.Model.Describe()}, but the run's config asks for {options.Model.Describe()}.");
        logger?.LogInformation("Resuming {Run} from {Checkpoint} at {Timesteps} timesteps", run.Name, path, checkpoint.Info.Counters.GetValueOrDefault("timesteps"));
        var trainer = new Trainer(options, run, logger, callbacks, checkpoint);
        if (File.Exists(run.ResumeFromPath)) File.Delete(run.ResumeFromPath);
        return trainer;
    }

    public PolicyValueModel Model => _model;

    /// <summary>The learner (tests poison its gradients).</summary>
    internal Ppo Ppo => _ppo;
    public TrainingOptions Options => _options;
    public RunDirectory Run => _run;
    public long Timesteps => _timesteps;
    public int Updates => _updates;
    public string? LastCheckpoint => _lastCheckpoint;

    /// <summary>Adds a callback (before <see cref="RunAsync"/>).</summary>
    public void AddCallback(ITrainingCallback callback) => _callbacks.Add(callback);

    /// <summary>Trains until <see cref="TrainingOptions.TotalTimesteps"/> or cancellation; always ends with a checkpoint.</summary>
    public async Task<TrainingResult> RunAsync(IProgress<TrainingStatus>? progress, CancellationToken cancellationToken, MetricSink? metrics = null)
    {
        var clock = Stopwatch.StartNew();
        var stats = new SelfPlayStats();
        bool interrupted = false;
        _logger.LogInformation("Training {Model} for {Total} timesteps, {Envs} games in parallel, {Steps} steps per update",
            _options.Model.Describe(), _options.TotalTimesteps, _options.NumEnvs, _options.StepsPerEpoch);
        while (_timesteps < _options.TotalTimesteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                interrupted = true;
                break;
            }
            int steps = (int)Math.Min(_options.StepsPerEpoch, _options.TotalTimesteps - _timesteps);
            stats.Reset();
            var iteration = Stopwatch.StartNew();
            try
            {
                _selfPlay.Collect(_buffer, steps, stats);
            }
            catch (NonFiniteOutputException e)
            {
                throw Stop($"self-play at update {_updates + 1}: {e.Message}", e, weightsRestored: false);
            }
            var collectTime = iteration.Elapsed;
            _buffer.ComputeAdvantages(_options.Ppo.Gamma, _options.Ppo.LambdaGae);
            var updateClock = Stopwatch.StartNew();
            var ppo = _ppo.Update(_buffer, _shuffleRng);
            var updateTime = updateClock.Elapsed;

            long before = _timesteps;
            _timesteps += steps;
            _updates++;
            _episodes += stats.Episodes;
            if (ppo.NonFinite is { } what)
            {
                _nonFiniteUpdates++;
                _nonFiniteInARow++;
                _logger.LogWarning("update {Updates}: skipped, non-finite {What}; weights and optimizer state restored to before it ({InARow} in a row, at most {Max})",
                    _updates, what, _nonFiniteInARow, _options.MaxNonFiniteUpdates);
            }
            else
            {
                _nonFiniteInARow = 0;
                _logger.LogInformation("update {Updates}: timesteps {Timesteps}, policy {Policy:F4}, value {Value:F4}, entropy {Entropy:F3}, kl {Kl:F4}",
                    _updates, _timesteps, ppo.PolicyLoss, ppo.ValueLoss, ppo.Entropy, ppo.ApproxKl);
            }
            var timing = new IterationTiming(stats.EngineTime, stats.EncodingTime, stats.InferenceTime, updateTime);
            var status = Status(stats, ppo, steps / collectTime.TotalSeconds, steps / Math.Max(1e-9, updateTime.TotalSeconds), clock.Elapsed, timing)
                with { StepsThisUpdate = steps, NonFiniteUpdates = _nonFiniteUpdates };
            metrics?.Write(_timesteps, Scalars(status, stats));
            if (_nonFiniteInARow >= _options.MaxNonFiniteUpdates)
            {
                progress?.Report(status with { LastCheckpoint = _lastCheckpoint });
                throw Stop($"{_nonFiniteInARow} updates in a row had non-finite numbers (the last, update {_updates}: {ppo.NonFinite})", null, weightsRestored: true);
            }

            long interval = _options.CheckpointIntervalTimesteps;
            if (interval > 0 && _timesteps / interval > before / interval && _timesteps < _options.TotalTimesteps)
                await SaveCheckpointAsync(_run.CheckpointPath(_timesteps), cancellationToken).ConfigureAwait(false);
            progress?.Report(status with { LastCheckpoint = _lastCheckpoint });
            foreach (var callback in _callbacks) await callback.OnUpdateAsync(this, status, cancellationToken).ConfigureAwait(false);
        }
        await SaveCheckpointAsync(_run.FinalCheckpointPath, CancellationToken.None).ConfigureAwait(false);
        var final = Status(stats, null, 0, 0, clock.Elapsed, null) with { LastCheckpoint = _lastCheckpoint, NonFiniteUpdates = _nonFiniteUpdates };
        progress?.Report(final);
        return new TrainingResult(_timesteps, _updates, _episodes, _lastCheckpoint!, interrupted, clock.Elapsed);
    }

    /// <summary>The exception that ends a run whose numbers went non-finite (not logged here: whoever catches it reports it).</summary>
    private NonFiniteTrainingException Stop(string what, Exception? inner, bool weightsRestored)
    {
        string where = _lastCheckpoint is null
            ? "no checkpoint was written yet"
            : $"the last good checkpoint is {_lastCheckpoint} (continue with keisei train --resume {_run.Name})";
        string state = weightsRestored
            ? "The weights and optimizer state in memory are the last good ones"
            : "The weights are finite but the network's output was not (README, \"Numerical integrity\")";
        return new NonFiniteTrainingException($"Training stopped: {what}. {state}; {where}.", _lastCheckpoint, inner);
    }

    private TrainingStatus Status(SelfPlayStats stats, PpoStats? ppo, double pliesPerSecond, double samplesPerSecond, TimeSpan elapsed, IterationTiming? timing)
    {
        double episodes = Math.Max(1, stats.Episodes);
        return new TrainingStatus(_timesteps, _options.TotalTimesteps, _updates, _episodes, pliesPerSecond, samplesPerSecond * Math.Max(1, ppo?.EpochsRun ?? 1), ppo,
            stats.Episodes == 0 ? double.NaN : stats.BlackWins / episodes, stats.Episodes == 0 ? double.NaN : stats.WhiteWins / episodes,
            stats.Episodes == 0 ? double.NaN : stats.Draws / episodes, stats.Episodes == 0 ? double.NaN : stats.EpisodePlies / episodes,
            _lastCheckpoint, elapsed, timing);
    }

    private static List<(string, double)> Scalars(TrainingStatus s, SelfPlayStats stats)
    {
        var list = new List<(string, double)>();
        if (s.Ppo!.NonFinite is null)
        {
            list.AddRange(
            [
                ("ppo/policy_loss", s.Ppo.PolicyLoss),
                ("ppo/value_loss", s.Ppo.ValueLoss),
                ("ppo/entropy", s.Ppo.Entropy),
                ("ppo/kl_divergence_approx", s.Ppo.ApproxKl),
                ("ppo/clip_fraction", s.Ppo.ClipFraction),
                ("ppo/grad_norm", s.Ppo.GradNorm),
                ("ppo/epochs", s.Ppo.EpochsRun),
            ]);
        }
        list.AddRange(
        [
            ("ppo/learning_rate", s.Ppo.LearningRate),
            ("ppo/nonfinite_updates", s.NonFiniteUpdates),
            ("selfplay/episodes", stats.Episodes),
            ("selfplay/black_win_rate", s.BlackWinRate),
            ("selfplay/white_win_rate", s.WhiteWinRate),
            ("selfplay/draw_rate", s.DrawRate),
            ("selfplay/episode_length", s.EpisodeLength),
            ("perf/plies_per_second", s.PliesPerSecond),
            ("perf/samples_per_second", s.SamplesPerSecond),
        ]);
        if (s.Timing is { } t)
        {
            list.Add(("perf/engine_ms", t.Engine.TotalMilliseconds));
            list.Add(("perf/encoding_ms", t.Encoding.TotalMilliseconds));
            list.Add(("perf/inference_ms", t.Inference.TotalMilliseconds));
            list.Add(("perf/update_ms", t.Update.TotalMilliseconds));
        }
        foreach (var (reason, count) in stats.Terminations) list.Add(($"selfplay/termination/{reason}", count));
        return list;
    }

    /// <summary>Writes a checkpoint with everything an exact resume needs (weights, optimiser, counters, generators, games in progress).</summary>
    public async Task<string> SaveCheckpointAsync(string path, CancellationToken cancellationToken)
    {
        var info = new CheckpointInfo
        {
            Model = _model.Config,
            Counters =
            {
                ["timesteps"] = _timesteps,
                ["updates"] = _updates,
                ["episodes"] = _episodes,
                ["schedule_step"] = _ppo.ScheduleStep,
                ["nonfinite_updates"] = _nonFiniteUpdates,
            },
            RngState =
            {
                ["selfplay"] = _playRng.SaveState(),
                ["shuffle"] = _shuffleRng.SaveState(),
            },
            Extra =
            {
                ["run"] = _run.Name,
                ["optimizer"] = _options.Ppo.Optimizer,
                ["games"] = JsonSerializer.Serialize(_selfPlay.SaveGames()),
                ["seed"] = _options.Seed.ToString(CultureInfo.InvariantCulture),
            },
        };
        CheckpointFile.Save(path, _model, info, _ppo.Optimizer);
        _lastCheckpoint = path;
        _logger.LogInformation("Checkpoint {Path} at {Timesteps} timesteps", path, _timesteps);
        foreach (var callback in _callbacks) await callback.OnCheckpointAsync(this, path, _timesteps, cancellationToken).ConfigureAwait(false);
        return path;
    }

    public void Dispose() => _model.Dispose();
}
