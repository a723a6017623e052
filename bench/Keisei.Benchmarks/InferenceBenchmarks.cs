using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Keisei.Neural;
using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Neural.Models;
using Keisei.Shogi;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Benchmarks;

/// <summary>Positions a fixed set of distinct game positions for inference benchmarks (seeded random playouts).</summary>
internal static class BenchPositions
{
    public static Position[] Make(int count, int seed = 7)
    {
        var random = new Random(seed);
        var result = new Position[count];
        for (int i = 0; i < count; i++)
        {
            var p = Position.StartPosition();
            int plies = random.Next(0, 60);
            for (int ply = 0; ply < plies; ply++)
            {
                var list = new MoveList();
                p.GenerateLegalMoves(ref list);
                if (list.Count == 0) break;
                var m = list[random.Next(list.Count)];
                p.DoMove(m);
                if (!p.HasLegalMove())
                {
                    p.UndoMove();
                    break;
                }
            }
            result[i] = p;
        }
        return result;
    }
}

/// <summary>
/// CPU forward-pass throughput (eval mode, inference mode) of the quick model and Keisei's default 9 × 256 SE-ResNet at
/// several batch sizes. Positions per second = Batch / mean time.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class InferenceBenchmarks
{
    private PolicyValueModel _model = null!;
    private Tensor _input = null!;

    [Params(ModelConfig.Quick, ModelConfig.ResNet)]
    public string Architecture { get; set; } = ModelConfig.Quick;

    [Params(1, 16, 64, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = PolicyValueModel.Create(ModelConfig.ForArchitecture(Architecture), seed: 1);
        _model.eval();
        var positions = BenchPositions.Make(Batch);
        var encoder = Core46Encoder.Instance;
        var buffer = new float[Batch * encoder.Size];
        for (int i = 0; i < Batch; i++) encoder.Encode(positions[i], new EncodingContext(500), buffer.AsSpan(i * encoder.Size, encoder.Size));
        _input = torch.tensor(buffer, [Batch, encoder.Channels, 9, 9]);
    }

    [Benchmark]
    public float Forward()
    {
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        var (logits, value) = _model.forward(_input);
        return value[0].item<float>() + logits[0, 0].item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _model.Dispose();
    }
}

/// <summary>
/// The batcher with 64 concurrent callers (one position each) against one direct batch-64 call doing the same work
/// (encode, forward, masked softmax over the legal moves), quick model.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class BatcherBenchmarks
{
    private const int Callers = 64;
    private PolicyValueModel _model = null!;
    private InferenceBatcher _batcher = null!;
    private Position[] _positions = [];
    private float[] _input = [];
    private float[] _logits = [];
    private readonly int[] _indices = new int[MoveList.Capacity];
    private readonly Move[] _moves = new Move[MoveList.Capacity];

    [GlobalSetup]
    public void Setup()
    {
        _model = PolicyValueModel.Create(ModelConfig.QuickDefault, seed: 1);
        _model.eval();
        _batcher = new InferenceBatcher(_model, new InferenceBatcherOptions { MaxBatch = Callers });
        _positions = BenchPositions.Make(Callers);
        _input = new float[Callers * Core46Encoder.Instance.Size];
        _logits = new float[Callers * _model.HeadPolicySize];
    }

    [Benchmark(Baseline = true)]
    public float DirectBatch64()
    {
        var encoder = Core46Encoder.Instance;
        var counts = new int[Callers];
        for (int i = 0; i < Callers; i++)
            encoder.Encode(_positions[i], new EncodingContext(500), _input.AsSpan(i * encoder.Size, encoder.Size));
        float sum = 0;
        using (torch.NewDisposeScope())
        using (torch.inference_mode())
        {
            var input = TensorData.FromFloats(_input, Callers, encoder.Channels, 9, 9);
            var (policy, value) = _model.ForwardHeads(input);
            TensorData.CopyTo(policy, _logits);
            sum += value.sum().item<float>();
        }
        for (int i = 0; i < Callers; i++)
        {
            counts[i] = ActionSpace.LegalActions(_positions[i], _indices, _moves);
            var probabilities = new float[counts[i]];
            int size = _model.HeadPolicySize;
            _model.LegalLogits(_logits.AsSpan(i * size, size), _indices.AsSpan(0, counts[i]), _positions[i].SideToMove, probabilities);
            PolicyMath.Softmax(probabilities, probabilities);
            sum += probabilities[0];
        }
        return sum;
    }

    [Benchmark]
    public async Task<float> Batcher64ConcurrentCallers()
    {
        var tasks = new Task<PolicyValue>[Callers];
        for (int i = 0; i < Callers; i++)
        {
            var position = _positions[i];
            tasks[i] = Task.Run(() => _batcher.EvaluateAsync(position).AsTask());
        }
        var results = await Task.WhenAll(tasks);
        return results.Sum(r => r.Value);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _batcher.DisposeAsync();
        _model.Dispose();
    }
}
