using System.Globalization;
using Keisei.Neural.Native;
using Keisei.Search;
using Keisei.Shogi;

namespace Keisei.Engine;

/// <summary>How the engine chooses a move: PUCT search, or the policy head's most probable legal move.</summary>
public enum SearchMode
{
    Mcts,
    Policy,
}

/// <summary>What the command line sets before any <c>setoption</c>: the model and the search settings.</summary>
public sealed record EngineDefaults
{
    /// <summary>The default of <c>DNN_Model</c> (empty: none).</summary>
    public string Model { get; init; } = "";

    /// <summary>Search settings; <see cref="SearchOptions.Batch"/> is the default of <c>DNN_Batch_Size</c>.</summary>
    public SearchOptions Search { get; init; } = new();

    /// <summary>The default of <c>Const_Playout</c> (0: the clock decides).</summary>
    public int ConstPlayout { get; init; }
}

/// <summary>
/// The engine's USI options (dlshogi's names where they mean the same), their current values and the <c>option</c> lines
/// that advertise them. <see cref="Set"/> checks a value against its option's type and range.
/// </summary>
public sealed class EngineSettings
{
    private sealed record Spec(string Name, string Type, string Default, long Min, long Max, string[] Vars, Func<string, string?>? Check, string Meaning);

    private readonly List<Spec> _specs;
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public EngineSettings(EngineDefaults defaults)
    {
        _specs =
        [
            new("DNN_Model", "filename", defaults.Model, 0, 0, [], null, "Keisei checkpoint (.ckpt) the engine plays; loaded and verified at isready"),
            new("Device", "string", "cpu", 0, 0, [], v => TorchDevices.Validate(v) is null ? null : "expects cpu, cuda, cuda:N or auto",
                "cpu, cuda, cuda:N or auto (CUDA only where TorchSharp finds it; checked at isready)"),
            new("Threads", "spin", "0", 0, 1024, [], null, "CPU threads of the forward pass (libtorch's intra-op threads); 0 keeps libtorch's default"),
            new("DNN_Batch_Size", "spin", defaults.Search.Batch.ToString(CultureInfo.InvariantCulture), 1, 4096, [], null,
                "leaves the search sends to the network together"),
            new("Const_Playout", "spin", defaults.ConstPlayout.ToString(CultureInfo.InvariantCulture), 0, int.MaxValue, [], null,
                "playouts per move; 0 lets the clock decide (a go without time then uses the search's default playouts)"),
            new("SearchMode", "combo", "mcts", 0, 0, ["mcts", "policy"], null, "mcts: PUCT search; policy: the policy head's most probable legal move"),
            new("Resign_Threshold", "spin", "0", 0, 1000, [], null, "resign when the win rate of the best move is below this many per mille (0: never)"),
            new("Draw_Ply", "spin", "0", 0, 100000, [], null, "plies after which the game is drawn, counted from move 1 (an SFEN's move number counts); 0: no limit"),
            new("Draw_Value_Black", "spin", PerMille(defaults.Search.DrawValue), 0, 1000, [], null,
                "win rate per mille the search gives a draw (repetition, ply limit) when the engine plays Black; 500 is even, lower avoids draws"),
            new("Draw_Value_White", "spin", PerMille(defaults.Search.DrawValue), 0, 1000, [], null,
                "the same when the engine plays White"),
            new("MultiPV", "spin", "1", 1, 600, [], null, "info lines per report: the most visited root moves, one line each"),
            new("Random_Ply", "spin", "0", 0, 10000, [], null, "game plies in which the move is sampled (by visits, or by policy) for opening variety"),
            new("Temperature", "string", "1", 0, 0, [], CheckTemperature, "temperature of that sampling (a number above 0)"),
            new("NetworkDelay", "spin", "120", 0, 60000, [], null, "milliseconds kept back from every time limit for the GUI's and the pipe's delays"),
            new("MinimumThinkingTime", "spin", "1000", 0, 3600000, [], null, "the time target of a move is at least this many milliseconds when the clock allows it (a decided search still ends sooner)"),
            new("USI_Hash", "spin", "256", 1, 1048576, [], null, "accepted and ignored (the tree is bounded by the search's node budget)"),
            new("USI_Ponder", "check", "false", 0, 0, [], null, "accepted and ignored (the engine ponders whenever the GUI sends go ponder)"),
        ];
        foreach (var spec in _specs) _values[spec.Name] = spec.Default;
    }

    /// <summary>The options with what each means, in the order they are advertised (for help texts).</summary>
    public IEnumerable<(string Name, string Type, string Default, string Meaning)> Describe() =>
        _specs.Select(s => (s.Name, s.Type, s.Default, s.Meaning));

    /// <summary>The <c>option name ... type ...</c> lines answering <c>usi</c>.</summary>
    public IEnumerable<string> OptionLines()
    {
        foreach (var spec in _specs)
        {
            string value = spec.Default.Length == 0 ? "<empty>" : spec.Default;
            yield return spec.Type switch
            {
                "spin" => string.Create(CultureInfo.InvariantCulture, $"option name {spec.Name} type spin default {value} min {spec.Min} max {spec.Max}"),
                "combo" => $"option name {spec.Name} type combo default {value}" + string.Concat(spec.Vars.Select(v => $" var {v}")),
                _ => $"option name {spec.Name} type {spec.Type} default {value}",
            };
        }
    }

    /// <summary>
    /// Sets an option (names are matched ignoring case; <c>&lt;empty&gt;</c> is the empty string). Returns null when it
    /// was set, else what is wrong, naming the option and the value.
    /// </summary>
    public string? Set(string name, string? value)
    {
        var spec = _specs.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
        if (spec is null) return $"setoption: unknown option '{name}' (known: {string.Join(", ", _specs.Select(s => s.Name))})";
        if (value is null) return $"setoption: option '{spec.Name}' needs a value (setoption name {spec.Name} value <x>)";
        if (value == "<empty>") value = "";
        string? problem = spec.Type switch
        {
            "spin" => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) && n >= spec.Min && n <= spec.Max
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"expects a whole number from {spec.Min} to {spec.Max}"),
            "check" => value is "true" or "false" ? null : "expects true or false",
            "combo" => spec.Vars.Contains(value) ? null : $"expects one of {string.Join(", ", spec.Vars)}",
            _ => spec.Check?.Invoke(value),
        };
        if (problem is not null) return $"setoption: option '{spec.Name}' {problem}, found '{value}'";
        _values[spec.Name] = spec.Type == "combo" ? value : value.Trim();
        return null;
    }

    /// <summary>A value in [−1, 1] as a win rate per mille (−1 → 0, 0 → 500, 1 → 1000).</summary>
    private static string PerMille(double value) => Math.Round((value + 1) * 500).ToString(CultureInfo.InvariantCulture);

    private static string? CheckTemperature(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) && double.IsFinite(t) && t > 0
            ? null
            : "expects a number above 0";

    private long Spin(string name) => long.Parse(_values[name], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    /// <summary>The value of an option as text (after <see cref="Set"/>).</summary>
    public string this[string name] => _values[name];

    public string Model => _values["DNN_Model"];
    public string Device => _values["Device"];
    public int Threads => (int)Spin("Threads");
    public int BatchSize => (int)Spin("DNN_Batch_Size");
    public int ConstPlayout => (int)Spin("Const_Playout");
    public SearchMode Mode => _values["SearchMode"] == "policy" ? SearchMode.Policy : SearchMode.Mcts;

    /// <summary>Resign below this win rate (Resign_Threshold per mille / 1000); 0 never resigns.</summary>
    public double ResignWinRate => Spin("Resign_Threshold") / 1000.0;

    public int DrawPly => (int)Spin("Draw_Ply");

    /// <summary>The search's value of a draw (<see cref="SearchOptions.DrawValue"/>) when the engine plays <paramref name="side"/>, from <c>Draw_Value_Black</c>/<c>Draw_Value_White</c>.</summary>
    public double DrawValue(Color side) => Spin(side == Color.Black ? "Draw_Value_Black" : "Draw_Value_White") / 500.0 - 1;
    public int MultiPV => (int)Spin("MultiPV");
    public int RandomPly => (int)Spin("Random_Ply");
    public double Temperature => double.Parse(_values["Temperature"], NumberStyles.Float, CultureInfo.InvariantCulture);
    public long NetworkDelay => Spin("NetworkDelay");
    public long MinimumThinkingTime => Spin("MinimumThinkingTime");
}
