using Keisei.Evaluation.Strategies;
using Keisei.Evaluation.Players;
using Keisei.Neural.Models;
using Keisei.Search;
using Keisei.Shogi;

namespace Keisei.Evaluation.Tests.Evaluation;

public class SearchPlayerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private static NeuralPlayerFactory Factory(SearchOptions search) =>
        new(PolicyValueModel.Create(ModelConfig.QuickDefault with { Channels = 8, Layers = 1 }, seed: 5),
            new PlayerDescriptor("tiny", ParticipantKind.Checkpoint), new NeuralPlayOptions { Search = search }, ownsModel: true);

    [Fact]
    public async Task ASearchPlayerMatesInOneAndPlaysLegalMovesWithItsTreeKept()
    {
        await using var factory = Factory(new SearchOptions { Playouts = 16, Batch = 4 });
        await using var player = await factory.CreateAsync(3, CancellationToken.None);
        Assert.IsType<SearchPlayer>(player);

        var mate = new Game(startSfen: "8k/9/8P/9/9/9/9/9/4K4 b G 1");
        await player.StartGameAsync(mate, Color.Black, CancellationToken.None);
        var action = await player.ChooseAsync(mate, TimeSpan.FromSeconds(30), CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.Equal(PlayerAction.Play(UsiNotation.ParseMove(mate.Position, "G*1b"), 1f), action);

        var game = new Game(new GameRules { MaxPlies = 12 });
        await player.StartGameAsync(game, Color.Black, CancellationToken.None);
        while (!game.IsOver)
        {
            var choice = await player.ChooseAsync(game, TimeSpan.FromSeconds(30), CancellationToken.None).AsTask().WaitAsync(Patience);
            Assert.Equal(PlayerActionKind.Move, choice.Kind);
            Assert.True(game.Play(choice.Move), $"{choice.Move} in {game.Position.ToSfen()}");
        }
        Assert.Equal(TerminationReason.MaxMoves, game.Termination);
        Assert.True(factory.Batcher.Positions > 0);
    }

    [Fact]
    public async Task EnteringKingDeclarationIsDeclared()
    {
        await using var factory = Factory(new SearchOptions { Playouts = 4 });
        await using var player = await factory.CreateAsync(1, CancellationToken.None);
        var game = new Game(startSfen: "RBGGSS3/4K4/NNLL5/9/9/9/9/9/8k b 10P 1");
        var action = await player.ChooseAsync(game, TimeSpan.FromSeconds(30), CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.Equal(PlayerActionKind.DeclareWin, action.Kind);
    }

    [Fact]
    public async Task UnderAClockASearchStopsAtItsShareOfTheTimeNotAtItsPlayouts()
    {
        // Unbounded playouts and no move limit to speak of: only the clock (300 ms byoyomi) can end this search before its tree is full.
        var search = new SearchOptions { Playouts = int.MaxValue, Batch = 4, NodeBudget = 200_000 };
        await using var factory = Factory(search);
        await using var player = await factory.CreateAsync(2, CancellationToken.None);
        var game = new Game();
        await player.StartGameAsync(game, Color.Black, CancellationToken.None);
        var clock = new Keisei.Usi.UsiGoLimits { BlackTimeMs = 0, WhiteTimeMs = 0, ByoyomiMs = 300 };
        var action = await player.ChooseAsync(game, new MoveTime(TimeSpan.FromDays(2), clock), CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.True(game.Position.IsLegal(action.Move), action.Move.ToString());
        Assert.True(factory.Batcher.Positions < search.NodeBudget, $"{factory.Batcher.Positions} positions: the search ran until its tree was full");
    }

    [Fact]
    public void TheNameSuffixCarriesPlayoutsAndEverySettingThatIsNotTheDefault()
    {
        Assert.Equal("@search(playouts=200)", NeuralPlayerFactory.SearchSuffix(new SearchOptions { Playouts = 200 }));
        Assert.Equal("@search(playouts=50,cpuct=2,nodes=1000)",
            NeuralPlayerFactory.SearchSuffix(SearchOptions.Parse("nodes=1000,playouts=50,cpuct=2")));
        Assert.NotEqual(NeuralPlayerFactory.SearchSuffix(SearchOptions.Parse("playouts=200")),
            NeuralPlayerFactory.SearchSuffix(SearchOptions.Parse("playouts=200,fpu=0")));
        Assert.Equal("@search(playouts=200,draw=-0.2)", NeuralPlayerFactory.SearchSuffix(SearchOptions.Parse("draw=-0.2")));
        Assert.Equal("@search(playouts=200)@tc60000+1000",
            NeuralPlayerFactory.SearchSuffix(new SearchOptions { Playouts = 200 }, Keisei.Evaluation.Arena.TimeControl.Parse("60000+1000")));
    }
}
