using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Strategies;
using Keisei.Shogi;
using Keisei.Usi;

namespace Keisei.IntegrationTests;

/// <summary>Timeouts really stop the work: a hung engine is killed, the evaluation ends at its limit, nothing is left running.</summary>
[Collection("integration")]
public sealed class TimeoutTests : TempDirectoryTest
{
    private static UsiPlayOptions Usi => new()
    {
        Limits = UsiGoLimits.MoveTime(10),
        HandshakeTimeout = TimeSpan.FromSeconds(10),
        ReadyTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task AHungEngineEndsTheEvaluationAtItsTimeoutAndTheEngineIsGone()
    {
        var limit = TimeSpan.FromSeconds(3);
        await using var h = new Support.Harness(Dir, Support.Service(timeout: limit), Usi);
        var hanger = new OpponentSpec("hanger", ParticipantKind.Usi, Command: Support.FakeEngine("hang", "--after 2"));
        // Moves may take far longer than the evaluation's limit: only the evaluation timeout can end this.
        var arena = new ArenaOptions { Concurrency = 1, MoveTimeout = TimeSpan.FromSeconds(120), Rules = new GameRules { MaxPlies = 40 } };
        Assert.True(h.Service.TryEnqueue(Support.RandomJob("vs-hanger", [hanger], gamesPerOpponent: 2, arena: arena)));
        Assert.True(await Support.WaitUntil(() => Support.FakeEngineProcesses().Count > 0, TimeSpan.FromSeconds(20)), "the engine never started");
        // A hang guard well below the 120 s move timeout: only the evaluation's own limit can have ended it in time.
        Assert.True(await Support.WaitUntil(() => h.Outcomes.Count == 1, TimeSpan.FromSeconds(60)), "the evaluation did not end");

        var outcome = h.Outcomes.Snapshot().Single();
        Assert.Equal(EvaluationStatus.TimedOut, outcome.Status);
        Assert.True(outcome.Latency >= limit, $"ended after {outcome.Latency}, before its limit");
        Assert.Empty(Support.FakeEngineProcesses());
        Assert.Equal(0, h.Service.InFlight);
        // The aborted game is not stored (a resumed evaluation plays it again); the evaluation is marked stopped.
        var evaluation = h.Store.Evaluations().Single();
        Assert.Equal(EvaluationStatus.Stopped, evaluation.Status);
        Assert.Empty(h.Store.Games(evaluation.Id));
    }

    [Fact]
    public async Task AHungEngineLosesOnTimeWhenTheMoveLimitComesFirst()
    {
        await using var h = new Support.Harness(Dir, Support.Service(timeout: TimeSpan.FromSeconds(60)), Usi);
        var hanger = new OpponentSpec("hanger", ParticipantKind.Usi, Command: Support.FakeEngine("hang", "--after 1"));
        var arena = new ArenaOptions { Concurrency = 2, MoveTimeout = TimeSpan.FromSeconds(1), Rules = new GameRules { MaxPlies = 40 } };
        Assert.True(h.Service.TryEnqueue(Support.RandomJob("vs-hanger", [hanger], gamesPerOpponent: 2, arena: arena)));
        Assert.True(await Support.WaitUntil(() => h.Outcomes.Count == 1, TimeSpan.FromSeconds(50)), "the evaluation did not end");

        var outcome = h.Outcomes.Snapshot().Single();
        Assert.Equal(EvaluationStatus.Completed, outcome.Status);
        var players = h.Store.Players().ToDictionary(p => p.Name, p => p.Id);
        var games = h.Store.Games(outcome.Report!.EvaluationId);
        Assert.Equal(2, games.Count);
        Assert.All(games, g =>
        {
            Assert.Equal(TerminationReason.TimeForfeit, g.Termination);
            Assert.Equal(0, g.ScoreOf(players["hanger"]));
            Assert.Contains("did not move", g.Detail);
        });
        Assert.Empty(Support.FakeEngineProcesses());
    }
}
