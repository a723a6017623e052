using Keisei.Search;
using Keisei.Shogi;

namespace Keisei.Engine.Tests;

public class EngineSettingsTests
{
    [Fact]
    public void DefaultsComeFromTheCommandLineAndAreAdvertised()
    {
        var settings = new EngineSettings(new EngineDefaults { Model = "a b.ckpt", Search = new SearchOptions { Batch = 16 }, ConstPlayout = 200 });
        Assert.Equal("a b.ckpt", settings.Model);
        Assert.Equal(16, settings.BatchSize);
        Assert.Equal(200, settings.ConstPlayout);
        var lines = settings.OptionLines().ToList();
        Assert.Contains("option name DNN_Model type filename default a b.ckpt", lines);
        Assert.Contains("option name DNN_Batch_Size type spin default 16 min 1 max 4096", lines);
        Assert.Contains("option name Const_Playout type spin default 200 min 0 max 2147483647", lines);
        Assert.Contains("option name Resign_Threshold type spin default 0 min 0 max 1000", lines);
        Assert.Contains("option name Draw_Value_Black type spin default 500 min 0 max 1000", lines);
        Assert.Contains("option name USI_Ponder type check default false", lines);
        Assert.Equal(lines.Count, settings.Describe().Count());
    }

    [Fact]
    public void DrawValuesArePerMilleWinRatesPerColourDefaultingToTheSearchsDrawValue()
    {
        var settings = new EngineSettings(new EngineDefaults { Search = new SearchOptions { DrawValue = -0.2 } });
        Assert.Contains("option name Draw_Value_White type spin default 400 min 0 max 1000", settings.OptionLines());
        Assert.Equal(-0.2, settings.DrawValue(Color.Black), 12);
        Assert.Null(settings.Set("Draw_Value_White", "650"));
        Assert.Equal(0.3, settings.DrawValue(Color.White), 12);
        Assert.Equal(-0.2, settings.DrawValue(Color.Black), 12);
        Assert.Contains("from 0 to 1000, found '1001'", settings.Set("Draw_Value_Black", "1001"));
    }

    [Fact]
    public void SetChecksTypesAndRangesIgnoringTheCaseOfNames()
    {
        var settings = new EngineSettings(new EngineDefaults());
        Assert.Null(settings.Set("multipv", "5"));
        Assert.Equal(5, settings.MultiPV);
        Assert.Null(settings.Set("Resign_Threshold", "50"));
        Assert.Equal(0.05, settings.ResignWinRate, 12);
        Assert.Null(settings.Set("SearchMode", "policy"));
        Assert.Equal(SearchMode.Policy, settings.Mode);
        Assert.Null(settings.Set("Temperature", "0.5"));
        Assert.Equal(0.5, settings.Temperature);
        Assert.Null(settings.Set("DNN_Model", "/models/with space.ckpt"));
        Assert.Equal("/models/with space.ckpt", settings.Model);
        Assert.Null(settings.Set("DNN_Model", "<empty>"));
        Assert.Equal("", settings.Model);
        Assert.Null(settings.Set("Device", "cuda:1"));
        Assert.Null(settings.Set("USI_Ponder", "true"));

        Assert.Contains("unknown option 'Book'", settings.Set("Book", "x"));
        Assert.Contains("needs a value", settings.Set("MultiPV", null));
        Assert.Contains("from 1 to 600, found '0'", settings.Set("MultiPV", "0"));
        Assert.Contains("found 'many'", settings.Set("Threads", "many"));
        Assert.Contains("true or false", settings.Set("USI_Ponder", "yes"));
        Assert.Contains("mcts, policy", settings.Set("SearchMode", "MCTS"));
        Assert.Contains("above 0", settings.Set("Temperature", "0"));
        Assert.Contains("expects cpu, cuda, cuda:N or auto, found 'tpu'", settings.Set("Device", "tpu"));
        Assert.Equal(5, settings.MultiPV);
    }
}

public class GamePositionTests
{
    [Fact]
    public void StartposAndSfenWithMovesReplayLegally()
    {
        var p = GamePosition.Parse("startpos moves 7g7f 3c3d".Split(' '));
        Assert.Equal(Position.StartSfen, p.StartSfen);
        Assert.Equal(["7g7f", "3c3d"], p.Moves.Select(m => m.ToUsi()));
        var s = GamePosition.Parse("sfen lnsgkgsnl/1r5b1/ppppppppp/9/9/2P6/PP1PPPPPP/1B5R1/LNSGKGSNL w - 2 moves 3c3d".Split(' '));
        Assert.Equal("lnsgkgsnl/1r5b1/ppppppppp/9/9/2P6/PP1PPPPPP/1B5R1/LNSGKGSNL w - 2", s.StartSfen);
        Assert.Equal(3, s.ToGame(new GameRules()).Position.MoveNumber);
        Assert.Empty(GamePosition.Parse(["sfen", "4k4/9/9/9/9/9/9/9/4K4", "b", "G"]).Moves);
    }

    [Fact]
    public void AMoveAfterTheEndOfTheGameIsAnError()
    {
        // 1. G*5b is mate (protected by the pawn on 5c); nothing may follow it.
        var e = Assert.Throws<FormatException>(() => GamePosition.Parse("sfen 4k4/9/4P4/9/9/9/9/9/4K4 b G 1 moves G*5b 5a4a".Split(' ')));
        Assert.Contains("move 2 '5a4a' comes after the game ended (Checkmate)", e.Message);
    }
}
