namespace Keisei.Evaluation.Statistics;

/// <summary>One game between two named players: <paramref name="ScoreA"/> is A's score (0, 0.5 or 1).</summary>
public readonly record struct PairwiseGame(string PlayerA, string PlayerB, double ScoreA);

/// <summary>How a Bradley–Terry fit is anchored and regularised.</summary>
public sealed record BradleyTerryOptions
{
    /// <summary>The player whose rating is fixed at <see cref="ReferenceRating"/>; null fixes the pool mean there instead.</summary>
    public string? Anchor { get; init; }

    /// <summary>The anchor's rating, or the mean rating of the pool when there is no anchor.</summary>
    public double ReferenceRating { get; init; }

    /// <summary>A checkpoint series (oldest first) whose consecutive members get <see cref="SeriesPriorDraws"/> virtual draws.</summary>
    public IReadOnlyList<string>? SeriesOrder { get; init; }

    /// <summary>Virtual games, each scored as a draw, between every two consecutive players of <see cref="SeriesOrder"/> (e.g. 2); 0 for none.</summary>
    public double SeriesPriorDraws { get; init; }

    /// <summary>Virtual drawn games per player, spread evenly over all other players, that keep every rating finite (default 0.1; must be &gt; 0).</summary>
    public double RegularizationGames { get; init; } = 0.1;
}

/// <summary>One player's fitted Bradley–Terry rating.</summary>
/// <param name="Player">The player's name.</param>
/// <param name="Rating">Fitted rating (logistic Elo scale).</param>
/// <param name="StandardError">Standard error of the rating (0 for the anchor).</param>
/// <param name="Games">Real games played (virtual prior and regularisation games not counted).</param>
/// <param name="Points">Points scored in real games.</param>
/// <param name="Score">Points/Games; NaN without games.</param>
/// <param name="DependsOnRegularization">True when, without the regularisation games, this rating would not be finite (see <see cref="BradleyTerry"/>).</param>
/// <param name="LosOverNext">Probability that this player is stronger than the next one in rating order; NaN for the last.</param>
public sealed record BradleyTerryRating(
    string Player,
    double Rating,
    double StandardError,
    int Games,
    double Points,
    double Score,
    bool DependsOnRegularization,
    double LosOverNext);

/// <summary>The result of a Bradley–Terry fit: ratings in descending order and their covariance.</summary>
public sealed record BradleyTerryFit
{
    private readonly Dictionary<string, int> _index;
    private readonly double[,] _covariance;
    private readonly int[] _position;

    internal BradleyTerryFit(IReadOnlyList<BradleyTerryRating> ratings, Dictionary<string, int> index, double[,] covariance, int iterations, bool converged, BradleyTerryOptions options)
    {
        Ratings = ratings;
        _index = index;
        _position = new int[ratings.Count];
        for (var k = 0; k < ratings.Count; k++)
        {
            _position[index[ratings[k].Player]] = k;
        }

        _covariance = covariance;
        Iterations = iterations;
        Converged = converged;
        Options = options;
    }

    /// <summary>Every player, highest rating first.</summary>
    public IReadOnlyList<BradleyTerryRating> Ratings { get; }

    /// <summary>Newton iterations used.</summary>
    public int Iterations { get; }

    /// <summary>Whether the Newton iteration met its tolerance (step below 1e-10 in natural log-odds).</summary>
    public bool Converged { get; }

    /// <summary>The options the fit used.</summary>
    public BradleyTerryOptions Options { get; }

    /// <summary>The rating of a player by name.</summary>
    public BradleyTerryRating this[string player] => Ratings[_position[IndexOrThrow(player).Index]];

    /// <summary>Covariance of two players' ratings (Elo²).</summary>
    public double Covariance(string a, string b) => _covariance[IndexOrThrow(a).Index, IndexOrThrow(b).Index];

    /// <summary>Probability that <paramref name="a"/> is stronger than <paramref name="b"/>: Φ((R_a − R_b)/SD(R_a − R_b)).</summary>
    public double Los(string a, string b)
    {
        var ra = this[a].Rating;
        var rb = this[b].Rating;
        return BradleyTerry.Los(ra - rb, Covariance(a, a) + Covariance(b, b) - 2 * Covariance(a, b));
    }

    private (string Name, int Index) IndexOrThrow(string player) =>
        _index.TryGetValue(player, out var i) ? (player, i) : throw new KeyNotFoundException($"player '{player}' is not in the fit");
}

/// <summary>Maximum-likelihood Bradley–Terry ratings of a whole pool of players from their games.</summary>
/// <remarks>
/// Model: P(i beats j) = 1/(1 + 10^((R_j − R_i)/400)); a draw counts as half a win for each side, so a game scored s for i
/// adds s·ln P(i beats j) + (1 − s)·ln P(j beats i) to the log-likelihood. The fit is Newton's method with step halving.
/// <para>Virtual games enter the likelihood exactly like real draws (half a point to each side) and therefore also the
/// Hessian and the standard errors; they are never counted in <see cref="BradleyTerryRating.Games"/> or
/// <see cref="BradleyTerryRating.Points"/>:</para>
/// <list type="bullet">
/// <item>Series prior: <see cref="BradleyTerryOptions.SeriesPriorDraws"/> virtual games between each two consecutive players of
/// <see cref="BradleyTerryOptions.SeriesOrder"/> (KataGo's checkpoint-series prior).</item>
/// <item>Regularisation: <see cref="BradleyTerryOptions.RegularizationGames"/> = ε virtual games per player, ε/(n − 1) with each of
/// the n − 1 others. It touches only rating differences, so it works with an anchor or a fixed mean, and it makes the
/// likelihood strictly concave: a player with all wins, all losses or no link to the others gets a finite rating (pulled
/// toward the pool) with a large standard error instead of diverging. It moves any player's expected score by at most
/// ε/2 points in total, so with the default 0.1 its effect on a player with dozens of games is a small fraction of the
/// standard error.</item>
/// </list>
/// <para>Without the regularisation the maximum-likelihood estimate exists only for players in the same strongly
/// connected component as the anchor in the graph "i scored points against j" over real and prior games (with no anchor,
/// only when that graph is strongly connected). Other players are flagged <see cref="BradleyTerryRating.DependsOnRegularization"/>:
/// treat their ratings as unrated placeholders.</para>
/// <para>Standard errors come from the inverse of the negative Hessian of the free parameters (all but the anchor; with no
/// anchor, the same inverse projected onto ratings with a fixed mean).</para>
/// </remarks>
public static class BradleyTerry
{
    private const double EloPerNatural = 400.0 / 2.302585092994046; // 400 / ln 10

    /// <summary>Fits ratings to the games; throws <see cref="ArgumentException"/> for invalid games or options.</summary>
    public static BradleyTerryFit Fit(IEnumerable<PairwiseGame> games, BradleyTerryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(games);
        options ??= new BradleyTerryOptions();
        ValidateOptions(options);

        // Players in order of first appearance: games, then the series order, then the anchor.
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        int Id(string name)
        {
            if (!index.TryGetValue(name, out var i))
            {
                i = names.Count;
                index[name] = i;
                names.Add(name);
            }

            return i;
        }

        var gameList = new List<(int A, int B, double S)>();
        foreach (var g in games)
        {
            if (string.IsNullOrEmpty(g.PlayerA) || string.IsNullOrEmpty(g.PlayerB))
            {
                throw new ArgumentException("a game has an empty player name", nameof(games));
            }

            if (g.PlayerA == g.PlayerB)
            {
                throw new ArgumentException($"player '{g.PlayerA}' plays against itself", nameof(games));
            }

            if (g.ScoreA is not (0.0 or 0.5 or 1.0))
            {
                throw new ArgumentException($"game {g.PlayerA} vs {g.PlayerB}: score {g.ScoreA} is not 0, 0.5 or 1", nameof(games));
            }

            gameList.Add((Id(g.PlayerA), Id(g.PlayerB), g.ScoreA));
        }

        if (options.SeriesOrder is { } order)
        {
            foreach (var name in order)
            {
                Id(name);
            }
        }

        if (options.Anchor is { } anchorName && !index.ContainsKey(anchorName))
        {
            throw new ArgumentException($"anchor '{anchorName}' played no game and is not in the series order", nameof(options));
        }

        var n = names.Count;
        var anchor = options.Anchor is null ? -1 : index[options.Anchor];
        if (n == 0)
        {
            return new BradleyTerryFit([], index, new double[0, 0], 0, true, options);
        }

        // Pairwise totals: games[i, j] (symmetric) and points[i, j] = points of i against j.
        var realGames = new int[n];
        var realPoints = new double[n];
        var total = new double[n, n];
        var points = new double[n, n];
        foreach (var (a, b, s) in gameList)
        {
            realGames[a]++;
            realGames[b]++;
            realPoints[a] += s;
            realPoints[b] += 1 - s;
            total[a, b] += 1;
            total[b, a] += 1;
            points[a, b] += s;
            points[b, a] += 1 - s;
        }

        if (options.SeriesOrder is { Count: > 1 } series && options.SeriesPriorDraws > 0)
        {
            for (var k = 0; k + 1 < series.Count; k++)
            {
                var a = index[series[k]];
                var b = index[series[k + 1]];
                total[a, b] += options.SeriesPriorDraws;
                total[b, a] += options.SeriesPriorDraws;
                points[a, b] += options.SeriesPriorDraws / 2;
                points[b, a] += options.SeriesPriorDraws / 2;
            }
        }

        var determined = DeterminedPlayers(points, anchor);

        if (n > 1)
        {
            var each = options.RegularizationGames / (n - 1);
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    if (i != j)
                    {
                        total[i, j] += each;
                        points[i, j] += each / 2;
                    }
                }
            }
        }

        // Newton on natural log-odds ratings x (R = x·400/ln 10), with the reference player held at 0.
        var reference = anchor >= 0 ? anchor : 0;
        var x = new double[n];
        var iterations = 0;
        var converged = n == 1;
        var covariance = new double[n, n];
        var free = Enumerable.Range(0, n).Where(i => i != reference).ToArray();
        double[,]? inverse = null;
        if (n > 1)
        {
            var ll = LogLikelihood(x, total, points);
            for (iterations = 1; iterations <= 200; iterations++)
            {
                var (gradient, hessian) = Derivatives(x, total, points, free);
                var chol = Cholesky(hessian);
                var step = SolveCholesky(chol, gradient);
                var scale = 1.0;
                var trial = new double[n];
                double trialLl;
                while (true)
                {
                    Array.Copy(x, trial, n);
                    for (var k = 0; k < free.Length; k++)
                    {
                        trial[free[k]] += scale * step[k];
                    }

                    trialLl = LogLikelihood(trial, total, points);
                    if (trialLl >= ll - 1e-12 * Math.Abs(ll) || scale < 1e-6)
                    {
                        break;
                    }

                    scale /= 2;
                }

                x = trial;
                ll = trialLl;
                var maxStep = step.Max(Math.Abs) * scale;
                if (maxStep < 1e-10)
                {
                    converged = true;
                    break;
                }
            }

            iterations = Math.Min(iterations, 200);
            inverse = InvertCholesky(Cholesky(Derivatives(x, total, points, free).Hessian));
        }

        // Ratings and their covariance in Elo units.
        var ratings = new double[n];
        if (anchor >= 0)
        {
            for (var i = 0; i < n; i++)
            {
                ratings[i] = options.ReferenceRating + (x[i] - x[anchor]) * EloPerNatural;
            }

            if (inverse is not null)
            {
                for (var a = 0; a < free.Length; a++)
                {
                    for (var b = 0; b < free.Length; b++)
                    {
                        covariance[free[a], free[b]] = inverse[a, b] * EloPerNatural * EloPerNatural;
                    }
                }
            }
        }
        else
        {
            var mean = x.Average();
            for (var i = 0; i < n; i++)
            {
                ratings[i] = options.ReferenceRating + (x[i] - mean) * EloPerNatural;
            }

            if (inverse is not null)
            {
                // Centred ratings are M·x with M = I − 11ᵀ/n, and x_reference ≡ 0: Cov = M·C·Mᵀ.
                var c = new double[n, n];
                for (var a = 0; a < free.Length; a++)
                {
                    for (var b = 0; b < free.Length; b++)
                    {
                        c[free[a], free[b]] = inverse[a, b];
                    }
                }

                var rowMean = new double[n];
                var all = 0.0;
                for (var i = 0; i < n; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        rowMean[i] += c[i, j] / n;
                    }

                    all += rowMean[i] / n;
                }

                for (var i = 0; i < n; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        covariance[i, j] = (c[i, j] - rowMean[i] - rowMean[j] + all) * EloPerNatural * EloPerNatural;
                    }
                }
            }
        }

        var orderByRating = Enumerable.Range(0, n).OrderByDescending(i => ratings[i]).ThenBy(i => i).ToArray();
        var result = new List<BradleyTerryRating>(n);
        for (var k = 0; k < n; k++)
        {
            var i = orderByRating[k];
            var los = double.NaN;
            if (k + 1 < n)
            {
                var j = orderByRating[k + 1];
                los = Los(ratings[i] - ratings[j], covariance[i, i] + covariance[j, j] - 2 * covariance[i, j]);
            }

            result.Add(new BradleyTerryRating(
                names[i],
                ratings[i],
                Math.Sqrt(Math.Max(0.0, covariance[i, i])),
                realGames[i],
                realPoints[i],
                realGames[i] == 0 ? double.NaN : realPoints[i] / realGames[i],
                !determined[i],
                los));
        }

        return new BradleyTerryFit(result, index, covariance, iterations, converged, options);
    }

    /// <summary>Φ(difference / √variance); 1, 0 or ½ when the variance is 0.</summary>
    internal static double Los(double difference, double variance)
    {
        if (!(variance > 0))
        {
            return difference > 0 ? 1.0 : difference < 0 ? 0.0 : 0.5;
        }

        return Normal.Cdf(difference / Math.Sqrt(variance));
    }

    private static void ValidateOptions(BradleyTerryOptions options)
    {
        if (!double.IsFinite(options.ReferenceRating))
        {
            throw new ArgumentException($"ReferenceRating must be finite, found {options.ReferenceRating}", nameof(options));
        }

        if (!(options.RegularizationGames > 0) || !double.IsFinite(options.RegularizationGames))
        {
            throw new ArgumentException($"RegularizationGames must be a positive number, found {options.RegularizationGames}", nameof(options));
        }

        if (!(options.SeriesPriorDraws >= 0) || !double.IsFinite(options.SeriesPriorDraws))
        {
            throw new ArgumentException($"SeriesPriorDraws must be zero or positive, found {options.SeriesPriorDraws}", nameof(options));
        }

        if (options.SeriesOrder is { } order)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in order)
            {
                if (string.IsNullOrEmpty(name))
                {
                    throw new ArgumentException("SeriesOrder contains an empty name", nameof(options));
                }

                if (!seen.Add(name))
                {
                    throw new ArgumentException($"SeriesOrder lists '{name}' twice", nameof(options));
                }
            }
        }
    }

    /// <summary>Players whose unregularised MLE is finite: same strongly connected component as the anchor (no anchor: all, if the graph is strongly connected).</summary>
    private static bool[] DeterminedPlayers(double[,] points, int anchor)
    {
        var n = points.GetLength(0);
        var component = StronglyConnectedComponents(points);
        var result = new bool[n];
        if (anchor >= 0)
        {
            for (var i = 0; i < n; i++)
            {
                result[i] = component[i] == component[anchor];
            }
        }
        else
        {
            var single = component.All(c => c == component[0]);
            Array.Fill(result, single);
        }

        return result;
    }

    // Kosaraju on the graph i → j when points[i, j] > 0.
    private static int[] StronglyConnectedComponents(double[,] points)
    {
        var n = points.GetLength(0);
        var visited = new bool[n];
        var finishOrder = new List<int>(n);
        for (var start = 0; start < n; start++)
        {
            if (visited[start])
            {
                continue;
            }

            var stack = new Stack<(int Node, int Next)>();
            stack.Push((start, 0));
            visited[start] = true;
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                var j = next;
                while (j < n && (visited[j] || !(points[node, j] > 0)))
                {
                    j++;
                }

                if (j < n)
                {
                    stack.Push((node, j + 1));
                    visited[j] = true;
                    stack.Push((j, 0));
                }
                else
                {
                    finishOrder.Add(node);
                }
            }
        }

        var component = new int[n];
        Array.Fill(component, -1);
        var count = 0;
        for (var k = n - 1; k >= 0; k--)
        {
            var root = finishOrder[k];
            if (component[root] >= 0)
            {
                continue;
            }

            var stack = new Stack<int>();
            stack.Push(root);
            component[root] = count;
            while (stack.Count > 0)
            {
                var node = stack.Pop();
                for (var i = 0; i < n; i++)
                {
                    if (component[i] < 0 && points[i, node] > 0)
                    {
                        component[i] = count;
                        stack.Push(i);
                    }
                }
            }

            count++;
        }

        return component;
    }

    private static double LogSigmoid(double z) => z >= 0 ? -Math.Log(1 + Math.Exp(-z)) : z - Math.Log(1 + Math.Exp(z));

    private static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    private static double LogLikelihood(double[] x, double[,] total, double[,] points)
    {
        var n = x.Length;
        var ll = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                if (total[i, j] > 0)
                {
                    var d = x[i] - x[j];
                    ll += points[i, j] * LogSigmoid(d) + points[j, i] * LogSigmoid(-d);
                }
            }
        }

        return ll;
    }

    /// <summary>Gradient of the log-likelihood and the negative Hessian, restricted to the free players.</summary>
    private static (double[] Gradient, double[,] Hessian) Derivatives(double[] x, double[,] total, double[,] points, int[] free)
    {
        var n = x.Length;
        var fullGradient = new double[n];
        var fullHessian = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                if (total[i, j] > 0)
                {
                    var p = Sigmoid(x[i] - x[j]);
                    var g = points[i, j] - total[i, j] * p;
                    var h = total[i, j] * p * (1 - p);
                    fullGradient[i] += g;
                    fullGradient[j] -= g;
                    fullHessian[i, i] += h;
                    fullHessian[j, j] += h;
                    fullHessian[i, j] -= h;
                    fullHessian[j, i] -= h;
                }
            }
        }

        var m = free.Length;
        var gradient = new double[m];
        var hessian = new double[m, m];
        for (var a = 0; a < m; a++)
        {
            gradient[a] = fullGradient[free[a]];
            for (var b = 0; b < m; b++)
            {
                hessian[a, b] = fullHessian[free[a], free[b]];
            }
        }

        return (gradient, hessian);
    }

    /// <summary>Lower-triangular L with L·Lᵀ = A for a symmetric positive definite A.</summary>
    private static double[,] Cholesky(double[,] a)
    {
        var m = a.GetLength(0);
        var l = new double[m, m];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[i, j];
                for (var k = 0; k < j; k++)
                {
                    sum -= l[i, k] * l[j, k];
                }

                if (i == j)
                {
                    // The regularisation keeps A positive definite; guard against rounding all the same.
                    l[i, i] = Math.Sqrt(Math.Max(sum, 1e-300));
                }
                else
                {
                    l[i, j] = sum / l[j, j];
                }
            }
        }

        return l;
    }

    private static double[] SolveCholesky(double[,] l, double[] b)
    {
        var m = b.Length;
        var y = new double[m];
        for (var i = 0; i < m; i++)
        {
            var sum = b[i];
            for (var k = 0; k < i; k++)
            {
                sum -= l[i, k] * y[k];
            }

            y[i] = sum / l[i, i];
        }

        var x = new double[m];
        for (var i = m - 1; i >= 0; i--)
        {
            var sum = y[i];
            for (var k = i + 1; k < m; k++)
            {
                sum -= l[k, i] * x[k];
            }

            x[i] = sum / l[i, i];
        }

        return x;
    }

    private static double[,] InvertCholesky(double[,] l)
    {
        var m = l.GetLength(0);
        var inverse = new double[m, m];
        var e = new double[m];
        for (var c = 0; c < m; c++)
        {
            Array.Clear(e);
            e[c] = 1;
            var column = SolveCholesky(l, e);
            for (var r = 0; r < m; r++)
            {
                inverse[r, c] = column[r];
            }
        }

        return inverse;
    }
}
