using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Keisei.Evaluation;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Training;

/// <summary>How new checkpoints are gated against the champion.</summary>
public sealed record GatingOptions
{
    /// <summary>None, SPRT, or fixed (KataGo-style: N games, at least the threshold, early stop once decided).</summary>
    public GatingMode Mode { get; init; } = GatingMode.None;

    public int Games { get; init; } = 200;
    public double Threshold { get; init; } = 0.5;
    public SprtParameters Sprt { get; init; } = new(0, 10, 0.05, 0.05, SprtModel.Normalized);
}

/// <summary>What periodic evaluation plays and how.</summary>
public sealed record PeriodicEvaluationOptions
{
    /// <summary>Evaluate every this many timesteps (a trigger fires when a multiple is crossed, whatever the rollout size).</summary>
    public long IntervalTimesteps { get; init; } = 50_000;

    /// <summary>Fixed anchors: random, heuristic, optionally a USI engine.</summary>
    public IReadOnlyList<OpponentSpec> Anchors { get; init; } = [OpponentSpec.Parse("random"), OpponentSpec.Parse("heuristic")];

    /// <summary>Games against each opponent (rounded up to pairs).</summary>
    public int GamesPerOpponent { get; init; } = 20;

    /// <summary>Earlier checkpoints of the run played as opponents (the last N).</summary>
    public int PreviousPoolSize { get; init; } = 5;

    public ArenaOptions Arena { get; init; } = new();
    public NeuralPlayOptions Neural { get; init; } = new();
    public GatingOptions Gating { get; init; } = new();
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Evaluation inside training: after each update, if <see cref="PeriodicEvaluationOptions.IntervalTimesteps"/> was crossed,
/// the current weights are copied (in memory) and handed to the <see cref="EvaluationService"/>; training goes on at once.
/// Each evaluation plays the anchors, the last N checkpoints (registered in the run's database, so a resumed run has them)
/// and the champion. Results are logged at the step they belong to; the checkpoint ladder is refitted after each one.
/// New checkpoints may be gated against the champion; the <see cref="RunLedger"/> registers checkpoints, decides gating
/// matches and keeps promotions with their evidence.
/// </summary>
public sealed class PeriodicEvaluation : ITrainingCallback, IAsyncDisposable
{
    private readonly ResultsStore _store;
    private readonly PeriodicEvaluationOptions _options;
    private readonly MetricSink? _metrics;
    private readonly Action<string>? _summary;
    private readonly ILogger _logger;
    private readonly string _runName;

    /// <summary>Timesteps at the end of the last update, and of the update an impact sample being recorded is of.</summary>
    private long _lastStep, _sampledStep;

    public PeriodicEvaluation(string runName, ResultsStore store, ParticipantResolver participants, EvaluationServiceOptions serviceOptions,
        PeriodicEvaluationOptions options, MetricSink? metrics = null, Action<string>? summary = null, ILogger? logger = null)
    {
        _runName = runName;
        _store = store;
        _options = options;
        _metrics = metrics;
        _summary = summary;
        _logger = logger ?? NullLogger.Instance;
        Ledger = new RunLedger(store, _logger);
        Service = new EvaluationService(serviceOptions, store, participants, OnOutcome, logger: _logger);
        // Each update that ran beside an evaluation: training's slowdown while the evaluation played, at that update's step.
        Service.Throughput.ImpactSampled += impact => _metrics?.Write(_sampledStep, [("evaluation/training_impact_sample", impact)]);
    }

    public EvaluationService Service { get; }

    /// <summary>The run's checkpoints and champions.</summary>
    public RunLedger Ledger { get; }

    /// <summary>Outcomes seen so far (for tests and the run summary).</summary>
    public List<EvaluationOutcome> Outcomes { get; } = [];

    /// <summary>True when an update that moved training from <paramref name="before"/> to <paramref name="after"/> timesteps crossed a multiple of the interval.</summary>
    public static bool Crossed(long before, long after, long interval) => interval > 0 && after / interval > before / interval;

    public ValueTask OnUpdateAsync(Trainer trainer, TrainingStatus status, CancellationToken cancellationToken)
    {
        // The last update of a run may be shorter than a full rollout: take what it really added.
        long stepsThisUpdate = status.StepsThisUpdate > 0 ? status.StepsThisUpdate : Math.Min(trainer.Options.StepsPerEpoch, status.Timesteps);
        bool trigger = Crossed(status.Timesteps - stepsThisUpdate, status.Timesteps, _options.IntervalTimesteps);
        // Copy the weights while evaluations are held (with alternation they play in every other update), so that the copy
        // does not share the CPU with a game: before recording this update when it was a quiet one (recording lets the
        // evaluations play), after it otherwise (recording holds them).
        if (trigger && !Service.Throughput.EvaluationsMayPlay)
        {
            Trigger(trainer.Model, status.Timesteps);
            trigger = false;
        }
        // Training throughput of the whole iteration (self-play and learning), the figure an evaluation's impact is measured on.
        if (status.Timing is { Total.TotalSeconds: > 0 } timing)
        {
            _sampledStep = _lastStep;
            Service.Throughput.Record(stepsThisUpdate / timing.Total.TotalSeconds, timing.Total);
        }
        _lastStep = status.Timesteps;
        if (trigger) Trigger(trainer.Model, status.Timesteps);
        return ValueTask.CompletedTask;
    }

    /// <summary>A copy of every parameter and buffer (a memory copy); the evaluation worker builds its own model from it.</summary>
    private static Dictionary<string, TorchSharp.torch.Tensor> Snapshot(PolicyValueModel model)
    {
        var weights = new Dictionary<string, TorchSharp.torch.Tensor>();
        foreach (var (key, value) in model.state_dict())
        {
            using var detached = value.detach();
            weights[key] = detached.clone();
        }
        return weights;
    }

    /// <summary>
    /// Takes (and frees) one snapshot before training starts, so the snapshot code is compiled and the allocator has
    /// served such a request before the first trigger. (The first trigger of some runs still cost 7-9 ms against 1-2 ms
    /// for the others: something else on that path is first-time too.)
    /// </summary>
    public void Prepare(PolicyValueModel model)
    {
        foreach (var tensor in Snapshot(model).Values) tensor.Dispose();
    }

    /// <summary>Copies the weights and queues their evaluation; the time this takes is the trigger stall.</summary>
    public void Trigger(PolicyValueModel model, long step)
    {
        var clock = Stopwatch.StartNew();
        var weights = Snapshot(model);
        var config = model.Config;
        string name = $"{_runName}@ts{step}";
        var job = new EvaluationJob(name, step,
            _ =>
            {
                var copy = PolicyValueModel.Create(config, seed: 0);
                copy.load_state_dict(weights);
                foreach (var tensor in weights.Values) tensor.Dispose();
                copy.eval();
                return ValueTask.FromResult<IPlayerFactory>(new NeuralPlayerFactory(copy, new PlayerDescriptor(name, ParticipantKind.Snapshot, Details: config.Describe()),
                    _options.Neural, ownsModel: true));
            },
            agent => Request(agent, Opponents(), "tournament", new Dictionary<string, object?> { ["num_games_per_opponent"] = (long)_options.GamesPerOpponent }),
            // Skipped by a full queue or dropped at shutdown: free the copy now rather than when the finalizer gets to it.
            Discard: () =>
            {
                foreach (var tensor in weights.Values) tensor.Dispose();
            });
        Service.TryEnqueue(job);
        clock.Stop();
        Service.RecordTriggerStall(clock.Elapsed);
        _metrics?.Write(step, [("evaluation/trigger_stall_ms", clock.Elapsed.TotalMilliseconds)]);
    }

    private EvaluationRequest Request(IPlayerFactory agent, IReadOnlyList<OpponentSpec> opponents, string strategy, Dictionary<string, object?> parameters) => new()
    {
        Agent = agent,
        Strategy = EvaluationStrategy.Create(strategy, new ParamReader(parameters, "evaluation.strategy_params")),
        StrategyConfigJson = JsonSerializer.Serialize(parameters),
        Opponents = opponents,
        NumGames = _options.GamesPerOpponent * Math.Max(1, opponents.Count),
        Seed = _options.Seed,
        Arena = _options.Arena,
    };

    /// <summary>Anchors, the last N active checkpoints of the run, and the champion (each once).</summary>
    private List<OpponentSpec> Opponents()
    {
        var list = new List<OpponentSpec>(_options.Anchors);
        var champion = Ledger.PlayableChampion();
        foreach (var c in Ledger.Pool().TakeLast(_options.PreviousPoolSize)) list.Add(CheckpointOpponent(c.Path, c.Timesteps));
        if (champion is not null && list.All(o => o.Path != champion.CheckpointPath))
            list.Add(CheckpointOpponent(champion.CheckpointPath, champion.Timesteps));
        return list;
    }

    /// <summary>A checkpoint file as a participant, named after the run and file (snapshots are named run@tsN).</summary>
    private OpponentSpec CheckpointOpponent(string path, long timesteps) => new(CheckpointName(path), ParticipantKind.Checkpoint, path);

    private string CheckpointName(string path) => RunLedger.ParticipantName(_runName, path);

    public ValueTask OnCheckpointAsync(Trainer trainer, string path, long timesteps, CancellationToken cancellationToken)
    {
        RegisterCheckpoint(trainer, path, timesteps);
        return ValueTask.CompletedTask;
    }

    /// <summary>Adds a checkpoint to the run's pool and, with gating on, queues its match against the champion.</summary>
    private void RegisterCheckpoint(Trainer trainer, string checkpoint, long timesteps)
    {
        if (Ledger.RegisterCheckpoint(trainer.Run, checkpoint, timesteps) is not { } path || _options.Gating.Mode == GatingMode.None) return;
        if (Ledger.ChampionToBeat(path, timesteps) is not { } champion) return;
        var championSpec = CheckpointOpponent(champion.CheckpointPath, champion.Timesteps);
        var gating = _options.Gating;
        var job = new EvaluationJob($"gate {Path.GetFileName(path)}", timesteps,
            _ => ValueTask.FromResult<IPlayerFactory>(NeuralPlayerFactory.FromCheckpoint(path, CheckpointName(path), _options.Neural, _logger)),
            agent => Request(agent, [championSpec], "single_opponent", []) with
            {
                NumGames = gating.Games,
                Sprt = gating.Mode == GatingMode.Sprt ? gating.Sprt : null,
                Gate = gating.Mode == GatingMode.Fixed ? new FixedMatchGate(gating.Threshold) : null,
            })
        {
            GateCandidate = path,
        };
        Service.TryEnqueue(job);
    }

    private void OnOutcome(EvaluationOutcome outcome)
    {
        lock (Outcomes) Outcomes.Add(outcome);
        var job = outcome.Job;
        var report = outcome.Report;
        var scalars = new List<(string, double)>
        {
            ("evaluation/latency_s", outcome.Latency.TotalSeconds),
            ("evaluation/memory_overhead_mb", outcome.PeakMemoryOverheadBytes / (1024.0 * 1024)),
            ("evaluation/cpu_s", outcome.ProcessCpuTime.TotalSeconds),
            ("evaluation/sla_violations", outcome.Violations.Count),
        };
        if (outcome.TrainingImpact is { } impact) scalars.Add(("evaluation/training_impact", impact));
        if (report is not null && report.PlayedGames > 0)
        {
            scalars.Add(("evaluation/win_rate", report.TotalElo.WinRate.Estimate));
            scalars.Add(("evaluation/score", report.TotalElo.Score));
            scalars.Add(("evaluation/elo", report.TotalElo.Elo));
            scalars.Add(("evaluation/elo_ci95", report.TotalElo.EloHalfWidth));
            scalars.Add(("evaluation/total_games", report.PlayedGames));
            scalars.Add(("evaluation/avg_game_length", report.Opponents.Count == 0 ? double.NaN
                : report.Opponents.Sum(o => o.Summary.Lengths.Mean * o.Counts.Games) / Math.Max(1, report.Opponents.Sum(o => o.Counts.Games))));
            foreach (var o in report.Opponents)
            {
                string tag = Tag(o.Opponent);
                scalars.Add(($"evaluation/vs_{tag}/score", o.Elo.Score));
                scalars.Add(($"evaluation/vs_{tag}/elo", o.Elo.Elo));
            }
        }
        if (job.GateCandidate is { } candidate)
        {
            if (report is not null) Ledger.Judge(candidate, job.TrainingStep, _options.Gating.Mode, report);
        }
        else UpdateLadder(scalars);
        _metrics?.Write(job.TrainingStep, scalars);
        string text = report is null
            ? $"ts {job.TrainingStep}: {SnakeCaseName.Of(outcome.Status)}{(outcome.Error is null ? "" : " (" + outcome.Error + ")")}"
            : string.Create(CultureInfo.InvariantCulture,
                $"{job.Name}: {report.Total.Wins}-{report.Total.Draws}-{report.Total.Losses}, score {report.TotalElo.Score:0.000}, " +
                $"Elo {report.TotalElo.Elo:+0;-0} ± {report.TotalElo.EloHalfWidth:0} ({SnakeCaseName.Of(outcome.Status)}, {outcome.Latency.TotalSeconds:0.0} s)");
        if (outcome.TrainingImpact is { } measured)
            text += string.Create(CultureInfo.InvariantCulture, $"; training impact {measured:P1}");
        var throttle = Service.Throttle;
        if (throttle.Concurrency < throttle.MaxConcurrency || throttle.Duty < 1)
            text += string.Create(CultureInfo.InvariantCulture, $"; throttled to {throttle.Concurrency} game(s) at once, playing {throttle.Duty:P0} of the time");
        if (outcome.Violations.Count > 0) text += $" [SLA: {string.Join("; ", outcome.Violations)}]";
        _summary?.Invoke(text);
    }

    private static string Tag(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '_'));

    /// <summary>Refits the ladder (Bradley–Terry over the run's games, anchored on random, checkpoints in series) and logs it.</summary>
    private void UpdateLadder(List<(string, double)> scalars)
    {
        try
        {
            var ladder = Ledger.Ladder(_runName);
            _store.AddRatingSnapshot(null, "ladder", "random", ReportJson.Pool(ladder).ToJsonString());
            foreach (var r in ladder.Where(r => r.Rated))
            {
                scalars.Add(($"ladder/{Tag(r.Name)}/rating", r.Rating));
                scalars.Add(($"ladder/{Tag(r.Name)}/ci95", r.StandardError * Normal.Z95));
            }
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Refitting the checkpoint ladder failed");
        }
    }

    public async ValueTask DisposeAsync() => await Service.DisposeAsync().ConfigureAwait(false);
}
