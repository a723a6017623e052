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
/// Training throughput samples (plies per second after each update), each marked with whether an evaluation was running,
/// to measure an evaluation's training impact: 1 − (mean during the evaluation) / (mean of recent samples without one).
/// </summary>
public sealed class ThroughputMonitor
{
    private readonly List<(long Time, double Value, bool Evaluating)> _samples = [];
    private readonly Lock _lock = new();
    private int _evaluating;

    /// <summary>Evaluations running now (set by the service).</summary>
    public int Evaluating => Volatile.Read(ref _evaluating);

    /// <summary>Records one training throughput figure (the training loop calls this after every update).</summary>
    public void Record(double pliesPerSecond)
    {
        lock (_lock) _samples.Add((Stopwatch.GetTimestamp(), pliesPerSecond, Evaluating > 0));
    }

    /// <summary>Marks the start of an evaluation.</summary>
    public long BeginWindow()
    {
        Interlocked.Increment(ref _evaluating);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Ends the window begun at <paramref name="start"/> and returns the training impact during it (null when not measurable).</summary>
    public double? Impact(long start)
    {
        Interlocked.Decrement(ref _evaluating);
        lock (_lock)
        {
            var during = _samples.Where(s => s.Time >= start && s.Evaluating).Select(s => s.Value).ToList();
            var baseline = _samples.Where(s => !s.Evaluating).TakeLast(10).Select(s => s.Value).ToList();
            if (during.Count == 0 || baseline.Count == 0) return null;
            return 1 - during.Average() / baseline.Average();
        }
    }

    /// <summary>Mean throughput of samples taken with and without an evaluation running.</summary>
    public (double WithEvaluation, double WithoutEvaluation, int SamplesWith, int SamplesWithout) Summary()
    {
        lock (_lock)
        {
            var with = _samples.Where(s => s.Evaluating).Select(s => s.Value).ToList();
            var without = _samples.Where(s => !s.Evaluating).Select(s => s.Value).ToList();
            return (with.Count > 0 ? with.Average() : double.NaN, without.Count > 0 ? without.Average() : double.NaN, with.Count, without.Count);
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
