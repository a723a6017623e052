using System.Text;

namespace Keisei.Shogi;

/// <summary>An SFEN string that cannot describe a legal shogi position; the message names the problem precisely.</summary>
public sealed class SfenException(string sfen, string problem)
    : FormatException($"Invalid SFEN \"{sfen}\": {problem}")
{
    public string Sfen { get; } = sfen;
    public string Problem { get; } = problem;
}

public sealed partial class Position
{
    private static readonly PieceType[] HandOrder =
        [PieceType.Rook, PieceType.Bishop, PieceType.Gold, PieceType.Silver, PieceType.Knight, PieceType.Lance, PieceType.Pawn];

    /// <summary>Parses <c>&lt;board&gt; &lt;side&gt; &lt;hands&gt; [&lt;move number&gt;]</c> (a leading <c>sfen</c> or the word <c>startpos</c> is accepted).</summary>
    /// <exception cref="SfenException">The text is malformed or describes an impossible position.</exception>
    public static Position FromSfen(string sfen)
    {
        ArgumentNullException.ThrowIfNull(sfen);
        var fields = sfen.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 1 && fields[0] == "startpos") return FromSfen(StartSfen);
        if (fields.Length > 0 && fields[0] == "sfen") fields = fields[1..];
        void Fail(string problem) => throw new SfenException(sfen, problem);
        if (fields.Length is < 3 or > 4)
            Fail($"expected 3 or 4 fields (board, side to move, hands, [move number]), found {fields.Length}");

        var p = new Position();
        ParseBoard(p, fields[0], Fail);

        p._side = fields[1] switch
        {
            "b" => Color.Black,
            "w" => Color.White,
            _ => throw new SfenException(sfen, $"side to move must be 'b' or 'w', found '{fields[1]}'"),
        };

        if (fields[2] != "-") ParseHands(p, fields[2], Fail);

        if (fields.Length == 4)
        {
            if (!int.TryParse(fields[3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1)
                Fail($"move number must be a positive integer, found '{fields[3]}'");
            else
                p._moveNumber = n;
        }

        CheckPieceCounts(p, Fail);
        p._hash = p.ComputeHash();
        int ksq = p.KingSquare(p._side);
        p._checkers = ksq == NoSquare ? Bitboard.Empty : p.AttackersTo(ksq, p._side.Opponent(), p._occupied);
        int enemyKing = p.KingSquare(p._side.Opponent());
        if (enemyKing != NoSquare && p.IsAttacked(enemyKing, p._side, p._occupied))
            Fail($"the side to move ({p._side}) can capture the enemy king on {Squares.ToUsi(enemyKing)}");
        return p;
    }

    private static void ParseBoard(Position p, string board, Action<string> fail)
    {
        var ranks = board.Split('/');
        if (ranks.Length != 9) fail($"board must have 9 ranks separated by '/', found {ranks.Length}");
        for (int rank = 0; rank < 9; rank++)
        {
            string text = ranks[rank];
            string where = $"rank {(char)('a' + rank)} ('{text}')";
            int file = 9;
            bool promoted = false;
            foreach (char ch in text)
            {
                if (ch == '+')
                {
                    if (promoted) fail($"{where}: '+' twice in a row");
                    promoted = true;
                    continue;
                }
                if (ch is >= '1' and <= '9')
                {
                    if (promoted) fail($"{where}: '+' before the digit '{ch}' (only a piece can be promoted)");
                    file -= ch - '0';
                    if (file < 0) fail($"{where} has more than 9 squares");
                    continue;
                }
                var kind = Pieces.FromLetter(ch);
                if (kind == PieceType.None) fail($"{where}: unknown piece letter '{ch}' (expected one of PLNSGBRK, lowercase for White, digits 1-9, '+')");
                if (file < 1) fail($"{where} has more than 9 squares");
                if (promoted && !Pieces.CanPromote(kind)) fail($"{where}: '+{ch}' — {(kind == PieceType.King ? "a king" : "a gold")} cannot be promoted");
                var color = char.IsUpper(ch) ? Color.Black : Color.White;
                if (promoted) kind = Pieces.Promote(kind);
                int sq = Squares.Of(file, rank);
                if (kind == PieceType.King)
                {
                    if (p.KingSquare(color) != NoSquare)
                        fail($"two {color} kings ({Squares.ToUsi(p.KingSquare(color))} and {Squares.ToUsi(sq)})");
                    p.SetKing(color, sq);
                }
                int rel = Squares.RelativeRank(color, sq);
                if ((kind is PieceType.Pawn or PieceType.Lance && rel == 0) || (kind == PieceType.Knight && rel <= 1))
                    fail($"{color} {kind} on {Squares.ToUsi(sq)} could never move (unpromoted on its last rank{(kind == PieceType.Knight ? "s" : "")})");
                p.PutPiece(Pieces.Make(kind, color), sq);
                file--;
                promoted = false;
            }
            if (promoted) fail($"{where} ends with '+'");
            if (file != 0) fail($"{where} has {9 - file} squares, expected 9");
        }

        for (int c = 0; c < 2; c++)
        {
            for (int f = 1; f <= 9; f++)
            {
                var pawns = p.PiecesOf((Color)c, PieceType.Pawn) & Attacks.FileMask(f);
                if (pawns.HasMoreThanOne)
                {
                    var squares = new List<string>();
                    while (pawns.Any) squares.Add(Squares.ToUsi(pawns.Pop()));
                    fail($"two unpromoted {(Color)c} pawns on file {f} ({string.Join(" and ", squares)}): nifu");
                }
            }
        }
    }

    private static void ParseHands(Position p, string hands, Action<string> fail)
    {
        int count = 0;
        bool hasCount = false;
        foreach (char ch in hands)
        {
            if (char.IsAsciiDigit(ch))
            {
                count = count * 10 + (ch - '0');
                hasCount = true;
                if (count > 18) fail($"hand count {count} in '{hands}' is out of range (at most 18)");
                continue;
            }
            var kind = Pieces.FromLetter(ch);
            if (kind is PieceType.None or PieceType.King)
                fail($"hands '{hands}': '{ch}' is not a piece that can be held (expected counts and letters PLNSGBR, lowercase for White, or '-')");
            if (hasCount && count < 1) fail($"hands '{hands}': count before '{ch}' must be at least 1");
            var color = char.IsUpper(ch) ? Color.Black : Color.White;
            int index = (int)color * 8 + (int)kind;
            int total = p._hand[index] + (hasCount ? count : 1);
            if (total > Pieces.MaxCount[(int)kind])
                fail($"hands '{hands}': {color} holds {total} pieces of kind {kind}, at most {Pieces.MaxCount[(int)kind]} exist");
            p._hand[index] = (byte)total;
            count = 0;
            hasCount = false;
        }
        if (hasCount) fail($"hands '{hands}' end with a count and no piece letter");
    }

    private static void CheckPieceCounts(Position p, Action<string> fail)
    {
        Span<int> totals = stackalloc int[9];
        for (int sq = 0; sq < 81; sq++)
            if (p._board[sq] != 0) totals[(int)Pieces.Unpromote(Pieces.TypeOf(p._board[sq]))]++;
        for (int c = 0; c < 2; c++)
            for (int k = 1; k <= Pieces.HandKinds; k++)
                totals[k] += p._hand[c * 8 + k];
        for (int k = 1; k <= Pieces.HandKinds; k++)
            if (totals[k] > Pieces.MaxCount[k])
                fail($"{totals[k]} pieces of kind {(PieceType)k} on the board and in hands, at most {Pieces.MaxCount[k]} exist");
    }

    /// <summary>The SFEN of this position, hands in the conventional order R B G S N L P.</summary>
    public string ToSfen()
    {
        var sb = new StringBuilder(96);
        for (int rank = 0; rank < 9; rank++)
        {
            if (rank > 0) sb.Append('/');
            int empty = 0;
            for (int file = 9; file >= 1; file--)
            {
                int piece = _board[Squares.Of(file, rank)];
                if (piece == 0)
                {
                    empty++;
                    continue;
                }
                if (empty > 0) sb.Append(empty);
                empty = 0;
                var kind = Pieces.TypeOf(piece);
                if (Pieces.IsPromoted(kind)) sb.Append('+');
                char letter = Pieces.Letter(kind);
                sb.Append(Pieces.ColorOf(piece) == Color.Black ? letter : char.ToLowerInvariant(letter));
            }
            if (empty > 0) sb.Append(empty);
        }
        sb.Append(_side == Color.Black ? " b " : " w ");
        int before = sb.Length;
        for (int c = 0; c < 2; c++)
        {
            foreach (var kind in HandOrder)
            {
                int n = _hand[c * 8 + (int)kind];
                if (n == 0) continue;
                if (n > 1) sb.Append(n);
                char letter = Pieces.Letter(kind);
                sb.Append(c == 0 ? letter : char.ToLowerInvariant(letter));
            }
        }
        if (sb.Length == before) sb.Append('-');
        sb.Append(' ').Append(_moveNumber);
        return sb.ToString();
    }

    public override string ToString() => ToSfen();
}
