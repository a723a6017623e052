using Keisei.Shogi;

namespace Keisei.Usi.Tests;

/// <summary>Healthy sessions with the fake engine process: handshake, options, games, special answers.</summary>
public sealed class EngineSessionTests
{
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Handshake_collects_id_and_advertised_options()
    {
        await using var engine = await UsiEngine.StartAsync(Fake.Options("random") with { Name = null }, null, TestContext.Timeout);

        Assert.Equal(UsiEngineState.Ready, engine.State);
        Assert.Equal("FakeUsi random", engine.IdName);
        Assert.Equal("FakeUsi random", engine.Name);
        Assert.Equal("Keisei tests", engine.Author);
        Assert.Equal(["USI_Hash", "Threads", "Book File", "Style", "ClearHash", "UseBook"], engine.Options.Select(o => o.Name));
        var hash = engine.Options[0];
        Assert.Equal((UsiOptionType.Spin, "16", 1L, 1024L), (hash.Type, hash.Default, hash.Min, hash.Max));
        Assert.Equal((UsiOptionType.String, ""), (engine.Options[2].Type, engine.Options[2].Default));
        Assert.Equal(["Normal", "Aggressive", "Solid"], engine.Options[3].Vars);
        Assert.Equal(UsiOptionType.Button, engine.Options[4].Type);
        Assert.Equal((UsiOptionType.Check, "true"), (engine.Options[5].Type, engine.Options[5].Default));
    }

    [Fact]
    public async Task Options_are_sent_and_the_configured_name_wins()
    {
        var options = Fake.Options("random") with
        {
            Name = "mine",
            Options = new Dictionary<string, string> { ["Threads"] = "2", ["Book File"] = "", ["ClearHash"] = "", ["USI_Ponder"] = "false" },
        };
        await using var engine = await UsiEngine.StartAsync(options, null, TestContext.Timeout);
        Assert.Equal("mine", engine.Name);
        Assert.Equal("FakeUsi random", engine.IdName);
    }

    [Fact]
    public async Task Random_engines_play_a_legal_game_through_GoAsync()
    {
        await using var black = await Fake.StartAsync("random", "--seed", "1");
        await using var white = await Fake.StartAsync("random", "--seed", "2");
        await black.NewGameAsync(TestContext.Timeout);
        await white.NewGameAsync(TestContext.Timeout);
        var game = new Game();
        for (int ply = 0; ply < 16 && !game.IsOver; ply++)
        {
            var mover = game.SideToMove == Color.Black ? black : white;
            var result = await mover.GoAsync("startpos", game.Moves, UsiGoLimits.FixedNodes(100), MoveTimeout, TestContext.Timeout);

            Assert.Equal(UsiBestMoveKind.Move, result.Kind);
            Assert.True(result.TryParseBestMove(game.Position, out var move), $"ply {ply}: '{result.BestMove}' is not legal");
            Assert.True(game.Play(move));
            // The fake's last main-line info: depth 2, lowerbound score; the multipv 2 line only adds nodes.
            Assert.Equal(2, result.Depth);
            Assert.NotNull(result.Nodes);
            Assert.Equal(UsiScoreBound.LowerBound, result.Score!.Value.Bound);
            Assert.Equal([result.BestMove], result.Pv);
        }
        Assert.Equal(16, game.Plies);
        await black.GameOverAsync("draw", TestContext.Timeout);
        await white.GameOverAsync("draw", TestContext.Timeout);
    }

    [Fact]
    public async Task Same_seed_plays_the_same_moves_from_an_sfen()
    {
        const string sfen = "lnsgkgsnl/1r5b1/ppppppppp/9/9/2P6/PP1PPPPPP/1B5R1/LNSGKGSNL w - 2";
        async Task<string> PlayAsync()
        {
            await using var engine = await Fake.StartAsync("random", "--seed", "7");
            var r = await engine.GoAsync(sfen, [], UsiGoLimits.Byoyomi(1000), MoveTimeout, TestContext.Timeout);
            return r.BestMove;
        }
        string first = await PlayAsync();
        Assert.Equal(first, await PlayAsync());
        Assert.Equal(Color.White, Position.FromSfen(sfen).SideToMove);
        Assert.True(Position.FromSfen(sfen).IsLegal(UsiNotation.TryParseSyntax(first)!.Value));
    }

    [Fact]
    public async Task Illegal_move_is_returned_for_the_referee_to_reject()
    {
        await using var engine = await Fake.StartAsync("illegal");
        var result = await engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), MoveTimeout, TestContext.Timeout);

        Assert.Equal(UsiBestMoveKind.Move, result.Kind);
        Assert.NotNull(UsiNotation.TryParseSyntax(result.BestMove));
        Assert.False(result.TryParseBestMove(Position.StartPosition(), out var move));
        Assert.Equal(Move.None, move);
        Assert.Equal(UsiEngineState.Ready, engine.State);
    }

    [Theory]
    [InlineData("resign", UsiBestMoveKind.Resign)]
    [InlineData("win", UsiBestMoveKind.Win)]
    public async Task Resign_and_win_are_reported_as_such(string mode, UsiBestMoveKind kind)
    {
        await using var engine = await Fake.StartAsync(mode, "--after", "1");
        var first = await engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), MoveTimeout, TestContext.Timeout);
        Assert.Equal(UsiBestMoveKind.Move, first.Kind);
        var second = await engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), MoveTimeout, TestContext.Timeout);
        Assert.Equal(kind, second.Kind);
        Assert.Equal(mode, second.BestMove);
        Assert.False(second.TryParseBestMove(Position.StartPosition(), out _));
    }

    [Fact]
    public async Task Stderr_goes_to_the_log_file_and_never_into_results()
    {
        string log = Path.Combine(Path.GetTempPath(), $"keisei-usi-stderr-{Guid.NewGuid():N}.log");
        try
        {
            var options = Fake.Options("stderr") with { StderrLogPath = log };
            var game = new Game();
            await using (var engine = await UsiEngine.StartAsync(options, null, TestContext.Timeout))
            {
                for (int i = 0; i < 4; i++)
                {
                    var r = await engine.GoAsync("startpos", game.Moves, UsiGoLimits.FixedNodes(1), MoveTimeout, TestContext.Timeout);
                    Assert.True(r.TryParseBestMove(game.Position, out var move));
                    Assert.NotEqual("1a1b", r.BestMove);
                    Assert.True(r.Score!.Value.Value is >= -300 and <= 301);
                    game.Play(move);
                }
            }
            string text = await File.ReadAllTextAsync(log);
            Assert.Contains("stderr noise line 1999", text);
            Assert.Equal(2000 + 4 * 200, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task A_quoted_command_line_starts_the_engine()
    {
        var options = new UsiEngineOptions
        {
            Command = $"\"{Fake.DotnetHost}\" '{Fake.DllPath}' random --seed \"3\"",
            Name = "quoted",
        };
        await using var engine = await UsiEngine.StartAsync(options, null, TestContext.Timeout);
        Assert.Equal("FakeUsi random", engine.IdName);
    }
}
