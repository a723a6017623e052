using System.Diagnostics;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Neural.Models;
using Keisei.Shogi;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Neural.Diagnostics;

/// <summary>Failures of one numeric check over a stress run, with the first failure's description.</summary>
public sealed record CheckTally(string Name, int Runs, int Failures, string? FirstFailure, TimeSpan Elapsed);

/// <summary>What a stress run found: a tally per check and how long it took.</summary>
public sealed record StressReport(IReadOnlyList<CheckTally> Checks, int Iterations, int Load, TimeSpan Elapsed)
{
    public int Failures => Checks.Sum(c => c.Failures);
}

/// <summary>
/// Checks that the neural stack computes the right numbers on this host, repeated to catch faults that come and go
/// (see README, "Numerical integrity"). Each iteration first fills freed heap memory with NaN and −∞ (as masked
/// logits leave it), so that a kernel reading memory it did not write shows up, then runs on one of several small
/// models (both architectures, both observations, channel counts that are and are not multiples of 16):
/// <list type="bullet">
/// <item><c>forward/backward</c>: a PPO-like loss (masked log-softmax at a legal move, value², entropy) and its gradients
/// against the same computation in float64 (a different kernel path): finite, and within 1e-3 of it relative to scale.</item>
/// <item><c>save/load</c>: a checkpoint written and read back gives the same outputs in the same conditions (1e-6).</item>
/// <item><c>batcher</c>: positions through an <see cref="InferenceBatcher"/> (one batch) against one direct forward pass
/// of the same batch (1e-5).</item>
/// </list>
/// </summary>
public sealed class NumericChecks : IDisposable
{
    private const int Batch = 8;
    private readonly List<Subject> _subjects = [];
    private readonly List<Position> _positions;
    private readonly string _directory;

    private sealed record Subject(PolicyValueModel Model, PolicyValueModel Reference, ObservationEncoder Encoder);

    /// <summary>The model configurations checked: tiny SE-ResNets and CNNs whose channel counts cover the awkward cases.</summary>
    public static IReadOnlyList<ModelConfig> Configurations { get; } =
    [
        new() { TowerDepth = 1, TowerWidth = 8, Observation = Core46Encoder.EncodingName },
        new() { TowerDepth = 1, TowerWidth = 16, SeRatio = 0.25, Observation = "core46+" },
        new() { Architecture = ModelConfig.Quick, Channels = 8, Layers = 1, Observation = Core46Encoder.EncodingName },
        new() { Architecture = ModelConfig.Quick, Channels = 32, Layers = 2, Observation = Core46Encoder.EncodingName },
        new() { Architecture = ModelConfig.Quick, Channels = 24, Layers = 1, Observation = "core46+" },
    ];

    public NumericChecks(string scratchDirectory)
    {
        _directory = scratchDirectory;
        Directory.CreateDirectory(_directory);
        _positions = RandomPositions(seed: 5, count: 64);
        long seed = 100;
        foreach (var config in Configurations)
        {
            var model = PolicyValueModel.Create(config, seed++);
            var reference = PolicyValueModel.Create(config, seed++);
            reference.to(ScalarType.Float64);
            CopyState(model, reference);
            _subjects.Add(new Subject(model, reference, ObservationEncoder.ByName(config.Observation)));
        }
    }

    /// <summary>The float32 models checked (tests poison one to see the checks fail).</summary>
    internal IReadOnlyList<PolicyValueModel> Subjects => _subjects.Select(s => s.Model).ToList();

    /// <summary>Runs every check <paramref name="iterations"/> times, cycling through the models.</summary>
    public async Task<StressReport> RunAsync(int iterations, int load, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var tallies = new Dictionary<string, (int Runs, int Failures, string? First, TimeSpan Time)>
        {
            ["forward/backward"] = default,
            ["save/load"] = default,
            ["batcher"] = default,
        };
        async Task Run(string name, Func<Task<string?>> check)
        {
            long start = Stopwatch.GetTimestamp();
            string? failure;
            try
            {
                failure = await check().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failure = $"{e.GetType().Name}: {e.Message}";
            }
            var (runs, failures, first, time) = tallies[name];
            tallies[name] = (runs + 1, failures + (failure is null ? 0 : 1), first ?? failure, time + Stopwatch.GetElapsedTime(start));
        }

        using var burners = new CpuLoad(load);
        for (int i = 0; i < iterations && !cancellationToken.IsCancellationRequested; i++)
        {
            var subject = _subjects[i % _subjects.Count];
            var positions = Enumerable.Range(0, Batch).Select(k => _positions[(i * 7 + k * 13) % _positions.Count]).ToList();
            int iteration = i;
            await Run("forward/backward", () => Task.FromResult(ForwardBackward(subject, positions, iteration))).ConfigureAwait(false);
            await Run("save/load", () => Task.FromResult(SaveLoad(subject, positions, iteration))).ConfigureAwait(false);
            await Run("batcher", () => BatcherAgainstDirect(subject, positions)).ConfigureAwait(false);
            progress?.Report(i + 1);
        }
        var checks = tallies.Select(kv => new CheckTally(kv.Key, kv.Value.Runs, kv.Value.Failures, kv.Value.First, kv.Value.Time)).ToList();
        return new StressReport(checks, checks[0].Runs, load, clock.Elapsed);
    }

    private string? ForwardBackward(Subject subject, List<Position> positions, int iteration)
    {
        var actions = positions.Select((p, k) =>
        {
            Span<int> legal = stackalloc int[MoveList.Capacity];
            Span<Move> moves = stackalloc Move[MoveList.Capacity];
            int count = ActionSpace.LegalActions(p, legal, moves);
            return (long)legal[(iteration + k) % count];
        }).ToArray();

        PoisonFreedMemory();
        using var scope = torch.NewDisposeScope();
        var input = Observations(subject.Encoder, positions);
        var mask = Masks(positions);
        var actionT = torch.tensor(actions);
        var (loss, grads) = LossAndGradients(subject.Model, input, mask, actionT);
        var (refLoss, refGrads) = LossAndGradients(subject.Reference, input.to(ScalarType.Float64), mask, actionT);
        string what = subject.Model.Config.Describe();
        if (!double.IsFinite(loss)) return $"{what}: loss {loss} (float64: {refLoss})";
        if (Math.Abs(loss - refLoss) > 1e-3 * Math.Max(1, Math.Abs(refLoss))) return $"{what}: loss {loss}, float64 gives {refLoss}";
        foreach (var (name, grad) in grads)
        {
            var reference = refGrads[name];
            double scale = Math.Max(reference.abs().max().item<double>(), 1e-6);
            double error = (grad.to(ScalarType.Float64) - reference).abs().max().item<double>();
            if (!double.IsFinite(error) || error > 1e-3 * scale)
                return $"{what}: gradient of {name} is off by {error:G3} (scale {scale:G3}; non-finite entries {grad.isfinite().logical_not().sum().item<long>()})";
        }
        return null;
    }

    private static (double Loss, Dictionary<string, Tensor> Gradients) LossAndGradients(PolicyValueModel model, Tensor input, Tensor mask, Tensor actions)
    {
        model.train();
        model.zero_grad();
        var (logits, value) = model.forward(input);
        var logp = PolicyValueModel.MaskedLogSoftmax(logits, mask);
        var entropy = -(logp.exp() * logp.masked_fill(mask.logical_not(), Scalars.Of(0.0))).sum(-1).mean();
        var loss = value.pow(Scalars.Of(2L)).mean().sub(logp.gather(1, actions.unsqueeze(1)).mean()).sub(entropy.mul(Scalars.Of(0.01)));
        loss.backward();
        model.eval();
        var grads = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.detach().clone());
        return (loss.to(ScalarType.Float64).item<double>(), grads);
    }

    private string? SaveLoad(Subject subject, List<Position> positions, int iteration)
    {
        string path = Path.Combine(_directory, $"stress-{iteration % 2}.ckpt");
        CheckpointFile.Save(path, subject.Model, new CheckpointInfo { Model = subject.Model.Config });
        PoisonFreedMemory();
        var loaded = CheckpointFile.Load(path);
        using var loadedModel = loaded.Model;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = Observations(subject.Encoder, positions);
        subject.Model.eval();
        var (logits, value) = subject.Model.forward(input);
        var (loadedLogits, loadedValue) = loadedModel.forward(input);
        string? logitProblem = Compare("logits", logits, loadedLogits, 1e-6);
        return logitProblem is null ? Compare("value", value, loadedValue, 1e-6) : logitProblem;
    }

    private async Task<string?> BatcherAgainstDirect(Subject subject, List<Position> positions)
    {
        PoisonFreedMemory();
        float[] probabilities, values;
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            subject.Model.eval();
            var (logits, value) = subject.Model.forward(Observations(subject.Encoder, positions));
            probabilities = PolicyValueModel.MaskedLogSoftmax(logits, Masks(positions)).exp().contiguous().data<float>().ToArray();
            values = value.contiguous().data<float>().ToArray();
        }
        // One batch of exactly these positions in this order: the same conditions as the direct pass.
        await using var batcher = new InferenceBatcher(subject.Model, new InferenceBatcherOptions { MaxBatch = positions.Count, MaxWait = TimeSpan.FromSeconds(5) });
        var pending = positions.Select(p => batcher.EvaluateAsync(p).AsTask()).ToList();
        var results = await Task.WhenAll(pending).ConfigureAwait(false);
        for (int k = 0; k < positions.Count; k++)
        {
            var r = results[k];
            if (Math.Abs(r.Value - values[k]) > 1e-5f) return $"{subject.Model.Config.Describe()}: value {r.Value}, direct {values[k]}";
            for (int m = 0; m < r.Moves.Length; m++)
            {
                float expected = probabilities[k * ActionSpace.Size + ActionSpace.IndexOf(r.Moves[m])];
                if (!(Math.Abs(r.Probabilities[m] - expected) <= 1e-5f))
                    return $"{subject.Model.Config.Describe()}: P({r.Moves[m].ToUsi()}) {r.Probabilities[m]}, direct {expected}";
            }
        }
        return null;
    }

    private static string? Compare(string what, Tensor actual, Tensor expected, double tolerance)
    {
        double scale = Math.Max(expected.abs().max().to(ScalarType.Float64).item<double>(), 1);
        double error = (actual - expected).abs().max().to(ScalarType.Float64).item<double>();
        return double.IsFinite(error) && error <= tolerance * scale ? null : $"{what} differ by {error:G3} (scale {scale:G3})";
    }

    /// <summary>
    /// Allocates and frees tensors full of NaN and −∞ over a range of sizes, so that memory handed out next holds them
    /// (as it does in training, where masked logits are −∞): a kernel that reads memory it has not written then goes wrong.
    /// </summary>
    public static void PoisonFreedMemory()
    {
        var junk = new List<Tensor>();
        for (long size = 64; size <= 1 << 18; size = size * 3 / 2 + 16)
            junk.Add(torch.full(size, Scalars.Of((size & 1) == 0 ? float.NaN : float.NegativeInfinity)));
        foreach (var t in junk) t.Dispose();
    }

    private static void CopyState(nn.Module source, nn.Module target)
    {
        var from = source.state_dict();
        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in target.state_dict()) tensor.copy_(from[name]);
    }

    private static Tensor Observations(ObservationEncoder encoder, IReadOnlyList<Position> positions)
    {
        var data = new float[positions.Count * encoder.Size];
        for (int i = 0; i < positions.Count; i++) encoder.Encode(positions[i], new EncodingContext(), data.AsSpan(i * encoder.Size, encoder.Size));
        return torch.tensor(data, [positions.Count, encoder.Channels, 9, 9]);
    }

    private static Tensor Masks(IReadOnlyList<Position> positions)
    {
        var data = new bool[positions.Count * ActionSpace.Size];
        for (int i = 0; i < positions.Count; i++) ActionSpace.LegalMask(positions[i], data.AsSpan(i * ActionSpace.Size, ActionSpace.Size));
        return torch.tensor(data, [positions.Count, ActionSpace.Size]);
    }

    /// <summary>Positions from seeded random playouts (uniform legal moves), each with a legal move.</summary>
    private static List<Position> RandomPositions(int seed, int count)
    {
        var random = new Random(seed);
        var result = new List<Position>();
        while (result.Count < count)
        {
            var position = Position.StartPosition();
            for (int ply = 0; ply < 150 && result.Count < count; ply++)
            {
                var list = new MoveList();
                position.GenerateLegalMoves(ref list);
                if (list.Count == 0) break;
                if (ply % 5 == 0) result.Add(position.Clone());
                position.DoMove(list[random.Next(list.Count)]);
            }
        }
        return result;
    }

    public void Dispose()
    {
        foreach (var s in _subjects)
        {
            s.Model.Dispose();
            s.Reference.Dispose();
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Busy threads that load the CPU (arithmetic and short-lived allocations, which also keep the GC busy) until disposed.</summary>
public sealed class CpuLoad : IDisposable
{
    private readonly Thread[] _threads;
    private volatile bool _stop;

    public CpuLoad(int threads)
    {
        _threads = Enumerable.Range(0, threads).Select(i => new Thread(Burn) { IsBackground = true, Name = $"keisei-load-{i}" }).ToArray();
        foreach (var t in _threads) t.Start();
    }

    private void Burn()
    {
        double x = 1;
        while (!_stop)
        {
            var garbage = new double[4096];
            for (int i = 0; i < garbage.Length; i++)
            {
                x = x * 1.000001 + 1e-9;
                garbage[i] = x;
            }
            if (garbage[^1] < 0) Console.Write(""); // keeps the loop from being optimised away
        }
    }

    public void Dispose()
    {
        _stop = true;
        foreach (var t in _threads) t.Join();
    }
}
