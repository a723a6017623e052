using Keisei.Evaluation.Throttling;
using System.Diagnostics;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Service;

namespace Keisei.Evaluation.Tests.Service;

/// <summary>Training impact of evaluations, measured from updates and evaluation windows on a made-up clock.</summary>
public class ThroughputMonitorTests
{
    [Fact]
    public void AnUpdateBesideAnEvaluationIsComparedWithItsQuietNeighbours()
    {
        var monitor = new ThroughputMonitor();
        var samples = new List<double>();
        monitor.ImpactSampled += samples.Add;
        monitor.Record(100, 0, 10);
        monitor.Record(110, 10, 20);
        monitor.Record(90, 20, 30);
        long window = monitor.BeginWindow(30);
        monitor.Record(80, 30, 40); // wholly beside the evaluation
        monitor.EndWindow(window, 45);
        monitor.Record(95, 40, 50); // half beside it
        monitor.Record(104, 50, 60); // quiet again
        // Each is sampled once its successor is known: 80 against its quiet neighbour 90; 95 against 104, and as the
        // evaluation ran for half of that update, 8.7 % slower over the update is twice that while the evaluation ran.
        Assert.Equal([Math.Round(1 - 80 / 90.0, 10), Math.Round((1 - 95 / 104.0) / 0.5, 10)], samples.Select(s => Math.Round(s, 10)));

        // The evaluation's impact: time lost in both updates over the 15 it ran beside them.
        Assert.Equal(((1 - 80 / 90.0) * 10 + (1 - 95 / 104.0) * 10) / 15, monitor.Impact(window)!.Value, 10);
        Assert.Equal((87.5, 101.0, 2, 4), monitor.Summary());
    }

    [Fact]
    public void AnUpdateWithLittleOfAnEvaluationIsNotSampled()
    {
        var monitor = new ThroughputMonitor();
        var samples = new List<double>();
        monitor.ImpactSampled += samples.Add;
        monitor.Record(100, 0, 10);
        long window = monitor.BeginWindow(18);
        monitor.EndWindow(window, 19);
        monitor.Record(50, 10, 20); // 1 of 10 beside the evaluation: too little to tell its slowdown from noise
        monitor.Record(100, 20, 30);
        Assert.Empty(samples);
        // The evaluation's own impact still counts it: 5 time units lost in the 1 it ran.
        Assert.Equal(5, monitor.Impact(window)!.Value, 10);
    }

    [Fact]
    public void AlternatingEvaluationsPlayInEveryOtherUpdateAndTheOnesBetweenAreTheBaseline()
    {
        var monitor = new ThroughputMonitor(alternate: true);
        var samples = new List<double>();
        var turns = new List<bool>();
        monitor.ImpactSampled += samples.Add;
        monitor.TurnChanged += turns.Add;
        long window = monitor.BeginWindow(0);
        // The machine drifts from 100 to 200 steps/s; evaluations cost 20 %, 10 % and 15 % of the updates they play in.
        double[] values = [80, 110, 108, 130, 119, 150];
        for (int u = 0; u < values.Length; u++)
        {
            Assert.Equal(u % 2 == 0, monitor.EvaluationsMayPlay);
            monitor.Record(values[u], u * 10, u * 10 + 10);
        }
        Assert.Equal([false, true, false, true, false, true], turns);
        // 80 vs 110; 108 vs (110 + 130) / 2; 119 vs (130 + 150) / 2.
        Assert.Equal([1 - 80 / 110.0, 1 - 108 / 120.0, 1 - 119 / 140.0], samples.Select(s => Math.Round(s, 10)), new RoundedComparer());
        Assert.Equal((3, 3), (monitor.Summary().SamplesWith, monitor.Summary().SamplesWithout));

        // When training ends evaluations play freely.
        monitor.EndWindow(window, 55);
        monitor.Finish();
        Assert.True(monitor.EvaluationsMayPlay);
        Assert.True(turns[^1]);
    }

    [Fact]
    public async Task TheThrottleHoldsGamesOutsideTheirTurn()
    {
        var throttle = new EvaluationThrottle();
        Assert.True(throttle.MayPlay);
        Assert.True(throttle.WaitTurnAsync(CancellationToken.None).IsCompleted);
        throttle.SetTurn(false);
        var wait = throttle.WaitTurnAsync(CancellationToken.None);
        await Task.Delay(100);
        Assert.False(wait.IsCompleted);
        using var cancel = new CancellationTokenSource();
        var cancelled = throttle.WaitTurnAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        throttle.SetTurn(true);
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(throttle.MayPlay);
    }

    [Fact]
    public async Task AnEvaluationsImpactWaitsForTheUpdateAfterIt()
    {
        var monitor = new ThroughputMonitor();
        monitor.Record(100, TimeSpan.FromSeconds(4));
        long window = monitor.BeginWindow(Stopwatch.GetTimestamp() - 2 * Stopwatch.Frequency);
        monitor.Record(60, TimeSpan.FromSeconds(2)); // wholly beside the evaluation; the wait is bounded by 2.5 such updates
        var impact = monitor.EndWindowAsync(window, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(impact.IsCompleted, "measured before the update after the evaluation");
        await Task.Delay(10);
        long now = Stopwatch.GetTimestamp();
        monitor.Record(140, now - 1, now);
        // Its neighbours (100 + 140) / 2 = 120; it ran at 60.
        Assert.Equal(0.5, (await impact.WaitAsync(TimeSpan.FromSeconds(5)))!.Value, 10);
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-9;
        public int GetHashCode(double obj) => 0;
    }
}
