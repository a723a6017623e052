using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Keisei.Neural;
using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using Keisei.Training;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Benchmarks;

/// <summary>
/// One PPO-like gradient step on CPU: forward in training mode, masked log-softmax at a chosen action plus value² and an
/// entropy term, backward, Adam step (Keisei's, as training uses it). The quickstart's model at its minibatch of 512, and
/// a 6 × 64 SE-ResNet at 128. Samples per second = Minibatch / mean time. <see cref="UpdateGuard"/> is what the
/// non-finite guard adds once per update: the in-memory copy of weights and optimizer state, and the weight check.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class TrainingStepBenchmarks
{
    private PolicyValueModel _model = null!;
    private OptimizerHelper _adam = null!;
    private Tensor _input = null!, _mask = null!, _actions = null!;

    [Params("quick 3x32 / 512", "resnet 6x64 / 128")]
    public string Case { get; set; } = "quick 3x32 / 512";

    [GlobalSetup]
    public void Setup()
    {
        var config = Case.StartsWith("quick", StringComparison.Ordinal)
            ? ModelConfig.QuickDefault
            : new ModelConfig { TowerDepth = 6, TowerWidth = 64 };
        int batch = int.Parse(Case[(Case.LastIndexOf('/') + 2)..], System.Globalization.CultureInfo.InvariantCulture);
        _model = PolicyValueModel.Create(config, seed: 1);
        _adam = Optimizers.Create("adam", _model.parameters(), 1e-4, 0);
        var positions = BenchPositions.Make(batch);
        var encoder = Core46Encoder.Instance;
        var buffer = new float[batch * encoder.Size];
        var mask = new bool[batch * ActionSpace.Size];
        var actions = new long[batch];
        var legal = new int[Keisei.Shogi.MoveList.Capacity];
        var moves = new Keisei.Shogi.Move[Keisei.Shogi.MoveList.Capacity];
        for (int i = 0; i < batch; i++)
        {
            encoder.Encode(positions[i], new EncodingContext(500), buffer.AsSpan(i * encoder.Size, encoder.Size));
            ActionSpace.LegalMask(positions[i], mask.AsSpan(i * ActionSpace.Size, ActionSpace.Size));
            int count = ActionSpace.LegalActions(positions[i], legal, moves);
            actions[i] = legal[i % count];
        }
        _input = torch.tensor(buffer, [batch, encoder.Channels, 9, 9]);
        _mask = torch.tensor(mask, [batch, ActionSpace.Size]);
        _actions = torch.tensor(actions);
        _model.train();
        Step(); // the optimizer's state exists from the first step on
    }

    [Benchmark]
    public float Step()
    {
        using var scope = torch.NewDisposeScope();
        var (logits, value) = _model.forward(_input);
        var logp = PolicyValueModel.MaskedLogSoftmax(logits, _mask);
        var entropy = -(logp.exp() * logp.masked_fill(_mask.logical_not(), Scalars.Of(0.0))).sum(-1).mean();
        var loss = -logp.gather(1, _actions.unsqueeze(1)).mean() + value.square().mean().mul(Scalars.Of(0.5)) - entropy.mul(Scalars.Of(0.01));
        _adam.zero_grad();
        loss.backward();
        _adam.step();
        return loss.item<float>();
    }

    [Benchmark]
    public int UpdateGuard()
    {
        var snapshot = UpdateSnapshot.Take(_model, _adam, 0);
        return FiniteChecks.NonFiniteState(_model).Count + (snapshot is null ? 1 : 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _mask.Dispose();
        _actions.Dispose();
        _model.Dispose();
    }
}
