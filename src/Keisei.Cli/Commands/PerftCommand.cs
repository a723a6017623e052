using System.CommandLine;
using System.Diagnostics;
using Keisei.Shogi;

namespace Keisei.Cli;

/// <summary><c>keisei perft</c>: counts the legal move tree of a position to a depth, and how fast.</summary>
internal static class PerftCommand
{
    /// <summary>Deepest search: the start position's tree at depth 10 already holds about 10^14 leaves (days of searching).</summary>
    public const int MaxDepth = 10;

    public static Command Create(TextWriter stdout)
    {
        var sfen = new Option<string?>("--sfen") { Description = "Position to search, as SFEN (quote it). Default: the start position." };
        var startpos = new Option<bool>("--startpos") { Description = "Search the standard start position (the default)." };
        var depth = new Option<int>("--depth", "-d") { Description = "Depth in plies; deeper trees grow about 30 times per ply.", Required = true }
            .InRange(1, MaxDepth);
        var divide = new Option<bool>("--divide") { Description = "First print '<usi move>: <count>' for every root move, sorted by move." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {nodes, elapsed_ms, nps[, divide]} instead of text." };

        var command = new Command("perft", "Count leaf nodes of the legal move tree (last ply counted by move count) and report nodes per second.")
        {
            sfen, startpos, depth, divide, json,
        };
        command.SetAction(result =>
        {
            string? sfenText = result.GetValue(sfen);
            if (sfenText is not null && result.GetValue(startpos))
                throw new UserInputException("give either --sfen or --startpos, not both");
            int d = result.GetValue(depth);

            Position position;
            try
            {
                position = sfenText is null ? Position.StartPosition() : Position.FromSfen(sfenText);
            }
            catch (SfenException e)
            {
                throw new UserInputException($"--sfen: {e.Message}", e);
            }

            var clock = Stopwatch.StartNew();
            IReadOnlyList<(string Move, long Nodes)>? perMove = null;
            long nodes;
            if (result.GetValue(divide))
            {
                perMove = Perft.Divide(position, d);
                nodes = perMove.Sum(x => x.Nodes);
            }
            else
            {
                nodes = Perft.Count(position, d);
            }
            clock.Stop();
            double ms = clock.Elapsed.TotalMilliseconds;
            long nps = ms > 0 ? (long)(nodes / (ms / 1000.0)) : 0;

            if (result.GetValue(json))
            {
                JsonOutput.Write(stdout, w =>
                {
                    w.WriteNumber("nodes", nodes);
                    w.WriteNumber("elapsed_ms", Math.Round(ms, 3));
                    w.WriteNumber("nps", nps);
                    if (perMove is not null)
                    {
                        w.WriteStartObject("divide");
                        foreach (var (move, count) in perMove) w.WriteNumber(move, count);
                        w.WriteEndObject();
                    }
                });
            }
            else
            {
                if (perMove is not null)
                {
                    foreach (var (move, count) in perMove) stdout.WriteLine($"{move}: {count}");
                    stdout.WriteLine();
                }
                stdout.WriteLine($"Time: {ms:F0} ms");
                stdout.WriteLine($"Nodes searched: {nodes}");
                stdout.WriteLine($"NPS: {nps}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
