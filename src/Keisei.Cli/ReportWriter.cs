using System.Globalization;
using System.Text;
using Keisei.Evaluation;
using Keisei.Evaluation.Statistics;

namespace Keisei.Cli;

/// <summary>Renders evaluation reports and rating tables for people: console text and Markdown.</summary>
internal static class ReportWriter
{
    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : (double.IsNaN(v) ? "n/a" : v > 0 ? "+inf" : "-inf");

    private static string Elo(EloEstimate e) => $"{F(e.Elo, "+0.0;-0.0")} ± {F(e.EloHalfWidth, "0.0")}";

    private static string Pct(double v) => F(100 * v, "0.0") + "%";

    private static IEnumerable<string[]> OpponentRows(EvaluationReport r) => r.Opponents.Select(o => new[]
    {
        o.Opponent, o.Counts.Games.ToString(CultureInfo.InvariantCulture), $"{o.Counts.Wins}-{o.Counts.Draws}-{o.Counts.Losses}",
        $"{F(o.Elo.Score, "0.000")} [{F(o.Elo.ScoreInterval.Lower, "0.000")}, {F(o.Elo.ScoreInterval.Upper, "0.000")}]",
        Elo(o.Elo), o.PairElo is null ? "-" : Elo(o.PairElo), Pct(o.Elo.Los),
        $"{o.AsBlack.Wins}-{o.AsBlack.Draws}-{o.AsBlack.Losses}", $"{o.AsWhite.Wins}-{o.AsWhite.Draws}-{o.AsWhite.Losses}",
        $"{o.Summary.Lengths.Median} ({o.Summary.Lengths.Min}-{o.Summary.Lengths.Max})",
        string.Join(", ", o.Summary.Terminations.OrderByDescending(t => t.Value).Select(t => $"{t.Key} {t.Value}")),
    });

    private static readonly string[] OpponentHeader =
        ["opponent", "games", "W-D-L", "score [95%]", "Elo ± 95%", "pair Elo ± 95%", "LOS", "as Black", "as White", "plies median (range)", "terminations"];

    internal static IEnumerable<string[]> PoolRows(IReadOnlyList<PoolRating> pool) => pool.Select((p, i) => new[]
    {
        (i + 1).ToString(CultureInfo.InvariantCulture), p.Name, F(p.Rating, "0.0") + (p.Rated ? "" : "*"),
        F(p.StandardError * Normal.Z95, "0.0"), p.Games.ToString(CultureInfo.InvariantCulture), F(p.Score, "0.000"),
        double.IsNaN(p.LosVsNext) ? "-" : Pct(p.LosVsNext), F(p.IncrementalElo, "0"),
    });

    internal const string UnratedNote =
        "* not really rated yet: all wins, all losses or not connected to the rest; the number comes from a tiny regularisation prior.";

    internal static readonly string[] PoolHeader = ["#", "player", "rating", "± 95%", "games", "score", "LOS vs next", "incr. Elo"];

    /// <summary>One line on the clock: the agent's losses on time, the least time it had left after a move, its longest move.</summary>
    private static string Clock(Keisei.Evaluation.Arena.ClockSummary c) =>
        $"Clock {c.TimeControl}: the agent lost {c.TimeLosses} of {c.Games} games on time; least time left after a move " +
        $"{(c.LeastLeftMs is { } least ? $"{least} ms" : "n/a")}, longest move {(c.LongestMoveMs is { } longest ? $"{longest} ms" : "n/a")}";

    public static void Console(TextWriter w, EvaluationReport r)
    {
        w.WriteLine($"Evaluation {r.EvaluationId} ({r.Strategy}) of {r.Agent}: {Keisei.Evaluation.Storage.SnakeCaseName.Of(r.Status)}, {r.PlayedGames}/{r.PlannedGames} games in {r.Elapsed.TotalSeconds:0.0} s");
        w.WriteLine($"Total: {r.Total.Wins}-{r.Total.Draws}-{r.Total.Losses}, score {F(r.TotalElo.Score, "0.000")} " +
                    $"[{F(r.TotalElo.ScoreInterval.Lower, "0.000")}, {F(r.TotalElo.ScoreInterval.Upper, "0.000")}], Elo {Elo(r.TotalElo)}" +
                    (r.TotalPairElo is null ? "" : $", pentanomial Elo {Elo(r.TotalPairElo)}") + $", LOS {Pct(r.TotalElo.Los)}");
        if (r.Sprt is { } s) w.WriteLine($"SPRT: LLR {F(s.Llr, "0.00")} in [{F(s.LowerBound, "0.00")}, {F(s.UpperBound, "0.00")}] → {s.Decision}");
        if (r.Clock is { } c) w.WriteLine(Clock(c));
        w.WriteLine();
        Table(w, OpponentHeader, OpponentRows(r));
        if (r.Benchmark.Count > 0)
        {
            w.WriteLine();
            Table(w, ["case", "opponent", "W-D-L", "needs", "passed"], r.Benchmark.Select(b => new[]
            {
                b.Case, b.Opponent, $"{b.Counts.Wins}-{b.Counts.Draws}-{b.Counts.Losses}", $"> {F(b.RequiredScore, "0.00")}", b.Passed ? "yes" : "no",
            }));
            w.WriteLine($"Benchmark pass rate: {Pct(r.BenchmarkPassRate ?? 0)}");
        }
        if (r.Pool.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("Pool ratings (Bradley-Terry over every stored game):");
            Table(w, PoolHeader, PoolRows(r.Pool));
            if (r.Pool.Any(p => !p.Rated)) w.WriteLine(UnratedNote);
        }
    }

    public static string Markdown(EvaluationReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Evaluation {r.EvaluationId}: {r.Agent}");
        sb.AppendLine();
        sb.AppendLine($"- Strategy: `{r.Strategy}`; status: **{Keisei.Evaluation.Storage.SnakeCaseName.Of(r.Status)}**; games: {r.PlayedGames} of {r.PlannedGames}; time: {r.Elapsed.TotalSeconds:0.0} s");
        sb.AppendLine($"- Total: {r.Total.Wins}-{r.Total.Draws}-{r.Total.Losses}, score {F(r.TotalElo.Score, "0.000")}, Elo {Elo(r.TotalElo)}" +
                      (r.TotalPairElo is null ? "" : $", pentanomial Elo {Elo(r.TotalPairElo)}"));
        if (r.Sprt is { } s) sb.AppendLine($"- SPRT: LLR {F(s.Llr, "0.00")} in [{F(s.LowerBound, "0.00")}, {F(s.UpperBound, "0.00")}]: {s.Decision}");
        if (r.Clock is { } c) sb.AppendLine($"- {Clock(c)}");
        sb.AppendLine();
        MarkdownTable(sb, OpponentHeader, OpponentRows(r));
        if (r.Benchmark.Count > 0)
        {
            sb.AppendLine();
            MarkdownTable(sb, ["case", "opponent", "W-D-L", "passed"], r.Benchmark.Select(b => new[]
                { b.Case, b.Opponent, $"{b.Counts.Wins}-{b.Counts.Draws}-{b.Counts.Losses}", b.Passed ? "yes" : "no" }));
            sb.AppendLine();
            sb.AppendLine($"Pass rate: {Pct(r.BenchmarkPassRate ?? 0)}");
        }
        if (r.Pool.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Pool ratings");
            sb.AppendLine();
            MarkdownTable(sb, PoolHeader, PoolRows(r.Pool));
        }
        return sb.ToString();
    }

    public static void Table(TextWriter w, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var (row, index) in all.Select((r, i) => (r, i)))
        {
            w.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
            if (index == 0) w.WriteLine(string.Join("  ", widths.Select(n => new string('-', n))));
        }
    }

    public static void MarkdownTable(StringBuilder sb, string[] header, IEnumerable<string[]> rows)
    {
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in rows) sb.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
    }
}
