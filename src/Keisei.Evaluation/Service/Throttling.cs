using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Keisei.Evaluation.Service;

/// <summary>Limits an evaluation applies to itself: games at once and a pause between games; adapted to the training impact.</summary>
public sealed class EvaluationThrottle(int maxConcurrency = 8)
{
    private int _concurrency = maxConcurrency;
    private long _pauseTicks;

    /// <summary>Games an evaluation may play at the same time now.</summary>
    public int Concurrency => Volatile.Read(ref _concurrency);

    /// <summary>Pause a game slot takes before starting its next game.</summary>
    public TimeSpan PauseBetweenGames => TimeSpan.FromTicks(Interlocked.Read(ref _pauseTicks));

    public int MaxConcurrency { get; } = maxConcurrency;

    public static TimeSpan MaxPause { get; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Steps towards the target: above it, first halve the games at once, then double the pause (from 50 ms, at most
    /// <see cref="MaxPause"/>); below half of it, undo one step in the opposite order.
    /// </summary>
    public void Adapt(double impact, double target, ILogger logger)
    {
        if (impact > target)
        {
            if (Concurrency > 1) Volatile.Write(ref _concurrency, Math.Max(1, Concurrency / 2));
            else Interlocked.Exchange(ref _pauseTicks, Math.Min(MaxPause.Ticks, Math.Max(TimeSpan.FromMilliseconds(50).Ticks, 2 * Interlocked.Read(ref _pauseTicks))));
            logger.LogInformation("Training impact {Impact:P1} above {Target:P0}: evaluation now plays {Concurrency} game(s) at once, pausing {Pause} ms between games",
                impact, target, Concurrency, PauseBetweenGames.TotalMilliseconds);
        }
        else if (impact < target / 2)
        {
            long pause = Interlocked.Read(ref _pauseTicks);
            if (pause > 0) Interlocked.Exchange(ref _pauseTicks, pause / 2 < TimeSpan.FromMilliseconds(50).Ticks ? 0 : pause / 2);
            else if (Concurrency < MaxConcurrency) Volatile.Write(ref _concurrency, Concurrency + 1);
        }
    }
}

/// <summary>
/// Training throughput per update (plies per second, with the update's start and end) and the time windows in which
/// evaluations ran, to measure an evaluation's training impact: 1 − (throughput of the updates that overlapped its window,
/// weighted by the overlap) / (mean of the last ten updates that overlapped no evaluation).
/// </summary>
public sealed class ThroughputMonitor
{
    private readonly List<(long Start, long End, double Value)> _samples = [];
    private readonly List<(long Start, long End)> _windows = [];
    private readonly Dictionary<long, long> _open = [];
    private readonly Lock _lock = new();
    private long _nextWindow;
    private bool _finished;

    /// <summary>Records one update's throughput (the training loop calls this after every update).</summary>
    public void Record(double pliesPerSecond, TimeSpan duration)
    {
        long end = Stopwatch.GetTimestamp();
        long start = end - (long)(duration.TotalSeconds * Stopwatch.Frequency);
        lock (_lock) _samples.Add((start, end, pliesPerSecond));
    }

    /// <summary>Training has ended: no more samples will come.</summary>
    public void Finish()
    {
        lock (_lock) _finished = true;
    }

    /// <summary>Marks the start of an evaluation; returns its window id.</summary>
    public long BeginWindow()
    {
        lock (_lock)
        {
            long id = _nextWindow++;
            _open[id] = Stopwatch.GetTimestamp();
            return id;
        }
    }

    /// <summary>Ends a window; waits (up to <paramref name="wait"/>) until an update that ended after it is recorded, then returns the impact (null when not measurable).</summary>
    public async Task<double?> EndWindowAsync(long id, TimeSpan wait, CancellationToken cancellationToken)
    {
        long start, end = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            start = _open[id];
            _open.Remove(id);
            _windows.Add((start, end));
        }
        var deadline = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
        {
            lock (_lock)
                if (_finished || _samples.Any(s => s.End >= end)) break;
            try
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        lock (_lock)
        {
            double weighted = 0, total = 0;
            foreach (var s in _samples)
            {
                double overlap = Math.Min(s.End, end) - Math.Max(s.Start, start);
                if (overlap <= 0) continue;
                weighted += overlap * s.Value;
                total += overlap;
            }
            var baseline = Quiet().TakeLast(10).ToList();
            if (total <= 0 || baseline.Count == 0) return null;
            return 1 - weighted / total / baseline.Average();
        }
    }

    private IEnumerable<double> Quiet() => _samples
        .Where(s => !_windows.Any(w => w.End > s.Start && w.Start < s.End) && !_open.Values.Any(o => o < s.End))
        .Select(s => s.Value);

    /// <summary>Mean throughput of updates that overlapped an evaluation and of those that did not.</summary>
    public (double WithEvaluation, double WithoutEvaluation, int SamplesWith, int SamplesWithout) Summary()
    {
        lock (_lock)
        {
            var quiet = Quiet().ToList();
            var busy = _samples.Where(s => _windows.Any(w => w.End > s.Start && w.Start < s.End)).Select(s => s.Value).ToList();
            return (busy.Count > 0 ? busy.Average() : double.NaN, quiet.Count > 0 ? quiet.Average() : double.NaN, busy.Count, quiet.Count);
        }
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
