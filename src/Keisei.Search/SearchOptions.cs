using System.Globalization;
using Keisei.Shogi;

namespace Keisei.Search;

/// <summary>Settings of a <see cref="PuctSearch"/>. Noise and temperature are for self-play; both are off when playing.</summary>
public sealed record SearchOptions
{
    /// <summary>New playouts (leaf evaluations or terminal visits) per move; visits kept from the previous move come on top.</summary>
    public int Playouts { get; init; } = 200;

    /// <summary>c_init of AlphaZero's exploration rate c(N) = c_init + ln((N + c_base + 1) / c_base).</summary>
    public double CpuctInit { get; init; } = 1.25;

    /// <summary>c_base of the exploration rate; the rate grows slowly with the parent's visits.</summary>
    public double CpuctBase { get; init; } = 19652;

    /// <summary>First-play urgency: an unvisited move is valued at its parent's value minus this.</summary>
    public double FpuReduction { get; init; } = 0.2;

    /// <summary>Leaves one search sends to the evaluator together (kept apart by virtual loss).</summary>
    public int Batch { get; init; } = 8;

    /// <summary>Losses added to each node of a path while its leaf is being evaluated.</summary>
    public int VirtualLoss { get; init; } = 1;

    /// <summary>Most nodes a search tree holds; the search of a move ends when the tree is full.</summary>
    public int NodeBudget { get; init; } = 1_000_000;

    /// <summary>Concentration of the Dirichlet noise mixed into the root's priors.</summary>
    public double DirichletAlpha { get; init; } = 0.15;

    /// <summary>Share of Dirichlet noise in the root's priors (0: off).</summary>
    public double DirichletFraction { get; init; }

    /// <summary>0 plays the most visited move; above 0 samples moves by visits^(1/T).</summary>
    public double Temperature { get; init; }

    /// <summary>
    /// Score a position inside the tree that has occurred before in the game or the line (not yet the rules' fourth time)
    /// as a draw, so that the search steers out of cycles it is winning and into them when losing. The rules' own
    /// sennichite and perpetual check are scored exactly either way.
    /// </summary>
    public bool RepetitionIsDraw { get; init; } = true;

    /// <summary>
    /// The value of a draw inside the tree (repetition, sennichite, the ply limit) for the side that searches, in [−1, 1]; the
    /// opponent gets its negation. 0 scores a draw as even; below 0 (contempt) makes the search avoid draws unless it
    /// judges its position worse than that, as dlshogi's <c>Draw_Value_Black</c>/<c>Draw_Value_White</c> do.
    /// </summary>
    public double DrawValue { get; init; }

    /// <summary>Keep the subtree of the moves actually played for the next search.</summary>
    public bool ReuseTree { get; init; } = true;

    /// <summary>Keisei's <c>max_moves_per_game</c>, which the observation's move-count plane divides by.</summary>
    public int MaxMovesPerGame { get; init; } = 500;

    /// <summary>The option names of <see cref="Parse"/>, each with what it sets.</summary>
    public static IReadOnlyDictionary<string, string> Keys { get; } = new Dictionary<string, string>
    {
        ["playouts"] = "new playouts per move (integer >= 1)",
        ["cpuct"] = "c_init of the exploration rate (> 0)",
        ["cbase"] = "c_base of the exploration rate (> 0)",
        ["fpu"] = "first-play urgency reduction (>= 0)",
        ["batch"] = "leaves evaluated together per search (integer >= 1)",
        ["nodes"] = "node budget of the tree (integer >= 2)",
        ["draw"] = "value of a draw for the searching side, -1..1 (below 0 avoids draws; default 0)",
    };

    /// <summary>
    /// Settings from a <c>key=value,...</c> list (keys of <see cref="Keys"/>); the others keep their defaults.
    /// </summary>
    /// <exception cref="FormatException">A key is unknown, repeated, or its value is out of range; the message names it.</exception>
    public static SearchOptions Parse(string text)
    {
        var options = new SearchOptions();
        foreach (var (key, value) in KeyValues.List(text, "search setting", Keys.Keys.ToList()))
        {
            options = key switch
            {
                "playouts" => options with { Playouts = Int(key, value, 1) },
                "cpuct" => options with { CpuctInit = Real(key, value, positive: true) },
                "cbase" => options with { CpuctBase = Real(key, value, positive: true) },
                "fpu" => options with { FpuReduction = Real(key, value, positive: false) },
                "batch" => options with { Batch = Int(key, value, 1) },
                "draw" => options with { DrawValue = Unit(key, value) },
                _ => options with { NodeBudget = Int(key, value, 2) },
            };
        }
        return options;
    }

    /// <summary>The settings that change play, as the <c>key=value,...</c> list <see cref="Parse"/> reads (for identities).</summary>
    /// <remarks><c>draw</c> is listed only when it is not 0, so settings described before it existed keep their identity.</remarks>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"playouts={Playouts},cpuct={CpuctInit:0.####},cbase={CpuctBase:0.####},fpu={FpuReduction:0.####},batch={Batch},nodes={NodeBudget}")
        + (DrawValue != 0 ? string.Create(CultureInfo.InvariantCulture, $",draw={DrawValue:0.####}") : "");

    /// <summary>What is wrong with these settings, one message each; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Playouts < 1) errors.Add($"playouts must be at least 1, found {Playouts}");
        if (!(CpuctInit > 0) || double.IsInfinity(CpuctInit)) errors.Add($"cpuct must be a finite number above 0, found {CpuctInit}");
        if (!(CpuctBase > 0) || double.IsInfinity(CpuctBase)) errors.Add($"cbase must be a finite number above 0, found {CpuctBase}");
        if (!(FpuReduction >= 0) || double.IsInfinity(FpuReduction)) errors.Add($"fpu must be a finite number of at least 0, found {FpuReduction}");
        if (Batch < 1) errors.Add($"batch must be at least 1, found {Batch}");
        if (VirtualLoss < 0) errors.Add($"virtual loss must be at least 0, found {VirtualLoss}");
        if (NodeBudget < 2) errors.Add($"nodes must be at least 2, found {NodeBudget}");
        if (!(DirichletAlpha > 0) || double.IsInfinity(DirichletAlpha)) errors.Add($"Dirichlet alpha must be a finite number above 0, found {DirichletAlpha}");
        if (!(DirichletFraction is >= 0 and <= 1)) errors.Add($"Dirichlet fraction must be within [0, 1], found {DirichletFraction}");
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) errors.Add($"temperature must be a finite number of at least 0, found {Temperature}");
        if (!(DrawValue is >= -1 and <= 1)) errors.Add($"draw must be a number within [-1, 1], found {DrawValue}");
        if (MaxMovesPerGame < 1) errors.Add($"max moves per game must be at least 1, found {MaxMovesPerGame}");
        return errors;
    }

    private static int Int(string key, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min
            ? n
            : throw new FormatException($"key '{key}' expects an integer of at least {min}, found '{value}'");

    private static double Unit(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x is >= -1 and <= 1
            ? x
            : throw new FormatException($"key '{key}' expects a number within [-1, 1], found '{value}'");

    private static double Real(string key, string value, bool positive) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x) && (positive ? x > 0 : x >= 0)
            ? x
            : throw new FormatException($"key '{key}' expects a finite number {(positive ? "above" : "of at least")} 0, found '{value}'");
}
