using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Shogi;

namespace Keisei.Search;

/// <summary>One move of the root with what the search learnt about it; <see cref="Q"/> is from the root mover's view.</summary>
public readonly record struct RootMove(Move Move, int Visits, float Q, float Prior);

/// <summary>
/// What a search decided. <see cref="DeclareWin"/>: the side to move may declare an entering-king win (then
/// <see cref="Move"/> is none). <see cref="Value"/>: the chosen move's value for the side to move, in [-1, 1].
/// <see cref="ProvenWin"/>: the chosen move wins by the rules (mate in one or declaration).
/// </summary>
public sealed record SearchResult(
    Move Move,
    bool DeclareWin,
    float Value,
    bool ProvenWin,
    int Playouts,
    int RootVisits,
    int Nodes,
    int MaxDepth,
    double MeanDepth,
    IReadOnlyList<RootMove> RootMoves,
    IReadOnlyList<Move> PrincipalVariation);

/// <summary>
/// AlphaZero-style PUCT search over one game: priors from the policy head over the legal moves, values from the value
/// head (side to move; negamax backup), terminal positions scored by <see cref="Game"/>'s rules (mate, sennichite,
/// perpetual check, ply limit) and the entering-king declaration, and moves that mate at once found when a node is
/// expanded. Leaves go to the <see cref="ILeafEvaluator"/> <see cref="SearchOptions.Batch"/> at a time with virtual loss.
/// The tree of the moves actually played is kept for the next search. Not thread-safe: one search per game at a time.
/// </summary>
public sealed class PuctSearch
{
    private enum NodeState : byte
    {
        New,
        Pending,
        Expanded,
        Terminal,
    }

    private sealed class Node
    {
        public Move[] Moves = [];
        public float[] Priors = [];
        public Node?[] Children = [];
        public int Visits, VirtualLoss;

        /// <summary>Sum of backed-up values from the view of the side that moved into this node.</summary>
        public double ValueSum;
        public NodeState State;

        /// <summary>Exact value for this node's side to move (terminal nodes; 0 for a draw, which <see cref="SearchOptions.DrawValue"/> replaces).</summary>
        public float TerminalValue;

        /// <summary>A terminal node that is a draw (by the rules, or a repetition scored as one).</summary>
        public bool Draw;

        /// <summary>Index of a move that wins at once by the rules, or -1.</summary>
        public int WinningMove = -1;
    }

    private readonly ILeafEvaluator _evaluator;
    private readonly SearchOptions _options;
    private readonly Random _random;
    private Game? _game;
    private Node? _root;
    private int _nodes;
    private float[]? _rootPriors;
    private Color _searcher;

    public PuctSearch(ILeafEvaluator evaluator, SearchOptions options, int seed)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _evaluator = evaluator;
        _options = options;
        _random = new Random(seed);
    }

    public SearchOptions Options => _options;

    /// <summary>Nodes in the tree now (kept from earlier moves included).</summary>
    public int Nodes => _nodes;

    /// <summary>
    /// Searches the position of <paramref name="game"/> (which must be ongoing and is not changed) with
    /// <paramref name="playouts"/> (default <see cref="SearchOptions.Playouts"/>) new playouts, or fewer when
    /// <paramref name="stop"/> is signalled (the leaves in flight are finished first) or the tree is full.
    /// <paramref name="cancellationToken"/> abandons the search and its tree. <paramref name="progress"/>, when given, is
    /// called on the search's thread once the root is evaluated (before the first playout: the priors and any visits kept
    /// from earlier moves) and after each batch of leaves, with the result so far (the most visited move, never sampled);
    /// returning true ends the search there (a caller's time control or "the best move is decided" rule).
    /// </summary>
    public async Task<SearchResult> SearchAsync(Game game, int? playouts = null, CancellationToken stop = default,
        CancellationToken cancellationToken = default, Func<SearchResult, bool>? progress = null)
    {
        if (game.IsOver) throw new InvalidOperationException($"The game is over ({game.Result}, {game.Termination}).");
        int target = playouts ?? _options.Playouts;
        ArgumentOutOfRangeException.ThrowIfLessThan(target, 0, nameof(playouts));
        var root = PrepareRoot(game);
        if (game.Rules.AllowEnteringKingDeclaration && _game!.Position.CanDeclareEnteringKingWin())
            return new SearchResult(Move.None, true, 1, true, 0, root.Visits, _nodes, 0, 0, [], []);
        try
        {
            return await RunAsync(root, target, stop, progress, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Clear();
            throw;
        }
    }

    /// <summary>Forgets the tree (for example when a new game starts).</summary>
    public void Clear()
    {
        _root = null;
        _game = null;
        _nodes = 0;
        _rootPriors = null;
    }

    private Node PrepareRoot(Game game)
    {
        Node? root = null;
        if (_options.ReuseTree && _game is not null && _root is not null && _game.StartSfen == game.StartSfen
            && _game.Rules == game.Rules && game.Plies >= _game.Plies && SamePrefix(game.Moves, _game.Moves))
        {
            root = _root;
            for (int i = _game.Plies; i < game.Plies && root is not null; i++)
            {
                var move = game.Moves[i];
                root = root.State == NodeState.Expanded ? ChildFor(root, move) : null;
                _game.PlayLegal(move);
            }
            if (root is { State: NodeState.Expanded })
            {
                _nodes = Count(root);
                if (_nodes >= _options.NodeBudget) root = null;
            }
            else root = null;
        }
        if (root is null)
        {
            _game = new Game(game.Rules, game.StartSfen);
            foreach (var move in game.Moves) _game.PlayLegal(move);
            root = new Node();
            _nodes = 1;
        }
        _root = root;
        _rootPriors = null;
        return root;
    }

    private static bool SamePrefix(IReadOnlyList<Move> longer, IReadOnlyList<Move> prefix)
    {
        for (int i = 0; i < prefix.Count; i++)
            if (longer[i] != prefix[i]) return false;
        return true;
    }

    private static Node? ChildFor(Node node, Move move)
    {
        int i = Array.IndexOf(node.Moves, move);
        return i >= 0 ? node.Children[i] : null;
    }

    private static int Count(Node root)
    {
        int count = 0;
        var stack = new Stack<Node>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            count++;
            foreach (var child in node.Children)
                if (child is not null) stack.Push(child);
        }
        return count;
    }

    private readonly record struct Leaf(Node[] Path, Position Position, Task<PolicyValue> Evaluation);

    private async Task<SearchResult> RunAsync(Node root, int target, CancellationToken stop, Func<SearchResult, bool>? progress,
        CancellationToken cancellationToken)
    {
        var game = _game!;
        _searcher = game.SideToMove;
        if (root.State == NodeState.New)
        {
            root.State = NodeState.Pending;
            var answer = await Evaluate(game, game.Position.Clone(), cancellationToken).ConfigureAwait(false);
            Expand(root, answer, game.Position);
            Backup([root], answer.Value);
        }
        if (_options.DirichletFraction > 0 && root.State == NodeState.Expanded) _rootPriors = NoisyPriors(root.Priors);
        if (progress is not null && progress(Result(root, 0, 0, 0, sample: false))) return Result(root, 0, 0, 0, sample: true);

        int done = 0, maxDepth = 0;
        long depthSum = 0;
        var leaves = new List<Leaf>(_options.Batch);
        var path = new List<Node>();
        bool full = false;
        while (done < target && !full && root.WinningMove < 0 && root.State == NodeState.Expanded && !stop.IsCancellationRequested)
        {
            leaves.Clear();
            // A batch ends with Batch leaves or after Batch exact visits, so that a tree whose lines all end in terminal
            // positions (a lost endgame) still returns to the stop token, the progress callback and the target.
            int exact = 0;
            while (leaves.Count < _options.Batch && exact < _options.Batch && done + leaves.Count < target)
            {
                path.Clear();
                path.Add(root);
                root.VirtualLoss += _options.VirtualLoss;
                var node = root;
                while (node.State == NodeState.Expanded && node.WinningMove < 0)
                {
                    int i = Select(node, node == root ? _rootPriors ?? node.Priors : node.Priors);
                    var child = node.Children[i];
                    if (child is null)
                    {
                        if (_nodes >= _options.NodeBudget)
                        {
                            full = true;
                            break;
                        }
                        child = node.Children[i] = new Node();
                        _nodes++;
                    }
                    game.PlayLegal(node.Moves[i]);
                    child.VirtualLoss += _options.VirtualLoss;
                    path.Add(child);
                    node = child;
                    if (node.State == NodeState.New) Classify(node, game, _options.RepetitionIsDraw);
                }
                int depth = path.Count - 1;
                if (full || node.State == NodeState.Pending)
                {
                    // The tree is full, or this leaf is already on its way (a collision): send what we have.
                    foreach (var n in path) n.VirtualLoss -= _options.VirtualLoss;
                    for (int k = 0; k < depth; k++) game.Undo();
                    break;
                }
                maxDepth = Math.Max(maxDepth, depth);
                depthSum += depth;
                if (node.State == NodeState.New)
                {
                    node.State = NodeState.Pending;
                    var position = game.Position.Clone();
                    leaves.Add(new Leaf([.. path], position, Evaluate(game, position, cancellationToken)));
                }
                else
                {
                    // Terminal, or a proven win (a move that mates at once): the value is exact.
                    foreach (var n in path) n.VirtualLoss -= _options.VirtualLoss;
                    Backup([.. path], node.State != NodeState.Terminal ? 1 : node.Draw ? DrawValueFor(game.SideToMove) : node.TerminalValue);
                    done++;
                    exact++;
                }
                for (int k = 0; k < depth; k++) game.Undo();
            }
            if (leaves.Count > 0)
            {
                await Task.WhenAll(leaves.Select(l => l.Evaluation)).ConfigureAwait(false);
                foreach (var leaf in leaves)
                {
                    var answer = leaf.Evaluation.Result;
                    foreach (var n in leaf.Path) n.VirtualLoss -= _options.VirtualLoss;
                    var node = leaf.Path[^1];
                    Expand(node, answer, leaf.Position);
                    Backup(leaf.Path, node.WinningMove >= 0 ? 1 : answer.Value);
                    done++;
                }
            }
            if (progress is not null && progress(Result(root, done, maxDepth, done > 0 ? (double)depthSum / done : 0, sample: false))) break;
        }
        return Result(root, done, maxDepth, done > 0 ? (double)depthSum / done : 0, sample: true);
    }

    /// <summary>The value of a draw for <paramref name="side"/>: <see cref="SearchOptions.DrawValue"/> for the searching side, its negation for the other.</summary>
    private float DrawValueFor(Color side) => (float)(side == _searcher ? _options.DrawValue : -_options.DrawValue);

    private Task<PolicyValue> Evaluate(Game game, Position position, CancellationToken cancellationToken) =>
        _evaluator.EvaluateAsync(position, new EncodingContext(_options.MaxMovesPerGame, game.RepetitionCount()), cancellationToken).AsTask();

    /// <summary>Marks a node just reached as terminal when the rules decide it (or, with <paramref name="repetitionIsDraw"/>, it repeats).</summary>
    private static void Classify(Node node, Game game, bool repetitionIsDraw)
    {
        if (game.IsOver)
        {
            node.State = NodeState.Terminal;
            node.Draw = game.Result == GameResult.Draw;
            node.TerminalValue = game.Result switch
            {
                GameResult.Draw => 0,
                GameResult.BlackWin => game.SideToMove == Color.Black ? 1 : -1,
                _ => game.SideToMove == Color.White ? 1 : -1,
            };
        }
        else if (game.Rules.AllowEnteringKingDeclaration && game.Position.CanDeclareEnteringKingWin())
        {
            node.State = NodeState.Terminal;
            node.TerminalValue = 1;
        }
        else if (repetitionIsDraw && game.RepetitionCount() > 1)
        {
            node.State = NodeState.Terminal;
            node.TerminalValue = 0;
            node.Draw = true;
        }
    }

    /// <summary>Stores the network's answer in a pending node and looks for a move that mates at once.</summary>
    private static void Expand(Node node, PolicyValue answer, Position position)
    {
        node.Moves = answer.Moves;
        node.Priors = answer.Probabilities;
        node.Children = new Node?[answer.Moves.Length];
        node.State = NodeState.Expanded;
        for (int i = 0; i < node.Moves.Length; i++)
        {
            position.DoMove(node.Moves[i]);
            bool mates = position.InCheck && !position.HasLegalMove();
            position.UndoMove();
            if (!mates) continue;
            node.WinningMove = i;
            break;
        }
    }

    /// <summary>Adds <paramref name="value"/> (for the side to move at the path's last node) to every node of the path.</summary>
    private static void Backup(Node[] path, float value)
    {
        double v = -value;
        for (int k = path.Length - 1; k >= 0; k--)
        {
            path[k].Visits++;
            path[k].ValueSum += v;
            v = -v;
        }
    }

    private int Select(Node node, float[] priors)
    {
        double parentVisits = node.Visits + node.VirtualLoss;
        double c = _options.CpuctInit + Math.Log((parentVisits + _options.CpuctBase + 1) / _options.CpuctBase);
        double scale = c * Math.Sqrt(Math.Max(parentVisits, 1));
        double fpu = (node.Visits > 0 ? -node.ValueSum / node.Visits : 0) - _options.FpuReduction;
        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int i = 0; i < node.Children.Length; i++)
        {
            var child = node.Children[i];
            int n = child is null ? 0 : child.Visits + child.VirtualLoss;
            double q = n == 0 ? fpu : (child!.ValueSum - child.VirtualLoss) / n;
            double score = q + scale * priors[i] / (1 + n);
            if (score > bestScore)
            {
                bestScore = score;
                best = i;
            }
        }
        return best;
    }

    private float[] NoisyPriors(float[] priors)
    {
        var noise = new double[priors.Length];
        Dirichlet.Sample(_random, _options.DirichletAlpha, noise);
        var mixed = new float[priors.Length];
        double eps = _options.DirichletFraction;
        for (int i = 0; i < priors.Length; i++) mixed[i] = (float)((1 - eps) * priors[i] + eps * noise[i]);
        return mixed;
    }

    /// <summary>
    /// The most visited line of the current tree that starts with <paramref name="first"/> (a root move), at most 64 moves;
    /// just <paramref name="first"/> when the tree has nothing below it. For several lines (MultiPV). Call it between
    /// searches or from a search's progress callback, never while a search runs on another thread.
    /// </summary>
    public IReadOnlyList<Move> Line(Move first)
    {
        if (_root is not { State: NodeState.Expanded } root) return [first];
        int i = Array.IndexOf(root.Moves, first);
        return i < 0 ? [first] : LineFrom(root, i);
    }

    private static List<Move> LineFrom(Node root, int first)
    {
        var pv = new List<Move> { root.Moves[first] };
        for (var node = root.Children[first]; node is not null && node.State == NodeState.Expanded && pv.Count < 64;)
        {
            int best = node.WinningMove;
            if (best < 0)
            {
                for (int i = 0; i < node.Children.Length; i++)
                    if (node.Children[i] is { Visits: > 0 } c && (best < 0 || c.Visits > node.Children[best]!.Visits)) best = i;
                if (best < 0) break;
            }
            pv.Add(node.Moves[best]);
            node = node.Children[best];
        }
        return pv;
    }

    private SearchResult Result(Node root, int playouts, int maxDepth, double meanDepth, bool sample)
    {
        if (root.State != NodeState.Expanded) throw new InvalidOperationException("The root was not evaluated.");
        var moves = new RootMove[root.Moves.Length];
        for (int i = 0; i < moves.Length; i++)
        {
            var child = root.Children[i];
            int n = child?.Visits ?? 0;
            float q = i == root.WinningMove ? 1 : n > 0 ? (float)(child!.ValueSum / n) : float.NaN;
            moves[i] = new RootMove(root.Moves[i], n, q, root.Priors[i]);
        }
        int chosen = root.WinningMove >= 0 ? root.WinningMove : Choose(moves, sample);
        var pv = LineFrom(root, chosen);
        float value = float.IsNaN(moves[chosen].Q) ? (root.Visits > 0 ? (float)(-root.ValueSum / root.Visits) : 0) : moves[chosen].Q;
        bool proven = root.WinningMove >= 0 || root.Children[chosen] is { State: NodeState.Terminal, TerminalValue: -1 };
        return new SearchResult(root.Moves[chosen], false, value, proven, playouts, root.Visits, _nodes, maxDepth, meanDepth, moves, pv);
    }

    /// <summary>The most visited move (ties: higher prior), or with a temperature a move sampled by visits^(1/T).</summary>
    private int Choose(RootMove[] moves, bool sample)
    {
        int best = 0;
        for (int i = 1; i < moves.Length; i++)
            if (moves[i].Visits > moves[best].Visits || (moves[i].Visits == moves[best].Visits && moves[i].Prior > moves[best].Prior)) best = i;
        if (!sample || _options.Temperature <= 0 || moves[best].Visits == 0) return best;
        double inverse = 1 / _options.Temperature, total = 0;
        var weights = new double[moves.Length];
        for (int i = 0; i < moves.Length; i++) total += weights[i] = Math.Pow(moves[i].Visits / (double)moves[best].Visits, inverse);
        double r = _random.NextDouble() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            r -= weights[i];
            if (r <= 0 && weights[i] > 0) return i;
        }
        return best;
    }
}
