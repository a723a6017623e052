using Keisei.Neural.Inference;
using Keisei.Neural.Models;
using Keisei.Shogi;

namespace Keisei.Search.Tests;

public class PuctSearchTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private static Move M(string usi) => StubEvaluator.M(usi);

    private static Game GameOf(string sfen, params string[] moves)
    {
        var game = new Game(startSfen: sfen);
        foreach (var m in moves) Assert.True(game.Play(M(m)), m);
        return game;
    }

    private static Task<SearchResult> Search(PuctSearch search, Game game, int? playouts = null) =>
        search.SearchAsync(game, playouts).WaitAsync(Patience);

    [Fact]
    public async Task MateInOneIsPlayedEvenWhenThePriorAlmostIgnoresIt()
    {
        // G*1b mates (gold protected by the pawn on 1c); the prior gives it a millionth of the others' weight.
        var mate = M("G*1b");
        var evaluator = new StubEvaluator(weight: (_, m) => m == mate ? 1e-6f : 1);
        var search = new PuctSearch(evaluator, new SearchOptions { Playouts = 50 }, seed: 1);
        var result = await Search(search, GameOf("8k/9/8P/9/9/9/9/9/4K4 b G 1"));
        Assert.Equal(mate, result.Move);
        Assert.True(result.ProvenWin);
        Assert.Equal(1f, result.Value);
    }

    [Fact]
    public async Task SearchOverridesThePriorWhenTheValuesDisagree()
    {
        // At the root the prior puts 63 % on 2g2f; the stub values Black's pawn on 2f at -0.6 and on 7f at +0.9 for Black.
        var favourite = M("2g2f");
        var good = M("7g7f");
        int square7f = Squares.Parse("7f"), square2f = Squares.Parse("2f"), blackPawn = Pieces.Make(PieceType.Pawn, Color.Black);
        var evaluator = new StubEvaluator(
            weight: (p, m) => m == favourite && p.PliesPlayed == 0 ? 50 : 1,
            value: p =>
            {
                float forBlack = p.PieceOn(square7f) == blackPawn ? 0.9f : p.PieceOn(square2f) == blackPawn ? -0.6f : 0;
                return p.SideToMove == Color.Black ? forBlack : -forBlack;
            });
        var search = new PuctSearch(evaluator, new SearchOptions { Playouts = 1000 }, seed: 1);
        var result = await Search(search, new Game());
        Assert.Equal(good, result.Move);
        Assert.True(result.Value > 0.5f, $"value {result.Value}");
        Assert.Equal(good, result.PrincipalVariation[0]);
        Assert.True(result.RootMoves.Single(m => m.Move == favourite).Q < 0);
    }

    [Fact]
    public async Task PolicyOnlyGreedyPriorIsFollowedWhenValuesAgree()
    {
        var favourite = M("2g2f");
        var evaluator = new StubEvaluator(weight: (_, m) => m == favourite ? 50 : 1);
        var result = await Search(new PuctSearch(evaluator, new SearchOptions { Playouts = 100 }, seed: 3), new Game());
        Assert.Equal(favourite, result.Move);
    }

    [Fact]
    public async Task VisitCountsAddUpToThePlayouts()
    {
        var evaluator = new StubEvaluator(value: p => (p.Hash % 7 - 3) / 10f);
        // Without repetition draws, no position within reach is terminal: every playout is one evaluation.
        var search = new PuctSearch(evaluator, new SearchOptions { Playouts = 200, Batch = 8, RepetitionIsDraw = false }, seed: 5);
        var result = await Search(search, new Game());
        Assert.Equal(200, result.Playouts);
        Assert.Equal(201, result.RootVisits); // the root's own evaluation
        Assert.Equal(200, result.RootMoves.Sum(m => m.Visits));
        Assert.Equal(201, evaluator.Calls);
        Assert.Equal(result.RootMoves.Max(m => m.Visits), result.RootMoves.Single(m => m.Move == result.Move).Visits);
        Assert.InRange(result.MaxDepth, 1, 200);
        Assert.True(result.Nodes > 30, $"nodes {result.Nodes}");
    }

    [Fact]
    public async Task TreeReuseKeepsTheSubtreeOfThePlayedMove()
    {
        var evaluator = new StubEvaluator(value: p => (p.Hash % 5 - 2) / 10f);
        var search = new PuctSearch(evaluator, new SearchOptions { Playouts = 300 }, seed: 7);
        var game = new Game();
        var first = await Search(search, game);
        int kept = first.RootMoves.Single(m => m.Move == first.Move).Visits;
        Assert.True(kept > 1);
        int nodesBefore = first.Nodes;
        game.PlayLegal(first.Move);

        var again = await Search(search, game, playouts: 0);
        Assert.Equal(kept, again.RootVisits);
        Assert.Equal(kept - 1, again.RootMoves.Sum(m => m.Visits));
        Assert.InRange(again.Nodes, 2, nodesBefore - 1);
        int calls = evaluator.Calls;

        var more = await Search(search, game, playouts: 10);
        Assert.Equal(kept + 10, more.RootVisits);
        Assert.Equal(calls + 10, evaluator.Calls);

        // Another line from the start is a different game: a new tree.
        var other = GameOf(Position.StartSfen, "2g2f");
        var fresh = await Search(search, other, playouts: 0);
        Assert.Equal(1, fresh.RootVisits);
    }

    [Fact]
    public async Task WithoutReuseEverySearchStartsFresh()
    {
        var search = new PuctSearch(new StubEvaluator(), new SearchOptions { Playouts = 50, ReuseTree = false }, seed: 7);
        var game = new Game();
        var first = await Search(search, game);
        game.PlayLegal(first.Move);
        var again = await Search(search, game, playouts: 0);
        Assert.Equal(1, again.RootVisits);
    }

    [Fact]
    public async Task NodeBudgetBoundsTheTreeAndEndsTheSearch()
    {
        var search = new PuctSearch(new StubEvaluator(), new SearchOptions { Playouts = 1000, NodeBudget = 60, Batch = 4 }, seed: 2);
        var game = new Game();
        var result = await Search(search, game);
        Assert.InRange(result.Nodes, 2, 60);
        Assert.True(result.Playouts < 1000, $"playouts {result.Playouts}");
        Assert.Equal(result.Nodes, search.Nodes);

        // A kept subtree counts against the budget too; a full one is dropped so the next move can still be searched.
        game.PlayLegal(result.Move);
        var next = await Search(search, game);
        Assert.InRange(next.Nodes, 2, 60);
    }

    // Start position, both kings stepping out and back: the start position has occurred three times at this point.
    private static readonly string[] ThreeTimes =
        ["5i4h", "5a4b", "4h5i", "4b5a", "5i4h", "5a4b", "4h5i", "4b5a", "5i4h", "5a4b", "4h5i"];

    [Theory]
    [InlineData(0.5f, false)] // every other line is worth +0.5 to White: the draw is avoided
    [InlineData(-0.5f, true)] // every other line is worth -0.5 to White: the draw (exactly 0) is taken
    public async Task SennichiteIsScoredAsAnExactDraw(float whiteValue, bool drawChosen)
    {
        var game = GameOf(Position.StartSfen, ThreeTimes);
        var draw = M("4b5a");
        var search = new PuctSearch(new StubEvaluator(value: p => p.SideToMove == Color.White ? whiteValue : -whiteValue),
            new SearchOptions { Playouts = 400 }, seed: 4);
        var result = await Search(search, game);
        var drawMove = result.RootMoves.Single(m => m.Move == draw);
        Assert.True(drawMove.Visits > 0);
        Assert.Equal(0f, drawMove.Q);
        Assert.Equal(drawChosen, result.Move == draw);
        Assert.False(game.IsOver); // the caller's game is untouched
        Assert.Equal(ThreeTimes.Length, game.Plies);
    }

    [Theory]
    [InlineData(0.0, -0.2f, true)] // a draw is even: better than the other lines' -0.2
    [InlineData(-0.5, -0.2f, false)] // contempt: the draw is worth -0.5 to the searching side, so -0.2 is better
    [InlineData(0.6, 0.5f, true)] // a draw valued above the other lines' +0.5 is sought
    public async Task TheDrawValueIsTheSearchingSidesValueOfADraw(double drawValue, float whiteValue, bool drawChosen)
    {
        var game = GameOf(Position.StartSfen, ThreeTimes);
        var draw = M("4b5a");
        var search = new PuctSearch(new StubEvaluator(value: p => p.SideToMove == Color.White ? whiteValue : -whiteValue),
            new SearchOptions { Playouts = 400, DrawValue = drawValue }, seed: 4);
        var result = await Search(search, game);
        var drawMove = result.RootMoves.Single(m => m.Move == draw);
        Assert.True(drawMove.Visits > 0);
        Assert.Equal((float)drawValue, drawMove.Q);
        Assert.Equal(drawChosen, result.Move == draw);
    }

    [Fact]
    public async Task TheDrawValueHoldsForTheSearchingSideWhoeverIsToMoveAtTheDraw()
    {
        // Black searches; every move reaches the ply limit with White to move, and the draw is still -0.3 for Black.
        var game = new Game(new GameRules { MaxPlies = 1 });
        var search = new PuctSearch(new StubEvaluator(), new SearchOptions { Playouts = 50, DrawValue = -0.3 }, seed: 1);
        var result = await Search(search, game);
        Assert.Equal(-0.3f, result.Value, 1e-6f);
        Assert.All(result.RootMoves.Where(m => m.Visits > 0), m => Assert.Equal(-0.3f, m.Q, 1e-6f));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ARepetitionInsideTheTreeIsADrawWhenAsked(bool repetitionIsDraw)
    {
        // White's 4b5a brings back the start position (its second occurrence); every other line is worth +0.5 to White.
        var game = GameOf(Position.StartSfen, "5i4h", "5a4b", "4h5i");
        var back = M("4b5a");
        var search = new PuctSearch(new StubEvaluator(value: p => p.SideToMove == Color.White ? 0.5f : -0.5f),
            new SearchOptions { Playouts = 400, RepetitionIsDraw = repetitionIsDraw }, seed: 4);
        var result = await Search(search, game);
        var repeat = result.RootMoves.Single(m => m.Move == back);
        Assert.True(repeat.Visits > 0);
        if (repetitionIsDraw) Assert.Equal(0f, repeat.Q);
        else Assert.InRange(repeat.Q, 0.3f, 0.5f); // valued by the stub (deeper lines may end otherwise)
    }

    [Fact]
    public async Task AMoveIntoPerpetualCheckIsScoredAsALoss()
    {
        // White's rook checks from 5h and 4h while Black's king steps 5i-4i-5i. The fourth occurrence with every White
        // move a check loses for White; the stub says White is losing anyway (-0.9), the perpetual check is -1 exactly.
        var game = GameOf("4k4/9/9/9/9/9/9/4r4/4K4 b - 1");
        string[] cycle = ["5i4i", "5h4h", "4i5i", "4h5h"];
        foreach (var m in cycle.Concat(cycle).Concat(cycle[..3])) Assert.True(game.Play(M(m)), m);
        Assert.False(game.IsOver);
        var search = new PuctSearch(new StubEvaluator(value: p => p.SideToMove == Color.White ? -0.9f : 0.9f),
            new SearchOptions { Playouts = 200 }, seed: 4);
        var result = await Search(search, game);
        var perpetual = result.RootMoves.Single(m => m.Move == M("4h5h"));
        Assert.True(perpetual.Visits > 0);
        Assert.Equal(-1f, perpetual.Q);
        Assert.NotEqual(M("4h5h"), result.Move);
    }

    [Fact]
    public async Task EnteringKingDeclarationIsReportedAtTheRoot()
    {
        var search = new PuctSearch(new StubEvaluator(), new SearchOptions(), seed: 1);
        var result = await Search(search, GameOf("RBGGSS3/4K4/NNLL5/9/9/9/9/9/8k b 10P 1"));
        Assert.True(result.DeclareWin);
        Assert.True(result.ProvenWin);
        Assert.Equal(Move.None, result.Move);
    }

    [Fact]
    public async Task ALostGameIsNotSearched()
    {
        var game = GameOf("8k/9/8P/9/9/9/9/9/4K4 b G 1", "G*1b");
        var search = new PuctSearch(new StubEvaluator(), new SearchOptions(), seed: 1);
        await Assert.ThrowsAsync<InvalidOperationException>(() => search.SearchAsync(game));
    }

    [Fact]
    public async Task StopEndsTheSearchWithABestMove()
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var search = new PuctSearch(new StubEvaluator(), new SearchOptions { Playouts = 10_000 }, seed: 1);
        var result = await search.SearchAsync(new Game(), stop: stop.Token).WaitAsync(Patience);
        Assert.Equal(0, result.Playouts);
        Assert.True(new Game().Position.IsLegal(result.Move));
    }

    [Fact]
    public async Task TemperatureSamplesAmongVisitedMovesAndIsSeeded()
    {
        var options = new SearchOptions { Playouts = 100, Temperature = 1, DirichletFraction = 0.25 };
        var a = await Search(new PuctSearch(new StubEvaluator(), options, seed: 9), new Game());
        var b = await Search(new PuctSearch(new StubEvaluator(), options, seed: 9), new Game());
        Assert.Equal(a.Move, b.Move);
        Assert.Equal(a.RootMoves, b.RootMoves);
        Assert.True(a.RootMoves.Single(m => m.Move == a.Move).Visits > 0);
        var moves = new HashSet<Move>();
        for (int seed = 0; seed < 20; seed++)
            moves.Add((await Search(new PuctSearch(new StubEvaluator(), options, seed), new Game())).Move);
        Assert.True(moves.Count > 1, "a temperature of 1 over uniform priors should not always pick one move");
    }

    [Fact]
    public async Task ManySearchesShareForwardPassesThroughOneBatcher()
    {
        using var model = PolicyValueModel.Create(ModelConfig.QuickDefault with { Channels = 16, Layers = 1 }, seed: 3);
        await using var batcher = new InferenceBatcher(model, new InferenceBatcherOptions { MaxBatch = 64, MaxWait = TimeSpan.FromMilliseconds(50) });
        var evaluator = new BatcherLeafEvaluator(batcher);
        var options = new SearchOptions { Playouts = 48, Batch = 8 };
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => new PuctSearch(evaluator, options, i).SearchAsync(new Game())))
            .WaitAsync(Patience);
        Assert.All(results, r => Assert.Equal(48, r.Playouts));
        Assert.True(batcher.Positions >= 4 * 49 - 4 * 48 / 8, $"positions {batcher.Positions}");
        // 8 leaves per search go out together and four searches share the batcher: far fewer passes than positions.
        Assert.True(batcher.Batches * 4 <= batcher.Positions, $"{batcher.Batches} passes for {batcher.Positions} positions");
    }

    [Fact]
    public async Task ProgressSeesEveryBatchAndEndsTheSearchWhenItSaysSo()
    {
        var search = new PuctSearch(new StubEvaluator(), new SearchOptions { Playouts = 400, Batch = 4 }, seed: 1);
        var seen = new List<int>();
        var result = await search.SearchAsync(new Game(), progress: r =>
        {
            seen.Add(r.Playouts);
            return r.Playouts >= 20;
        }).WaitAsync(Patience);
        Assert.Equal([0, 4, 8, 12, 16, 20], seen);
        Assert.Equal(20, result.Playouts);
        Assert.Equal(result.RootMoves.Sum(m => m.Visits), result.RootVisits - 1);
        var atOnce = await search.SearchAsync(new Game(), progress: r => true).WaitAsync(Patience);
        Assert.Equal(0, atOnce.Playouts);
        Assert.Equal(result.Move, atOnce.Move); // the kept tree's most visited move
    }

    [Fact]
    public async Task ATreeOfOnlyTerminalLinesStillHearsStopAndProgress()
    {
        // Every move from here reaches the ply limit: each playout is an exact draw and no leaf ever goes to the network.
        var game = new Game(new GameRules { MaxPlies = 1 });
        var evaluator = new StubEvaluator();
        var search = new PuctSearch(evaluator, new SearchOptions { Batch = 4 }, seed: 1);
        var result = await search.SearchAsync(game, int.MaxValue, progress: r => r.Playouts >= 1000).WaitAsync(Patience);
        Assert.InRange(result.Playouts, 1000, 1003);
        Assert.Equal(1, evaluator.Calls);
        Assert.Equal(0f, result.Value);
        using var stop = new CancellationTokenSource();
        var stopped = await search.SearchAsync(game, int.MaxValue, stop.Token, progress: r =>
        {
            if (r.Playouts >= 500) stop.Cancel();
            return false;
        }).WaitAsync(Patience);
        Assert.InRange(stopped.Playouts, 500, 503);
    }

    [Fact]
    public async Task LineFollowsTheMostVisitedRepliesOfAnyRootMove()
    {
        var search = new PuctSearch(new StubEvaluator(), new SearchOptions { Playouts = 300 }, seed: 1);
        var result = await Search(search, new Game());
        Assert.Equal(result.PrincipalVariation, search.Line(result.Move));
        var second = result.RootMoves.Where(m => m.Move != result.Move).MaxBy(m => m.Visits);
        var line = search.Line(second.Move);
        Assert.Equal(second.Move, line[0]);
        Assert.True(line.Count > 1, "a root move visited several times has a reply in the tree");
        var position = Position.StartPosition();
        foreach (var move in line)
        {
            Assert.True(position.IsLegal(move), $"{move} in {position.ToSfen()}");
            position.DoMove(move);
        }
        Assert.Equal([M("1g1f")], new PuctSearch(new StubEvaluator(), new SearchOptions(), 1).Line(M("1g1f")));
    }

    [Fact]
    public void OptionsParseTheKeyValueListAndNameTheWrongKey()
    {
        var options = SearchOptions.Parse("playouts=200, cpuct=2.5,nodes=5000");
        Assert.Equal(200, options.Playouts);
        Assert.Equal(2.5, options.CpuctInit);
        Assert.Equal(5000, options.NodeBudget);
        Assert.Equal(options, SearchOptions.Parse(options.Describe()));
        Assert.DoesNotContain("draw", options.Describe()); // settings described before the draw value existed keep their identity
        var contempt = SearchOptions.Parse("draw=-0.25");
        Assert.Equal(-0.25, contempt.DrawValue);
        Assert.EndsWith(",draw=-0.25", contempt.Describe());
        Assert.Equal(contempt, SearchOptions.Parse(contempt.Describe()));
        Assert.Contains("'draw'", Assert.Throws<FormatException>(() => SearchOptions.Parse("draw=-1.5")).Message);
        Assert.Contains("'depth'", Assert.Throws<FormatException>(() => SearchOptions.Parse("depth=3")).Message);
        Assert.Contains("'playouts'", Assert.Throws<FormatException>(() => SearchOptions.Parse("playouts=0")).Message);
        Assert.Contains("'cpuct'", Assert.Throws<FormatException>(() => SearchOptions.Parse("cpuct=NaN")).Message);
        Assert.Contains("twice", Assert.Throws<FormatException>(() => SearchOptions.Parse("batch=2,batch=3")).Message);
        Assert.Contains("key=value", Assert.Throws<FormatException>(() => SearchOptions.Parse("200")).Message);
    }
}
