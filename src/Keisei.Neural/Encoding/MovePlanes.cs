using Keisei.Shogi;

namespace Keisei.Neural.Encoding;

/// <summary>
/// The move planes of the convolutional policy head, in the side to move's frame (the observation's: White's view is the
/// board turned by 180°, so "forward" is always towards row 0). A board move is read at its origin square on the plane of its
/// step: 8 directions × distances 1–8 (64 planes: direction <c>d</c> in N, NE, E, SE, S, SW, W, NW order, plane
/// <c>8·d + distance − 1</c>) and the two forward knight jumps (planes 64, 65), each again with promotion (+66); a drop is
/// read at its destination on the plane of its piece kind (132 + P L N S G B R). <see cref="Planes"/> × 81 cells in all,
/// plus one spare cell (index <see cref="Unmapped"/>) for the action indices no piece can ever play (a jump that is neither
/// a line nor a knight's move); those are never legal.
/// </summary>
/// <remarks>
/// The map from the 13,527 absolute action indices to cells depends on the colour to move: a Black move and its
/// 180°-turned White twin read the same cell. On legal moves it is one-to-one: an origin, a step and a promotion flag fix a
/// board move; a kind and a destination fix a drop.
/// </remarks>
public static class MovePlanes
{
    /// <summary>Step planes per promotion flag: 64 line steps and 2 knight jumps.</summary>
    public const int StepPlanes = 66;

    /// <summary>Planes in all: steps × 2 promotion flags + 7 drop kinds.</summary>
    public const int Planes = 2 * StepPlanes + 7;

    /// <summary>Cells of the planes (<see cref="Planes"/> × 81).</summary>
    public const int Cells = Planes * 81;

    /// <summary>The spare cell that stands for every action no piece can play.</summary>
    public const int Unmapped = Cells;

    private static readonly (int Row, int Col)[] Directions = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)];

    private static readonly int[][] Tables = [Build(Color.Black), Build(Color.White)];

    /// <summary>The cell each action index reads for <paramref name="mover"/> (13,527 entries, values 0..<see cref="Unmapped"/>).</summary>
    public static ReadOnlySpan<int> Table(Color mover) => Tables[(int)mover];

    /// <summary>The cell an action index reads when <paramref name="mover"/> is to move.</summary>
    public static int CellOf(int action, Color mover) => Tables[(int)mover][action];

    /// <summary>The plane of a move, or −1 for a board move that is neither a line nor a forward knight's jump.</summary>
    public static int PlaneOf(Move move, Color mover)
    {
        int cell = Cell(move, mover);
        return cell == Unmapped ? -1 : cell / 81;
    }

    private static int[] Build(Color mover)
    {
        var table = new int[ActionSpace.Size];
        for (int action = 0; action < ActionSpace.Size; action++) table[action] = Cell(ActionSpace.MoveAt(action), mover);
        return table;
    }

    /// <summary>A Keisei row-major square (absolute) seen from <paramref name="mover"/>: turned by 180° for White.</summary>
    private static int View(int keiseiSquare, Color mover) => mover == Color.White ? 80 - keiseiSquare : keiseiSquare;

    private static int Cell(Move move, Color mover)
    {
        int to = View(ActionSpace.KeiseiSquare(move.To), mover);
        if (move.IsDrop) return (2 * StepPlanes + (int)move.DropKind - 1) * 81 + to;
        int from = View(ActionSpace.KeiseiSquare(move.From), mover);
        int dr = to / 9 - from / 9, dc = to % 9 - from % 9;
        int step = Step(dr, dc);
        if (step < 0) return Unmapped;
        return ((move.IsPromotion ? StepPlanes : 0) + step) * 81 + from;
    }

    /// <summary>The step plane (0..65) of a displacement in the mover's frame, or −1.</summary>
    private static int Step(int dr, int dc)
    {
        if (dr == -2 && dc is -1 or 1) return 64 + (dc + 1) / 2;
        int distance = Math.Max(Math.Abs(dr), Math.Abs(dc));
        if (distance == 0 || (dr != 0 && dc != 0 && Math.Abs(dr) != Math.Abs(dc))) return -1;
        var unit = (Math.Sign(dr), Math.Sign(dc));
        return 8 * Array.IndexOf(Directions, unit) + distance - 1;
    }
}
