using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Keisei.Evaluation.Service;

/// <summary>
/// Limits an evaluation applies to itself, adapted to its measured training impact: the games it plays at once, and its
/// duty — the share of time a game slot spends playing (after a game of d seconds the slot rests d × (1/duty − 1), so the
/// limit holds for fast and slow games alike).
/// </summary>
/// <remarks>
/// One impact sample comes from each training update that ran beside an evaluation, and single samples are noisy (a
/// shared machine moves an update's throughput by ±10 % on its own). So the throttle acts on the mean of the samples taken
/// since its last change: above the target after two samples (or one sample above twice the target) it tightens — first
/// halving the games at once, then halving the duty down to <see cref="MinDuty"/>; below half the target after three
/// samples it loosens — first the duty ×1.5 up to 1, then one more game at once. The deadband between half the target and
/// the target keeps it from oscillating around the target.
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

    /// <summary>Games an evaluation may play at the same time now.</summary>
    public int Concurrency => Volatile.Read(ref _concurrency);

    /// <summary>Share of time a game slot may spend playing (1 = no rest between games).</summary>
    public double Duty => Volatile.Read(ref _duty);

    public int MaxConcurrency { get; } = Math.Max(1, maxConcurrency);

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
/// in which evaluations ran. An update that overlaps no evaluation is quiet; the baseline is the mean of the last
/// <see cref="BaselineUpdates"/> quiet updates. An update that spent at least half its time beside an evaluation is an
/// impact sample, 1 − its throughput / the baseline, passed to <see cref="ImpactSampled"/> at once so the throttle can act
/// while the evaluation runs. An evaluation's own impact compares the updates it overlapped (weighted by the overlap) with
/// the quiet updates around it: the ones just before it and, when training leaves one, the first one after it.
/// </summary>
public sealed class ThroughputMonitor
{
    /// <summary>Quiet updates averaged into the baseline.</summary>
    public const int BaselineUpdates = 3;

    /// <summary>Updates kept for measuring windows (older ones only count in <see cref="Summary"/>).</summary>
    private const int KeptSamples = 4096;

    /// <summary>An update; whether it overlapped an evaluation is settled when it is recorded (later windows start after it).</summary>
    private readonly record struct Sample(long Start, long End, double Value, bool Quiet);

    private readonly List<Sample> _samples = [];
    private readonly Dictionary<long, (long Start, long End)> _closed = [];
    private readonly Dictionary<long, long> _open = [];
    private readonly Lock _lock = new();
    private long _nextWindow, _lastClosedEnd = long.MinValue;
    private double _quietSum, _busySum;
    private int _quietCount, _busyCount;
    private bool _finished;

    /// <summary>Called (on the recording thread) with each impact sample of an update that ran beside an evaluation.</summary>
    public event Action<double>? ImpactSampled;

    /// <summary>Records one update's throughput, ending now (the training loop calls this after every update).</summary>
    public void Record(double stepsPerSecond, TimeSpan duration)
    {
        long end = Stopwatch.GetTimestamp();
        Record(stepsPerSecond, end - (long)(duration.TotalSeconds * Stopwatch.Frequency), end);
    }

    /// <summary>Records one update's throughput over [<paramref name="start"/>, <paramref name="end"/>] (<see cref="Stopwatch"/> timestamps).</summary>
    public void Record(double stepsPerSecond, long start, long end)
    {
        double? impact = null;
        lock (_lock)
        {
            double overlap = Overlap(start, end);
            bool quiet = overlap <= 0;
            if (overlap >= 0.5 * (end - start) && Baseline(start) is { } baseline) impact = 1 - stepsPerSecond / baseline;
            _samples.Add(new Sample(start, end, stepsPerSecond, quiet));
            if (_samples.Count > KeptSamples) _samples.RemoveAt(0);
            if (quiet)
            {
                _quietSum += stepsPerSecond;
                _quietCount++;
            }
            else
            {
                _busySum += stepsPerSecond;
                _busyCount++;
            }
        }
        if (impact is { } i) ImpactSampled?.Invoke(i);
    }

    /// <summary>Training has ended: no more samples will come.</summary>
    public void Finish()
    {
        lock (_lock) _finished = true;
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
            _lastClosedEnd = Math.Max(_lastClosedEnd, at);
        }
    }

    /// <summary>
    /// Waits until a whole update has run with no evaluation since the last one ended, so the next evaluation is compared
    /// with a fresh baseline. Returns at once when no training reports here, training has ended, or another evaluation is
    /// running; gives up after <see cref="PatienceUpdates"/> times the last update's duration.
    /// </summary>
    public async Task WaitForQuietUpdateAsync(CancellationToken cancellationToken)
    {
        long deadline = Deadline();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            lock (_lock)
                if (_finished || _samples.Count == 0 || _open.Count > 0 || QuietAfter(_lastClosedEnd)) return;
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends a window and waits for the first quiet update after it (at most <see cref="PatienceUpdates"/> update durations,
    /// less when training ends or another evaluation starts first), then returns the evaluation's training impact (null
    /// when not measurable).
    /// </summary>
    public async Task<double?> EndWindowAsync(long id, CancellationToken cancellationToken)
    {
        long end = Stopwatch.GetTimestamp();
        EndWindow(id, end);
        long deadline = Deadline();
        while (Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
        {
            lock (_lock)
                if (_finished || _open.Count > 0 || QuietAfter(end)) break;
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

    /// <summary>Waiting for a quiet update gives up after this many update durations (one partial update, one whole, and slack).</summary>
    public const double PatienceUpdates = 2.5;

    private long Deadline()
    {
        long update;
        lock (_lock) update = _samples.Count == 0 ? 0 : _samples[^1].End - _samples[^1].Start;
        return Stopwatch.GetTimestamp() + (long)(PatienceUpdates * update) + Stopwatch.Frequency;
    }

    /// <summary>Impact of a closed window: its overlap-weighted throughput against the quiet updates around it; null without both.</summary>
    public double? Impact(long id)
    {
        lock (_lock)
        {
            var (start, end) = _closed[id];
            double weighted = 0, total = 0;
            foreach (var s in _samples)
            {
                double overlap = Math.Min(s.End, end) - Math.Max(s.Start, start);
                if (overlap <= 0) continue;
                weighted += overlap * s.Value;
                total += overlap;
            }
            var around = _samples.Where(s => s.Quiet && s.End <= start).TakeLast(BaselineUpdates)
                .Concat(_samples.Where(s => s.Quiet && s.Start >= end).Take(1)).Select(s => s.Value).ToList();
            if (total <= 0 || around.Count == 0) return null;
            return 1 - weighted / total / around.Average();
        }
    }

    /// <summary>Mean throughput of updates that overlapped an evaluation and of those that did not, with their counts.</summary>
    public (double WithEvaluation, double WithoutEvaluation, int SamplesWith, int SamplesWithout) Summary()
    {
        lock (_lock)
            return (_busyCount > 0 ? _busySum / _busyCount : double.NaN, _quietCount > 0 ? _quietSum / _quietCount : double.NaN, _busyCount, _quietCount);
    }

    /// <summary>True when a quiet update started at or after <paramref name="at"/>.</summary>
    private bool QuietAfter(long at)
    {
        for (int i = _samples.Count - 1; i >= 0 && _samples[i].End > at; i--)
            if (_samples[i].Quiet && _samples[i].Start >= at) return true;
        return false;
    }

    /// <summary>Time of [start, end] during which evaluations ran (closed windows, and open ones up to <paramref name="end"/>), at most the span.</summary>
    private double Overlap(long start, long end)
    {
        double sum = 0;
        foreach (var (ws, we) in _closed.Values.Where(w => w.End > start).Concat(_open.Values.Select(o => (o, end))))
            sum += Math.Max(0, Math.Min(we, end) - Math.Max(ws, start));
        return Math.Min(sum, end - start);
    }

    /// <summary>Mean of the last quiet updates that ended by <paramref name="before"/>; null when there are none.</summary>
    private double? Baseline(long before)
    {
        var quiet = _samples.Where(s => s.End <= before && s.Quiet).TakeLast(BaselineUpdates).Select(s => s.Value).ToList();
        return quiet.Count == 0 ? null : quiet.Average();
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
