using Keisei.Evaluation.Throttling;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Service;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Keisei.Evaluation.Tests.Service;

/// <summary>
/// The adaptive throttle in a closed loop with a simulated training run: each update reports the impact the evaluation's
/// load really has (games at once × duty × the cost of one game slot playing all the time) plus seeded measurement noise
/// of the size seen on a shared 2-core machine. The throttle only sees the noisy samples.
/// </summary>
public class ThrottleTests(ITestOutputHelper output)
{
    private const double Target = 0.05;

    /// <summary>Runs <paramref name="updates"/> simulated updates; returns the true impact of each.</summary>
    private static List<double> Simulate(EvaluationThrottle throttle, int updates, double costPerSlot, double noise, int seed)
    {
        var random = new Random(seed);
        var truth = new List<double>();
        for (int u = 0; u < updates; u++)
        {
            // The load of a slot is its duty; slots cannot together take more than the whole machine.
            double impact = Math.Min(0.9, costPerSlot * throttle.Concurrency * throttle.Duty);
            truth.Add(impact);
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            throttle.Adapt(impact + noise * gaussian, Target, NullLogger.Instance);
        }
        return truth;
    }

    [Theory]
    [InlineData(0.25, 0.08, 1)]
    [InlineData(0.25, 0.08, 2)]
    [InlineData(0.25, 0.08, 3)]
    [InlineData(0.60, 0.08, 4)]
    [InlineData(0.10, 0.08, 5)]
    [InlineData(0.25, 0.12, 6)]
    [InlineData(0.25, 0.04, 7)]
    [InlineData(1.00, 0.08, 8)]
    public void NoisySamplesStillBringTheImpactUnderTheTarget(double costPerSlot, double noise, int seed)
    {
        var throttle = new EvaluationThrottle(maxConcurrency: 4);
        var truth = Simulate(throttle, 400, costPerSlot, noise, seed);
        var settled = truth.Skip(40).ToList();
        double mean = settled.Average();
        double above = settled.Count(t => t > Target) / (double)settled.Count;
        double farAbove = settled.Count(t => t > 2 * Target) / (double)settled.Count;
        output.WriteLine($"cost {costPerSlot}, noise {noise}: first update {truth[0]:P1}, settled mean {mean:P2}, above target {above:P0} of updates, above twice the target {farAbove:P0}, " +
                         $"end: {throttle.Concurrency} game(s) at {throttle.Duty:P1}");

        // Starts far above the target (4 games at once), is under it within 40 updates and stays there on average...
        Assert.True(truth[0] > 4 * Target);
        Assert.True(mean <= Target, $"settled mean impact {mean:P2} above the {Target:P0} target");
        // Single updates may go above it while the throttle probes upwards, but rarely far above.
        Assert.True(farAbove <= 0.05, $"{farAbove:P0} of the settled updates above twice the target");
        // ... without starving the evaluation: it keeps using a fair part of the allowance.
        Assert.True(mean >= Target / 5, $"settled mean impact {mean:P2}: the evaluation was throttled to a standstill");
        Assert.True(throttle.Duty > EvaluationThrottle.MinDuty);
    }

    [Fact]
    public void WithoutNoiseItSettlesInsideTheDeadband()
    {
        var throttle = new EvaluationThrottle(maxConcurrency: 4);
        var truth = Simulate(throttle, 60, costPerSlot: 0.25, noise: 0, seed: 0);
        // 100 % → 50 % → 25 % (fewer games), then 12.5 % → 6.25 % → 3.1 % (less duty), and stays.
        Assert.All(truth.Skip(10), t => Assert.InRange(t, Target / 2, Target));
        Assert.Equal(1, throttle.Concurrency);
        Assert.Equal(0.125, throttle.Duty);
    }

    [Fact]
    public void WhenTheLoadStopsHurtingTrainingTheLimitsComeBack()
    {
        var throttle = new EvaluationThrottle(maxConcurrency: 4);
        Simulate(throttle, 100, costPerSlot: 0.5, noise: 0.05, seed: 7);
        Assert.True(throttle.Concurrency == 1 && throttle.Duty < 0.25, $"{throttle.Concurrency} at {throttle.Duty:P0} under heavy load");
        // Training moved elsewhere (say, to a GPU): evaluation no longer costs it anything measurable.
        Simulate(throttle, 200, costPerSlot: 0.002, noise: 0.05, seed: 8);
        Assert.Equal(4, throttle.Concurrency);
        Assert.Equal(1, throttle.Duty);
    }

    [Theory]
    [InlineData(1.0, 0)]
    [InlineData(0.5, 2)]
    [InlineData(0.125, 14)]
    public void RestAfterAGameKeepsTheDuty(double duty, double expectedSeconds)
    {
        var throttle = new EvaluationThrottle(maxConcurrency: 1);
        // One game slot; push the duty down by reporting a large impact.
        while (throttle.Duty > duty) throttle.Adapt(1, Target, NullLogger.Instance);
        Assert.Equal(duty, throttle.Duty);
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), throttle.PauseAfter(TimeSpan.FromSeconds(2)));
        Assert.Equal(TimeSpan.Zero, throttle.PauseAfter(TimeSpan.Zero));
    }

    [Fact]
    public void WhenTrainingEndsEveryLimitIsLifted()
    {
        var monitor = new ThroughputMonitor(alternate: true);
        var throttle = new EvaluationThrottle(maxConcurrency: 4);
        monitor.TurnChanged += throttle.SetTurn;
        monitor.Finished += throttle.Release;
        for (int i = 0; i < 6; i++) throttle.Adapt(1, Target, NullLogger.Instance);
        monitor.Record(100, 0, 10);
        Assert.True(throttle.Concurrency == 1 && throttle.Duty < 1 && !throttle.MayPlay);
        monitor.Finish();
        Assert.Equal((4, 1.0, true), (throttle.Concurrency, throttle.Duty, throttle.MayPlay));
    }

    [Fact]
    public void TheRestIsCapped()
    {
        var throttle = new EvaluationThrottle(maxConcurrency: 1);
        for (int i = 0; i < 20; i++) throttle.Adapt(1, Target, NullLogger.Instance);
        Assert.Equal(EvaluationThrottle.MinDuty, throttle.Duty);
        Assert.Equal(EvaluationThrottle.MaxPause, throttle.PauseAfter(TimeSpan.FromHours(1)));
    }

    /// <summary>An idle game slot is woken by the change that lets it play, not by polling: and only by such a change.</summary>
    [Fact]
    public async Task AnIdleSlotWakesWhenTheThrottleAllowsIt()
    {
        var throttle = new EvaluationThrottle(maxConcurrency: 4);
        for (int i = 0; i < 40 && throttle.Concurrency > 1; i++) throttle.Adapt(1, Target, NullLogger.Instance);
        Assert.Equal(1, throttle.Concurrency);
        var slot2 = throttle.WaitForSlotAsync(2, CancellationToken.None);
        Assert.True(throttle.WaitForSlotAsync(0, CancellationToken.None).IsCompletedSuccessfully); // slot 0 may always play
        Assert.False(slot2.IsCompleted);
        throttle.Release();
        await slot2.WaitAsync(TimeSpan.FromSeconds(30)); // a hang guard only: Release completes it at once
        using var cancel = new CancellationTokenSource();
        for (int i = 0; i < 40 && throttle.Concurrency > 1; i++) throttle.Adapt(1, Target, NullLogger.Instance);
        var idle = throttle.WaitForSlotAsync(3, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => idle);
    }
}
