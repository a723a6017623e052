using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Inference;
using Keisei.Search;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Keisei.Evaluation;

/// <summary>
/// What one stand-alone evaluation (<c>keisei evaluate</c>) asks for, parsed and typed: the agent, its opponents, the
/// plan, how games are played and where they are stored. <see cref="EvaluationSession"/> turns it into players and runs it.
/// </summary>
public sealed record EvaluationSessionSettings
{
    /// <summary>The agent: a checkpoint (<see cref="ParticipantKind.Checkpoint"/> with its path) or a reference participant (random, heuristic, a USI engine).</summary>
    public required OpponentSpec Agent { get; init; }

    /// <summary>A checkpoint agent's name in the store (null: its file name and hash); a reference agent's name (null: <c>agent-</c> and its own name).</summary>
    public string? AgentName { get; init; }

    /// <summary>The checkpoint agent plays through PUCT search with these settings (part of its name and identity).</summary>
    public SearchOptions? AgentSearch { get; init; }

    public required EvaluationStrategy Strategy { get; init; }

    /// <summary>The strategy parameters as given, kept with the evaluation in the store.</summary>
    public string StrategyConfigJson { get; init; } = "{}";

    public IReadOnlyList<OpponentSpec> Opponents { get; init; } = [];

    /// <summary>Every checkpoint opponent plays through PUCT search with these settings; an unnamed one's name says so.</summary>
    public SearchOptions? OpponentSearch { get; init; }

    public int NumGames { get; init; } = 20;
    public IReadOnlyList<Opening> Openings { get; init; } = [Opening.StartPosition];
    public int Seed { get; init; } = 1;
    public SprtParameters? Sprt { get; init; }
    public long? ResumeId { get; init; }

    /// <summary>Games at once, rules, time limits, resignation.</summary>
    public ArenaOptions Arena { get; init; } = new();

    /// <summary>Network players without search: 0 plays the most probable move, above 0 samples.</summary>
    public double Temperature { get; init; }

    /// <summary>Where network players run.</summary>
    public torch.Device Device { get; init; } = torch.CPU;

    /// <summary>How USI engines are started and limited.</summary>
    public UsiPlayOptions Usi { get; init; } = new();

    /// <summary>The results database (SQLite), created when missing.</summary>
    public required string Database { get; init; }
}

/// <summary>
/// The application service behind <c>keisei evaluate</c>: builds the agent and the participants from
/// <see cref="EvaluationSessionSettings"/>, opens the store and runs the <see cref="EvaluationRunner"/>. Problems with the
/// settings are <see cref="EvaluationConfigException"/>s naming the option; an agent that cannot start is a
/// <see cref="PlayerStartException"/> before any game.
/// </summary>
public static class EvaluationSession
{
    public static async Task<EvaluationReport> RunAsync(EvaluationSessionSettings settings, IProgress<EvaluationProgress>? progress,
        ILogger logger, CancellationToken cancellationToken)
    {
        int jobs = settings.Arena.Concurrency;
        var neural = new NeuralPlayOptions
        {
            Temperature = settings.Temperature,
            MaxMovesPerGame = settings.Arena.Rules.MaxPlies,
            Batcher = new InferenceBatcherOptions { MaxBatch = Math.Max(1, jobs * 2), Device = settings.Device },
            TimeControl = settings.Arena.TimeControl,
        };
        var opponents = settings.Opponents.ToList();
        // An unnamed ckpt: opponent that searches is another participant than its plain policy: its name says so.
        if (settings.OpponentSearch is { } opponentSearch)
            for (int i = 0; i < opponents.Count; i++)
                if (opponents[i] is { Kind: ParticipantKind.Checkpoint, NameIsDerived: true } plain)
                    opponents[i] = plain with { Name = plain.Name + NeuralPlayerFactory.SearchSuffix(opponentSearch, settings.Arena.TimeControl) };

        // Engines under a match clock are other participants than under a fixed go limit: the clock is part of their settings.
        var usi = settings.Usi with { TimeControl = settings.Arena.TimeControl };
        await using var participants = new ParticipantResolver(WithSearch(neural, settings.OpponentSearch, jobs), usi, logger);
        var agent = await AgentAsync(settings, participants, WithSearch(neural, settings.AgentSearch, jobs), logger, cancellationToken).ConfigureAwait(false);
        await using var ownedAgent = agent as NeuralPlayerFactory;
        using var store = ResultsStore.Open(settings.Database);
        var request = new EvaluationRequest
        {
            Agent = agent,
            Strategy = settings.Strategy,
            StrategyConfigJson = settings.StrategyConfigJson,
            Opponents = opponents,
            NumGames = settings.NumGames,
            Openings = settings.Openings,
            Seed = settings.Seed,
            Sprt = settings.Sprt,
            ResumeId = settings.ResumeId,
            Arena = settings.Arena,
        };
        return await new EvaluationRunner(store, participants, logger).RunAsync(request, progress, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IPlayerFactory> AgentAsync(EvaluationSessionSettings settings, ParticipantResolver participants,
        NeuralPlayOptions neural, ILogger logger, CancellationToken cancellationToken)
    {
        var agent = settings.Agent;
        if (agent.Kind == ParticipantKind.Checkpoint)
        {
            try
            {
                return NeuralPlayerFactory.FromCheckpoint(agent.Path!, settings.AgentName, neural, logger);
            }
            catch (CheckpointException e)
            {
                throw new EvaluationConfigException($"--agent: {e.Message}", e);
            }
        }
        if (settings.AgentSearch is not null)
            throw new EvaluationConfigException($"--agent-search: applies to a checkpoint agent, found --agent '{agent.Name}'");
        // Keyed apart from the same participant as an opponent.
        var spec = settings.AgentName is { } given ? agent.Named(given) : agent with { Name = $"agent-{agent.Name}" };
        try
        {
            await participants.PrepareAsync([spec], cancellationToken).ConfigureAwait(false);
        }
        catch (PlayerStartException e)
        {
            throw new PlayerStartException($"--agent: {e.Message}", e) { BeforeAnyGame = true };
        }
        return participants.Get(spec);
    }

    /// <summary>Network options of a search player: each game sends <c>batch</c> leaves at once, so the batcher gathers that many per game.</summary>
    private static NeuralPlayOptions WithSearch(NeuralPlayOptions neural, SearchOptions? search, int jobs) =>
        search is null ? neural : neural with { Search = search, Batcher = neural.Batcher with { MaxBatch = Math.Max(1, jobs * search.Batch) } };
}
