using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Strategies;

namespace Keisei.IntegrationTests;

/// <summary>A full queue keeps the newest pending request (or drops the new one), counts the skipped ones, and never blocks the caller.</summary>
[Collection("integration")]
public sealed class QueuePolicyTests : TempDirectoryTest
{
    [Theory]
    [InlineData(QueueFullPolicy.KeepNewest)]
    [InlineData(QueueFullPolicy.DropNew)]
    public async Task WithOneSlotAndASlowFirstJobTheQueuePolicyDecidesWhatRuns(QueueFullPolicy policy)
    {
        await using var h = new Support.Harness(Dir, Support.Service(queue: 1, whenFull: policy, concurrent: 1));
        var order = new List<string>();
        void Started(string name)
        {
            lock (order) order.Add(name);
        }
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var opponents = new[] { OpponentSpec.Parse("random") };

        Assert.True(h.Service.TryEnqueue(Support.RandomJob("A", opponents, onStart: Started, beforeStart: ct => release.Task.WaitAsync(ct))));
        Assert.True(await Support.WaitUntil(() => h.Service.InFlight == 1, TimeSpan.FromSeconds(10)), "the first job did not start");
        Assert.Equal(0, h.Service.PendingCount);

        var discarded = new List<string>();
        void Discarded(string name)
        {
            lock (discarded) discarded.Add(name);
        }
        var accepted = new[] { "B", "C", "D" }.Select(n =>
        {
            // TryEnqueue never waits for the running evaluation: it returns while that one is still held.
            var enqueue = Task.Run(() => h.Service.TryEnqueue(Support.RandomJob(n, opponents, onStart: Started, onDiscard: Discarded)));
            Assert.True(enqueue.Wait(TimeSpan.FromSeconds(30)), "TryEnqueue blocked the caller");
            return enqueue.Result;
        }).ToArray();

        Assert.Equal(1, h.Service.PendingCount);
        Assert.Equal(2, h.Service.Skipped);
        if (policy == QueueFullPolicy.KeepNewest) Assert.Equal([true, true, true], accepted);
        else Assert.Equal([true, false, false], accepted);

        release.SetResult();
        Assert.True(await Support.WaitUntil(() => h.Outcomes.Count == 2 && h.Service.InFlight == 0, TimeSpan.FromSeconds(20)), "the jobs did not finish");
        await h.Service.ShutdownAsync(cancelRunning: false);

        string survivor = policy == QueueFullPolicy.KeepNewest ? "D" : "B";
        lock (order) Assert.Equal(["A", survivor], order);
        Assert.Equal(["A", survivor], h.Outcomes.Snapshot().Select(o => o.Job.Name));
        Assert.All(h.Outcomes.Snapshot(), o => Assert.Equal(EvaluationStatus.Completed, o.Status));
        // The survivor waited in the queue while A ran.
        Assert.True(h.Outcomes.Snapshot()[1].QueueWait > TimeSpan.Zero);
        Assert.Equal(2, h.Store.Evaluations().Count);
        Assert.Equal(2, h.Service.Skipped);
        // The skipped jobs released what they held (off the caller's thread), and only they did.
        Assert.True(await Support.WaitUntil(() => { lock (discarded) return discarded.Count == 2; }, TimeSpan.FromSeconds(10)), "skipped jobs were not discarded");
        lock (discarded) Assert.Equal(policy == QueueFullPolicy.KeepNewest ? ["B", "C"] : ["C", "D"], discarded.Order());
    }
}
