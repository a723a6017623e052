using Keisei.Neural;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Models;
using Keisei.TestSupport;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Keisei.Training.Tests;

/// <summary>Training never rots silently: NaN injected into gradients, weights and outputs is caught, reported and survived.</summary>
[Collection("torch")]
public sealed class NonFiniteTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-nonfinite-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TrainingOptions Tiny(long total, int maxNonFinite = 3) => TrainerTests.Tiny(total) with { Seed = 5, MaxNonFiniteUpdates = maxNonFinite };

    /// <summary>A tiny model, its learner, and one rollout of 64 positions with advantages computed.</summary>
    private static (PolicyValueModel Model, Ppo Ppo, RolloutBuffer Buffer) Learner()
    {
        var model = PolicyValueModel.Create(Tiny(64).Model, 1);
        var ppo = new Ppo(model, Tiny(64).Ppo, 100);
        var buffer = new RolloutBuffer(64, model.Config.InputChannels * 81);
        new SelfPlay(model, 4, 40, new Xoshiro(3)).Collect(buffer, 64, new SelfPlayStats());
        buffer.ComputeAdvantages(0.99, 0.95);
        return (model, ppo, buffer);
    }

    private static float[] Weights(PolicyValueModel model) =>
        model.state_dict().Values.SelectMany(p => p.detach().cpu().to(torch.ScalarType.Float32).data<float>().ToArray()).ToArray();

    /// <summary>Sets one gradient to NaN after the backward passes of the updates in <paramref name="updates"/> (1-based).</summary>
    private static void PoisonGradients(Trainer trainer, params int[] updates)
    {
        trainer.Ppo.AfterBackward = model =>
        {
            if (updates.Contains(trainer.Updates + 1))
                model.named_parameters().Single(p => p.name == "_tower.block0._conv2.weight").parameter.grad!.fill_(Scalars.Of(float.NaN));
        };
    }

    private static List<Dictionary<string, System.Text.Json.JsonElement>> Metrics(RunDirectory run) =>
        File.ReadAllLines(run.MetricsPath).Select(line => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, System.Text.Json.JsonElement>>(line)!).ToList();

    [Fact]
    public void ABadUpdateLeavesWeightsOptimizerAndScheduleAsTheyWere()
    {
        var (model, ppo, buffer) = Learner();
        using var owned = model;
        var first = ppo.Update(buffer, new Xoshiro(1)); // gives the optimizer a state worth restoring
        Assert.Null(first.NonFinite);

        var weights = Weights(model);
        var optimizer = new MemoryStream();
        ppo.Optimizer.save_state_dict(new BinaryWriter(optimizer));
        long step = ppo.ScheduleStep;
        double rate = ppo.LearningRate;
        int backwards = 0;
        ppo.AfterBackward = m =>
        {
            // The second minibatch goes bad: the first one's step must be undone too.
            if (++backwards == 2) m.named_parameters().Single(p => p.name == "_valueHead.6.weight").parameter.grad!.fill_(Scalars.Of(float.PositiveInfinity));
        };
        var bad = ppo.Update(buffer, new Xoshiro(2));

        Assert.NotNull(bad.NonFinite);
        Assert.Contains("gradient norm", bad.NonFinite);
        Assert.Contains("_valueHead.6.weight", bad.NonFinite);
        Assert.Contains("minibatch 2", bad.NonFinite);
        Assert.True(double.IsNaN(bad.PolicyLoss));
        Assert.Equal(weights, Weights(model));
        var after = new MemoryStream();
        ppo.Optimizer.save_state_dict(new BinaryWriter(after));
        Assert.Equal(optimizer.ToArray(), after.ToArray());
        Assert.Equal(step, ppo.ScheduleStep);
        Assert.Equal(rate, ppo.LearningRate);

        ppo.AfterBackward = null;
        Assert.Null(ppo.Update(buffer, new Xoshiro(2)).NonFinite);
        Assert.NotEqual(weights, Weights(model));
    }

    [Fact]
    public void WeightsThatTurnNonFiniteAfterTheUpdateAreRolledBack()
    {
        var (model, ppo, buffer) = Learner();
        using var owned = model;
        var weights = Weights(model);
        int backwards = 0;
        // The last backward pass poisons a BatchNorm statistic, which no gradient check sees.
        ppo.AfterBackward = m =>
        {
            if (++backwards == 4) m.state_dict()["_stem.1.running_mean"].fill_(Scalars.Of(float.NaN));
        };
        var stats = ppo.Update(buffer, new Xoshiro(1));
        Assert.Equal(4, backwards);
        Assert.Equal("weights after the update (_stem.1.running_mean)", stats.NonFinite);
        Assert.Equal(weights, Weights(model));
    }

    [Fact]
    public async Task AnOccasionalBadUpdateIsSkippedCountedAndTrainingGoesOn()
    {
        var run = RunDirectory.Create(_dir, "occasional");
        var log = new ListLogger();
        using var trainer = Trainer.Create(Tiny(256), run, log);
        PoisonGradients(trainer, 2);
        using (var metrics = new MetricSink(run, jsonl: true, tensorBoard: false))
        {
            var result = await trainer.RunAsync(null, CancellationToken.None, metrics);
            Assert.Equal(4, result.Updates);
        }
        var lines = Metrics(run);
        Assert.Equal([0.0, 1.0, 1.0, 1.0], lines.Select(l => l["ppo/nonfinite_updates"].GetDouble()));
        Assert.False(lines[1].ContainsKey("ppo/policy_loss")); // no NaN losses in the metrics
        Assert.True(lines[2].ContainsKey("ppo/policy_loss"));
        var warning = Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("update 2: skipped", warning.Message);
        Assert.Contains("_tower.block0._conv2.weight", warning.Message);
        Assert.Equal(1, CheckpointFile.ReadInfo(run.FinalCheckpointPath).Info.Counters["nonfinite_updates"]);
    }

    [Fact]
    public async Task BadUpdatesInARowStopTrainingWithTheLastGoodWeights()
    {
        var run = RunDirectory.Create(_dir, "rotten");
        var log = new ListLogger();
        using var trainer = Trainer.Create(Tiny(64 * 20, maxNonFinite: 3), run, log);
        float[]? good = null;
        trainer.AddCallback(new AfterUpdate(t =>
        {
            if (t.Updates == 2) good = Weights(t.Model);
        }));
        PoisonGradients(trainer, 3, 4, 5, 6, 7);
        using var metrics = new MetricSink(run, jsonl: true, tensorBoard: false);

        var e = await Assert.ThrowsAsync<NonFiniteTrainingException>(() => trainer.RunAsync(null, CancellationToken.None, metrics));
        Assert.Equal(5, trainer.Updates);
        Assert.Contains("3 updates in a row", e.Message);
        Assert.Contains("--resume rotten", e.Message);
        Assert.Equal(good, Weights(trainer.Model));
        // Skipped updates change no weight: the checkpoints written after them hold the good weights of update 2, and
        // none is written once training stops.
        Assert.Equal(run.CheckpointPath(256), e.LastGoodCheckpoint);
        Assert.Contains(run.CheckpointPath(256), e.Message);
        Assert.Equal([64L, 128, 192, 256], Directory.GetFiles(run.CheckpointsPath).Select(p => CheckpointFile.ReadInfo(p).Info.Counters["timesteps"]).Order());
        foreach (long ts in new long[] { 192, 256 })
        {
            using var saved = CheckpointFile.Load(run.CheckpointPath(ts)).Model;
            Assert.Equal(good, Weights(saved));
        }
        Assert.Equal([0.0, 0.0, 1.0, 2.0, 3.0], Metrics(run).Select(l => l["ppo/nonfinite_updates"].GetDouble()));
        Assert.Equal(3, log.Entries.Count(l => l.Level == LogLevel.Warning));
    }

    [Fact]
    public async Task SelfPlayRefusesANetworkThatAnswersNaN()
    {
        var run = RunDirectory.Create(_dir, "nan-output");
        using var trainer = Trainer.Create(Tiny(256), run);
        trainer.AddCallback(new AfterUpdate(t =>
        {
            // As a kernel fault would: finite weights in, NaN out (a NaN bias the weight check runs too late to see).
            if (t.Updates == 1) using (torch.no_grad()) t.Model.state_dict()["_valueHead.6.bias"].fill_(Scalars.Of(float.NaN));
        }));
        var e = await Assert.ThrowsAsync<NonFiniteTrainingException>(() => trainer.RunAsync(null, CancellationToken.None));
        Assert.IsType<NonFiniteOutputException>(e.InnerException);
        Assert.Contains("self-play at update 2", e.Message);
        Assert.Contains("value is NaN", e.Message);
        Assert.Contains("self-play game", e.Message);
        Assert.Equal(run.CheckpointPath(64), e.LastGoodCheckpoint);
    }

    [Fact]
    public void ResumeSkipsDamagedCheckpointsAndSaysSo()
    {
        var run = RunDirectory.Create(_dir, "damaged");
        using (var model = PolicyValueModel.Create(Tiny(256).Model, 1))
        {
            foreach (long ts in new long[] { 64, 128, 192 })
                CheckpointFile.Save(run.CheckpointPath(ts), model, new CheckpointInfo { Model = model.Config, Counters = { ["timesteps"] = ts } });
            // The newest holds NaN weights, the next one is truncated: the resume falls back to the third.
            DamagedCheckpoints.WriteWithNaNWeights(run.CheckpointPath(192), model, "_stem.0.weight",
                new CheckpointInfo { Model = model.Config, Counters = { ["timesteps"] = 192 } });
        }
        byte[] bytes = File.ReadAllBytes(run.CheckpointPath(128));
        File.WriteAllBytes(run.CheckpointPath(128), bytes[..(bytes.Length / 2)]); // its header no longer reads: ordered by its name

        var log = new ListLogger();
        using var trainer = Trainer.Resume(Tiny(256), run, log);
        Assert.Equal(64, trainer.Timesteps);
        var warnings = log.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(run.CheckpointPath(192), warnings[0]);
        Assert.Contains("is damaged", warnings[0]);
        Assert.Contains(run.CheckpointPath(128), warnings[1]);
        Assert.Contains("truncated", warnings[1]);
        Assert.Contains($"Resuming from {run.CheckpointPath(64)}, the newest intact checkpoint", warnings[2]);
    }

    [Fact]
    public void ResumeWithNoUsableCheckpointListsWhyEachFailed()
    {
        var run = RunDirectory.Create(_dir, "hopeless");
        using (var model = PolicyValueModel.Create(Tiny(256).Model, 1))
            DamagedCheckpoints.WriteWithNaNWeights(run.CheckpointPath(64), model, "_stem.0.weight");
        var e = Assert.Throws<InvalidOperationException>(() => Trainer.Resume(Tiny(256), run));
        Assert.Contains("no usable checkpoint", e.Message);
        Assert.Contains("is damaged", e.Message);
    }

    private sealed class AfterUpdate(Action<Trainer> action) : ITrainingCallback
    {
        public ValueTask OnUpdateAsync(Trainer trainer, TrainingStatus status, CancellationToken cancellationToken)
        {
            action(trainer);
            return ValueTask.CompletedTask;
        }

        public ValueTask OnCheckpointAsync(Trainer trainer, string path, long timesteps, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
