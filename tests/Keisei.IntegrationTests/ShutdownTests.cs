using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Models;
using Keisei.Evaluation;
using Keisei.Evaluation.Storage;
using Keisei.Shogi;
using Keisei.Training;
using Keisei.Usi;
using TorchSharp;

namespace Keisei.IntegrationTests;

/// <summary>Shutdown and disposal leave nothing behind: no job in flight or pending, no engine process, no extra threads.</summary>
[Collection("integration")]
public sealed class ShutdownTests : TempDirectoryTest
{
    public enum Mode
    {
        /// <summary>ShutdownAsync(cancelRunning: true), then DisposeAsync.</summary>
        CancelRunning,

        /// <summary>ShutdownAsync(cancelRunning: false) (runs the pending job and waits for all), then DisposeAsync.</summary>
        WaitForRunning,

        /// <summary>DisposeAsync alone.</summary>
        DisposeOnly,
    }

    private static UsiPlayOptions Usi => new()
    {
        Limits = UsiGoLimits.MoveTime(10),
        HandshakeTimeout = TimeSpan.FromSeconds(10),
        ReadyTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>
    /// Two workers each play a tiny network against a thinking USI engine (two games at once, so two engines each);
    /// one more job waits. Then the service is shut down as <paramref name="mode"/> says.
    /// </summary>
    private async Task<IReadOnlyList<EvaluationOutcome>> Cycle(Mode mode)
    {
        var h = new Support.Harness(Dir, Support.Service(queue: 4, concurrent: 2), Usi);
        int thinkMs = mode == Mode.WaitForRunning ? 5 : 100;
        int maxPlies = mode == Mode.WaitForRunning ? 12 : 60;
        var engine = new OpponentSpec("engine", ParticipantKind.Usi, Command: Support.FakeEngine("random", $"--think-ms {thinkMs}"));
        var arena = new ArenaOptions { Concurrency = 2, MoveTimeout = TimeSpan.FromSeconds(10), Rules = new GameRules { MaxPlies = maxPlies } };
        var config = new ModelConfig { Architecture = ModelConfig.Quick, Channels = 4, Layers = 0 };
        int jobs = 0;
        EvaluationJob Job(string name) => new(name, ++jobs,
            _ => ValueTask.FromResult<IPlayerFactory>(new NeuralPlayerFactory(PolicyValueModel.Create(config, 1), new PlayerDescriptor(name, ParticipantKind.Snapshot),
                new NeuralPlayOptions { MaxMovesPerGame = 60 }, ownsModel: true)),
            agent => Support.Tournament(agent, [engine], 2, arena));
        try
        {
            Assert.True(h.Service.TryEnqueue(Job("one")));
            Assert.True(h.Service.TryEnqueue(Job("two")));
            Assert.True(await Support.WaitUntil(() => h.Service.InFlight == 2, TimeSpan.FromSeconds(10)), "the workers did not start");
            Assert.True(h.Service.TryEnqueue(Job("three")));
            Assert.True(await Support.WaitUntil(() => Support.FakeEngineProcesses().Count >= 2, TimeSpan.FromSeconds(20)), "the engines did not start");
            Assert.Equal(1, h.Service.PendingCount);

            switch (mode)
            {
                case Mode.CancelRunning:
                    await h.Service.ShutdownAsync(cancelRunning: true);
                    break;
                case Mode.WaitForRunning:
                    await h.Service.ShutdownAsync(cancelRunning: false);
                    break;
            }
            await h.Service.DisposeAsync();
            Assert.Equal(0, h.Service.InFlight);
            Assert.Equal(0, h.Service.PendingCount);
            // Reaped, not merely asked to quit: nothing of this service may still run once shutdown returned.
            Assert.Empty(Support.FakeEngineProcesses());
            Assert.False(h.Service.TryEnqueue(Job("late")), "a stopped service accepted a job");
            return h.Outcomes.Snapshot();
        }
        finally
        {
            await h.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(Mode.CancelRunning)]
    [InlineData(Mode.WaitForRunning)]
    [InlineData(Mode.DisposeOnly)]
    public async Task ShutdownLeavesNoJobAndNoEngineBehind(Mode mode)
    {
        var outcomes = await Cycle(mode);
        // The two running jobs report; the pending one is dropped when cancelling and run when waiting.
        string[] names = mode == Mode.WaitForRunning ? ["one", "three", "two"] : ["one", "two"];
        Assert.Equal(names, outcomes.Select(o => o.Job.Name).Order());
        var expected = mode == Mode.WaitForRunning ? EvaluationStatus.Completed : EvaluationStatus.Cancelled;
        Assert.All(outcomes, o => Assert.True(o.Status == expected, $"{o.Job.Name}: {o.Status} {o.Error}"));
        if (mode == Mode.WaitForRunning) Assert.All(outcomes, o => Assert.Equal(2, o.Report!.PlayedGames));
    }

    [Fact]
    public async Task RepeatedServiceLifetimesReturnTheThreadCountToItsBaseline()
    {
        // The first lifetime creates what the process keeps anyway (timer thread, pipe readers, thread-pool threads).
        await Cycle(Mode.CancelRunning);
        await Cycle(Mode.WaitForRunning);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        await Task.Delay(500);
        int baseline = Support.ThreadCount();
        var counts = new List<int>();
        for (int i = 0; i < 3; i++)
            foreach (var mode in Enum.GetValues<Mode>())
            {
                await Cycle(mode);
                counts.Add(Support.ThreadCount());
            }
        // Nine lifetimes: a leak of a single thread per lifetime cannot hide in the slack left for the thread pool.
        const int slack = 6;
        bool settled = await Support.WaitUntil(() =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return Support.ThreadCount() <= baseline + slack;
        }, TimeSpan.FromSeconds(10), pollMs: 250);
        Assert.True(settled, $"threads: baseline {baseline}, after each lifetime {string.Join(", ", counts)}, now {Support.ThreadCount()}");
    }

    /// <summary>
    /// A trigger copies every weight; a copy whose evaluation never runs (skipped by a full queue, refused after shutdown,
    /// dropped from the queue by shutdown) must be released at once, not left to the finalizer: with a large network and a
    /// slow evaluation every skipped trigger would otherwise hold a full copy of the weights in native memory.
    /// </summary>
    [Fact]
    public async Task WeightCopiesOfEvaluationsThatNeverRunAreReleased()
    {
        var run = RunDirectory.Create(Dir, "copies");
        using var store = ResultsStore.Open(run.DatabasePath);
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), Usi);
        using var trainer = Trainer.Create(Support.Tiny(640), run);
        int perCopy = trainer.Model.state_dict().Count;
        await using var periodic = new PeriodicEvaluation(run.Name, store, participants, Support.Service(queue: 1), Support.Periodic(64));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(periodic.Service.TryEnqueue(Support.RandomJob("blocker", [OpponentSpec.Parse("random")], beforeStart: ct => release.Task.WaitAsync(ct))));
        Assert.True(await Support.WaitUntil(() => periodic.Service.InFlight == 1, TimeSpan.FromSeconds(10)));

        // Tensors dropped earlier (by other code) must not be finalized while this test counts.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long baseline = torch.Tensor.TotalCount;
        for (int i = 1; i <= 5; i++) periodic.Trigger(trainer.Model, 64 * i);
        Assert.Equal(4, periodic.Service.Skipped);
        Assert.Equal(1, periodic.Service.PendingCount);
        // Only the pending copy stays alive (the skipped ones are released off the training thread, so shortly).
        Assert.True(await Support.WaitUntil(() => torch.Tensor.TotalCount == baseline + perCopy, TimeSpan.FromSeconds(10)),
            $"{torch.Tensor.TotalCount - baseline} tensors alive, expected the {perCopy} of the pending copy");

        await periodic.Service.ShutdownAsync(cancelRunning: true);
        Assert.Equal(baseline, torch.Tensor.TotalCount);
        periodic.Trigger(trainer.Model, 1000);
        Assert.True(await Support.WaitUntil(() => torch.Tensor.TotalCount == baseline, TimeSpan.FromSeconds(10)),
            $"{torch.Tensor.TotalCount - baseline} tensors of a trigger after shutdown alive");
    }
}
