using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Keisei.Evaluation.Service;

/// <summary>
/// Limits an evaluation applies to itself, adapted to its measured training impact: the games it plays at once, and its
/// duty — the share of time a game slot spends playing (after a game of d seconds the slot rests d × (1/duty − 1), so the
/// limit holds for fast and slow games alike).
/// </summary>
/// <remarks>
/// One impact sample comes from each training update that ran beside an evaluation, and single samples are noisy (on a
/// shared machine an update's throughput moves by ±10 % on its own). So the throttle decides on the samples since its last
/// change (at most <see cref="Window"/>), with their standard error: when their mean is above the target by more than the
/// error it halves the load — first the games at once, then the duty, down to <see cref="MinDuty"/>; when even one step up
/// (duty ×1.5, or one more game) would leave the mean below the target by more than the error, it takes that step. A lone
/// sample is trusted only when far off (a spread of 10 % is assumed for it). Between the two it holds, so it neither
/// oscillates around the target nor starves the evaluation.
/// </remarks>
public sealed class EvaluationThrottle(int maxConcurrency = 8)
{
    /// <summary>Lowest duty: a slot plays at least one sixty-fourth of the time, so an evaluation always finishes.</summary>
    public const double MinDuty = 1.0 / 64;

    /// <summary>Longest rest after a game.</summary>
    public static TimeSpan MaxPause { get; } = TimeSpan.FromMinutes(10);

    private readonly Lock _lock = new();
    private readonly List<double> _samples = [];
    private int _concurrency = Math.Max(1, maxConcurrency);
    private double _duty = 1;
    private TaskCompletionSource _turn = Open();

    /// <summary>Games an evaluation may play at the same time now.</summary>
    public int Concurrency => Volatile.Read(ref _concurrency);

    /// <summary>Share of time a game slot may spend playing (1 = no rest between games).</summary>
    public double Duty => Volatile.Read(ref _duty);

    public int MaxConcurrency { get; } = Math.Max(1, maxConcurrency);

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    /// <summary>Whether games may make moves now (see <see cref="ThroughputMonitor.Alternate"/>).</summary>
    public bool MayPlay
    {
        get
        {
            lock (_lock) return _turn.Task.IsCompleted;
        }
    }

    /// <summary>Lets games move, or holds them before their next move.</summary>
    public void SetTurn(bool mayPlay)
    {
        lock (_lock)
        {
            if (mayPlay) _turn.TrySetResult();
            else if (_turn.Task.IsCompleted) _turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Completes when games may move.</summary>
    public Task WaitTurnAsync(CancellationToken cancellationToken)
    {
        Task turn;
        lock (_lock) turn = _turn.Task;
        return turn.IsCompleted ? Task.CompletedTask : turn.WaitAsync(cancellationToken);
    }

    /// <summary>Lifts every limit (training has ended: there is nothing left to protect): all games at once, no rests, turn open.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _concurrency = MaxConcurrency;
            _duty = 1;
            _samples.Clear();
        }
        SetTurn(true);
    }

    /// <summary>The rest a slot takes after a game that took <paramref name="game"/>.</summary>
    public TimeSpan PauseAfter(TimeSpan game)
    {
        double duty = Duty;
        if (duty >= 1 || game <= TimeSpan.Zero) return TimeSpan.Zero;
        return TimeSpan.FromTicks((long)Math.Min(MaxPause.Ticks, game.Ticks * (1 / duty - 1)));
    }

    /// <summary>Impact samples kept for the decision (the most recent since the last change).</summary>
    public const int Window = 20;

    /// <summary>Spread assumed for a lone sample, and the least spread assumed for several (a shared machine is never quieter).</summary>
    private const double PriorSpread = 0.10, MinSpread = 0.02;

    /// <summary>Takes one impact sample (1 − training throughput beside the evaluation / throughput without) and steps the limits towards the target.</summary>
    /// <returns>True when the limits changed.</returns>
    public bool Adapt(double impact, double target, ILogger logger)
    {
        string? change = null;
        double mean;
        lock (_lock)
        {
            _samples.Add(impact);
            if (_samples.Count > Window) _samples.RemoveAt(0);
            int n = _samples.Count;
            mean = _samples.Average();
            double m = mean;
            double spread = n == 1 ? PriorSpread : Math.Max(MinSpread, Math.Sqrt(_samples.Sum(x => (x - m) * (x - m)) / (n - 1)));
            double error = spread / Math.Sqrt(n);
            var (concurrency, duty) = (_concurrency, _duty);
            if (mean - error > target)
            {
                // Clearly above: halve the load (games at once first, then duty).
                if (_concurrency > 1) _concurrency = Math.Max(1, _concurrency / 2);
                else _duty = Math.Max(MinDuty, _duty / 2);
                change = "above";
            }
            else if (Growth() * mean + error < target)
            {
                // Clearly below, even after one step up: raise the load (duty first, then games at once).
                if (_duty < 1) _duty = Math.Min(1, _duty * 1.5);
                else _concurrency = Math.Min(MaxConcurrency, _concurrency + 1);
                change = "below";
            }
            if (concurrency == _concurrency && duty == _duty) change = null;
            if (change is not null) _samples.Clear();
        }
        if (change is null) return false;
        logger.Log(change == "above" ? LogLevel.Information : LogLevel.Debug,
            "Training impact {Impact:P1} {Side} the {Target:P0} target: evaluation now plays {Concurrency} game(s) at once, {Duty:P0} of the time",
            mean, change, target, Concurrency, Duty);
        return true;
    }

    /// <summary>How much the load grows with the next step up (duty ×1.5, or one more game at once).</summary>
    private double Growth() => _duty < 1 ? Math.Min(1, _duty * 1.5) / _duty : (_concurrency + 1.0) / _concurrency;
}

/// <summary>
/// Training throughput per update (timesteps per second of the whole update: self-play and learning) and the time windows
/// in which evaluations ran, to measure the training impact of evaluations: how much slower training runs while an
/// evaluation plays beside it.
/// </summary>
/// <remarks>
/// The throughput of a shared machine drifts by ±20 % over minutes on its own, more than the 5 % to be measured, so an
/// update beside an evaluation is compared with its neighbours. With <see cref="Alternate"/> evaluations play only in
/// every other update (<see cref="TurnChanged"/> tells them when); the updates between are quiet and are the baseline of
/// the busy ones around them, so slow drift cancels. Each update that spent at least <see cref="MinShare"/> of its time
/// beside an evaluation gives an impact sample (<see cref="ImpactSampled"/>, once its successor is known), so the throttle
/// can act while the evaluation runs. Without alternation the baseline is the quiet neighbours or, lacking those, the last
/// <see cref="BaselineUpdates"/> quiet updates.
/// </remarks>
public sealed class ThroughputMonitor(bool alternate = false)
{
    /// <summary>Quiet updates averaged into the baseline when an update has no quiet neighbour.</summary>
    public const int BaselineUpdates = 3;

    /// <summary>Least share of an update spent beside an evaluation for it to be an impact sample (below it the noise would swamp the estimate).</summary>
    public const double MinShare = 0.25;

    /// <summary>Waiting for the update after an evaluation gives up after this many update durations.</summary>
    public const double PatienceUpdates = 2.5;

    /// <summary>Updates kept for measuring windows (older ones only count in <see cref="Summary"/>).</summary>
    private const int KeptSamples = 4096;

    /// <summary>An update, and how long an evaluation played beside it (settled when it is recorded: later windows start after it).</summary>
    private readonly record struct Sample(long Start, long End, double Value, double Busy)
    {
        public bool Quiet => Busy <= 0;
        public long Duration => Math.Max(1, End - Start);
    }

    private readonly List<Sample> _samples = [];
    private readonly Dictionary<long, (long Start, long End)> _closed = [];
    private readonly Dictionary<long, long> _open = [];
    private readonly Lock _lock = new();
    private long _nextWindow;
    private double _quietSum, _busySum;
    private int _quietCount, _busyCount;
    private bool _finished, _turn = true;

    /// <summary>Evaluations play only in every other training update; the updates between are their baseline.</summary>
    public bool Alternate { get; } = alternate;

    /// <summary>Called (on the recording thread) with each impact sample: training's slowdown while an evaluation played beside an update.</summary>
    public event Action<double>? ImpactSampled;

    /// <summary>Called (on the recording thread) when evaluations may start or must stop playing (<see cref="Alternate"/>).</summary>
    public event Action<bool>? TurnChanged;

    /// <summary>Whether evaluations may play during the current update.</summary>
    public bool EvaluationsMayPlay
    {
        get
        {
            lock (_lock) return _turn;
        }
    }

    /// <summary>Records one update's throughput, ending now (the training loop calls this after every update).</summary>
    public void Record(double stepsPerSecond, TimeSpan duration)
    {
        long end = Stopwatch.GetTimestamp();
        Record(stepsPerSecond, end - (long)(duration.TotalSeconds * Stopwatch.Frequency), end);
    }

    /// <summary>Records one update's throughput over [<paramref name="start"/>, <paramref name="end"/>] (<see cref="Stopwatch"/> timestamps).</summary>
    public void Record(double stepsPerSecond, long start, long end)
    {
        double? impact;
        bool? turn = null;
        lock (_lock)
        {
            var sample = new Sample(start, end, stepsPerSecond, _turn ? Overlap(start, end) : 0);
            _samples.Add(sample);
            if (_samples.Count > KeptSamples) _samples.RemoveAt(0);
            if (sample.Quiet)
            {
                _quietSum += stepsPerSecond;
                _quietCount++;
            }
            else
            {
                _busySum += stepsPerSecond;
                _busyCount++;
            }
            // The update before this one has both neighbours now.
            impact = _samples.Count >= 2 ? SampleAt(_samples.Count - 2) : null;
            if (Alternate && !_finished)
            {
                _turn = !_turn;
                turn = _turn;
            }
        }
        if (impact is { } i) ImpactSampled?.Invoke(i);
        if (turn is { } t) TurnChanged?.Invoke(t);
    }

    /// <summary>Training has ended: no more samples will come, and evaluations may play freely.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            _finished = true;
            _turn = true;
        }
        TurnChanged?.Invoke(true);
        Finished?.Invoke();
    }

    /// <summary>Called when training has ended (<see cref="Finish"/>).</summary>
    public event Action? Finished;

    /// <summary>Marks the start of an evaluation; returns its window id.</summary>
    public long BeginWindow() => BeginWindow(Stopwatch.GetTimestamp());

    /// <inheritdoc cref="BeginWindow()"/>
    public long BeginWindow(long at)
    {
        lock (_lock)
        {
            long id = _nextWindow++;
            _open[id] = at;
            return id;
        }
    }

    /// <summary>Closes a window at <paramref name="at"/> without waiting.</summary>
    public void EndWindow(long id, long at)
    {
        lock (_lock)
        {
            _closed[id] = (_open[id], at);
            _open.Remove(id);
        }
    }

    /// <summary>
    /// Ends a window and waits for the update after it (at most <see cref="PatienceUpdates"/> update durations, less when
    /// training ends), then returns the evaluation's training impact (null when not measurable).
    /// </summary>
    public async Task<double?> EndWindowAsync(long id, CancellationToken cancellationToken)
    {
        long end = Stopwatch.GetTimestamp();
        EndWindow(id, end);
        long deadline;
        lock (_lock) deadline = end + (_samples.Count == 0 ? 0 : (long)(PatienceUpdates * _samples[^1].Duration)) + Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
        {
            lock (_lock)
                if (_finished || _samples.Count == 0 || _samples[^1].Start >= end) break;
            try
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return Impact(id);
    }

    /// <summary>
    /// Training impact of a closed window: the time training lost in the updates it played beside (each against its
    /// baseline), over the time it played beside them; null when there is no such update or no baseline.
    /// </summary>
    public double? Impact(long id)
    {
        lock (_lock)
        {
            var (start, end) = _closed[id];
            double lost = 0, beside = 0;
            for (int u = 0; u < _samples.Count; u++)
            {
                var s = _samples[u];
                double mine = Math.Min(Math.Min(s.End, end) - Math.Max(s.Start, start), s.Busy);
                if (mine <= 0 || Baseline(u) is not { } baseline) continue;
                // Time lost in this update, shared among the evaluations that played beside it.
                lost += (1 - s.Value / baseline) * s.Duration * mine / s.Busy;
                beside += mine;
            }
            return beside <= 0 ? null : lost / beside;
        }
    }

    /// <summary>Mean throughput of updates that ran beside an evaluation and of those that did not, with their counts.</summary>
    public (double WithEvaluation, double WithoutEvaluation, int SamplesWith, int SamplesWithout) Summary()
    {
        lock (_lock)
            return (_busyCount > 0 ? _busySum / _busyCount : double.NaN, _quietCount > 0 ? _quietSum / _quietCount : double.NaN, _busyCount, _quietCount);
    }

    /// <summary>
    /// Training's slowdown while an evaluation played beside update <paramref name="u"/>: if training ran at (1 − x) of the
    /// baseline for the share of the update the evaluation played, the update's throughput is baseline × (1 − share × x).
    /// </summary>
    private double? SampleAt(int u)
    {
        var s = _samples[u];
        double share = s.Busy / s.Duration;
        if (share < MinShare || Baseline(u) is not { } baseline) return null;
        return (1 - s.Value / baseline) / share;
    }

    /// <summary>The quiet neighbours of update <paramref name="u"/>, or else the last quiet updates before it; null when there are none.</summary>
    private double? Baseline(int u)
    {
        double sum = 0;
        int n = 0;
        foreach (int v in (ReadOnlySpan<int>)[u - 1, u + 1])
        {
            if (v < 0 || v >= _samples.Count || !_samples[v].Quiet) continue;
            sum += _samples[v].Value;
            n++;
        }
        if (n > 0) return sum / n;
        var earlier = _samples.Take(u).Where(x => x.Quiet).TakeLast(BaselineUpdates).Select(x => x.Value).ToList();
        return earlier.Count == 0 ? null : earlier.Average();
    }

    /// <summary>Time of [start, end] during which evaluations ran (closed windows, and open ones up to <paramref name="end"/>), at most the span.</summary>
    private double Overlap(long start, long end)
    {
        double sum = 0;
        foreach (var (ws, we) in _closed.Values.Where(w => w.End > start).Concat(_open.Values.Select(o => (o, end))))
            sum += Math.Max(0, Math.Min(we, end) - Math.Max(ws, start));
        return Math.Min(sum, end - start);
    }
}

/// <summary>Samples the process working set while an evaluation runs and keeps the peak above the baseline.</summary>
internal sealed class PeakMemorySampler : IDisposable
{
    private readonly long _baseline;
    private readonly Timer _timer;
    private long _peak;

    public PeakMemorySampler(long baseline)
    {
        _baseline = baseline;
        _peak = baseline;
        _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
    }

    private void Sample()
    {
        long now = Environment.WorkingSet;
        long peak;
        do
        {
            peak = Interlocked.Read(ref _peak);
            if (now <= peak) return;
        }
        while (Interlocked.CompareExchange(ref _peak, now, peak) != peak);
    }

    /// <summary>Peak working set above the baseline so far (bytes).</summary>
    public long PeakOverhead
    {
        get
        {
            Sample();
            return Math.Max(0, Interlocked.Read(ref _peak) - _baseline);
        }
    }

    public void Dispose() => _timer.Dispose();
}
