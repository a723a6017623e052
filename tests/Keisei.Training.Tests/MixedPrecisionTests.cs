using Keisei.Neural.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Keisei.Training.Tests;

/// <summary><c>training.mixed_precision</c>: bfloat16 convolutions where the CPU has them natively, a warning elsewhere.</summary>
[Collection("torch")]
public sealed class MixedPrecisionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-mixed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ItAppliesOnlyOnACpuWithNativeBfloat16AndSaysWhyNotElsewhere()
    {
        var logger = new ListLogger();
        Assert.True(Trainer.MixedPrecisionApplies(torch.CPU, nativeBfloat16: true, logger));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("bfloat16", StringComparison.Ordinal));

        logger.Entries.Clear();
        Assert.False(Trainer.MixedPrecisionApplies(torch.CPU, nativeBfloat16: false, logger));
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning).Message;
        Assert.Contains("training.mixed_precision is ignored", warning, StringComparison.Ordinal);
        Assert.Contains("AVX512-BF16", warning, StringComparison.Ordinal);

        logger.Entries.Clear();
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
