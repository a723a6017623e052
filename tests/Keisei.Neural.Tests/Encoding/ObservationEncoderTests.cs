using Keisei.Neural.Encoding;
using Keisei.Shogi;
using static Keisei.Neural.Tests.TestSupport;

namespace Keisei.Neural.Tests;

public class ObservationEncoderTests
{
    private static readonly EncodingContext Default = new();

    private static float[] Encode(ObservationEncoder encoder, Position position, EncodingContext? context = null)
    {
        var planes = new float[encoder.Size];
        Array.Fill(planes, float.NaN); // everything must be written
        encoder.Encode(position, context ?? Default, planes);
        return planes;
    }

    private static float At(float[] planes, int channel, int row, int col) => planes[channel * 81 + row * 9 + col];

    private static ReadOnlySpan<float> Plane(float[] planes, int channel) => planes.AsSpan(channel * 81, 81);

    private static void AssertFilled(float[] planes, int channel, float value)
    {
        foreach (float v in Plane(planes, channel)) Assert.Equal(value, v);
    }

    /// <summary>The cells (row, col) set to 1 in a plane; every other cell must be 0.</summary>
    private static List<(int, int)> Cells(float[] planes, int channel)
    {
        var cells = new List<(int, int)>();
        for (int i = 0; i < 81; i++)
        {
            float v = planes[channel * 81 + i];
            if (v is not (0f or 1f)) Assert.Fail($"plane {channel} cell {i} holds {v}");
            if (v == 1f) cells.Add((i / 9, i % 9));
        }
        return cells;
    }

    /// <summary>
    /// core46 straight from the reference text, computed from the SFEN alone: board tokens land at (rank, 9 − file), turned
    /// 180° when White is to move.
    /// </summary>
    private static float[] ReferenceCore46(string sfen, int maxMoves)
    {
        const string Unpromoted = "PLNSGBRK", Promoted = "PLNSBR", Hand = "PLNSGBR";
        var fields = sfen.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        bool blackToMove = fields[1] == "b";
        int moveNumber = fields.Length > 3 ? int.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture) : 1;
        var planes = new float[46 * 81];
        var grid = ParseBoard(fields[0]);
        for (int r = 0; r < 9; r++)
            for (int c = 0; c < 9; c++)
            {
                if (grid[r, c] is not { } token) continue;
                char letter = token[^1];
                bool black = char.IsUpper(letter), own = black == blackToMove;
                char upper = char.ToUpperInvariant(letter);
                int channel = (own ? 0 : 14) + (token[0] == '+' ? 8 + Promoted.IndexOf(upper) : Unpromoted.IndexOf(upper));
                int row = blackToMove ? r : 8 - r, col = blackToMove ? c : 8 - c;
                planes[channel * 81 + row * 9 + col] = 1f;
            }
        foreach (var (count, letter) in ParseHands(fields[2]))
        {
            bool own = char.IsUpper(letter) == blackToMove;
            int channel = (own ? 28 : 35) + Hand.IndexOf(char.ToUpperInvariant(letter));
            planes.AsSpan(channel * 81, 81).Fill(count / 18f);
        }
        if (blackToMove) planes.AsSpan(42 * 81, 81).Fill(1f);
        planes.AsSpan(43 * 81, 81).Fill((moveNumber - 1) / (float)maxMoves);
        return planes;
    }

    // ---------------------------------------------------------------- core46

    [Fact]
    public void NamesAndSizes()
    {
        Assert.Equal("core46", Core46Encoder.Instance.Name);
        Assert.Equal(46, Core46Encoder.Instance.Channels);
        Assert.Equal(46 * 81, Core46Encoder.Instance.Size);
        Assert.Equal("core46+", Core46PlusEncoder.Instance.Name);
        Assert.Equal(51, Core46PlusEncoder.Instance.Channels);
        Assert.Same(Core46Encoder.Instance, ObservationEncoder.ByName("core46"));
        Assert.Same(Core46PlusEncoder.Instance, ObservationEncoder.ByName("core46+"));
        Assert.Equal("core46+attacks", Core46AttacksEncoder.Instance.Name);
        Assert.Equal(55, Core46AttacksEncoder.Instance.Channels);
        Assert.Same(Core46AttacksEncoder.Instance, ObservationEncoder.ByName("core46+attacks"));
        Assert.Equal(["core46", "core46+", "core46+attacks"], ObservationEncoder.Names);
    }

    [Fact]
    public void StartPositionWithBlackToMove()
    {
        var planes = Encode(Core46Encoder.Instance, Position.StartPosition());
        // Own (Black) pieces: pawns on rank g = row 6; column 0 is file 9.
        Assert.Equal(Enumerable.Range(0, 9).Select(c => (6, c)), Cells(planes, 0));
        Assert.Equal([(8, 0), (8, 8)], Cells(planes, 1)); // lances 9i 1i
        Assert.Equal([(8, 1), (8, 7)], Cells(planes, 2)); // knights
        Assert.Equal([(8, 2), (8, 6)], Cells(planes, 3)); // silvers
        Assert.Equal([(8, 3), (8, 5)], Cells(planes, 4)); // golds
        Assert.Equal([(7, 1)], Cells(planes, 5)); // bishop 8h
        Assert.Equal([(7, 7)], Cells(planes, 6)); // rook 2h
        Assert.Equal([(8, 4)], Cells(planes, 7)); // king 5i
        // Opponent (White) pieces in 14–21.
        Assert.Equal(Enumerable.Range(0, 9).Select(c => (2, c)), Cells(planes, 14));
        Assert.Equal([(0, 0), (0, 8)], Cells(planes, 15));
        Assert.Equal([(0, 1), (0, 7)], Cells(planes, 16));
        Assert.Equal([(0, 2), (0, 6)], Cells(planes, 17));
        Assert.Equal([(0, 3), (0, 5)], Cells(planes, 18));
        Assert.Equal([(1, 7)], Cells(planes, 19)); // bishop 2b
        Assert.Equal([(1, 1)], Cells(planes, 20)); // rook 8b
        Assert.Equal([(0, 4)], Cells(planes, 21)); // king 5a
        foreach (int channel in new[] { 8, 9, 10, 11, 12, 13, 22, 23, 24, 25, 26, 27 }) Assert.Empty(Cells(planes, channel));
        for (int channel = 28; channel <= 41; channel++) AssertFilled(planes, channel, 0f);
        AssertFilled(planes, 42, 1f);
        AssertFilled(planes, 43, 0f); // (1 − 1) / 500
        AssertFilled(planes, 44, 0f);
        AssertFilled(planes, 45, 0f);
    }

    [Fact]
    public void StartPositionAfter7g7fIsSeenFromWhite()
    {
        var position = Position.StartPosition();
        position.DoMove(M("7g7f"));
        Assert.Equal(Color.White, position.SideToMove);
        var planes = Encode(Core46Encoder.Instance, position, new EncodingContext(MaxMovesPerGame: 200));
        // White's pawns (rank c) seen from White: row 8 − 2 = 6, columns turned too.
        Assert.Equal(Enumerable.Range(0, 9).Select(c => (6, c)), Cells(planes, 0));
        Assert.Equal([(7, 1)], Cells(planes, 5)); // White's bishop 2b turned: (8 − 1, 8 − 7)
        Assert.Equal([(7, 7)], Cells(planes, 6)); // White's rook 8b turned
        Assert.Equal([(8, 4)], Cells(planes, 7));
        // Black's pawns are the opponent's: rank g turned to row 2, except 7g (column 8 − 2 = 6) now on 7f (row 3).
        var pawns = Cells(planes, 14);
        Assert.Equal(9, pawns.Count);
        Assert.Contains((3, 6), pawns);
        Assert.DoesNotContain((2, 6), pawns);
        Assert.Equal([(0, 4)], Cells(planes, 21));
        AssertFilled(planes, 42, 0f);
        AssertFilled(planes, 43, 1f / 200); // move number 2
    }

    [Fact]
    public void MoveNumberPlaneIsMoveNumberMinusOneOverMaxMoves()
    {
        var position = Position.FromSfen("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 101");
        AssertFilled(Encode(Core46Encoder.Instance, position, new EncodingContext(MaxMovesPerGame: 200)), 43, 0.5f);
        AssertFilled(Encode(Core46Encoder.Instance, position, new EncodingContext(MaxMovesPerGame: 400)), 43, 0.25f);
    }

    [Fact]
    public void HandsAreCountOverEighteen()
    {
        // Black holds R, 2 G, 3 P; White holds b, 4 l (all four lances), 9 p.
        const string sfen = "4k4/9/9/9/9/9/9/9/4K4 {0} R2G3Pb4l9p 1";
        var black = Encode(Core46Encoder.Instance, Position.FromSfen(string.Format(System.Globalization.CultureInfo.InvariantCulture, sfen, "b")));
        float[] ownBlack = [3 / 18f, 0, 0, 0, 2 / 18f, 0, 1 / 18f]; // P L N S G B R
        float[] ownWhite = [9 / 18f, 4 / 18f, 0, 0, 0, 1 / 18f, 0];
        for (int k = 0; k < 7; k++)
        {
            AssertFilled(black, 28 + k, ownBlack[k]);
            AssertFilled(black, 35 + k, ownWhite[k]);
        }
        var white = Encode(Core46Encoder.Instance, Position.FromSfen(string.Format(System.Globalization.CultureInfo.InvariantCulture, sfen, "w")));
        for (int k = 0; k < 7; k++)
        {
            AssertFilled(white, 28 + k, ownWhite[k]);
            AssertFilled(white, 35 + k, ownBlack[k]);
        }

        var all = Encode(Core46Encoder.Instance, Position.FromSfen("4k4/9/9/9/9/9/9/9/4K4 b 18P 1"));
        AssertFilled(all, 28, 1f);
        AssertFilled(all, 35, 0f);
    }

    [Fact]
    public void PromotedPiecesUsePlanes8To13And22To27()
    {
        const string board = "4k4/9/+p+l+n+s+b+r3/9/9/9/+P+L+N+S+B+R3/9/4K4";
        var black = Encode(Core46Encoder.Instance, Position.FromSfen(board + " b - 1"));
        for (int k = 0; k < 6; k++)
        {
            // Black's +P +L +N +S +B +R stand on rank g, files 9..4 (columns 0..5); White's on rank c.
            Assert.Equal([(6, k)], Cells(black, 8 + k));
            Assert.Equal([(2, k)], Cells(black, 22 + k));
        }
        for (int channel = 0; channel < 7; channel++) Assert.Empty(Cells(black, channel));
        Assert.Equal([(8, 4)], Cells(black, 7));

        var white = Encode(Core46Encoder.Instance, Position.FromSfen(board + " w - 1"));
        for (int k = 0; k < 6; k++)
        {
            Assert.Equal([(6, 8 - k)], Cells(white, 8 + k)); // White's pieces turned 180°
            Assert.Equal([(2, 8 - k)], Cells(white, 22 + k));
        }
    }

    [Fact]
    public void MatchesTheReferenceOnRandomPositions()
    {
        var context = new EncodingContext(MaxMovesPerGame: 300);
        int compared = 0;
        foreach (var position in RandomPositions(seed: 31337, games: 30, maxPlies: 250, stride: 3))
        {
            string sfen = position.ToSfen();
            var expected = ReferenceCore46(sfen, 300);
            var actual = Encode(Core46Encoder.Instance, position, context);
            for (int i = 0; i < expected.Length; i++)
                if (expected[i] != actual[i]) Assert.Fail($"plane {i / 81} cell {i % 81}: expected {expected[i]}, found {actual[i]} in {sfen}");
            var plus = Encode(Core46PlusEncoder.Instance, position, context);
            if (!plus.AsSpan(0, 46 * 81).SequenceEqual(actual)) Assert.Fail($"core46+ differs from core46 in its first 46 planes for {sfen}");
            compared++;
        }
        Assert.True(compared > 1000);
    }

    [Fact]
    public void MirrorSfenHelperIsAnInvolution()
    {
        foreach (var position in RandomPositions(seed: 5, games: 5, maxPlies: 200, stride: 10))
        {
            string sfen = position.ToSfen();
            Assert.Equal(Position.FromSfen(sfen).Hash, Position.FromSfen(MirrorSfen(MirrorSfen(sfen))).Hash);
        }
        Assert.Equal("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL w - 1", MirrorSfen(Position.StartSfen));
        Assert.Equal("4k4/9/9/9/9/9/9/9/4K4 w 3Pr2g 7", MirrorSfen("4k4/9/9/9/9/9/9/9/4K4 b R2G3p 7"));
    }

    [Theory]
    [InlineData("core46")]
    [InlineData("core46+")]
    [InlineData("core46+attacks")]
    public void ColourMirroredPositionEncodesIdenticallyExceptTheSidePlane(string name)
    {
        var encoder = ObservationEncoder.ByName(name);
        int compared = 0;
        foreach (var original in RandomPositions(seed: 99, games: 20, maxPlies: 200, stride: 4))
        {
            // Both from SFEN, so neither has a last move.
            string sfen = original.ToSfen();
            var position = Position.FromSfen(sfen);
            var mirror = Position.FromSfen(MirrorSfen(sfen));
            Assert.NotEqual(position.SideToMove, mirror.SideToMove);
            Assert.Equal(position.MoveNumber, mirror.MoveNumber);
            var context = new EncodingContext(MaxMovesPerGame: 256, RepetitionCount: 2);
            var a = Encode(encoder, position, context);
            var b = Encode(encoder, mirror, context);
            for (int channel = 0; channel < encoder.Channels; channel++)
            {
                if (channel == 42) continue;
                if (!Plane(a, channel).SequenceEqual(Plane(b, channel))) Assert.Fail($"plane {channel} differs between {sfen} and its mirror");
            }
            AssertFilled(a, 42, position.SideToMove == Color.Black ? 1f : 0f);
            AssertFilled(b, 42, mirror.SideToMove == Color.Black ? 1f : 0f);
            compared++;
        }
        Assert.True(compared > 500);
    }

    [Fact]
    public void ReservedPlanesAreZeroEvenOverDirtyBuffers()
    {
        foreach (var position in RandomPositions(seed: 3, games: 4, maxPlies: 150, stride: 7))
        {
            var planes = Encode(Core46Encoder.Instance, position); // buffer starts as NaN
            AssertFilled(planes, 44, 0f);
            AssertFilled(planes, 45, 0f);
            Assert.DoesNotContain(planes, float.IsNaN);
        }
    }

    [Fact]
    public void EncodeRejectsAShortDestination()
    {
        // The documented ArgumentException with a message naming the size, not a bare slicing error.
        var core = Assert.Throws<ArgumentException>(() => Core46Encoder.Instance.Encode(Position.StartPosition(), Default, new float[46 * 81 - 1]));
        Assert.Contains("3726", core.Message);
        var plus = Assert.Throws<ArgumentException>(() => Core46PlusEncoder.Instance.Encode(Position.StartPosition(), Default, new float[46 * 81]));
        Assert.Contains("4131", plus.Message);
    }

    [Fact]
    public void EncodeAllocatesNothing()
    {
        var positions = RandomPositions(seed: 11, games: 2, maxPlies: 120, stride: 10);
        var core = new float[Core46Encoder.Instance.Size];
        var plus = new float[Core46PlusEncoder.Instance.Size];
        var attacks = new float[Core46AttacksEncoder.Instance.Size];
        var context = new EncodingContext(MaxMovesPerGame: 500, RepetitionCount: 2);
        foreach (var p in positions)
        {
            Core46Encoder.Instance.Encode(p, context, core);
            Core46PlusEncoder.Instance.Encode(p, context, plus);
            Core46AttacksEncoder.Instance.Encode(p, context, attacks);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
            foreach (var p in positions)
            {
                Core46Encoder.Instance.Encode(p, context, core);
                Core46PlusEncoder.Instance.Encode(p, context, plus);
                Core46AttacksEncoder.Instance.Encode(p, context, attacks);
            }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    // ---------------------------------------------------------------- core46+

    [Fact]
    public void CheckPlane()
    {
        var quiet = Encode(Core46PlusEncoder.Instance, Position.StartPosition());
        AssertFilled(quiet, 46, 0f);
        // White's rook on 5b gives check down the open file.
        var check = Position.FromSfen("4k4/4r4/9/9/9/9/9/9/4K4 b - 1");
        Assert.True(check.InCheck);
        AssertFilled(Encode(Core46PlusEncoder.Instance, check), 46, 1f);

        foreach (var position in RandomPositions(seed: 8, games: 10, maxPlies: 200, stride: 2))
            AssertFilled(Encode(Core46PlusEncoder.Instance, position), 46, position.InCheck ? 1f : 0f);
    }

    [Theory]
    [InlineData(0, 0f)]
    [InlineData(1, 0f)]
    [InlineData(2, 1f / 3)]
    [InlineData(3, 2f / 3)]
    [InlineData(4, 1f)]
    [InlineData(9, 1f)]
    public void RepetitionPlaneComesFromTheContext(int count, float value)
    {
        var planes = Encode(Core46PlusEncoder.Instance, Position.StartPosition(), new EncodingContext(RepetitionCount: count));
        AssertFilled(planes, 47, value);
    }

    [Fact]
    public void LastMovePlanesAfterDoMove()
    {
        var position = Position.StartPosition();
        var start = Encode(Core46PlusEncoder.Instance, position);
        Assert.Empty(Cells(start, 48));
        Assert.Empty(Cells(start, 49));

        position.DoMove(M("7g7f"));
        // White to move: 7g (row 6, column 2) and 7f (row 5, column 2) turned 180°.
        var planes = Encode(Core46PlusEncoder.Instance, position);
        Assert.Equal([(2, 6)], Cells(planes, 48));
        Assert.Equal([(3, 6)], Cells(planes, 49));

        position.DoMove(M("3c3d"));
        // Black to move: 3c is row 2, column 6; 3d row 3, column 6; not turned.
        planes = Encode(Core46PlusEncoder.Instance, position);
        Assert.Equal([(2, 6)], Cells(planes, 48));
        Assert.Equal([(3, 6)], Cells(planes, 49));

        // A drop has a destination only.
        var drop = Position.FromSfen("4k4/9/9/9/9/9/9/9/4K4 w p 1");
        drop.DoMove(M("P*1e"));
        planes = Encode(Core46PlusEncoder.Instance, drop);
        Assert.Empty(Cells(planes, 48));
        Assert.Equal([(4, 8)], Cells(planes, 49));
    }

    [Fact]
    public void PromotionZonePlaneHoldsOwnPiecesInTheFarThreeRanks()
    {
        foreach (var position in RandomPositions(seed: 12, games: 10, maxPlies: 200, stride: 3))
        {
            var planes = Encode(Core46PlusEncoder.Instance, position);
            for (int row = 0; row < 9; row++)
                for (int col = 0; col < 9; col++)
                {
                    bool own = false;
                    for (int channel = 0; channel < 14; channel++) own |= At(planes, channel, row, col) == 1f;
                    float expected = own && row <= 2 ? 1f : 0f;
                    if (expected != At(planes, 50, row, col)) Assert.Fail($"plane 50 at ({row}, {col}) in {position.ToSfen()}");
                }
        }
    }

    [Fact]
    public void UnknownEncodingNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ObservationEncoder.ByName("core47"));
        Assert.Contains("core47", e.Message);
        Assert.Contains("core46,", e.Message);
        Assert.Contains("core46+", e.Message);
        Assert.Contains("core46+attacks", e.Message);
        Assert.Equal("name", e.ParamName);
    }

    // ---------------------------------------------------------------- core46+attacks

    [Fact]
    public void AttackPlanesMarkHangingPiecesOnHandMadePositions()
    {
        // White's rook on 9e attacks Black's undefended gold on 5e along the rank: the gold is en prise.
        var planes = Encode(Core46AttacksEncoder.Instance, Position.FromSfen("4k4/9/9/9/r3G4/9/9/9/4K4 b - 1"));
        Assert.Equal([(4, 4)], Cells(planes, 53));
        Assert.Empty(Cells(planes, 54));
        Assert.Equal(1f / 3, At(planes, 52, 4, 4)); // one attacker on 5e
        Assert.Equal(0f, At(planes, 52, 4, 5)); // 4e lies behind the gold
        Assert.Equal(1f / 3, At(planes, 51, 3, 4)); // the gold attacks 5d

        // A pawn on 5f defends the gold, and its attacker is worth more: not en prise.
        planes = Encode(Core46AttacksEncoder.Instance, Position.FromSfen("4k4/9/9/9/r3G4/4P4/9/9/4K4 b - 1"));
        Assert.Empty(Cells(planes, 53));

        // A White pawn on 5d attacks the defended gold and is cheaper: the gold is en prise; the pawn, attacked by the
        // gold and undefended, is en prise to Black.
        const string both = "4k4/9/9/4p4/r3G4/4P4/9/9/4K4 {0} - 1";
        planes = Encode(Core46AttacksEncoder.Instance, Position.FromSfen(string.Format(System.Globalization.CultureInfo.InvariantCulture, both, "b")));
        Assert.Equal([(4, 4)], Cells(planes, 53));
        Assert.Equal([(3, 4)], Cells(planes, 54));
        Assert.Equal(2f / 3, At(planes, 52, 4, 4)); // rook and pawn
        // From White's side the same pieces, turned 180° and with the planes of the two sides swapped.
        planes = Encode(Core46AttacksEncoder.Instance, Position.FromSfen(string.Format(System.Globalization.CultureInfo.InvariantCulture, both, "w")));
        Assert.Equal([(5, 4)], Cells(planes, 53));
        Assert.Equal([(4, 4)], Cells(planes, 54));
        Assert.Equal(2f / 3, At(planes, 51, 4, 4));

        // Kings are never en prise; counts stop at 3.
        planes = Encode(Core46AttacksEncoder.Instance, Position.FromSfen("4k4/3GRG3/3N5/9/9/9/9/9/4K4 w - 1"));
        Assert.Empty(Cells(planes, 53));
        Assert.Equal(1f, At(planes, 52, 8, 4)); // White's king on 5a (turned to row 8): rook, two golds and a knight
    }

    [Fact]
    public void AttackPlanesMatchAttackersToOnRandomPositions()
    {
        // The encoder walks each piece's attacks; the reference asks the rules' AttackersTo for each square.
        var context = new EncodingContext(MaxMovesPerGame: 300, RepetitionCount: 2);
        int compared = 0;
        foreach (var position in RandomPositions(seed: 4242, games: 20, maxPlies: 250, stride: 3))
        {
            var planes = Encode(Core46AttacksEncoder.Instance, position, context);
            var plus = Encode(Core46PlusEncoder.Instance, position, context);
            if (!plus.AsSpan().SequenceEqual(planes.AsSpan(0, plus.Length))) Assert.Fail($"core46+attacks differs from core46+ in its first 51 planes for {position.ToSfen()}");
            var us = position.SideToMove;
            for (int sq = 0; sq < 81; sq++)
            {
                int cell = ActionSpace.KeiseiSquare(sq);
                if (us == Color.White) cell = 80 - cell;
                var ours = position.AttackersTo(sq, us, position.Occupied);
                var theirs = position.AttackersTo(sq, us.Opponent(), position.Occupied);
                Assert.Equal(Math.Min(ours.Count, 3) / 3f, planes[51 * 81 + cell]);
                Assert.Equal(Math.Min(theirs.Count, 3) / 3f, planes[52 * 81 + cell]);
                int piece = position.PieceOn(sq);
                bool enPrise = false;
                if (piece != 0 && Pieces.TypeOf(piece) != PieceType.King)
                {
                    bool mine = Pieces.ColorOf(piece) == us;
                    var attackers = mine ? theirs : ours;
                    var defenders = mine ? ours : theirs;
                    int value = Material.Value(Pieces.TypeOf(piece));
                    int cheapest = int.MaxValue;
                    while (attackers.Any) cheapest = Math.Min(cheapest, Material.Value(Pieces.TypeOf(position.PieceOn(attackers.Pop()))));
                    enPrise = cheapest != int.MaxValue && (defenders.IsEmpty || cheapest < value);
                    Assert.Equal(enPrise && mine ? 1f : 0f, planes[53 * 81 + cell]);
                    Assert.Equal(enPrise && !mine ? 1f : 0f, planes[54 * 81 + cell]);
                }
                else
                {
                    Assert.Equal(0f, planes[53 * 81 + cell]);
                    Assert.Equal(0f, planes[54 * 81 + cell]);
                }
            }
            compared++;
        }
        Assert.True(compared > 500);
    }
}
