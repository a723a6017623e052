using Keisei.Shogi;

namespace Keisei.Search.Tests;

/// <summary>
/// Hand-made tsume positions. Each mating line is checked move by move against the rules (every attacker move a check,
/// the last position checkmate) and its length against a search limited to two plies fewer, which must find nothing.
/// </summary>
public class MateSearchTests
{
    /// <summary>
    /// 1: G*5b, protected by the pawn on 5c, covers every square of the king on 5a. 3: G*2c (protected by the pawn on 2d)
    /// leaves the king only 3a (the knight and lance block 2a and 1a), then G*3b, protected by the gold on 2c. 5: B*8h checks
    /// along the long diagonal, R*2b (protected by the bishop) drives the king back to 1a (1c loses as fast, to G*2d), G*2a
    /// (protected by the rook) mates.
    /// </summary>
    [Theory]
    [InlineData("4k4/9/4P4/9/9/9/9/9/4K4 b G 1", 1, "G*5b")]
    [InlineData("7nl/7k1/9/7P1/9/9/9/9/K8 b 2G 1", 3, "G*2c 2b3a G*3b")]
    [InlineData("8k/9/9/9/9/9/9/9/K8 b RBG 1", 5, "B*8h 1a1b R*2b 1b1a G*2a")]
    [InlineData("8k/9/6NG1/9/9/9/9/9/K8 b G 1", 1, "G*1b")]
    public void FindsTheShortestMateAndALineThatMates(string sfen, int plies, string line)
    {
        var position = Position.FromSfen(sfen);
        var result = MateSearch.Find(position);

        Assert.Equal(MateStatus.Mate, result.Status);
        Assert.Equal(plies, result.Plies);
        Assert.Equal(line, string.Join(' ', result.Moves.Select(m => m.ToUsi())));
        Assert.Equal(sfen, position.ToSfen()); // left as found

        var game = new Game(startSfen: sfen);
        for (int i = 0; i < result.Moves.Count; i++)
        {
            Assert.True(game.Play(result.Moves[i]), $"{result.Moves[i].ToUsi()} is not legal in {game.Position.ToSfen()}");
            if (i % 2 == 0) Assert.True(game.Position.InCheck, $"{result.Moves[i].ToUsi()} is not a check");
        }
        Assert.Equal(TerminationReason.Checkmate, game.Termination);

        if (plies > 1) Assert.Equal(MateStatus.NoMate, MateSearch.Find(position, new MateSearchOptions { MaxPlies = plies - 2 }).Status);
    }

    [Fact]
    public void AMateOnlyByAPawnDropIsNoMate()
    {
        // P*1b would mate (the gold on 2c guards 1b and 2b, the knight on 3c guards 2a), but mating by a pawn drop is illegal.
        const string sfen = "8k/9/6NG1/9/9/9/9/9/K8 b P 1";
        var position = Position.FromSfen(sfen);
        var drop = UsiNotation.TryParseSyntax("P*1b")!.Value;
        Assert.False(position.IsLegal(drop));
        var rulesIgnored = position.Clone();
        rulesIgnored.DoMove(drop);
        var replies = new MoveList();
        rulesIgnored.GenerateLegalMoves(ref replies);
        Assert.True(rulesIgnored.InCheck);
        Assert.Equal(0, replies.Count);

        var result = MateSearch.Find(position, new MateSearchOptions { MaxPlies = 9 });
        Assert.Equal(MateStatus.NoMate, result.Status);
        Assert.Empty(result.Moves);
        Assert.Equal(sfen, position.ToSfen());
    }

    [Theory]
    [InlineData("8k/9/9/9/9/9/9/9/K8 b 2G 1")] // two golds cannot drive a bare king out of the corner
    [InlineData("4k4/9/9/9/9/9/9/9/4K4 b - 1")] // nothing to check with
    public void NoMateWithinTheLimitIsNoMate(string sfen)
    {
        var result = MateSearch.Find(Position.FromSfen(sfen), new MateSearchOptions { MaxPlies = 7 });
        Assert.Equal(MateStatus.NoMate, result.Status);
    }

    [Fact]
    public void ASearchStoppedOrOutOfNodesIsATimeoutAndLeavesThePositionAsFound()
    {
        const string sfen = "8k/9/9/9/9/9/9/9/K8 b RBG 1";
        var position = Position.FromSfen(sfen);
        var outOfNodes = MateSearch.Find(position, new MateSearchOptions { MaxNodes = 50 });
        Assert.Equal(MateStatus.Timeout, outOfNodes.Status);
        Assert.Equal(sfen, position.ToSfen());

        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        var result = MateSearch.Find(Position.FromSfen("8k/9/9/9/9/9/9/9/K8 b 2G 1"), new MateSearchOptions { MaxPlies = 31 }, stopped.Token);
        Assert.Equal(MateStatus.Timeout, result.Status);
    }

    [Fact]
    public void TheSideToMoveInCheckHasNoMateToLookFor()
    {
        var result = MateSearch.Find(Position.FromSfen("9/7Rk/9/9/9/9/9/1B7/K8 w G 1"));
        Assert.Equal(MateStatus.NoMate, result.Status);
    }
}
