using Keisei.Neural.Checkpoints;
using Keisei.Neural.Models;
using Keisei.Neural.Native;
using Keisei.Shogi;
using Keisei.TestSupport;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Keisei.Training.Tests;

[CollectionDefinition("torch", DisableParallelization = true)]
public sealed class TorchCollection;

[Collection("torch")]
public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static TrainingOptions Tiny(long total) => new()
    {
        TotalTimesteps = total,
        StepsPerEpoch = 64,
        NumEnvs = 4,
        MaxMovesPerGame = 40,
        CheckpointIntervalTimesteps = 64,
        Seed = 3,
        Threads = 1,
        Model = new ModelConfig { Architecture = ModelConfig.ResNet, TowerDepth = 1, TowerWidth = 8 },
        Ppo = new PpoOptions { PpoEpochs = 2, MinibatchSize = 32, LearningRate = 1e-3, Schedule = new LrScheduleOptions { Type = "linear" } },
    };

    private static float[] Weights(PolicyValueModel model) =>
        model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    [Fact]
    public async Task TwoUpdatesMoveTheLossAndAResumedRunIsBitIdentical()
    {
        var straightRun = RunDirectory.Create(_dir, "straight");
        float[] initial, straight;
        using (var trainer = Trainer.Create(Tiny(128), straightRun))
        {
            initial = Weights(trainer.Model);
            using var metrics = new MetricSink(straightRun, jsonl: true, tensorBoard: false);
            var result = await trainer.RunAsync(null, CancellationToken.None, metrics);
            Assert.Equal(128, result.Timesteps);
            Assert.Equal(2, result.Updates);
            straight = Weights(trainer.Model);
        }
        Assert.NotEqual(initial, straight);
        var lines = File.ReadAllLines(straightRun.MetricsPath);
        Assert.Equal(2, lines.Length);
        Assert.NotEqual(Field(lines[0], "ppo/value_loss"), Field(lines[1], "ppo/value_loss"));
        Assert.True(File.Exists(straightRun.CheckpointPath(64)));
        Assert.True(File.Exists(straightRun.FinalCheckpointPath));

        // The same run, stopped (as by Ctrl-C) after its first update, then resumed from its checkpoint.
        var splitRun = RunDirectory.Create(_dir, "split");
        using (var first = Trainer.Create(Tiny(128), splitRun))
        {
            using var stop = new CancellationTokenSource();
            var result = await first.RunAsync(new StopAfter(64, stop), stop.Token);
            Assert.True(result.Interrupted);
            Assert.Equal(64, result.Timesteps);
        }
        float[] resumed;
        using (var second = Trainer.Resume(Tiny(128), splitRun))
        {
            Assert.Equal(64, second.Timesteps);
            await second.RunAsync(null, CancellationToken.None);
            resumed = Weights(second.Model);
        }
        Assert.Equal(straight, resumed);
        Assert.Equal(128, CheckpointFile.ReadInfo(splitRun.FinalCheckpointPath).Info.Counters["timesteps"]);
    }

    private sealed class StopAfter(long timesteps, CancellationTokenSource stop) : IProgress<TrainingStatus>
    {
        public void Report(TrainingStatus value)
        {
            if (value.Timesteps >= timesteps) stop.Cancel();
        }
    }

    private static double Field(string json, string key)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.GetProperty(key).GetDouble();
    }

    [Fact]
    public void SelfPlayNeverRunsBatchNormInTrainingMode()
    {
        using var model = PolicyValueModel.Create(new ModelConfig { TowerDepth = 1, TowerWidth = 8 }, 5);
        model.train();
        var buffers = model.named_buffers().Where(b => b.name.Contains("running_mean")).Select(b => b.buffer.clone()).ToList();
        Assert.NotEmpty(buffers);
        var selfPlay = new SelfPlay(model, 3, 30, new Xoshiro(1));
        var buffer = new RolloutBuffer(60, model.Config.InputChannels * 81);
        selfPlay.Collect(buffer, 60, new SelfPlayStats());
        Assert.False(model.training);
        var after = model.named_buffers().Where(b => b.name.Contains("running_mean")).Select(b => b.buffer).ToList();
        for (int i = 0; i < buffers.Count; i++) Assert.True(buffers[i].eq(after[i]).all().item<bool>(), "a BatchNorm running mean changed during self-play");
    }

    [Fact]
    public void FinishedGamesRewardTheWinnerAndTheLoserOnTheirLastSteps()
    {
        using var model = PolicyValueModel.Create(new ModelConfig { Architecture = ModelConfig.Quick, Channels = 4, Layers = 0 }, 2);
        var selfPlay = new SelfPlay(model, 2, 16, new Xoshiro(9));
        var buffer = new RolloutBuffer(200, model.Config.InputChannels * 81);
        var stats = new SelfPlayStats();
        selfPlay.Collect(buffer, 200, stats);
        Assert.True(stats.Episodes >= 10);
        int dones = buffer.Dones.Take(buffer.Count).Count(d => d);
        Assert.Equal(2 * stats.Episodes, dones);
        for (int i = 0; i < buffer.Count; i++)
        {
            if (!buffer.Dones[i]) Assert.Equal(0f, buffer.Rewards[i]);
            else Assert.Contains(buffer.Rewards[i], new[] { -1f, 0f, 1f });
        }
        Assert.Equal(stats.BlackWins + stats.WhiteWins, buffer.Rewards.Take(buffer.Count).Count(r => r == 1f));
        Assert.Equal(stats.BlackWins + stats.WhiteWins, buffer.Rewards.Take(buffer.Count).Count(r => r == -1f));
        Assert.True(stats.Terminations.GetValueOrDefault(TerminationReason.MaxMoves) > 0);
    }

    [Fact]
    public void MaterialShapingTelescopesToTheGameResult()
    {
        using var model = PolicyValueModel.Create(new ModelConfig { Architecture = ModelConfig.Quick, Channels = 4, Layers = 0 }, 2);
        var selfPlay = new SelfPlay(model, 2, 30, new Xoshiro(4), materialShaping: 0.01, gamma: 1.0);
        var buffer = new RolloutBuffer(300, model.Config.InputChannels * 81);
        var stats = new SelfPlayStats();
        selfPlay.Collect(buffer, 300, stats);
        Assert.Contains(buffer.Potentials.Take(buffer.Count), p => p != 0);
        var hasPrevious = new bool[buffer.Count];
        for (int i = 0; i < buffer.Count; i++)
            if (buffer.Next[i] >= 0) hasPrevious[buffer.Next[i]] = true;
        int checkedSequences = 0;
        for (int first = 0; first < buffer.Count; first++)
        {
            if (hasPrevious[first] || buffer.Potentials[first] != 0) continue;
            double sum = 0;
            int i = first;
            while (true)
            {
                sum += buffer.Rewards[i];
                if (buffer.Next[i] < 0) break;
                i = buffer.Next[i];
            }
            if (!buffer.Dones[i]) continue;
            // With γ = 1 the shaping terms cancel along a sequence that starts balanced: only the result remains.
            double outcome = sum;
            Assert.Contains(Math.Round(outcome, 4), new[] { -1.0, 0.0, 1.0 });
            checkedSequences++;
        }
        Assert.True(checkedSequences > 4);
    }

    /// <summary><c>training.mixed_precision</c>: bfloat16 convolutions where the CPU has them natively, a warning elsewhere.</summary>
    [Fact]
    public void MixedPrecisionAppliesOnlyOnACpuWithNativeBfloat16AndSaysWhyNotElsewhere()
    {
        var logger = new ListLogger();
        Assert.True(Trainer.MixedPrecisionApplies(torch.CPU, nativeBfloat16: true, logger));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("bfloat16", StringComparison.Ordinal));

        logger = new ListLogger();
        Assert.False(Trainer.MixedPrecisionApplies(torch.CPU, nativeBfloat16: false, logger));
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning).Message;
        Assert.Contains("training.mixed_precision is ignored", warning, StringComparison.Ordinal);
        Assert.Contains("AVX512-BF16", warning, StringComparison.Ordinal);

        logger = new ListLogger();
        Assert.False(Trainer.MixedPrecisionApplies(new torch.Device(DeviceType.CUDA, 0), nativeBfloat16: true, logger));
        Assert.Contains("ignored on cuda", Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning).Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A run with mixed precision trains: its convolutions are bfloat16 exactly where the CPU has native bfloat16, the
    /// losses are finite, no update is skipped, and the weights stay float32 (checkpoints unchanged).
    /// </summary>
    [Fact]
    public async Task AMixedPrecisionRunTrainsWithFloat32Weights()
    {
        var options = TrainerTests.Tiny(128) with { Ppo = TrainerTests.Tiny(128).Ppo with { MixedPrecision = true } };
        var logger = new ListLogger();
        using var trainer = Trainer.Create(options, RunDirectory.Create(_dir, "mixed"), logger);
        Assert.Equal(CpuFeatures.NativeBfloat16, trainer.Model.Bfloat16Convolutions);
        var result = await trainer.RunAsync(null, CancellationToken.None);
        Assert.Equal(2, result.Updates);
        Assert.DoesNotContain(logger.Entries, e => e.Message.Contains("skipped", StringComparison.Ordinal));
        Assert.All(trainer.Model.parameters(), p => Assert.Equal(torch.ScalarType.Float32, p.dtype));
        Assert.All(trainer.Model.parameters(), p => Assert.Equal(0L, p.isfinite().logical_not().sum().item<long>()));
    }
}
