using Keisei.Neural.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Training.Tests;

[Collection("torch")]
public class PpoTests
{
    private static Ppo Make(PpoOptions options)
    {
        var model = PolicyValueModel.Create(new ModelConfig { Architecture = ModelConfig.Quick, Channels = 4, Layers = 0 }, 1);
        return new Ppo(model, options, 100);
    }

    [Fact]
    public void LossPiecesMatchHandComputedValues()
    {
        var ppo = Make(new PpoOptions { ClipEpsilon = 0.2 });
        using var scope = torch.NewDisposeScope();
        // ratio = exp(logp − old) = [1.5, 0.5, 1.1]; advantages [1, 1, −2].
        var old = torch.tensor(new float[] { 0, 0, 0 });
        var logp = torch.tensor(new[] { MathF.Log(1.5f), MathF.Log(0.5f), MathF.Log(1.1f) });
        var adv = torch.tensor(new float[] { 1, 1, -2 });
        var value = torch.tensor(new float[] { 0.5f, 0, -1 });
        var ret = torch.tensor(new float[] { 1, 0, 0 });
        // Two actions, one illegal in the second row.
        var logpAll = torch.tensor(new[] { MathF.Log(0.5f), MathF.Log(0.5f), 0f, float.NegativeInfinity, MathF.Log(0.25f), MathF.Log(0.75f) }, [3, 2]);
        var legal = torch.tensor(new[] { true, true, true, false, true, true }, [3, 2]);
        var (policy, valueLoss, entropy, kl, clip) = ppo.Losses(logp, old, adv, value, ret, old, logpAll, legal);

        // min(r·A, clip(r)·A) = [min(1.5, 1.2), min(0.5, 0.8), min(−2.2, −2.2)] = [1.2, 0.5, −2.2]; the loss is minus their mean.
        Assert.Equal(-(1.2 + 0.5 - 2.2) / 3, policy.item<float>(), 5);
        Assert.Equal(0.5 * (0.25 + 0 + 1) / 3, valueLoss.item<float>(), 5);
        double h0 = Math.Log(2), h1 = 0, h2 = -(0.25 * Math.Log(0.25) + 0.75 * Math.Log(0.75));
        Assert.Equal((h0 + h1 + h2) / 3, entropy.item<float>(), 5);
        double expectedKl = ((0.5 - Math.Log(1.5)) + (-0.5 - Math.Log(0.5)) + (0.1 - Math.Log(1.1))) / 3;
        Assert.Equal(expectedKl, kl.item<float>(), 5);
        Assert.Equal(2.0 / 3, clip.item<float>(), 5);
    }

    [Fact]
    public void ValueClippingUsesTheWorseOfClippedAndUnclipped()
    {
        var ppo = Make(new PpoOptions { EnableValueClipping = true, ValueClipEpsilon = 0.1 });
        using var scope = torch.NewDisposeScope();
        var zero = torch.tensor(new float[] { 0 });
        var logpAll = torch.tensor(new float[] { 0 }, [1, 1]);
        var legal = torch.tensor(new[] { true }, [1, 1]);
        // old 0, new 0.5, return 1: unclipped (0.5)² = 0.25, clipped value 0.1 → (0.9)² = 0.81 → 0.5·0.81.
        var (_, valueLoss, _, _, _) = ppo.Losses(zero, zero, zero, torch.tensor(new[] { 0.5f }), torch.tensor(new[] { 1f }), zero, logpAll, legal);
        Assert.Equal(0.5 * 0.81, valueLoss.item<float>(), 5);
    }

    [Theory]
    [InlineData(null, 0, 1.0)]
    [InlineData("linear", 50, 0.5)]
    [InlineData("linear", 100, 0.0)]
    [InlineData("cosine", 50, 0.5)]
    [InlineData("exponential", 2, 0.81)]
    [InlineData("step", 25, 0.81)]
    public void LearningRateSchedules(string? type, long step, double fraction)
    {
        var schedule = new LrSchedule(new PpoOptions { LearningRate = 1, Schedule = new LrScheduleOptions { Type = type, Gamma = 0.9, StepSize = 10 } }, 100);
        Assert.Equal(fraction, schedule.At(step), 6);
    }

    [Fact]
    public void WarmupRisesLinearly()
    {
        var schedule = new LrSchedule(new PpoOptions { LearningRate = 1, Schedule = new LrScheduleOptions { Type = "linear", WarmupSteps = 4 } }, 104);
        Assert.Equal(0.25, schedule.At(0), 6);
        Assert.Equal(1.0, schedule.At(3), 6);
        Assert.Equal(1.0, schedule.At(4), 6);
        Assert.Equal(0.5, schedule.At(54), 6);
    }
}
