using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Keisei.Neural;
using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using Keisei.Shogi;
using Keisei.Training;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Benchmarks;

/// <summary>
/// One PPO-like gradient step on CPU: forward in training mode, log-probabilities of the legal moves at a chosen action
/// plus value² and an entropy term, backward, Adam step (Keisei's, as training uses it). <see cref="Step"/> reads only the
/// legal moves' logits out of the policy head, as <see cref="Ppo"/> does; <see cref="StepAllActions"/> builds all 13,527
/// logits and masks the illegal ones, as PPO did before. The quickstart's model (conv head, and Keisei's original linear
/// head) at its minibatch of 512, and a 6 × 64 SE-ResNet at 128. Samples per second = minibatch / mean time.
/// <see cref="UpdateGuard"/> is what the non-finite guard adds once per update: the in-memory copy of weights and
/// optimizer state, and the weight check.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class TrainingStepBenchmarks
{
    private PolicyValueModel _model = null!;
    private OptimizerHelper _adam = null!;
    private Tensor _input = null!, _mask = null!, _actions = null!, _index = null!, _valid = null!, _chosen = null!;

    [Params("quick-conv/512", "quick-linear/512", "resnet6x64/128")]
    public string Case { get; set; } = "quick-conv/512";

    [GlobalSetup]
    public void Setup()
    {
        var config = Case.StartsWith("quick", StringComparison.Ordinal) ? ModelConfig.QuickDefault : new ModelConfig { TowerDepth = 6, TowerWidth = 64 };
        if (Case.Contains("linear", StringComparison.Ordinal)) config = config with { PolicyHead = ModelConfig.LinearHead };
        int batch = int.Parse(Case[(Case.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        _model = PolicyValueModel.Create(config, seed: 1);
        _adam = Optimizers.Create("adam", _model.parameters(), 1e-4, 0);
        var positions = BenchPositions.Make(batch);
        var encoder = Core46Encoder.Instance;
        var buffer = new float[batch * encoder.Size];
        var mask = new bool[batch * ActionSpace.Size];
        var actions = new long[batch];
        var legal = new int[MoveList.Capacity];
        var moves = new Move[MoveList.Capacity];
        var lists = new List<int[]>();
        for (int i = 0; i < batch; i++)
        {
            encoder.Encode(positions[i], new EncodingContext(500), buffer.AsSpan(i * encoder.Size, encoder.Size));
            ActionSpace.LegalMask(positions[i], mask.AsSpan(i * ActionSpace.Size, ActionSpace.Size));
            int count = ActionSpace.LegalActions(positions[i], legal, moves);
            lists.Add(legal.AsSpan(0, count).ToArray());
            actions[i] = legal[i % count];
        }
        int width = lists.Max(l => l.Length);
        var index = new long[batch * width];
        var valid = new bool[batch * width];
        var chosen = new long[batch];
        for (int i = 0; i < batch; i++)
        {
            for (int k = 0; k < lists[i].Length; k++)
            {
                index[i * width + k] = _model.HeadPolicyIndex(lists[i][k], positions[i].SideToMove);
                valid[i * width + k] = true;
            }
            chosen[i] = i % lists[i].Length;
        }
        _input = torch.tensor(buffer, [batch, encoder.Channels, 9, 9]);
        _mask = torch.tensor(mask, [batch, ActionSpace.Size]);
        _actions = torch.tensor(actions);
        _index = torch.tensor(index, [batch, width]);
        _valid = torch.tensor(valid, [batch, width]);
        _chosen = torch.tensor(chosen);
        _model.train();
        Step(); // the optimizer's state exists from the first step on
    }

    [Benchmark]
    public float Step()
    {
        using var scope = torch.NewDisposeScope();
        var (policy, value) = _model.ForwardHeads(_input);
        var logp = PolicyValueModel.LegalLogSoftmax(policy, _index, _valid);
        return Finish(logp, _valid, _chosen, value);
    }

    [Benchmark]
    public float StepAllActions()
    {
        using var scope = torch.NewDisposeScope();
        var (logits, value) = _model.forward(_input);
        var logp = PolicyValueModel.MaskedLogSoftmax(logits, _mask);
        return Finish(logp, _mask, _actions, value);
    }

    private float Finish(Tensor logp, Tensor valid, Tensor chosen, Tensor value)
    {
        var entropy = -(logp.exp() * logp.masked_fill(valid.logical_not(), Scalars.Of(0.0))).sum(-1).mean();
        var loss = value.pow(Scalars.Of(2L)).mean().mul(Scalars.Of(0.5)).sub(logp.gather(1, chosen.unsqueeze(1)).mean()).sub(entropy.mul(Scalars.Of(0.01)));
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
        foreach (var t in new[] { _input, _mask, _actions, _index, _valid, _chosen }) t.Dispose();
        _model.Dispose();
    }
}

/// <summary>
/// A whole PPO update as training runs it: one epoch over a 4,096-step self-play rollout of the quickstart network in
/// minibatches of 512, with everything around the arithmetic (minibatch assembly, tensor copies, gradient clipping, the
/// non-finite guard). PPO sample-passes per second = 4,096 / mean time. <see cref="Precision"/>: <c>bf16</c> is the
/// quickstart's <c>training.mixed_precision</c> (bfloat16 convolutions; on a CPU without native bfloat16 it measures the
/// emulation the trainer would refuse), <c>fp32</c> float32 throughout.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 8)]
public class PpoUpdateBenchmarks
{
    private PolicyValueModel _model = null!;
    private Ppo _ppo = null!;
    private RolloutBuffer _buffer = null!;
    private readonly Xoshiro _rng = new(3);

    [Params("bf16", "fp32")]
    public string Precision { get; set; } = "bf16";

    [GlobalSetup]
    public void Setup()
    {
        var observation = Core46AttacksEncoder.Instance; // configs/quickstart.yaml's env.observation
        _model = PolicyValueModel.Create(ModelConfig.QuickDefault with { Observation = observation.Name }, seed: 1);
        _model.Bfloat16Convolutions = Precision == "bf16";
        var selfPlay = new SelfPlay(_model, numEnvs: 128, maxMovesPerGame: 512, new Xoshiro(1), materialShaping: 0.03, gamma: 0.995);
        _buffer = new RolloutBuffer(4096, observation.Size);
        selfPlay.Collect(_buffer, 4096, new SelfPlayStats());
        _buffer.ComputeAdvantages(0.995, 0.95);
        _ppo = new Ppo(_model, new PpoOptions { PpoEpochs = 1, MinibatchSize = 512, LearningRate = 1e-3, GradientClipMaxNorm = 0.5 }, 1000);
    }

    [Benchmark]
    public double Update4096() => _ppo.Update(_buffer, _rng).PolicyLoss;

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();
}
