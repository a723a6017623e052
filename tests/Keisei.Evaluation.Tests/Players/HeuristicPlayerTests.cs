using Keisei.Evaluation.Players;
using Keisei.Shogi;

namespace Keisei.Evaluation.Tests.Evaluation;

public class HeuristicPlayerTests
{
    private static async Task<string> Choose(string sfen, int seed = 1)
    {
        var game = new Game(new GameRules(), sfen);
        var action = await new HeuristicPlayer(seed).ChooseAsync(game, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal(PlayerActionKind.Move, action.Kind);
        return action.Move.ToUsi();
    }

    [Fact]
    public async Task PlaysMateInOne()
    {
        // White king in the corner; only the gold drop on 1b, protected by the pawn on 1c, mates.
        Assert.Equal("G*1b", await Choose("8k/9/8P/9/9/9/9/9/K8 b G 1"));
    }

    [Fact]
    public async Task CapturesTheMostValuableFreePiece()
    {
        // The rook can take an undefended bishop on 5b (and promote there) or a pawn on 2e; the bishop is worth more.
        Assert.Equal("5e5b+", await Choose("k8/4b4/9/9/4R2p1/9/9/9/8K b - 1"));
    }

    [Fact]
    public async Task DoesNotLeaveThePieceEnPriseToACheaperAttacker()
    {
        // Taking the pawn on 5d with the rook would put the rook where the white gold (cheaper) takes it.
        string move = await Choose("k8/9/4g4/4p4/9/9/9/4R4/8K b - 1");
        Assert.NotEqual("5h5d", move);
    }

    [Fact]
    public async Task IsDeterministicForASeed()
    {
        Assert.Equal(await Choose(Position.StartSfen, 7), await Choose(Position.StartSfen, 7));
    }
}
