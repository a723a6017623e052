namespace Keisei.Evaluation.Service;

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
