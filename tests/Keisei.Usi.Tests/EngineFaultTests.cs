using Keisei.Shogi;

namespace Keisei.Usi.Tests;

/// <summary>Each misbehaving fake engine ends in a UsiEngineException of the right kind.</summary>
public sealed class EngineFaultTests
{
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Crash_is_a_disconnect_with_the_exit_code()
    {
        await using var engine = await Fake.StartAsync("crash", "--after", "1");
        var first = await engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), MoveTimeout, TestContext.Timeout);
        var move = UsiNotation.ParseMove(Position.StartPosition(), first.BestMove);

        var e = await Assert.ThrowsAsync<UsiEngineException>(() =>
            engine.GoAsync("startpos", [move], UsiGoLimits.FixedNodes(1), MoveTimeout, TestContext.Timeout));

        Assert.Equal(UsiFault.Disconnect, e.Kind);
        Assert.Equal(3, e.ExitCode);
        Assert.Contains("fake-crash", e.Message);
        Assert.Contains("exit code 3", e.Message);
        Assert.Equal(UsiEngineState.Dead, engine.State);
        // A dead engine refuses further work with the same kind of fault, and gameover is a no-op.
        var again = await Assert.ThrowsAsync<UsiEngineException>(() => engine.PingAsync(TestContext.Timeout));
        Assert.Equal(UsiFault.Disconnect, again.Kind);
        await engine.GameOverAsync("lose", TestContext.Timeout);
    }

    [Fact]
    public async Task Hang_times_out_after_stop_and_is_killed_on_dispose()
    {
        var engine = await Fake.StartAsync("hang", "--after", "1");
        int pid = engine.ProcessId!.Value;
        await engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), MoveTimeout, TestContext.Timeout);

        var e = await Assert.ThrowsAsync<UsiEngineException>(() =>
            engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromSeconds(1), TestContext.Timeout));

        Assert.Equal(UsiFault.Timeout, e.Kind);
        Assert.Contains("stop sent", e.Message);
        Assert.Null(e.ExitCode);
        await engine.DisposeAsync();
        Assert.Equal(UsiEngineState.Closed, engine.State);
        Fake.AssertExited(pid);
    }

    [Fact]
    public async Task Garbage_instead_of_bestmove_is_a_protocol_fault()
    {
        await using var engine = await Fake.StartAsync("garbage");
        var e = await Assert.ThrowsAsync<UsiEngineException>(() =>
            engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), MoveTimeout, TestContext.Timeout));
        Assert.Equal(UsiFault.Protocol, e.Kind);
        Assert.Contains("!!garbage!!", e.Message);
    }

    [Fact]
    public async Task Garbage_without_any_bestmove_is_a_timeout()
    {
        await using var engine = await Fake.StartAsync("garbage", "--no-bestmove");
        var e = await Assert.ThrowsAsync<UsiEngineException>(() =>
            engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromSeconds(1), TestContext.Timeout));
        Assert.Equal(UsiFault.Timeout, e.Kind);
    }

    [Theory]
    [InlineData("slowstart")]
    [InlineData("noready")]
    public async Task No_usiok_or_readyok_in_time_is_a_stall_and_the_process_is_killed(string mode)
    {
        var options = Fake.Options(mode) with { HandshakeTimeout = TimeSpan.FromSeconds(1), ReadyTimeout = TimeSpan.FromSeconds(1) };
        if (mode == "noready") options = options with { HandshakeTimeout = TimeSpan.FromSeconds(10) };
        var transport = ProcessTransport.Start(options);

        var e = await Assert.ThrowsAsync<UsiEngineException>(() => UsiEngine.StartAsync(transport, options, null, TestContext.Timeout));

        Assert.Equal(UsiFault.Stall, e.Kind);
        Assert.Contains(mode == "slowstart" ? "usiok" : "readyok", e.Message);
        Assert.Contains("fake-" + mode, e.Message);
        Fake.AssertExited(transport.ProcessId);
    }

    [Fact]
    public async Task A_missing_program_is_a_disconnect_naming_it()
    {
        var options = new UsiEngineOptions { Command = "/nonexistent/engine --threads 2", Name = "ghost" };
        var e = await Assert.ThrowsAsync<UsiEngineException>(() => UsiEngine.StartAsync(options, null, TestContext.Timeout));
        Assert.Equal(UsiFault.Disconnect, e.Kind);
        Assert.Contains("/nonexistent/engine", e.Message);
        Assert.Contains("ghost", e.Message);
    }
}
