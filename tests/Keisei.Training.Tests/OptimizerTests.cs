using Keisei.Neural;
using Keisei.Neural.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Keisei.Training.Tests;

/// <summary>Keisei's Adam and AdamW compute exactly what TorchSharp's do and read and write the same state.</summary>
[Collection("torch")]
public sealed class OptimizerTests
{
    private static readonly ModelConfig Config = new() { TowerDepth = 1, TowerWidth = 8 };

    /// <summary>Gives every parameter the same deterministic gradient in both models.</summary>
    private static void SetGradients(PolicyValueModel model, int step)
    {
        using var generator = new Generator((ulong)(100 + step));
        foreach (var p in model.parameters())
        {
            using var g = torch.randn(p.shape, generator: generator);
            p.grad = g.clone();
        }
    }

    private static byte[] State(OptimizerHelper optimizer)
    {
        var stream = new MemoryStream();
        optimizer.save_state_dict(new BinaryWriter(stream));
        return stream.ToArray();
    }

    [Theory]
    [InlineData("adam", 0.0)]
    [InlineData("adam", 0.01)]
    [InlineData("adamw", 0.01)]
    public void StepsAreBitIdenticalToTorchSharpsOptimizer(string kind, double weightDecay)
    {
        using var ours = PolicyValueModel.Create(Config, 3);
        using var theirs = PolicyValueModel.Create(Config, 3);
        var safe = Optimizers.Create(kind, ours.parameters(), 1e-3, weightDecay);
        OptimizerHelper reference = kind == "adamw"
            ? torch.optim.AdamW(theirs.parameters(), 1e-3, weight_decay: weightDecay)
            : torch.optim.Adam(theirs.parameters(), 1e-3, weight_decay: weightDecay);
        for (int step = 0; step < 5; step++)
        {
            SetGradients(ours, step);
            SetGradients(theirs, step);
            safe.step();
            reference.step();
        }
        foreach (var ((name, a), (_, b)) in ours.named_parameters().Zip(theirs.named_parameters()))
            Assert.True(a.eq(b).all().item<bool>(), $"{name} differs after 5 steps");
        Assert.Equal(State(reference), State(safe));

        // State saved by TorchSharp's optimizer (as older checkpoints hold) loads into ours, and the next step still agrees.
        var restored = Optimizers.Create(kind, ours.parameters(), 1e-3, weightDecay);
        restored.load_state_dict(new BinaryReader(new MemoryStream(State(reference))));
        SetGradients(ours, 9);
        SetGradients(theirs, 9);
        restored.step();
        reference.step();
        foreach (var ((name, a), (_, b)) in ours.named_parameters().Zip(theirs.named_parameters()))
            Assert.True(a.eq(b).all().item<bool>(), $"{name} differs after a restored step");
    }

    [Fact]
    public void ScalarsAreKeptOnePerValue()
    {
        Assert.Same(Scalars.Of(0.5), Scalars.Of(0.5));
        Assert.NotSame(Scalars.Of(0.5), Scalars.Of(0.5f));
        Assert.NotSame(Scalars.Of(0.0), Scalars.Of(-0.0));
        Assert.Equal(float.NegativeInfinity, Scalars.Of(float.NegativeInfinity).ToSingle());
        Assert.True(Scalars.Of(true).ToBoolean());
        Assert.Equal(7L, Scalars.Of(7L).ToInt64());
    }
}
