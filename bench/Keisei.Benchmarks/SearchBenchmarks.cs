using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Keisei.Neural;
using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Neural.Models;
using Keisei.Search;
using Keisei.Shogi;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Benchmarks;

/// <summary>
/// PUCT search against the raw forward pass of the same model at the same batch size (the issue's "search at least 50 % of
/// raw throughput"): <see cref="Forward"/> is one pass over <see cref="Batch"/> encoded positions; <see cref="Search"/> is
/// <see cref="Games"/> fresh searches of <see cref="PlayoutsPerGame"/> playouts sharing one batcher of <see cref="Batch"/>,
/// each sending Batch / Games leaves at a time. Positions/s = Batch / Forward's mean; playouts/s = Games × PlayoutsPerGame /
/// Search's mean. <c>keisei bench search</c> prints the same two figures for a checkpoint.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class SearchBenchmarks
{
    private PolicyValueModel _model = null!;
    private Tensor _input = null!;
    private InferenceBatcher _batcher = null!;
    private Game[] _starts = [];

    [Params(ModelConfig.Quick, ModelConfig.ResNet)]
    public string Architecture { get; set; } = ModelConfig.Quick;

    [Params(64)]
    public int Batch { get; set; }

    [Params(8)]
    public int Games { get; set; }

    public int PlayoutsPerGame => 128;

    [GlobalSetup]
    public void Setup()
    {
        _model = PolicyValueModel.Create(ModelConfig.ForArchitecture(Architecture), seed: 1);
        _model.eval();
        var encoder = ObservationEncoder.ByName(_model.Config.Observation);
        var positions = SearchThroughput.Openings(Batch, seed: 7);
        var buffer = new float[Batch * encoder.Size];
        for (int i = 0; i < Batch; i++) encoder.Encode(positions[i].Position, new EncodingContext(), buffer.AsSpan(i * encoder.Size, encoder.Size));
        _input = TensorData.FromFloats(buffer, Batch, encoder.Channels, 9, 9);
        _batcher = new InferenceBatcher(_model, new InferenceBatcherOptions { MaxBatch = Batch });
        _starts = SearchThroughput.Openings(Games, seed: 11, maxPlies: 8);
    }

    [Benchmark(Baseline = true)]
    public float Forward()
    {
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        var (policy, value) = _model.ForwardHeads(_input);
        return value.sum().item<float>() + policy[0, 0].item<float>();
    }

    [Benchmark]
    public async Task<int> Search()
    {
        var evaluator = new BatcherLeafEvaluator(_batcher);
        var options = new SearchOptions { Playouts = PlayoutsPerGame, Batch = Math.Max(1, Batch / Games) };
        var results = await Task.WhenAll(_starts.Select((game, i) => Task.Run(() => new PuctSearch(evaluator, options, i).SearchAsync(game))));
        return results.Sum(r => r.Playouts);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _batcher.DisposeAsync();
        _input.Dispose();
        _model.Dispose();
    }
}
