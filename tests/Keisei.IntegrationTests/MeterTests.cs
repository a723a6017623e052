using System.Diagnostics.Metrics;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Strategies;

namespace Keisei.IntegrationTests;

/// <summary>The service publishes its figures on the <c>Keisei.Evaluation</c> meter (what dotnet-counters reads).</summary>
[Collection("integration")]
public sealed class MeterTests : TempDirectoryTest
{
    [Fact]
    public async Task QueueDepthInFlightGamesLatencyAndStallsArePublished()
    {
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EvaluationService.MeterName) l.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument instrument, double value)
        {
            lock (seen) seen[instrument.Name] = seen.GetValueOrDefault(instrument.Name) + value;
        }
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => Record(i, v));
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => Record(i, v));
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => Record(i, v));
        listener.Start();

        await using var h = new Support.Harness(Dir, Support.Service());
        h.Service.RecordTriggerStall(TimeSpan.FromMilliseconds(1.5));
        Assert.True(h.Service.TryEnqueue(Support.RandomJob("metered", [OpponentSpec.Parse("random")], gamesPerOpponent: 2)));
        Assert.True(await Support.WaitUntil(() => h.Outcomes.Count == 1, TimeSpan.FromSeconds(30)), "the evaluation did not finish");
        listener.RecordObservableInstruments();

        lock (seen)
        {
            Assert.Equal(2, seen["keisei.evaluation.games"]);
            Assert.True(seen.ContainsKey("keisei.evaluation.latency"));
            Assert.Equal(1.5, seen["keisei.evaluation.trigger_stall"], 6);
            Assert.True(seen.ContainsKey("keisei.evaluation.queue_depth"));
            Assert.True(seen.ContainsKey("keisei.evaluation.in_flight"));
            Assert.True(seen.ContainsKey("keisei.evaluation.concurrency"));
        }
    }
}
