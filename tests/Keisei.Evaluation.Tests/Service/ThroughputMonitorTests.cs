using System.Diagnostics;
using Keisei.Evaluation.Service;

namespace Keisei.Evaluation.Tests.Service;

/// <summary>Impact of evaluations on training throughput, measured from updates and evaluation windows on a made-up clock.</summary>
public class ThroughputMonitorTests
{
    [Fact]
    public void UpdatesBesideAnEvaluationAreSampledAgainstTheQuietOnesAroundIt()
    {
        var monitor = new ThroughputMonitor();
        var samples = new List<double>();
        monitor.ImpactSampled += samples.Add;
        monitor.Record(100, 0, 10);
        monitor.Record(110, 10, 20);
        monitor.Record(90, 20, 30);
        long window = monitor.BeginWindow(30);
        monitor.Record(80, 30, 40); // wholly beside the evaluation: sampled at once
        monitor.EndWindow(window, 45);
        monitor.Record(95, 40, 50); // half beside it: still sampled
        monitor.Record(104, 50, 60); // quiet again
        Assert.Equal([0.2, 0.05], samples.Select(s => Math.Round(s, 10)));

        // The evaluation's own impact: the updates it overlapped, weighted by overlap (10 × 80 + 5 × 95) / 15 = 85,
        // against the three quiet updates before it and the first after it (100 + 110 + 90 + 104) / 4 = 101.
        Assert.Equal(1 - 85.0 / 101, monitor.Impact(window)!.Value, 10);
        var (with, without, nWith, nWithout) = monitor.Summary();
        Assert.Equal((87.5, 101.0, 2, 4), (with, without, nWith, nWithout));
    }

    [Fact]
    public void AnUpdateMostlyWithoutTheEvaluationOrWithoutABaselineIsNotSampled()
    {
        var monitor = new ThroughputMonitor();
        var samples = new List<double>();
        monitor.ImpactSampled += samples.Add;
        long first = monitor.BeginWindow(0);
        monitor.Record(50, 0, 10); // no quiet update before it: nothing to compare with yet
        monitor.EndWindow(first, 10);
        monitor.Record(100, 10, 20);
        long second = monitor.BeginWindow(28);
        monitor.Record(100, 20, 30); // 2 of 10 beside the evaluation: neither quiet nor a sample
        monitor.EndWindow(second, 29);
        Assert.Empty(samples);
        Assert.Equal(0.5, monitor.Impact(first)!.Value, 10); // the quiet update after it is its baseline
        Assert.Equal(0, monitor.Impact(second)!.Value, 10);
        Assert.Equal((2, 1), (monitor.Summary().SamplesWith, monitor.Summary().SamplesWithout));
    }

    [Fact]
    public async Task TheNextEvaluationWaitsForAQuietUpdate()
    {
        var monitor = new ThroughputMonitor();
        // Without training reporting here nothing waits.
        await monitor.WaitForQuietUpdateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        monitor.Record(100, TimeSpan.FromSeconds(4));
        long window = monitor.BeginWindow();
        monitor.Record(90, TimeSpan.FromSeconds(2)); // partly beside the evaluation; waits are bounded by 2.5 such updates
        long closed = Stopwatch.GetTimestamp();
        monitor.EndWindow(window, closed);

        var wait = monitor.WaitForQuietUpdateAsync(CancellationToken.None);
        await Task.Delay(300);
        Assert.False(wait.IsCompleted, "went on before a quiet update");
        monitor.Record(100, closed + 1, Stopwatch.GetTimestamp());
        await wait.WaitAsync(TimeSpan.FromSeconds(5));

        // When training has ended there is nothing to wait for.
        long another = monitor.BeginWindow();
        monitor.EndWindow(another, Stopwatch.GetTimestamp());
        monitor.Finish();
        await monitor.WaitForQuietUpdateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AnEvaluationsImpactWaitsForTheUpdateAfterIt()
    {
        var monitor = new ThroughputMonitor();
        monitor.Record(100, TimeSpan.FromSeconds(4));
        long window = monitor.BeginWindow();
        monitor.Record(60, TimeSpan.FromSeconds(2)); // partly beside the evaluation; waits are bounded by 2.5 such updates
        var impact = monitor.EndWindowAsync(window, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(impact.IsCompleted, $"measured before the update after the evaluation");
        await Task.Delay(10);
        long now = Stopwatch.GetTimestamp();
        monitor.Record(140, now - 1, now);
        // Baseline (100 + 140) / 2 = 120 around the evaluation; the update beside it ran at 60.
        Assert.Equal(0.5, (await impact.WaitAsync(TimeSpan.FromSeconds(5)))!.Value, 10);
    }
}
