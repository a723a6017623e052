using System.Diagnostics;

namespace Keisei.Evaluation.Throttling;

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

    // Completed (and replaced) whenever a sample is recorded or training finishes: what EndWindowAsync waits on.
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Evaluations play only in every other training update; the updates between are their baseline.</summary>
    public bool Alternate { get; } = alternate;

    /// <summary>Called (on the recording thread) with each impact sample: training's slowdown while an evaluation played beside an update.</summary>
    public event Action<double>? ImpactSampled;

    /// <summary>Called (on the recording thread) when evaluations may start or must stop playing (<see cref="Alternate"/>).</summary>
    public event Action<bool>? TurnChanged;

    /// <summary>Called when training has ended (<see cref="Finish"/>).</summary>
    public event Action? Finished;

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
            SignalChangedLocked();
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
            SignalChangedLocked();
        }
        TurnChanged?.Invoke(true);
        Finished?.Invoke();
    }

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
        while (!cancellationToken.IsCancellationRequested)
        {
            Task changed;
            lock (_lock)
            {
                if (_finished || _samples.Count == 0 || _samples[^1].Start >= end) break;
                changed = _changed.Task;
            }
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero) break;
            try
            {
                // Woken by the next recorded update (or the end of training), or given up at the deadline.
                await changed.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                break;
            }
        }
        return Impact(id);
    }

    private void SignalChangedLocked()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
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
