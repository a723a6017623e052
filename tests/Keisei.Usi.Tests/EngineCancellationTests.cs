using Keisei.Shogi;

namespace Keisei.Usi.Tests;

/// <summary>
/// Cancelling GoAsync returns at once after sending stop; the engine stays Ready and discards the late
/// bestmove before its next command, or faults with Timeout then if the bestmove never comes.
/// </summary>
public sealed class EngineCancellationTests
{
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Cancelled_search_returns_promptly_and_the_engine_stays_usable()
    {
        await using var engine = await Fake.StartAsync("random", "--seed", "5");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var infinite = new UsiGoLimits { Infinite = true };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            engine.GoAsync("startpos", [], infinite, TimeSpan.FromMinutes(5), cancel.Token));

        Assert.Equal(UsiEngineState.Ready, engine.State);
        // The late bestmove to the cancelled search is discarded; the next search gets its own answer.
        var game = new Game();
        game.Play(UsiNotation.ParseMove(game.Position, "7g7f"));
        var r = await engine.GoAsync("startpos", game.Moves, UsiGoLimits.FixedNodes(1), MoveTimeout, TestContext.Timeout);
        Assert.True(r.TryParseBestMove(game.Position, out _), $"'{r.BestMove}' is not legal for White after 7g7f");
        await engine.PingAsync(TestContext.Timeout);
    }

    [Fact]
    public async Task Cancelled_search_of_a_deaf_engine_faults_on_the_next_command()
    {
        var engine = await Fake.StartAsync("hang");
        int pid = engine.ProcessId!.Value;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromMinutes(5), cancel.Token));

        var e = await Assert.ThrowsAsync<UsiEngineException>(() => engine.NewGameAsync(TestContext.Timeout));
        Assert.Equal(UsiFault.Timeout, e.Kind);
        Assert.Equal(UsiEngineState.Dead, engine.State);
        await engine.DisposeAsync();
        Fake.AssertExited(pid);
    }
}
