using System.Diagnostics;
using Keisei.Neural;
using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Neural.Models;
using Keisei.Shogi;
using TorchSharp;

namespace Keisei.Search;

/// <summary>
/// Search speed next to the network's raw speed at the same batch size (<c>keisei bench search</c> and the
/// BenchmarkDotNet benchmark): <see cref="ForwardPositionsPerSecond"/> runs the model on one encoded batch of
/// <see cref="Batch"/> positions (output copied back, so a GPU finishes); <see cref="SearchPlayoutsPerSecond"/> counts the
/// playouts of <see cref="Games"/> searches that share one batcher of that batch size.
/// </summary>
/// <param name="LeavesPerSecond">Positions the searches sent to the network per second (playouts that reached a terminal or
/// proven-won node need none).</param>
public sealed record SearchThroughput(int Batch, int Games, double ForwardPositionsPerSecond, double SearchPlayoutsPerSecond, long Playouts,
    double MeanBatch, double LeavesPerSecond)
{
    /// <summary>Search playouts per second over raw forward positions per second.</summary>
    public double Ratio => SearchPlayoutsPerSecond / ForwardPositionsPerSecond;

    /// <summary>Distinct positions of seeded random games (0 to <paramref name="maxPlies"/> − 1 plies), to start searches and fill batches from.</summary>
    public static Game[] Openings(int count, int seed, int maxPlies = 60)
    {
        var random = new Random(seed);
        var games = new Game[count];
        for (int i = 0; i < count; i++)
        {
            var game = new Game();
            int plies = random.Next(0, maxPlies);
            var list = new MoveList();
            for (int ply = 0; ply < plies; ply++)
            {
                list.Clear();
                game.Position.GenerateLegalMoves(ref list);
                var move = list[random.Next(list.Count)];
                game.PlayLegal(move);
                if (!game.IsOver) continue;
                game.Undo(); // start searches from ongoing games only
                break;
            }
            games[i] = game;
        }
        return games;
    }

    /// <summary>Forward passes of one batch for <paramref name="duration"/> (after one warm-up pass): positions per second.</summary>
    public static double MeasureForward(PolicyValueModel model, torch.Device device, int batch, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var encoder = ObservationEncoder.ByName(model.Config.Observation);
        var input = new float[batch * encoder.Size];
        var games = Openings(batch, seed: 7, maxPlies: 8);
        for (int i = 0; i < batch; i++) encoder.Encode(games[i].Position, new EncodingContext(), input.AsSpan(i * encoder.Size, encoder.Size));
        var policy = new float[batch * model.HeadPolicySize];
        var values = new float[batch];
        model.eval();
        void Pass()
        {
            // As the batcher does it: the input tensor made from the encoded floats inside the pass.
            using var scope = torch.NewDisposeScope();
            using var mode = torch.inference_mode();
            var (p, v) = model.ForwardHeads(TensorData.FromFloats(input, batch, encoder.Channels, 9, 9).to(device));
            TensorData.CopyTo(p, policy);
            TensorData.CopyTo(v, values);
        }
        // Warm-up as long as the measurement: the first passes of a process ran many times slower here (allocator and
        // oneDNN caches filling), which would flatter the search measured after them.
        var warm = Stopwatch.StartNew();
        do Pass(); while (warm.Elapsed < duration && !cancellationToken.IsCancellationRequested);
        long passes = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
        {
            Pass();
            passes++;
        }
        return passes * batch / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// <paramref name="games"/> searches side by side for <paramref name="duration"/>, each sending
    /// <c>batch / games</c> leaves at a time to one batcher of <paramref name="batch"/>; each plays its chosen move after
    /// <see cref="SearchOptions.Playouts"/> playouts (a new game when one ends). The games start from the opening (up
    /// to 8 random plies), where positions look like real play rather than random ones full of mates in one.
    /// </summary>
    public static async Task<(double PlayoutsPerSecond, long Playouts, double MeanBatch, double LeavesPerSecond)> MeasureSearchAsync(PolicyValueModel model, torch.Device device,
        int batch, int games, SearchOptions options, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        await using var batcher = new InferenceBatcher(model, new InferenceBatcherOptions { MaxBatch = batch, Device = device });
        var evaluator = new BatcherLeafEvaluator(batcher);
        var perGame = options with { Batch = Math.Max(1, batch / games) };
        var starts = Openings(games, seed: 11, maxPlies: 8);
        // One warm-up search so that the first forward pass is not timed.
        await new PuctSearch(evaluator, perGame, seed: 0).SearchAsync(starts[0], playouts: perGame.Batch, cancellationToken: cancellationToken).ConfigureAwait(false);
        long playouts = 0, batchesBefore = batcher.Batches, positionsBefore = batcher.Positions;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        stop.CancelAfter(duration);
        async Task Play(int index)
        {
            var search = new PuctSearch(evaluator, perGame, seed: index);
            var game = new Game(starts[index].Rules, starts[index].StartSfen);
            foreach (var move in starts[index].Moves) game.PlayLegal(move);
            while (!stop.IsCancellationRequested)
            {
                var result = await search.SearchAsync(game, stop: stop.Token, cancellationToken: cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref playouts, result.Playouts);
                if (result.DeclareWin || !game.Play(result.Move) || game.IsOver || game.Plies >= 300)
                {
                    game = new Game();
                    search.Clear();
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, games).Select(i => Task.Run(() => Play(i), cancellationToken))).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        long passes = batcher.Batches - batchesBefore, positions = batcher.Positions - positionsBefore;
        return (playouts / seconds, playouts, passes > 0 ? (double)positions / passes : 0, positions / seconds);
    }

    /// <summary>Both measurements, search then forward, each for <paramref name="duration"/> (the forward after as long a warm-up).</summary>
    public static async Task<SearchThroughput> MeasureAsync(PolicyValueModel model, torch.Device device, int batch, int games, SearchOptions options,
        TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var (perSecond, playouts, meanBatch, leaves) = await MeasureSearchAsync(model, device, batch, games, options, duration, cancellationToken).ConfigureAwait(false);
        // Search first: in this order the forward pass measured its best (run first in a fresh process, its passes were many
        // times slower for seconds on the CPU machine), so the ratio does not flatter the search. On a pool thread, as the
        // batcher's worker runs.
        double forward = await Task.Run(() => MeasureForward(model, device, batch, duration, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new SearchThroughput(batch, games, forward, perSecond, playouts, meanBatch, leaves);
    }
}
