using Keisei.Evaluation.Players;
using Keisei.Evaluation.Strategies;
using Microsoft.Extensions.Logging;

namespace Keisei.Evaluation;

/// <summary>
/// Builds the player factory of each named participant once (a checkpoint is loaded once, an engine started once to learn
/// its identity) and disposes them all. USI engines must be prepared with <see cref="PrepareAsync"/> before
/// <see cref="Get"/>, since starting one takes time and may fail.
/// </summary>
public sealed class ParticipantResolver(NeuralPlayOptions neuralOptions, UsiPlayOptions usiOptions, ILogger? logger = null) : IAsyncDisposable
{
    private readonly Dictionary<string, (OpponentSpec Spec, IPlayerFactory Factory)> _factories = [];
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _preparing = new(1, 1);

    /// <summary>
    /// Starts each USI engine among <paramref name="specs"/> not prepared yet, once, to check that it runs and to learn its
    /// <c>id name</c> (see <see cref="UsiPlayerFactory.StartAsync"/>). Evaluations running side by side may share the resolver.
    /// </summary>
    /// <exception cref="PlayerStartException">An engine cannot be started; the message names its command.</exception>
    /// <exception cref="EvaluationConfigException">Two participants end up with one name.</exception>
    public async Task PrepareAsync(IEnumerable<OpponentSpec> specs, CancellationToken cancellationToken)
    {
        await _preparing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var spec in specs.Where(s => s.Kind == ParticipantKind.Usi))
            {
                lock (_lock)
                {
                    if (_factories.TryGetValue(spec.Name, out var known))
                    {
                        CheckSame(known.Spec, spec);
                        continue;
                    }
                }
                var factory = await UsiPlayerFactory.StartAsync(spec.NameIsDerived ? null : spec.Name, spec.Command!, usiOptions, logger, cancellationToken)
                    .ConfigureAwait(false);
                lock (_lock)
                {
                    var clash = _factories.Values.Where(f => f.Factory.Descriptor.Name == factory.Descriptor.Name).Select(f => f.Spec).FirstOrDefault();
                    if (clash is { } other)
                        throw new EvaluationConfigException(
                            $"'{spec.Command}' and '{other.Command ?? other.Name}' would both be called '{factory.Descriptor.Name}'; give them distinct names");
                    _factories[spec.Name] = (spec, factory);
                }
            }
        }
        finally
        {
            _preparing.Release();
        }
    }

    /// <summary>The factory for a participant; the same name must always mean the same participant.</summary>
    /// <exception cref="EvaluationConfigException">Two different participants share a name, or a checkpoint cannot be loaded.</exception>
    /// <exception cref="InvalidOperationException">A USI engine that was not prepared.</exception>
    public IPlayerFactory Get(OpponentSpec spec)
    {
        lock (_lock)
        {
            if (_factories.TryGetValue(spec.Name, out var known))
            {
                CheckSame(known.Spec, spec);
                return known.Factory;
            }
            IPlayerFactory factory = spec.Kind switch
            {
                ParticipantKind.Random => new RandomPlayerFactory(spec.Name),
                ParticipantKind.Heuristic => new HeuristicPlayerFactory(spec.Name),
                ParticipantKind.Checkpoint => LoadCheckpoint(spec),
                _ => throw new InvalidOperationException($"The USI engine '{spec.Name}' was not prepared (PrepareAsync)."),
            };
            _factories[spec.Name] = (spec, factory);
            return factory;
        }
    }

    private static void CheckSame(OpponentSpec known, OpponentSpec spec)
    {
        if (known with { InitialRating = null } != spec with { InitialRating = null })
            throw new EvaluationConfigException($"two different opponents are named '{spec.Name}'; give them distinct names");
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
        List<IPlayerFactory> factories;
        lock (_lock)
        {
            factories = _factories.Values.Select(f => f.Factory).ToList();
            _factories.Clear();
        }
        foreach (var factory in factories) await factory.DisposeAsync().ConfigureAwait(false);
        _preparing.Dispose();
    }
}
