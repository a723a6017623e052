using System.Text;
using Keisei.Shogi;

namespace Keisei.Neural.Tests;

/// <summary>Test classes that use TorchSharp share its global state (the default generator), so they never run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "Torch";
}

internal static class TestSupport
{
    /// <summary>A move from USI syntax (not checked against a position).</summary>
    public static Move M(string usi) => UsiNotation.TryParseSyntax(usi) ?? throw new ArgumentException($"bad USI move '{usi}'");

    /// <summary>
    /// Positions from seeded random playouts (each ply a uniformly random legal move), every <paramref name="stride"/>-th
    /// ply kept; each game stops at <paramref name="maxPlies"/> or when the side to move has no legal move.
    /// </summary>
    public static List<Position> RandomPositions(int seed, int games, int maxPlies, int stride = 1)
    {
        var random = new Random(seed);
        var result = new List<Position>();
        for (int g = 0; g < games; g++)
        {
            var position = Position.StartPosition();
            for (int ply = 0; ply < maxPlies; ply++)
            {
                var list = new MoveList();
                position.GenerateLegalMoves(ref list);
                if (ply % stride == 0) result.Add(position.Clone());
                if (list.Count == 0) break;
                position.DoMove(list[random.Next(list.Count)]);
            }
        }
        return result;
    }

    public static Move[] LegalMoves(Position position)
    {
        var list = new MoveList();
        position.GenerateLegalMoves(ref list);
        return list.ToArray();
    }

    /// <summary>
    /// The colour-mirrored position: the board turned 180°, colours (letter case) and hands swapped, the other side to
    /// move, the same move number.
    /// </summary>
    public static string MirrorSfen(string sfen)
    {
        var fields = sfen.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var grid = ParseBoard(fields[0]);
        var mirrored = new string?[9, 9];
        for (int r = 0; r < 9; r++)
            for (int c = 0; c < 9; c++)
                mirrored[8 - r, 8 - c] = grid[r, c] is { } token ? SwapCase(token) : null;

        var board = new StringBuilder();
        for (int r = 0; r < 9; r++)
        {
            if (r > 0) board.Append('/');
            int empty = 0;
            for (int c = 0; c < 9; c++)
            {
                if (mirrored[r, c] is not { } token)
                {
                    empty++;
                    continue;
                }
                if (empty > 0) board.Append(empty);
                empty = 0;
                board.Append(token);
            }
            if (empty > 0) board.Append(empty);
        }

        string hands = "-";
        if (fields[2] != "-")
        {
            var black = new StringBuilder();
            var white = new StringBuilder();
            foreach (var (count, letter) in ParseHands(fields[2]))
            {
                char swapped = char.IsUpper(letter) ? char.ToLowerInvariant(letter) : char.ToUpperInvariant(letter);
                var target = char.IsUpper(swapped) ? black : white;
                if (count > 1) target.Append(count);
                target.Append(swapped);
            }
            hands = black.ToString() + white;
        }
        string side = fields[1] == "b" ? "w" : "b";
        return fields.Length > 3 ? $"{board} {side} {hands} {fields[3]}" : $"{board} {side} {hands}";
    }

    /// <summary>An SFEN board as a grid [row = rank a..i, column = file 9..1] of tokens such as <c>P</c>, <c>+r</c>, or null.</summary>
    public static string?[,] ParseBoard(string board)
    {
        var grid = new string?[9, 9];
        var rows = board.Split('/');
        if (rows.Length != 9) throw new FormatException(board);
        for (int r = 0; r < 9; r++)
        {
            int c = 0;
            for (int i = 0; i < rows[r].Length; i++)
            {
                char ch = rows[r][i];
                if (char.IsDigit(ch))
                {
                    c += ch - '0';
                    continue;
                }
                if (ch == '+')
                {
                    grid[r, c++] = "+" + rows[r][++i];
                    continue;
                }
                grid[r, c++] = ch.ToString();
            }
            if (c != 9) throw new FormatException(board);
        }
        return grid;
    }

    /// <summary>SFEN hands as (count, letter) pairs; the letter's case gives the owner.</summary>
    public static List<(int Count, char Letter)> ParseHands(string hands)
    {
        var result = new List<(int, char)>();
        if (hands == "-") return result;
        int count = 0;
        foreach (char ch in hands)
        {
            if (char.IsDigit(ch))
            {
                count = count * 10 + (ch - '0');
                continue;
            }
            result.Add((count == 0 ? 1 : count, ch));
            count = 0;
        }
        return result;
    }

    private static string SwapCase(string token)
    {
        var chars = token.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            chars[i] = char.IsUpper(chars[i]) ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i]);
        return new string(chars);
    }

    /// <summary>A fresh empty directory under the system temp folder, removed on dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "keisei-neural-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
