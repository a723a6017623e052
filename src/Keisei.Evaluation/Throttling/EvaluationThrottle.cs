using Microsoft.Extensions.Logging;

namespace Keisei.Evaluation.Throttling;

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

    // Completed (and replaced) whenever Concurrency changes: what an idle game slot waits on.
    private TaskCompletionSource _concurrencyChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

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

    /// <summary>Completes once game slot <paramref name="slot"/> (0-based) may play, i.e. <see cref="Concurrency"/> exceeds it.</summary>
    public async Task WaitForSlotAsync(int slot, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (slot < _concurrency) return;
                changed = _concurrencyChanged.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void SetConcurrencyLocked(int concurrency)
    {
        if (concurrency == _concurrency) return;
        _concurrency = concurrency;
        var changed = _concurrencyChanged;
        _concurrencyChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    /// <summary>Lifts every limit (training has ended: there is nothing left to protect): all games at once, no rests, turn open.</summary>
    public void Release()
    {
        lock (_lock)
        {
            SetConcurrencyLocked(MaxConcurrency);
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

    /// <summary>Takes one impact sample (training's slowdown while an evaluation played) and steps the limits towards the target.</summary>
    public void Adapt(double impact, double target, ILogger logger)
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
                if (_concurrency > 1) SetConcurrencyLocked(Math.Max(1, _concurrency / 2));
                else _duty = Math.Max(MinDuty, _duty / 2);
                change = "above";
            }
            else if (Growth() * mean + error < target)
            {
                // Clearly below, even after one step up: raise the load (duty first, then games at once).
                if (_duty < 1) _duty = Math.Min(1, _duty * 1.5);
                else SetConcurrencyLocked(Math.Min(MaxConcurrency, _concurrency + 1));
                change = "below";
            }
            if (concurrency == _concurrency && duty == _duty) change = null;
            if (change is not null) _samples.Clear();
        }
        if (change is null) return;
        logger.Log(change == "above" ? LogLevel.Information : LogLevel.Debug,
            "Training impact {Impact:P1} {Side} the {Target:P0} target: evaluation now plays {Concurrency} game(s) at once, {Duty:P0} of the time",
            mean, change, target, Concurrency, Duty);
    }

    /// <summary>How much the load grows with the next step up (duty ×1.5, or one more game at once).</summary>
    private double Growth() => _duty < 1 ? Math.Min(1, _duty * 1.5) / _duty : (_concurrency + 1.0) / _concurrency;
}
