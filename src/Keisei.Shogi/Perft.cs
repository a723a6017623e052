namespace Keisei.Shogi;

/// <summary>Counts leaf nodes of the legal move tree (the last ply is counted by move count, as engines do).</summary>
public static class Perft
{
    public static long Count(Position position, int depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        if (depth == 0) return 1;
        var list = new MoveList();
        position.GenerateLegalMoves(ref list);
        if (depth == 1) return list.Count;
        long nodes = 0;
        for (int i = 0; i < list.Count; i++)
        {
            position.DoMove(list[i]);
            nodes += Count(position, depth - 1);
            position.UndoMove();
        }
        return nodes;
    }

    /// <summary>Node count below each root move, sorted by the move's USI text.</summary>
    public static IReadOnlyList<(string Move, long Nodes)> Divide(Position position, int depth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        var list = new MoveList();
        position.GenerateLegalMoves(ref list);
        var result = new List<(string, long)>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            position.DoMove(list[i]);
            result.Add((list[i].ToUsi(), Count(position, depth - 1)));
            position.UndoMove();
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return result;
    }
}
