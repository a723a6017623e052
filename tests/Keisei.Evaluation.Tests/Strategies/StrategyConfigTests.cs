using Keisei.Evaluation.Strategies;

namespace Keisei.Evaluation.Tests.Evaluation;

public class StrategyConfigTests
{
    private static ParamReader P(Dictionary<string, object?> values) => new(values, "evaluation.strategy_params");

    [Fact]
    public void UnknownStrategySuggestsTheClosestName()
    {
        var e = Assert.Throws<EvaluationConfigException>(() => EvaluationStrategy.Create("tournement", P([])));
        Assert.Contains("unknown strategy 'tournement'", e.Message);
        Assert.Contains("did you mean 'tournament'", e.Message);
    }

    [Fact]
    public void UnknownParameterNamesTheKeyPath()
    {
        var e = Assert.Throws<EvaluationConfigException>(() => EvaluationStrategy.Create("ladder", P(new() { ["num_games_per_mach"] = 2L })));
        Assert.Contains("evaluation.strategy_params.num_games_per_mach", e.Message);
        Assert.Contains("did you mean 'num_games_per_match'", e.Message);
    }

    [Fact]
    public void BadValueSaysWhatWasExpectedAndFound()
    {
        var e = Assert.Throws<EvaluationConfigException>(() => EvaluationStrategy.Create("ladder", P(new() { ["num_games_per_match"] = "many" })));
        Assert.Contains("evaluation.strategy_params.num_games_per_match: expected an integer", e.Message);
        Assert.Contains("'many'", e.Message);
    }

    [Fact]
    public void BenchmarkWithoutCasesIsAnError()
    {
        var e = Assert.Throws<EvaluationConfigException>(() => EvaluationStrategy.Create("benchmark", P([])));
        Assert.Contains("suite_config", e.Message);
    }

    [Fact]
    public void CustomSingleEliminationIsRejectedWithAReason()
    {
        var e = Assert.Throws<EvaluationConfigException>(() => EvaluationStrategy.Create("custom", P(new() { ["evaluation_mode"] = "single_elimination" })));
        Assert.Contains("not supported", e.Message);
    }

    [Theory]
    [InlineData("random", ParticipantKind.Random)]
    [InlineData("heuristic", ParticipantKind.Heuristic)]
    [InlineData("ckpt:/tmp/a.ckpt", ParticipantKind.Checkpoint)]
    [InlineData("usi:\"/usr/bin/engine --threads 1\"", ParticipantKind.Usi)]
    public void OpponentSpecsParse(string text, ParticipantKind kind) => Assert.Equal(kind, OpponentSpec.Parse(text).Kind);

    [Fact]
    public void BadOpponentSpecListsTheAcceptedForms()
    {
        var e = Assert.Throws<EvaluationConfigException>(() => OpponentSpec.Parse("stockfish"));
        Assert.Contains("expected random, heuristic, ckpt:<path> or usi:", e.Message);
    }
}
