using Keisei.Shogi;
using Keisei.TestSupport;
using Microsoft.Extensions.Logging;

namespace Keisei.Usi.Tests;

public sealed class InMemoryEngineTests
{
    private static readonly UsiEngineOptions Options = new()
    {
        Command = "scripted",
        HandshakeTimeout = TimeSpan.FromSeconds(5),
        ReadyTimeout = TimeSpan.FromSeconds(5),
        StopGrace = TimeSpan.FromMilliseconds(200),
        QuitTimeout = TimeSpan.FromSeconds(1),
    };

    private static Func<string, IEnumerable<string>> OnGo(params string[] answer) =>
        ScriptedTransport.Engine(line => line.StartsWith("go", StringComparison.Ordinal) ? answer : []);

    [Fact]
    public async Task Info_lines_keep_the_last_main_line_score_depth_nodes_and_pv()
    {
        var transport = new ScriptedTransport(OnGo(
            "info depth 1 seldepth 1 time 1 nodes 10 score cp 25 pv 7g7f 3c3d",
            "info string depth 99 score cp 99999 pv 1a1b",
            "info depth 3 seldepth 5 nodes 300 nps 1000 multipv 1 score cp -12 upperbound pv 2g2f 8c8d 2f2e",
            "info depth 3 nodes 320 multipv 2 score cp -500 pv 5i5h",
            "info depth 4 hashfull 10 nodes 900 score mate -3 pv 2g2f 8c8d",
            "some unknown line",
            "bestmove 2g2f ponder 8c8d extra"));
        var logger = new ListLogger();
        await using var engine = await UsiEngine.StartAsync(transport, Options, logger, TestContext.Timeout);

        var r = await engine.GoAsync("startpos", [], UsiGoLimits.FixedDepth(4), TimeSpan.FromSeconds(5), TestContext.Timeout);

        Assert.Equal("2g2f", r.BestMove);
        Assert.Equal(UsiBestMoveKind.Move, r.Kind);
        Assert.Equal("8c8d", r.Ponder);
        Assert.Equal(new UsiScore(true, -3), r.Score);
        Assert.Equal(4, r.Depth);
        Assert.Equal(900, r.Nodes);
        Assert.Equal(["2g2f", "8c8d"], r.Pv);
        Assert.Equal(["position startpos", "go depth 4"], transport.Written.Skip(2).Take(2));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("some unknown line"));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("'extra'"));
    }

    [Fact]
    public async Task Handshake_sends_setoption_lines_with_buttons_and_empty_values()
    {
        var transport = new ScriptedTransport(ScriptedTransport.Engine());
        var options = Options with
        {
            Options = new Dictionary<string, string> { ["ClearHash"] = "ignored", ["Book File"] = "", ["USI_Hash"] = "256" },
        };
        await using (var engine = await UsiEngine.StartAsync(transport, options, null, TestContext.Timeout))
        {
            Assert.Equal("Scripted", engine.Name);
            await engine.NewGameAsync(TestContext.Timeout);
            var moves = new[] { UsiNotation.ParseMove(Position.StartPosition(), "7g7f") };
            transport.Respond = OnGo("bestmove 3c3d");
            await engine.GoAsync("sfen " + Position.StartSfen, moves, UsiGoLimits.Byoyomi(500), TimeSpan.FromSeconds(5), TestContext.Timeout);
            await engine.GameOverAsync("win", TestContext.Timeout);
        }
        Assert.Equal(
        [
            "usi",
            "setoption name ClearHash",
            "setoption name Book File value <empty>",
            "setoption name USI_Hash value 256",
            "isready",
            "usinewgame",
            "isready",
            "position sfen " + Position.StartSfen + " moves 7g7f",
            "go btime 0 wtime 0 byoyomi 500",
            "gameover win",
            "quit",
        ], transport.Written);
        Assert.True(transport.Disposed);
    }

    [Theory]
    [InlineData("bestmove", UsiFault.Protocol)]
    [InlineData("bestmove 7g7", UsiFault.Protocol)]
    [InlineData("bestmove P*5a+", UsiFault.Protocol)]
    public async Task A_malformed_bestmove_is_a_protocol_fault(string line, UsiFault kind)
    {
        var transport = new ScriptedTransport(OnGo(line));
        await using var engine = await UsiEngine.StartAsync(transport, Options, null, TestContext.Timeout);
        var e = await Assert.ThrowsAsync<UsiEngineException>(() =>
            engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromSeconds(5), TestContext.Timeout));
        Assert.Equal(kind, e.Kind);
        Assert.Equal(UsiEngineState.Dead, engine.State);
        Assert.Same(e, engine.Fault);
    }

    [Fact]
    public async Task Nonsense_lines_are_ignored_so_no_bestmove_is_a_timeout_and_stop_is_sent()
    {
        var transport = new ScriptedTransport(OnGo("bestmov 7g7f", "info score cp", "???"));
        await using var engine = await UsiEngine.StartAsync(transport, Options, null, TestContext.Timeout);
        var e = await Assert.ThrowsAsync<UsiEngineException>(() =>
            engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromMilliseconds(300), TestContext.Timeout));
        Assert.Equal(UsiFault.Timeout, e.Kind);
        Assert.Equal("stop", transport.Written[^1]);
        Assert.Contains("no bestmove within 0.2 s after stop", e.Message);
    }

    [Fact]
    public async Task A_bestmove_after_stop_is_still_a_timeout_that_says_so()
    {
        var transport = new ScriptedTransport(ScriptedTransport.Engine(line => line == "stop" ? ["bestmove 7g7f"] : []));
        await using var engine = await UsiEngine.StartAsync(transport, Options, null, TestContext.Timeout);
        var e = await Assert.ThrowsAsync<UsiEngineException>(() =>
            engine.GoAsync("startpos", [], UsiGoLimits.MoveTime(100), TimeSpan.FromMilliseconds(300), TestContext.Timeout));
        Assert.Equal(UsiFault.Timeout, e.Kind);
        Assert.Contains("answered stop with 'bestmove 7g7f'", e.Message);
    }

    [Fact]
    public async Task End_of_output_is_a_disconnect_with_the_exit_code()
    {
        ScriptedTransport? transport = null;
        transport = new ScriptedTransport(OnGo("info depth 1"));
        await using var engine = await UsiEngine.StartAsync(transport, Options with { Name = "eof" }, null, TestContext.Timeout);
        transport.Respond = ScriptedTransport.Engine(line =>
        {
            if (line.StartsWith("go", StringComparison.Ordinal)) transport.Exit(9);
            return [];
        });
        var e = await Assert.ThrowsAsync<UsiEngineException>(() =>
            engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromSeconds(5), TestContext.Timeout));
        Assert.Equal(UsiFault.Disconnect, e.Kind);
        Assert.Equal(9, e.ExitCode);
        Assert.Equal("Engine 'eof' disconnected while waiting for bestmove (exit code 9)", e.Message);
    }

    [Fact]
    public async Task A_cancelled_ping_leaves_its_readyok_to_be_discarded()
    {
        var transport = new ScriptedTransport(ScriptedTransport.Engine());
        await using var engine = await UsiEngine.StartAsync(transport, Options, null, TestContext.Timeout);
        transport.Respond = line => line == "isready" ? [] : ScriptedTransport.Engine()(line);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.PingAsync(cancel.Token));
        Assert.Equal(UsiEngineState.Ready, engine.State);

        // The late readyok arrives; the next go must not mistake anything for its own answer.
        transport.Emit("readyok");
        transport.Respond = OnGo("bestmove 7g7f");
        var r = await engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromSeconds(5), TestContext.Timeout);
        Assert.Equal("7g7f", r.BestMove);
    }

    [Fact]
    public async Task A_cancelled_handshake_disposes_the_transport()
    {
        var transport = new ScriptedTransport(_ => []);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => UsiEngine.StartAsync(transport, Options, null, cancel.Token));
        Assert.True(transport.Disposed);
        Assert.Equal(["usi"], transport.Written);
    }

    [Fact]
    public async Task Without_a_configured_name_messages_use_the_program_name()
    {
        var transport = new ScriptedTransport(_ => []);
        var options = Options with { Command = "dotnet /engines/Sunfish.dll --fast", HandshakeTimeout = TimeSpan.FromMilliseconds(100) };
        var e = await Assert.ThrowsAsync<UsiEngineException>(() => UsiEngine.StartAsync(transport, options, null, TestContext.Timeout));
        Assert.Equal(UsiFault.Stall, e.Kind);
        Assert.Equal("Engine 'Sunfish' stalls: no usiok within 0.1 s after usi", e.Message);
        Assert.Equal("Sunfish", e.EngineName);
    }

    [Fact]
    public async Task Concurrent_commands_are_refused()
    {
        var transport = new ScriptedTransport(ScriptedTransport.Engine());
        await using var engine = await UsiEngine.StartAsync(transport, Options, null, TestContext.Timeout);
        using var cancel = new CancellationTokenSource();
        var search = engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromSeconds(5), cancel.Token);
        Assert.Equal(UsiEngineState.Searching, engine.State);
        await Assert.ThrowsAsync<InvalidOperationException>(() => engine.PingAsync(TestContext.Timeout));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => search);
        Assert.Equal("stop", transport.Written[^1]);
    }

    [Fact]
    public async Task Disposing_during_a_search_ends_it()
    {
        var transport = new ScriptedTransport(ScriptedTransport.Engine());
        var engine = await UsiEngine.StartAsync(transport, Options, null, TestContext.Timeout);
        var search = engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromSeconds(30), TestContext.Timeout);
        await engine.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => search);
        Assert.Equal(UsiEngineState.Closed, engine.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => engine.PingAsync(TestContext.Timeout));
    }
}
