using System.Diagnostics;
using System.Diagnostics.Metrics;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Throttling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Evaluation.Service;

/// <summary>Service levels an evaluation should keep while training runs; a miss is logged, counted and acted on.</summary>
public sealed record ServiceLevelTargets
{
    /// <summary>p99 of the time the training loop spends handing over a request.</summary>
    public TimeSpan TriggerStallP99 { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Peak extra memory (process working set) while an evaluation runs.</summary>
    public long MemoryOverheadBytes { get; init; } = 1000L * 1024 * 1024;

    /// <summary>Largest acceptable drop of training throughput while an evaluation runs (0.05 = 5 %).</summary>
    public double TrainingImpact { get; init; } = 0.05;
}

/// <summary>What to do with a request when the queue is full.</summary>
public enum QueueFullPolicy
{
    /// <summary>Keep the newest pending request: the oldest pending one is skipped (counted and logged).</summary>
    KeepNewest,

    /// <summary>Skip the new request.</summary>
    DropNew,
}

/// <summary>Resources and limits of the evaluation service.</summary>
public sealed record EvaluationServiceOptions
{
    /// <summary>Pending requests kept; beyond it <see cref="WhenFull"/> applies.</summary>
    public int QueueCapacity { get; init; } = 1;

    public QueueFullPolicy WhenFull { get; init; } = QueueFullPolicy.KeepNewest;

    /// <summary>Games an evaluation plays at once before any throttling (<c>max_concurrent_games</c>); the adaptive throttle starts here.</summary>
    public int GamesAtOnce { get; init; } = 4;

    /// <summary>Evaluations run at the same time (<c>max_concurrent_evaluations</c>).</summary>
    public int MaxConcurrentEvaluations { get; init; } = 1;

    /// <summary>Longest an evaluation may run; then its games are cancelled and it is recorded as timed out.</summary>
    public TimeSpan? EvaluationTimeout { get; init; }

    public ServiceLevelTargets Targets { get; init; } = new();

    /// <summary>
    /// Measure the training impact in alternating updates (evaluations play in every other training update, the ones
    /// between are the baseline) and lower the games at once and the share of time evaluations play while training slows
    /// down more than the target.
    /// </summary>
    public bool Adaptive { get; init; } = true;
}

/// <summary>One evaluation to run: how to get the agent (an in-memory snapshot or a checkpoint), and the request to run with it.</summary>
/// <param name="TrainingStep">The training timestep the evaluated weights belong to (results are logged at this step).</param>
/// <param name="CreateAgent">Builds the agent on the evaluation worker (not on the training thread).</param>
/// <param name="BuildRequest">The evaluation request for that agent (strategy, opponents, games, arena options).</param>
/// <param name="Discard">Releases what the job holds (such as a copy of the weights) when it will never run: skipped, refused or dropped.</param>
public sealed record EvaluationJob(string Name, long TrainingStep, Func<CancellationToken, ValueTask<IPlayerFactory>> CreateAgent,
    Func<IPlayerFactory, EvaluationRequest> BuildRequest, Action? Discard = null)
{
    /// <summary>Set on a gating match: the checkpoint file that plays the champion, promoted if it passes (null: not a gating match).</summary>
    public string? GateCandidate { get; init; }
}

/// <summary>How one evaluation ended, with its measured service levels.</summary>
public sealed record EvaluationOutcome(
    EvaluationJob Job,
    EvaluationReport? Report,
    EvaluationStatus Status,
    string? Error,
    TimeSpan QueueWait,
    TimeSpan Latency,
    long PeakMemoryOverheadBytes,
    TimeSpan ProcessCpuTime,
    double? TrainingImpact,
    IReadOnlyList<string> Violations);

/// <summary>
/// Runs evaluations beside training. <see cref="TryEnqueue"/> returns at once; requests wait in a bounded queue (when full,
/// the newest pending request is kept and the skipped ones are counted and logged); at most
/// <see cref="EvaluationServiceOptions.MaxConcurrentEvaluations"/> run at a time on their own workers, each under its own
/// timeout. Failures stay inside: a failing evaluation becomes an outcome with its reason. Shutdown cancels or waits for
/// the work and leaves nothing running. Figures are published on the meter <c>Keisei.Evaluation</c>.
/// </summary>
public sealed class EvaluationService : IAsyncDisposable
{
    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/> (for <c>dotnet-counters monitor --counters Keisei.Evaluation</c>).</summary>
    public const string MeterName = "Keisei.Evaluation";

    private readonly EvaluationServiceOptions _options;
    private readonly ResultsStore _store;
    private readonly ParticipantResolver _participants;
    private readonly ILogger _logger;
    private readonly Action<EvaluationOutcome> _onOutcome;
    private readonly LinkedList<(EvaluationJob Job, long EnqueuedAt)> _pending = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _gamesCounter, _violationsCounter, _skippedCounter, _failedCounter;
    private readonly Histogram<double> _latencyHistogram, _stallHistogram;
    private readonly List<double> _stalls = [], _impacts = [];
    private int _inFlight;

    // Set by a shutdown that waits for the queue to drain; completed when nothing is pending or running.
    private TaskCompletionSource? _drained;
    private long _skipped, _violations;
    private bool _accepting = true;

    public EvaluationService(EvaluationServiceOptions options, ResultsStore store, ParticipantResolver participants, Action<EvaluationOutcome> onOutcome,
        ThroughputMonitor? throughput = null, ILogger? logger = null)
    {
        _options = options;
        _store = store;
        _participants = participants;
        _onOutcome = onOutcome;
        _logger = logger ?? NullLogger.Instance;
        Throughput = throughput ?? new ThroughputMonitor(alternate: options.Adaptive);
        Throttle = new EvaluationThrottle(Math.Max(1, options.GamesAtOnce));
        Throughput.ImpactSampled += OnImpactSampled;
        Throughput.TurnChanged += Throttle.SetTurn;
        Throughput.Finished += Throttle.Release;
        Throttle.SetTurn(Throughput.EvaluationsMayPlay);
        _meter.CreateObservableGauge("keisei.evaluation.queue_depth", () => PendingCount, description: "Evaluation requests waiting");
        _meter.CreateObservableGauge("keisei.evaluation.in_flight", () => Volatile.Read(ref _inFlight), description: "Evaluations running");
        _meter.CreateObservableGauge("keisei.evaluation.concurrency", () => Throttle.Concurrency, description: "Games an evaluation may play at once (adaptive)");
        _gamesCounter = _meter.CreateCounter<long>("keisei.evaluation.games", description: "Evaluation games finished");
        _violationsCounter = _meter.CreateCounter<long>("keisei.evaluation.sla_violations", description: "Service-level targets missed");
        _skippedCounter = _meter.CreateCounter<long>("keisei.evaluation.skipped", description: "Requests skipped because the queue was full");
        _failedCounter = _meter.CreateCounter<long>("keisei.evaluation.failed", description: "Evaluations that failed");
        _latencyHistogram = _meter.CreateHistogram<double>("keisei.evaluation.latency", "s", "Time from request to result");
        _stallHistogram = _meter.CreateHistogram<double>("keisei.evaluation.trigger_stall", "ms", "Time the caller spent handing over a request");
        _workers = Enumerable.Range(0, Math.Max(1, options.MaxConcurrentEvaluations))
            .Select(_ => Task.Factory.StartNew(WorkerAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())
            .ToArray();
    }

    /// <summary>Each training update that ran beside an evaluation steps the throttle (while the evaluation still runs).</summary>
    private void OnImpactSampled(double impact)
    {
        lock (_lock) _impacts.Add(impact);
        if (_options.Adaptive) Throttle.Adapt(impact, _options.Targets.TrainingImpact, _logger);
    }

    /// <summary>Impact samples so far: training's slowdown while an evaluation played, one per update beside an evaluation.</summary>
    public IReadOnlyList<double> ImpactSamples
    {
        get
        {
            lock (_lock) return [.. _impacts];
        }
    }

    private int ImpactSampleCount
    {
        get
        {
            lock (_lock) return _impacts.Count;
        }
    }

    /// <summary>Training throughput samples, to measure and limit the evaluation's impact.</summary>
    public ThroughputMonitor Throughput { get; }

    /// <summary>The adaptive limits applied to the next games.</summary>
    public EvaluationThrottle Throttle { get; }

    public int PendingCount
    {
        get
        {
            lock (_lock) return _pending.Count;
        }
    }

    public int InFlight => Volatile.Read(ref _inFlight);
    public long Skipped => Interlocked.Read(ref _skipped);
    public long Violations => Interlocked.Read(ref _violations);

    /// <summary>Trigger stalls seen so far, in milliseconds (the caller-side cost of <see cref="TryEnqueue"/> plus its snapshot).</summary>
    public IReadOnlyList<double> TriggerStalls
    {
        get
        {
            lock (_lock) return [.. _stalls];
        }
    }

    /// <summary>Records how long the caller was held up preparing and handing over a request (including any weight snapshot).</summary>
    public void RecordTriggerStall(TimeSpan stall)
    {
        lock (_lock) _stalls.Add(stall.TotalMilliseconds);
        _stallHistogram.Record(stall.TotalMilliseconds);
        if (stall > _options.Targets.TriggerStallP99)
            _logger.LogDebug("Evaluation trigger held training for {Ms:F2} ms", stall.TotalMilliseconds);
    }

    /// <summary>
    /// Queues a request and returns at once. Returns false when the service is shutting down or the request was dropped;
    /// a job that will not run (this one, or the pending one it replaces) is discarded.
    /// </summary>
    public bool TryEnqueue(EvaluationJob job)
    {
        EvaluationJob? skipped = null;
        bool skippedFull = false;
        lock (_lock)
        {
            if (!_accepting) skipped = job;
            else if (_pending.Count >= _options.QueueCapacity)
            {
                if (_options.WhenFull == QueueFullPolicy.DropNew) skipped = job;
                else
                {
                    skipped = _pending.First!.Value.Job;
                    _pending.RemoveFirst();
                }
                Interlocked.Increment(ref _skipped);
                _skippedCounter.Add(1);
                skippedFull = true;
            }
            if (skipped != job) _pending.AddLast((job, Stopwatch.GetTimestamp()));
        }
        // Logging the skip and freeing the skipped job's weight copy are left to the thread pool: the caller is the training
        // loop, and freeing memory (and logging) took it 10-30 ms where the rest of a trigger takes 1-2 ms.
        if (skipped is not null) ThreadPool.QueueUserWorkItem(static state => state.Service.Drop(state.Job, state.Full), (Service: this, Job: skipped, Full: skippedFull), preferLocal: false);
        if (skipped == job) return false;
        _signal.Release();
        return true;
    }

    private void Discard(EvaluationJob job)
    {
        try
        {
            job.Discard?.Invoke();
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Discarding evaluation '{Name}' failed", job.Name);
        }
    }

    /// <summary>A job that will not run: logged when the queue was full, and its resources released; never throws.</summary>
    private void Drop(EvaluationJob job, bool queueFull)
    {
        try
        {
            if (queueFull)
                _logger.LogWarning("Evaluation queue full: skipped '{Name}' (step {Step}); {Skipped} skipped so far", job.Name, job.TrainingStep, Skipped);
            Discard(job);
        }
        catch (ObjectDisposedException)
        {
            // The run's log was closed while this was queued (the skip is still counted).
        }
    }

    private async Task WorkerAsync()
    {
        while (true)
        {
            try
            {
                await _signal.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            (EvaluationJob Job, long EnqueuedAt) next;
            lock (_lock)
            {
                if (_pending.Count == 0) continue;
                next = _pending.First!.Value;
                _pending.RemoveFirst();
                // Counted as in flight inside the lock, so a waiting shutdown never sees it as neither pending nor running.
                _inFlight++;
            }
            try
            {
                var outcome = await RunOneAsync(next.Job, Stopwatch.GetElapsedTime(next.EnqueuedAt)).ConfigureAwait(false);
                try
                {
                    _onOutcome(outcome);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Handling the outcome of evaluation '{Name}' failed", next.Job.Name);
                }
            }
            finally
            {
                lock (_lock)
                {
                    _inFlight--;
                    if (_pending.Count == 0 && _inFlight == 0) _drained?.TrySetResult();
                }
            }
        }
    }

    /// <summary>Runs one job inside the error boundary: whatever fails is recorded in the outcome, never thrown to training.</summary>
    private async Task<EvaluationOutcome> RunOneAsync(EvaluationJob job, TimeSpan queueWait)
    {
        var clock = Stopwatch.StartNew();
        using var process = Process.GetCurrentProcess();
        long baseline = process.WorkingSet64;
        var cpuBefore = process.TotalProcessorTime;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        if (_options.EvaluationTimeout is { } limit) timeout.CancelAfter(limit);
        using var sampler = new PeakMemorySampler(baseline);
        var window = Throughput.BeginWindow();
        int samplesBefore = ImpactSampleCount;
        EvaluationReport? report = null;
        EvaluationStatus status;
        string? error = null;
        IPlayerFactory? agent = null;
        try
        {
            // Building the agent takes CPU too: with alternation it waits for the evaluations' turn like a move does.
            await Throttle.WaitTurnAsync(timeout.Token).ConfigureAwait(false);
            agent = await job.CreateAgent(timeout.Token).ConfigureAwait(false);
            var request = job.BuildRequest(agent);
            var progress = new GameCounter(this);
            report = await new EvaluationRunner(_store, _participants, _logger, Throttle).RunAsync(request, progress, timeout.Token).ConfigureAwait(false);
            status = report.Status == EvaluationStatus.Stopped && timeout.IsCancellationRequested && !_stop.IsCancellationRequested ? EvaluationStatus.TimedOut : report.Status;
            if (_stop.IsCancellationRequested) status = EvaluationStatus.Cancelled;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            status = _stop.IsCancellationRequested ? EvaluationStatus.Cancelled : EvaluationStatus.TimedOut;
        }
        catch (Exception e)
        {
            status = EvaluationStatus.Failed;
            error = $"{e.GetType().Name}: {e.Message}";
            _failedCounter.Add(1);
            _logger.LogError(e, "Evaluation '{Name}' at step {Step} failed", job.Name, job.TrainingStep);
        }
        finally
        {
            if (agent is not null)
            {
                try
                {
                    await agent.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _logger.LogWarning(e, "Disposing the agent of '{Name}' failed", job.Name);
                }
            }
        }
        clock.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        double? impact = await Throughput.EndWindowAsync(window, _stop.Token).ConfigureAwait(false);
        // An evaluation too short to fill a quarter of any update gave the throttle no sample: its own figure is one.
        if (_options.Adaptive && impact is { } own && ImpactSampleCount == samplesBefore)
            Throttle.Adapt(own, _options.Targets.TrainingImpact, _logger);
        long overhead = sampler.PeakOverhead;
        _latencyHistogram.Record(clock.Elapsed.TotalSeconds);

        var violations = new List<string>();
        if (overhead > _options.Targets.MemoryOverheadBytes)
            violations.Add($"memory overhead {overhead / (1024 * 1024)} MB > {_options.Targets.MemoryOverheadBytes / (1024 * 1024)} MB");
        if (impact is { } i && i > _options.Targets.TrainingImpact)
            violations.Add($"training impact {i:P1} > {_options.Targets.TrainingImpact:P0}");
        double p99 = Percentile(TriggerStalls, 0.99);
        if (p99 > _options.Targets.TriggerStallP99.TotalMilliseconds)
            violations.Add($"trigger stall p99 {p99:F2} ms > {_options.Targets.TriggerStallP99.TotalMilliseconds:F0} ms");
        if (violations.Count > 0)
        {
            Interlocked.Add(ref _violations, violations.Count);
            _violationsCounter.Add(violations.Count);
            _logger.LogWarning("Evaluation '{Name}' missed its service levels: {Violations}", job.Name, string.Join("; ", violations));
        }
        return new EvaluationOutcome(job, report, status, error, queueWait, clock.Elapsed, overhead, cpu, impact, violations);
    }

    /// <summary>The q-quantile (nearest rank) of a list; NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        int rank = (int)Math.Ceiling(q * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    private sealed class GameCounter(EvaluationService service) : IProgress<EvaluationProgress>
    {
        private int _last = -1;

        public void Report(EvaluationProgress value)
        {
            if (_last >= 0 && value.Done > _last) service._gamesCounter.Add(value.Done - _last);
            _last = value.Done;
        }
    }

    /// <summary>Stops accepting requests. With <paramref name="cancelRunning"/> it drops pending requests and cancels running evaluations (finished games stay stored); without, it runs the pending ones and waits for all to finish.</summary>
    public async Task ShutdownAsync(bool cancelRunning)
    {
        List<EvaluationJob> dropped = [];
        lock (_lock)
        {
            _accepting = false;
            if (cancelRunning)
            {
                dropped = [.. _pending.Select(p => p.Job)];
                _pending.Clear();
            }
        }
        foreach (var job in dropped) Discard(job);
        if (!cancelRunning)
        {
            Task drained;
            lock (_lock)
            {
                // No new request is accepted now, so once idle the service stays idle.
                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_pending.Count == 0 && _inFlight == 0) _drained.TrySetResult();
                drained = _drained.Task;
            }
            await drained.ConfigureAwait(false);
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await ShutdownAsync(cancelRunning: true).ConfigureAwait(false);
        Throughput.ImpactSampled -= OnImpactSampled;
        Throughput.TurnChanged -= Throttle.SetTurn;
        Throughput.Finished -= Throttle.Release;
        _meter.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }
}
