using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Neural.Models;
using Keisei.Shogi;
using TorchSharp;
using static Keisei.Neural.Tests.ModelTests;
using static Keisei.Neural.Tests.TestSupport;

namespace Keisei.Neural.Tests;

[Collection(TorchCollection.Name)]
public class InferenceBatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static List<Position> Positions(int count, int seed) =>
        RandomPositions(seed, games: 8, maxPlies: 160, stride: 3).Where(p => p.HasLegalMove()).Take(count).ToList();

    /// <summary>Direct forward pass in eval mode plus masked softmax, read at the legal moves in generator order.</summary>
    private static List<(Move[] Moves, float[] Probabilities, float Value)> Direct(
        PolicyValueModel model, IReadOnlyList<Position> positions, EncodingContext context)
    {
        using var scope = torch.NewDisposeScope();
        model.eval();
        var encoder = ObservationEncoder.ByName(model.Config.Observation);
        var data = new float[positions.Count * encoder.Size];
        for (int i = 0; i < positions.Count; i++) encoder.Encode(positions[i], context, data.AsSpan(i * encoder.Size, encoder.Size));
        var input = torch.tensor(data, [positions.Count, encoder.Channels, 9, 9]);
        using var _ = torch.no_grad();
        var (logits, value) = model.forward(input);
        var p = PolicyValueModel.MaskedLogSoftmax(logits, Masks(positions)).exp().data<float>().ToArray();
        var v = value.data<float>().ToArray();
        var result = new List<(Move[], float[], float)>();
        for (int i = 0; i < positions.Count; i++)
        {
            var moves = LegalMoves(positions[i]);
            result.Add((moves, moves.Select(m => p[i * ActionSpace.Size + ActionSpace.IndexOf(m)]).ToArray(), v[i]));
        }
        return result;
    }

    private static void AssertMatches((Move[] Moves, float[] Probabilities, float Value) expected, PolicyValue actual)
    {
        Assert.Equal(expected.Moves, actual.Moves);
        Assert.Equal(expected.Moves.Length, actual.Probabilities.Length);
        for (int i = 0; i < expected.Moves.Length; i++)
            if (Math.Abs(expected.Probabilities[i] - actual.Probabilities[i]) > 1e-5f)
                Assert.Fail($"{expected.Moves[i]}: expected {expected.Probabilities[i]}, found {actual.Probabilities[i]}");
        Assert.Equal(expected.Value, actual.Value, 1e-5f);
    }

    private static void AssertIsADistribution(Position position, PolicyValue result)
    {
        var legal = LegalMoves(position);
        Assert.Equal(legal.Length, result.Moves.Length);
        Assert.Equal(legal.ToHashSet(), result.Moves.ToHashSet());
        Assert.All(result.Probabilities, p => Assert.True(p >= 0 && p <= 1));
        Assert.Equal(1.0, result.Probabilities.Sum(p => (double)p), 1e-5);
        Assert.InRange(result.Value, -1f, 1f);
    }

    [Theory]
    [MemberData(nameof(Architectures), MemberType = typeof(ModelTests))]
    public async Task ResultsEqualADirectForwardPass(string architecture, string observation, string head)
    {
        using var model = PolicyValueModel.Create(Tiny(architecture, observation, head), seed: 17);
        var positions = Positions(24, seed: 40);
        positions.Add(Position.StartPosition());
        var context = new EncodingContext(MaxMovesPerGame: 300, RepetitionCount: 2);
        var other = new EncodingContext(MaxMovesPerGame: 100, RepetitionCount: 3);
        var expected = Direct(model, positions, context);
        var expectedOther = Direct(model, positions, other);

        await using var batcher = new InferenceBatcher(model, new InferenceBatcherOptions { Context = context, MaxBatch = 8 });
        var results = await Task.WhenAll(positions.Select(p => batcher.EvaluateAsync(p).AsTask())).WaitAsync(Patience);
        for (int i = 0; i < positions.Count; i++)
        {
            AssertMatches(expected[i], results[i]);
            AssertIsADistribution(positions[i], results[i]);
        }
        // The per-call context overrides the options' one.
        for (int i = 0; i < 3; i++) AssertMatches(expectedOther[i], await batcher.EvaluateAsync(positions[i], other).AsTask().WaitAsync(Patience));
        Assert.Equal(positions.Count + 3, batcher.Positions);
    }

    [Fact]
    public async Task SixtyFourConcurrentCallersAreBatched()
    {
        using var model = PolicyValueModel.Create(TinyResNet, seed: 18);
        var positions = Positions(64, seed: 41);
        Assert.Equal(64, positions.Count);
        var expected = Direct(model, positions, new EncodingContext());

        await using var batcher = new InferenceBatcher(model, new InferenceBatcherOptions { MaxWait = TimeSpan.FromMilliseconds(20) });
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = positions.Select(p => Task.Run(async () =>
        {
            await start.Task;
            return await batcher.EvaluateAsync(p);
        })).ToArray();
        start.SetResult();
        var results = await Task.WhenAll(callers).WaitAsync(Patience);

        // Each caller gets its own position's answer (no rows mixed up within a batch).
        for (int i = 0; i < positions.Count; i++) AssertMatches(expected[i], results[i]);
        Assert.Equal(64, batcher.Positions);
        Assert.InRange(batcher.Batches, 1, 63);
    }

    [Fact]
    public async Task MaxBatchIsRespected()
    {
        using var model = PolicyValueModel.Create(TinyQuick, seed: 19);
        var positions = Positions(20, seed: 42);
        await using var batcher = new InferenceBatcher(model, new InferenceBatcherOptions { MaxBatch = 4, MaxWait = TimeSpan.FromMilliseconds(20) });
        await Task.WhenAll(positions.Select(p => batcher.EvaluateAsync(p).AsTask())).WaitAsync(Patience);
        Assert.Equal(20, batcher.Positions);
        Assert.True(batcher.Batches >= 5, $"{batcher.Batches} batches for 20 positions of at most 4");
    }

    [Fact]
    public async Task CancellingAWaitingCallerDoesNotDisturbTheOthers()
    {
        using var model = PolicyValueModel.Create(TinyQuick, seed: 20);
        var positions = Positions(3, seed: 43);
        var expected = Direct(model, positions, new EncodingContext());
        // A long gathering window keeps the first batch open while the caller is cancelled.
        await using var batcher = new InferenceBatcher(model, new InferenceBatcherOptions { MaxWait = TimeSpan.FromMilliseconds(300) });

        using var cts = new CancellationTokenSource();
        var cancelled = batcher.EvaluateAsync(positions[0], cts.Token).AsTask();
        var kept = batcher.EvaluateAsync(positions[1]).AsTask();
        cts.Cancel();
        Assert.True(cancelled.IsCanceled); // at once, not when the batch runs
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        AssertMatches(expected[1], await kept.WaitAsync(Patience));

        // A token cancelled beforehand, and then a normal call again.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await batcher.EvaluateAsync(positions[2], cts.Token));
        AssertMatches(expected[2], await batcher.EvaluateAsync(positions[2]).AsTask().WaitAsync(Patience));
        AssertMatches(expected[0], await batcher.EvaluateAsync(positions[0], CancellationToken.None).AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task DisposeCompletesAndLaterCallsThrow()
    {
        using var model = PolicyValueModel.Create(TinyQuick, seed: 21);
        var batcher = new InferenceBatcher(model);
        var position = Position.StartPosition();
        AssertIsADistribution(position, await batcher.EvaluateAsync(position).AsTask().WaitAsync(Patience));

        await batcher.DisposeAsync().AsTask().WaitAsync(Patience);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await batcher.EvaluateAsync(position));
        await batcher.DisposeAsync().AsTask().WaitAsync(Patience); // twice is fine
    }

    [Fact]
    public async Task DisposeWhileACallerWaitsEndsThatCall()
    {
        using var model = PolicyValueModel.Create(TinyQuick, seed: 22);
        var batcher = new InferenceBatcher(model, new InferenceBatcherOptions { MaxWait = TimeSpan.FromSeconds(5) });
        var pending = batcher.EvaluateAsync(Position.StartPosition()).AsTask();
        await batcher.DisposeAsync().AsTask().WaitAsync(Patience);
        // Either answered or cancelled, but not left hanging.
        var finished = await Task.WhenAny(pending, Task.Delay(Patience));
        Assert.Same(pending, finished);
        Assert.True(pending.IsCompletedSuccessfully || pending.IsCanceled, $"status {pending.Status}");
    }

    [Fact]
    public async Task APositionWithoutLegalMovesIsRejected()
    {
        using var model = PolicyValueModel.Create(TinyQuick, seed: 23);
        await using var batcher = new InferenceBatcher(model);
        var stuck = Position.FromSfen("+R+N+SGKG+S+N+R/+B+N+SG+LG+S+N+B/P+LPP+LPP+LP/1P2P2P1/9/9/9/9/4k4 b 9P 200");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await batcher.EvaluateAsync(stuck));
        Assert.Contains("no legal move", e.Message);
        AssertIsADistribution(Position.StartPosition(), await batcher.EvaluateAsync(Position.StartPosition()).AsTask().WaitAsync(Patience));
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        using var model = PolicyValueModel.Create(TinyQuick, seed: 24);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceBatcher(model, new InferenceBatcherOptions { MaxBatch = 0 }));
    }

    [Fact]
    public void SoftmaxOverTheLegalMovesLogits()
    {
        var p = new float[3];
        PolicyMath.Softmax([MathF.Log(3), MathF.Log(1), 1000f], p);
        Assert.Equal(0f, p[0], 1e-6f);
        Assert.Equal(1f, p[2], 1e-6f);
        PolicyMath.Softmax([MathF.Log(3) + 500f, MathF.Log(1) + 500f], p); // large logits do not overflow
        Assert.Equal(0.75f, p[0], 1e-4f);
        Assert.Equal(0.25f, p[1], 1e-4f);
    }

    [Theory]
    [InlineData(ModelConfig.ConvHead)]
    [InlineData(ModelConfig.LinearHead)]
    public void LegalLogitsAreTheFullLogitsAtTheLegalActions(string head)
    {
        using var scope = torch.NewDisposeScope();
        using var model = PolicyValueModel.Create(TinyQuick with { PolicyHead = head }, seed: 8);
        var positions = Positions(12, seed: 41);
        var input = Observations(Core46Encoder.Instance, positions);
        using var noGrad = torch.no_grad();
        var full = model.forward(input).Logits.data<float>().ToArray();
        var heads = model.ForwardHeads(input).Policy.data<float>().ToArray();
        int size = model.HeadPolicySize;
        foreach (var (position, p) in positions.Select((x, i) => (x, i)))
        {
            var legal = LegalMoves(position).Select(ActionSpace.IndexOf).ToArray();
            var logits = new float[legal.Length];
            model.LegalLogits(heads.AsSpan(p * size, size), legal, position.SideToMove, logits);
            for (int k = 0; k < legal.Length; k++) Assert.Equal(full[p * ActionSpace.Size + legal[k]], logits[k]);
        }
    }
}
