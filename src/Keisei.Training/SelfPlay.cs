using System.Diagnostics;
using Keisei.Neural;
using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Neural.Models;
using Keisei.Shogi;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Training;

/// <summary>Positions collected by self-play for one PPO update: observations, actions, legal moves, values, rewards and the per-player links.</summary>
public sealed class RolloutBuffer
{
    public RolloutBuffer(int capacity, int observationSize)
    {
        Capacity = capacity;
        ObservationSize = observationSize;
        Observations = new float[capacity * observationSize];
        Actions = new int[capacity];
        LogProbs = new float[capacity];
        Values = new float[capacity];
        Rewards = new float[capacity];
        Dones = new bool[capacity];
        Next = new int[capacity];
        Bootstrap = new float[capacity];
        Advantages = new float[capacity];
        Potentials = new float[capacity];
        Returns = new float[capacity];
        LegalOffsets = new int[capacity + 1];
        LegalIndices = new int[capacity * 128];
    }

    public int Capacity { get; }
    public int ObservationSize { get; }
    public int Count { get; private set; }
    public float[] Observations { get; }
    public int[] Actions { get; }
    public float[] LogProbs { get; }
    public float[] Values { get; }
    public float[] Rewards { get; }
    public bool[] Dones { get; }
    public int[] Next { get; }
    public float[] Bootstrap { get; }
    public float[] Advantages { get; }

    /// <summary>Shaping potential Φ of each step's position from the mover's view (0 without shaping).</summary>
    public float[] Potentials { get; }
    public float[] Returns { get; }

    /// <summary>Legal action indices of step i are <c>LegalIndices[LegalOffsets[i] .. LegalOffsets[i + 1]]</c>.</summary>
    public int[] LegalOffsets { get; }

    public int[] LegalIndices { get; private set; }

    public void Clear() => Count = 0;

    /// <summary>Reserves the next step; returns its index.</summary>
    internal int Add(ReadOnlySpan<int> legal)
    {
        int i = Count++;
        int start = LegalOffsets[i];
        if (start + legal.Length > LegalIndices.Length)
        {
            var bigger = LegalIndices;
            Array.Resize(ref bigger, Math.Max(LegalIndices.Length * 2, start + legal.Length));
            LegalIndices = bigger;
        }
        legal.CopyTo(LegalIndices.AsSpan(start));
        LegalOffsets[i + 1] = start + legal.Length;
        Rewards[i] = 0;
        Dones[i] = false;
        Next[i] = -1;
        Bootstrap[i] = 0;
        Potentials[i] = 0;
        return i;
    }

    public ReadOnlySpan<int> Legal(int i) => LegalIndices.AsSpan(LegalOffsets[i], LegalOffsets[i + 1] - LegalOffsets[i]);

    /// <summary>Computes advantages and returns for the steps collected (see <see cref="Gae"/>).</summary>
    public void ComputeAdvantages(double gamma, double lambda) =>
        Gae.Compute(Rewards.AsSpan(0, Count), Values.AsSpan(0, Count), Dones.AsSpan(0, Count), Next.AsSpan(0, Count),
            Bootstrap.AsSpan(0, Count), gamma, lambda, Advantages.AsSpan(0, Count), Returns.AsSpan(0, Count));
}

/// <summary>Self-play results and where the time went, accumulated over a rollout.</summary>
public sealed class SelfPlayStats
{
    public int BlackWins, WhiteWins, Draws;
    public long EpisodePlies;
    public Dictionary<TerminationReason, int> Terminations { get; } = [];
    public TimeSpan EngineTime, EncodingTime, InferenceTime;

    public int Episodes => BlackWins + WhiteWins + Draws;

    public void Reset()
    {
        BlackWins = WhiteWins = Draws = 0;
        EpisodePlies = 0;
        Terminations.Clear();
        EngineTime = EncodingTime = InferenceTime = TimeSpan.Zero;
    }
}

/// <summary>
/// N self-play games side by side, the same network playing both colours: each step encodes every game's position, runs
/// one batched forward pass (eval mode, no gradients), samples a legal move per game, and records the step. A finished
/// game gives its last step of each player +1 (winner), −1 (loser) or 0 (draw, including the max-moves draw) and starts
/// again; games still running when the rollout ends continue in the next one. A NaN or infinite value or legal-move logit
/// stops the rollout with a <see cref="NonFiniteOutputException"/> (never a move sampled from garbage).
/// </summary>
public sealed class SelfPlay
{
    private readonly PolicyValueModel _model;
    private readonly ObservationEncoder _encoder;
    private readonly Device _device;
    private readonly int _maxMoves;
    private readonly Xoshiro _rng;
    private readonly Game[] _games;
    private readonly int[] _lastStep;
    private readonly float[] _headPolicy;
    private readonly float[] _legalLogits = new float[MoveList.Capacity];
    private readonly float[] _batchValues;
    private readonly float[] _bootstrapObservations;
    private readonly float[] _probabilities = new float[MoveList.Capacity];
    private readonly int[] _legal = new int[MoveList.Capacity];
    private readonly Move[] _moves = new Move[MoveList.Capacity];
    private readonly Move[][] _legalMoves;

    private readonly double _shaping, _gamma;

    /// <param name="materialShaping">Scale of potential-based material shaping (0: off); see <see cref="TrainingOptions.MaterialShaping"/>.</param>
    /// <param name="gamma">Discount used in the shaping term γ·Φ(s′) − Φ(s).</param>
    public SelfPlay(PolicyValueModel model, int numEnvs, int maxMovesPerGame, Xoshiro rng, Device? device = null, double materialShaping = 0, double gamma = 0.99)
    {
        _shaping = materialShaping;
        _gamma = gamma;
        _model = model;
        _encoder = ObservationEncoder.ByName(model.Config.Observation);
        _device = device ?? torch.CPU;
        _maxMoves = maxMovesPerGame;
        _rng = rng;
        _games = new Game[numEnvs];
        for (int e = 0; e < numEnvs; e++) _games[e] = NewGame();
        _lastStep = new int[numEnvs * 2];
        Array.Fill(_lastStep, -1);
        _headPolicy = new float[numEnvs * model.HeadPolicySize];
        _batchValues = new float[numEnvs];
        _bootstrapObservations = new float[numEnvs * _encoder.Size];
        _legalMoves = new Move[numEnvs][];
        for (int e = 0; e < numEnvs; e++) _legalMoves[e] = new Move[MoveList.Capacity];
    }

    public int NumEnvs => _games.Length;

    private Game NewGame() => new(new GameRules { MaxPlies = _maxMoves, AllowEnteringKingDeclaration = false });

    /// <summary>Collects exactly <paramref name="steps"/> steps into <paramref name="buffer"/> (cleared first) and sets the bootstraps.</summary>
    public void Collect(RolloutBuffer buffer, int steps, SelfPlayStats stats)
    {
        if (steps > buffer.Capacity) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"more than the buffer's capacity {buffer.Capacity}");
        _model.eval();
        buffer.Clear();
        int size = _encoder.Size;
        var clock = new Stopwatch();
        while (buffer.Count < steps)
        {
            int k = Math.Min(_games.Length, steps - buffer.Count);
            int first = buffer.Count;
            clock.Restart();
            for (int e = 0; e < k; e++)
            {
                var game = _games[e];
                int count = ActionSpace.LegalActions(game.Position, _legal, _legalMoves[e]);
                int i = buffer.Add(_legal.AsSpan(0, count));
                if (_shaping > 0) buffer.Potentials[i] = Potential(game.Position, game.SideToMove);
                _encoder.Encode(game.Position, new EncodingContext(_maxMoves, game.RepetitionCount()), buffer.Observations.AsSpan(i * size, size));
            }
            stats.EncodingTime += clock.Elapsed;

            clock.Restart();
            Forward(buffer.Observations.AsSpan(first * size, k * size), k);
            stats.InferenceTime += clock.Elapsed;

            clock.Restart();
            for (int e = 0; e < k; e++)
            {
                int i = first + e;
                var legal = buffer.Legal(i);
                var logits = _legalLogits.AsSpan(0, legal.Length);
                int headSize = _model.HeadPolicySize;
                _model.LegalLogits(_headPolicy.AsSpan(e * headSize, headSize), legal, _games[e].SideToMove, logits);
                FiniteChecks.EnsureFiniteOutput(logits, legal, _batchValues[e], () => $"self-play game {e} at {_games[e].Position.ToSfen()}");
                PolicyMath.Softmax(logits, _probabilities);
                int choice = Sample(_probabilities.AsSpan(0, legal.Length));
                buffer.Actions[i] = legal[choice];
                buffer.LogProbs[i] = MathF.Log(Math.Max(_probabilities[choice], 1e-30f));
                buffer.Values[i] = _batchValues[e];

                var game = _games[e];
                int slot = e * 2 + (int)game.SideToMove;
                if (_lastStep[slot] >= 0)
                {
                    int previous = _lastStep[slot];
                    buffer.Next[previous] = i;
                    buffer.Rewards[previous] += (float)(_gamma * buffer.Potentials[i] - buffer.Potentials[previous]);
                }
                _lastStep[slot] = i;
                game.PlayLegal(_legalMoves[e][choice]);
                if (game.IsOver) Finish(buffer, e, stats);
            }
            stats.EngineTime += clock.Elapsed;
        }
        Bootstrap(buffer);
    }

    private void Finish(RolloutBuffer buffer, int e, SelfPlayStats stats)
    {
        var game = _games[e];
        for (int c = 0; c < 2; c++)
        {
            int last = _lastStep[e * 2 + c];
            if (last < 0) continue;
            buffer.Dones[last] = true;
            float outcome = (float)(2 * game.Result.ScoreFor((Color)c) - 1); // +1 win, 0 draw, −1 loss
            // The potential of a finished game is 0, so the shaping term of a last step is −Φ(its position).
            buffer.Rewards[last] = outcome - buffer.Potentials[last];
            _lastStep[e * 2 + c] = -1;
        }
        if (game.Result == GameResult.BlackWin) stats.BlackWins++;
        else if (game.Result == GameResult.WhiteWin) stats.WhiteWins++;
        else stats.Draws++;
        stats.EpisodePlies += game.Plies;
        stats.Terminations[game.Termination] = stats.Terminations.GetValueOrDefault(game.Termination) + 1;
        _games[e] = NewGame();
    }

    /// <summary>Sequences cut by the end of the rollout bootstrap from the current position: V for the side to move, −V for the other.</summary>
    private void Bootstrap(RolloutBuffer buffer)
    {
        int size = _encoder.Size;
        for (int e = 0; e < _games.Length; e++)
            _encoder.Encode(_games[e].Position, new EncodingContext(_maxMoves, _games[e].RepetitionCount()), _bootstrapObservations.AsSpan(e * size, size));
        Forward(_bootstrapObservations, _games.Length);
        for (int e = 0; e < _games.Length; e++)
        {
            if (!float.IsFinite(_batchValues[e]))
                throw new NonFiniteOutputException($"The network's value is {_batchValues[e]} for self-play game {e} at {_games[e].Position.ToSfen()} (bootstrap).");
            var toMove = _games[e].SideToMove;
            for (int c = 0; c < 2; c++)
            {
                int last = _lastStep[e * 2 + c];
                if (last < 0) continue;
                buffer.Bootstrap[last] = c == (int)toMove ? _batchValues[e] : -_batchValues[e];
                if (_shaping > 0) buffer.Rewards[last] += (float)(_gamma * Potential(_games[e].Position, (Color)c) - buffer.Potentials[last]);
                _lastStep[e * 2 + c] = -1;
            }
        }
    }

    /// <summary>Φ = scale × the material balance of <paramref name="side"/> (see <see cref="Material.Balance"/>).</summary>
    private float Potential(Position position, Color side) => (float)(_shaping * Material.Balance(position, side));

    private void Forward(ReadOnlySpan<float> observations, int n)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = TensorData.FromFloats(observations[..(n * _encoder.Size)], n, _encoder.Channels, 9, 9);
        var (policy, value) = _model.ForwardHeads(input.to(_device));
        TensorData.CopyTo(policy, _headPolicy.AsSpan(0, n * _model.HeadPolicySize));
        TensorData.CopyTo(value, _batchValues.AsSpan(0, n));
    }

    private int Sample(ReadOnlySpan<float> probabilities)
    {
        double r = _rng.NextDouble();
        for (int i = 0; i < probabilities.Length; i++)
        {
            r -= probabilities[i];
            if (r < 0) return i;
        }
        return probabilities.Length - 1;
    }

    /// <summary>The games in progress as USI move lists from the start position (saved in checkpoints for an exact resume).</summary>
    public IReadOnlyList<string> SaveGames() => _games.Select(g => string.Join(' ', g.Moves.Select(m => m.ToUsi()))).ToList();

    /// <summary>Replays games saved by <see cref="SaveGames"/>.</summary>
    public void RestoreGames(IReadOnlyList<string> games)
    {
        if (games.Count != _games.Length) throw new ArgumentException($"{games.Count} saved games for {_games.Length} environments.", nameof(games));
        for (int e = 0; e < _games.Length; e++)
        {
            var game = NewGame();
            foreach (string text in games[e].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                game.PlayLegal(UsiNotation.ParseMove(game.Position, text));
            _games[e] = game;
        }
    }
}
