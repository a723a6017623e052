using Keisei.Evaluation.Players;
using Keisei.Evaluation.Strategies;
using Microsoft.Extensions.Logging;

namespace Keisei.Evaluation;

/// <summary>Builds the player factory of each named participant once (a checkpoint is loaded once, an engine command parsed once) and disposes them all.</summary>
public sealed class ParticipantResolver(NeuralPlayOptions neuralOptions, UsiPlayOptions usiOptions, ILogger? logger = null) : IAsyncDisposable
{
    private readonly Dictionary<string, (OpponentSpec Spec, IPlayerFactory Factory)> _factories = [];

    /// <summary>The factory for a participant; the same name must always mean the same participant.</summary>
    /// <exception cref="EvaluationConfigException">Two different participants share a name, or a checkpoint cannot be loaded.</exception>
    public IPlayerFactory Get(OpponentSpec spec)
    {
        if (_factories.TryGetValue(spec.Name, out var known))
        {
            if (known.Spec with { InitialRating = null } != spec with { InitialRating = null })
                throw new EvaluationConfigException($"two different opponents are named '{spec.Name}'; give them distinct names");
            return known.Factory;
        }
        IPlayerFactory factory = spec.Kind switch
        {
            ParticipantKind.Random => new RandomPlayerFactory(spec.Name),
            ParticipantKind.Heuristic => new HeuristicPlayerFactory(spec.Name),
            ParticipantKind.Checkpoint => LoadCheckpoint(spec),
            _ => new UsiPlayerFactory(spec.Name, spec.Command!, usiOptions, logger),
        };
        _factories[spec.Name] = (spec, factory);
        return factory;
    }

    private NeuralPlayerFactory LoadCheckpoint(OpponentSpec spec)
    {
        try
        {
            return NeuralPlayerFactory.FromCheckpoint(spec.Path!, spec.Name, neuralOptions, logger);
        }
        catch (Neural.Checkpoints.CheckpointException e)
        {
            throw new EvaluationConfigException($"opponent '{spec.Name}': {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, factory) in _factories.Values) await factory.DisposeAsync().ConfigureAwait(false);
        _factories.Clear();
    }
}
