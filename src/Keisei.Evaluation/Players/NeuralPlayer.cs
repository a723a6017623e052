using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Neural.Models;
using Keisei.Search;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Keisei.Evaluation.Players;

/// <summary>How a network chooses moves.</summary>
public sealed record NeuralPlayOptions
{
    /// <summary>0 plays the most probable move; above 0 samples from the policy sharpened or flattened by this temperature.</summary>
    public double Temperature { get; init; }

    /// <summary>Keisei's <c>max_moves_per_game</c>, which the observation's move-count plane divides by.</summary>
    public int MaxMovesPerGame { get; init; } = 500;

    public InferenceBatcherOptions Batcher { get; init; } = new();

    /// <summary>When set, the network plays through PUCT search with these settings (<see cref="SearchPlayer"/>); <see cref="Temperature"/> is then unused.</summary>
    public SearchOptions? Search { get; init; }

    /// <summary>The match clock; a search player takes its share of it, so under a clock the clock is part of its identity.</summary>
    public TimeControl? TimeControl { get; init; }
}

/// <summary>Plays a network's policy; asks the participant's shared <see cref="InferenceBatcher"/> for each move.</summary>
public sealed class NeuralPlayer(InferenceBatcher batcher, NeuralPlayOptions options, int seed) : IPlayer
{
    private readonly Random _random = new(seed);

    public ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask<PlayerAction> ChooseAsync(Game game, MoveTime time, CancellationToken cancellationToken)
    {
        var context = new EncodingContext(options.MaxMovesPerGame, game.RepetitionCount());
        var answer = await batcher.EvaluateAsync(game.Position, context, cancellationToken).ConfigureAwait(false);
        return PlayerAction.Play(answer.Moves[Pick(answer.Probabilities)], answer.Value);
    }

    private int Pick(float[] probabilities)
    {
        if (options.Temperature <= 0)
        {
            int best = 0;
            for (int i = 1; i < probabilities.Length; i++)
                if (probabilities[i] > probabilities[best]) best = i;
            return best;
        }
        double inverse = 1.0 / options.Temperature, total = 0;
        Span<double> weights = probabilities.Length <= 1024 ? stackalloc double[probabilities.Length] : new double[probabilities.Length];
        for (int i = 0; i < probabilities.Length; i++) total += weights[i] = Math.Pow(probabilities[i], inverse);
        double r = _random.NextDouble() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            r -= weights[i];
            if (r <= 0) return i;
        }
        return weights.Length - 1;
    }

    public ValueTask EndGameAsync(Game game, Color color, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// A network participant: owns the model and one <see cref="InferenceBatcher"/> that all of its games share, so positions
/// of concurrent games go through one forward pass.
/// </summary>
public sealed class NeuralPlayerFactory : IPlayerFactory
{
    private readonly PolicyValueModel _model;
    private readonly bool _ownsModel;
    private readonly InferenceBatcher _batcher;
    private readonly NeuralPlayOptions _options;

    public NeuralPlayerFactory(PolicyValueModel model, PlayerDescriptor descriptor, NeuralPlayOptions? options = null, bool ownsModel = false,
        ILogger? logger = null)
    {
        _model = model;
        _ownsModel = ownsModel;
        _options = options ?? new NeuralPlayOptions();
        _batcher = new InferenceBatcher(model, _options.Batcher, logger);
        Descriptor = descriptor;
    }

    /// <summary>A participant from a checkpoint file; its store name defaults to the file name and the hash's first 8 digits (plus @T for sampling).</summary>
    /// <exception cref="CheckpointException">The checkpoint cannot be used.</exception>
    public static NeuralPlayerFactory FromCheckpoint(string path, string? name = null, NeuralPlayOptions? options = null, ILogger? logger = null)
    {
        var checkpoint = CheckpointFile.Load(path);
        // Sampling plays differently from greedy play, so it is a different participant (name and plan key); so does search.
        double temperature = options?.Temperature ?? 0;
        string suffix = options?.Search is { } search ? SearchSuffix(search, options.TimeControl)
            : temperature > 0 ? FormattableString.Invariant($"@T{temperature:0.###}") : "";
        string details = checkpoint.Info.Model.Describe()
            + (options?.Search is { } s ? $" search {s.Describe()}{(options.TimeControl is { } tc ? $" tc {tc}" : "")}" : suffix);
        var descriptor = new PlayerDescriptor(
            name ?? $"{Path.GetFileNameWithoutExtension(path)}@{checkpoint.Sha256[..8]}{suffix}", ParticipantKind.Checkpoint,
            Path.GetFullPath(path), checkpoint.Sha256, Details: details);
        var device = options?.Batcher.Device ?? torch.CPU;
        if (device.type != DeviceType.CPU) checkpoint.Model.to(device);
        return new NeuralPlayerFactory(checkpoint.Model, descriptor, options, ownsModel: true, logger);
    }

    /// <summary>
    /// The name suffix of a search player: <c>@search(playouts=N)</c> plus every setting that differs from its default, and
    /// <c>@tc60000+1000</c> under a match clock (which bounds its thinking).
    /// </summary>
    public static string SearchSuffix(SearchOptions search, TimeControl? clock = null)
    {
        var standard = (new SearchOptions() with { Playouts = search.Playouts }).Describe().Split(',').ToHashSet(StringComparer.Ordinal);
        // Describe lists some keys only when they differ from their default, so compare settings, not positions.
        var changed = search.Describe().Split(',').Where(p => !standard.Contains(p) || p.StartsWith("playouts=", StringComparison.Ordinal));
        return $"@search({string.Join(',', changed)}){(clock is null ? "" : $"@tc{clock}")}";
    }

    public PlayerDescriptor Descriptor { get; }

    /// <summary>The batcher the participant's games share (for throughput figures).</summary>
    public InferenceBatcher Batcher => _batcher;

    public ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IPlayer>(_options.Search is { } search
            ? new SearchPlayer(new BatcherLeafEvaluator(_batcher), search with { MaxMovesPerGame = _options.MaxMovesPerGame }, gameSeed)
            : new NeuralPlayer(_batcher, _options, gameSeed));

    public async ValueTask DisposeAsync()
    {
        await _batcher.DisposeAsync().ConfigureAwait(false);
        if (_ownsModel) _model.Dispose();
    }
}
