using Keisei.Shogi;

namespace Keisei.Neural.Encoding;

/// <summary>What an observation needs beyond the position itself.</summary>
/// <param name="MaxMovesPerGame">Divides the move count in the move-number plane (Keisei's <c>max_moves_per_game</c>).</param>
/// <param name="RepetitionCount">How many times the current position has occurred in the game (1 = first time).</param>
public readonly record struct EncodingContext(int MaxMovesPerGame = 500, int RepetitionCount = 1);

/// <summary>Turns a position into a float tensor of shape Channels × 9 × 9, always from the side to move's view.</summary>
public abstract class ObservationEncoder
{
    /// <summary>The encoding's name, recorded in checkpoints (<c>core46</c>, <c>core46+</c>).</summary>
    public abstract string Name { get; }

    public abstract int Channels { get; }

    /// <summary>The plane that is all ones when Black is to move and all zeros when White is (the same in every encoding).</summary>
    public const int SideToMovePlane = 42;

    /// <summary>Floats per position: Channels · 81.</summary>
    public int Size => Channels * 81;

    /// <summary>Writes the observation into <paramref name="destination"/> (exactly <see cref="Size"/> floats). Allocates nothing.</summary>
    public abstract void Encode(Position position, in EncodingContext context, Span<float> destination);

    /// <summary>Throws the documented <see cref="ArgumentException"/> when <paramref name="destination"/> is shorter than <see cref="Size"/>.</summary>
    protected void RequireRoom(Span<float> destination)
    {
        if (destination.Length < Size)
            throw new ArgumentException($"The destination must hold at least {Size} floats, found {destination.Length}.", nameof(destination));
    }

    /// <summary>The encoder with this name.</summary>
    /// <exception cref="ArgumentException">No encoder has that name; the message lists the known ones.</exception>
    public static ObservationEncoder ByName(string name) => name switch
    {
        Core46Encoder.EncodingName => Core46Encoder.Instance,
        Core46PlusEncoder.EncodingName => Core46PlusEncoder.Instance,
        Core46AttacksEncoder.EncodingName => Core46AttacksEncoder.Instance,
        _ => throw new ArgumentException($"Unknown observation encoding '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name)),
    };

    public static IReadOnlyList<string> Names { get; } =
        [Core46Encoder.EncodingName, Core46PlusEncoder.EncodingName, Core46AttacksEncoder.EncodingName];
}

/// <summary>
/// Keisei's 46-plane observation: own unpromoted P L N S G B R K (0–7), own promoted +P +L +N +S +B +R (8–13), the
/// opponent's the same (14–27), hands P L N S G B R as count / 18 (28–34 own, 35–41 opponent), Black to move (42),
/// move count / max moves (43), two reserved zero planes (44, 45). When White is to move, (r, c) is written at (8 − r, 8 − c).
/// </summary>
public sealed class Core46Encoder : ObservationEncoder
{
    public const string EncodingName = "core46";

    public static Core46Encoder Instance { get; } = new();

    private Core46Encoder()
    {
    }

    public override string Name => EncodingName;

    public override int Channels => 46;

    /// <summary>Channel offset of a piece kind within a 14-plane block (unpromoted 0–7, promoted 8–13).</summary>
    private static ReadOnlySpan<sbyte> KindPlane => [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -1, 12, 13];

    public override void Encode(Position position, in EncodingContext context, Span<float> destination) =>
        EncodeCore(position, context, destination);

    /// <summary>Writes the 46 core planes into the first 46 · 81 floats of <paramref name="destination"/>.</summary>
    internal static void EncodeCore(Position position, in EncodingContext context, Span<float> destination)
    {
        if (destination.Length < 46 * 81)
            throw new ArgumentException($"The destination must hold at least {46 * 81} floats, found {destination.Length}.", nameof(destination));
        var planes = destination[..(46 * 81)];
        planes.Clear();
        var us = position.SideToMove;
        bool flip = us == Color.White;

        var occupied = position.Occupied;
        while (occupied.Any)
        {
            int sq = occupied.Pop();
            int piece = position.PieceOn(sq);
            int block = Pieces.ColorOf(piece) == us ? 0 : 14;
            int channel = block + KindPlane[(int)Pieces.TypeOf(piece)];
            int cell = ActionSpace.KeiseiSquare(sq);
            if (flip) cell = 80 - cell;
            planes[channel * 81 + cell] = 1f;
        }

        for (var kind = PieceType.Pawn; kind <= PieceType.Rook; kind++)
        {
            int own = position.HandCount(us, kind), theirs = position.HandCount(us.Opponent(), kind);
            if (own > 0) planes.Slice((28 + (int)kind - 1) * 81, 81).Fill(own / 18f);
            if (theirs > 0) planes.Slice((35 + (int)kind - 1) * 81, 81).Fill(theirs / 18f);
        }

        if (us == Color.Black) planes.Slice(SideToMovePlane * 81, 81).Fill(1f);
        float progress = context.MaxMovesPerGame > 0 ? (position.MoveNumber - 1) / (float)context.MaxMovesPerGame : 0f;
        planes.Slice(43 * 81, 81).Fill(progress);
    }
}

/// <summary>
/// <c>core46</c> plus five planes: in check (46), repetition count (count − 1) / 3 (47), the previous move's origin (48)
/// and destination (49), and the side to move's pieces standing in its promotion zone (50); all from the side to move's view.
/// </summary>
public sealed class Core46PlusEncoder : ObservationEncoder
{
    public const string EncodingName = "core46+";

    public static Core46PlusEncoder Instance { get; } = new();

    private Core46PlusEncoder()
    {
    }

    public override string Name => EncodingName;

    public override int Channels => 51;

    public override void Encode(Position position, in EncodingContext context, Span<float> destination)
    {
        RequireRoom(destination);
        EncodePlus(position, context, destination);
    }

    /// <summary>Writes the 51 planes of <c>core46+</c> into the first 51 · 81 floats of <paramref name="destination"/>.</summary>
    internal static void EncodePlus(Position position, in EncodingContext context, Span<float> destination)
    {
        Core46Encoder.EncodeCore(position, context, destination);
        var extra = destination.Slice(46 * 81, 5 * 81);
        extra.Clear();
        var us = position.SideToMove;
        bool flip = us == Color.White;
        int View(int sq) => flip ? 80 - ActionSpace.KeiseiSquare(sq) : ActionSpace.KeiseiSquare(sq);

        if (position.InCheck) extra[..81].Fill(1f);
        extra.Slice(81, 81).Fill(Math.Min(Math.Max(context.RepetitionCount - 1, 0), 3) / 3f);
        var last = position.LastMove;
        if (!last.IsNone)
        {
            if (!last.IsDrop) extra[2 * 81 + View(last.From)] = 1f;
            extra[3 * 81 + View(last.To)] = 1f;
        }
        var own = position.PiecesOf(us);
        while (own.Any)
        {
            int sq = own.Pop();
            if (Squares.InZone(us, sq)) extra[4 * 81 + View(sq)] = 1f;
        }
    }
}

/// <summary>
/// <c>core46+</c> plus four planes of what the pieces attack, which a small convolutional tower cannot see across the
/// board by itself: how many of the side to move's pieces attack each square (51) and how many of the opponent's (52),
/// as min(count, 3) / 3; the side to move's pieces en prise (53) and the opponent's (54). A piece is en prise when the
/// other side attacks it and either it is not defended or one of its attackers is worth less (<see cref="Material.Value"/>,
/// the heuristic player's notion of an unsafe square); kings are never en prise. Attacks are the pieces' moves on the
/// current occupancy, pins ignored. All from the side to move's view.
/// </summary>
public sealed class Core46AttacksEncoder : ObservationEncoder
{
    public const string EncodingName = "core46+attacks";

    public static Core46AttacksEncoder Instance { get; } = new();

    private Core46AttacksEncoder()
    {
    }

    public override string Name => EncodingName;

    public override int Channels => 55;

    public override void Encode(Position position, in EncodingContext context, Span<float> destination)
    {
        RequireRoom(destination);
        Core46PlusEncoder.EncodePlus(position, context, destination);
        var planes = destination.Slice(51 * 81, 4 * 81);
        planes.Clear();

        // Per colour and square: attackers and the cheapest attacker's value.
        Span<byte> count = stackalloc byte[2 * 81];
        Span<byte> cheapest = stackalloc byte[2 * 81];
        count.Clear();
        cheapest.Fill(byte.MaxValue);
        var occupied = position.Occupied;
        var pieces = occupied;
        while (pieces.Any)
        {
            int sq = pieces.Pop();
            int piece = position.PieceOn(sq);
            var kind = Pieces.TypeOf(piece);
            int side = (int)Pieces.ColorOf(piece) * 81;
            byte value = (byte)Material.Value(kind);
            var targets = Attacks.Of(kind, Pieces.ColorOf(piece), sq, occupied);
            while (targets.Any)
            {
                int t = side + targets.Pop();
                count[t]++;
                if (value < cheapest[t]) cheapest[t] = value;
            }
        }

        var us = position.SideToMove;
        bool flip = us == Color.White;
        int ours = (int)us * 81, theirs = (int)us.Opponent() * 81;
        for (int sq = 0; sq < 81; sq++)
        {
            int cell = flip ? 80 - ActionSpace.KeiseiSquare(sq) : ActionSpace.KeiseiSquare(sq);
            planes[cell] = Math.Min((int)count[ours + sq], 3) / 3f;
            planes[81 + cell] = Math.Min((int)count[theirs + sq], 3) / 3f;
            int piece = position.PieceOn(sq);
            if (piece == 0) continue;
            var kind = Pieces.TypeOf(piece);
            if (kind == PieceType.King) continue;
            int own = (int)Pieces.ColorOf(piece) * 81, other = 81 - own;
            if (count[other + sq] == 0) continue;
            if (count[own + sq] > 0 && cheapest[other + sq] >= Material.Value(kind)) continue;
            planes[(own == ours ? 2 : 3) * 81 + cell] = 1f;
        }
    }
}
