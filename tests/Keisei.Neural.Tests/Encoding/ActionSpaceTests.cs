using Keisei.Neural.Encoding;
using Keisei.Shogi;
using static Keisei.Neural.Tests.TestSupport;

namespace Keisei.Neural.Tests;

public class ActionSpaceTests
{
    [Theory]
    [InlineData("9a8a", 0)]
    [InlineData("9a8a+", 1)]
    [InlineData("9a1i+", 159)]
    [InlineData("7g7f", 9054)]
    [InlineData("1i2i+", 12959)]
    [InlineData("P*9a", 12960)]
    [InlineData("L*9a", 12961)]
    [InlineData("P*5e", 13240)]
    [InlineData("R*1i", 13526)]
    public void ReferenceIndices(string usi, int index)
    {
        Assert.Equal(index, ActionSpace.IndexOf(M(usi)));
        Assert.Equal(usi, ActionSpace.MoveAt(index).ToUsi());
    }

    [Fact]
    public void SizesMatchTheReference()
    {
        Assert.Equal(13527, ActionSpace.Size);
        Assert.Equal(12960, ActionSpace.BoardMoveCount);
        Assert.Equal(81 * 80 * 2 + 81 * 7, ActionSpace.Size);
    }

    [Fact]
    public void KeiseiSquaresFollowTheReferenceLayout()
    {
        // Row = rank (a = 0), column 0 = file 9.
        Assert.Equal(0, ActionSpace.KeiseiSquare(Squares.Parse("9a")));
        Assert.Equal(8, ActionSpace.KeiseiSquare(Squares.Parse("1a")));
        Assert.Equal(9, ActionSpace.KeiseiSquare(Squares.Parse("9b")));
        Assert.Equal(80, ActionSpace.KeiseiSquare(Squares.Parse("1i")));
        Assert.Equal(6 * 9 + 2, ActionSpace.KeiseiSquare(Squares.Parse("7g")));
        for (int sq = 0; sq < 81; sq++)
        {
            int k = ActionSpace.KeiseiSquare(sq);
            string usi = Squares.ToUsi(sq);
            Assert.Equal($"{9 - k % 9}{(char)('a' + k / 9)}", usi);
            Assert.Equal(sq, ActionSpace.FromKeiseiSquare(k));
        }
    }

    [Fact]
    public void EveryIndexRoundTripsThroughItsMove()
    {
        var seen = new HashSet<Move>();
        for (int i = 0; i < ActionSpace.Size; i++)
        {
            var move = ActionSpace.MoveAt(i);
            Assert.False(move.IsNone, $"index {i} maps to no move");
            if (!seen.Add(move)) Assert.Fail($"index {i} maps to {move}, which an earlier index also maps to");
            Assert.Equal(i, ActionSpace.IndexOf(move));
            Assert.Equal(i >= ActionSpace.BoardMoveCount, move.IsDrop);
        }
    }

    [Fact]
    public void EveryMappableMoveRoundTripsThroughItsIndex()
    {
        var indices = new HashSet<int>();
        for (int from = 0; from < 81; from++)
            for (int to = 0; to < 81; to++)
            {
                if (from == to) continue;
                foreach (bool promote in new[] { false, true })
                {
                    var move = Move.Board(from, to, promote);
                    int index = ActionSpace.IndexOf(move);
                    Assert.InRange(index, 0, ActionSpace.BoardMoveCount - 1);
                    Assert.Equal(promote, (index & 1) == 1);
                    Assert.Equal(move, ActionSpace.MoveAt(index));
                    if (!indices.Add(index)) Assert.Fail($"{move} collides at {index}");
                }
            }
        for (var kind = PieceType.Pawn; kind <= PieceType.Rook; kind++)
            for (int to = 0; to < 81; to++)
            {
                var move = Move.Drop(kind, to);
                int index = ActionSpace.IndexOf(move);
                Assert.InRange(index, ActionSpace.BoardMoveCount, ActionSpace.Size - 1);
                Assert.Equal(move, ActionSpace.MoveAt(index));
                if (!indices.Add(index)) Assert.Fail($"{move} collides at {index}");
            }
        Assert.Equal(ActionSpace.Size, indices.Count);
    }

    [Fact]
    public void LegalMovesOfRandomPlayoutsRoundTripWithDistinctIndices()
    {
        var positions = RandomPositions(seed: 20240601, games: 60, maxPlies: 220);
        Assert.True(positions.Count > 5000, $"only {positions.Count} positions");
        long moves = 0, drops = 0, promotions = 0;
        Span<int> indices = stackalloc int[MoveList.Capacity];
        var buffer = new Move[MoveList.Capacity];
        var seen = new HashSet<int>();
        foreach (var position in positions)
        {
            var legal = LegalMoves(position);
            seen.Clear();
            foreach (var move in legal)
            {
                int index = ActionSpace.IndexOf(move);
                Assert.InRange(index, 0, ActionSpace.Size - 1);
                Assert.Equal(move, ActionSpace.MoveAt(index));
                if (!seen.Add(index)) Assert.Fail($"two legal moves share index {index} in {position.ToSfen()}");
                moves++;
                if (move.IsDrop) drops++;
                if (move.IsPromotion) promotions++;
            }

            int count = ActionSpace.LegalActions(position, indices, buffer);
            Assert.Equal(legal.Length, count);
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(legal[i], buffer[i]);
                Assert.Equal(ActionSpace.IndexOf(legal[i]), indices[i]);
            }
        }
        // The playouts must reach the interesting parts of the space.
        Assert.True(drops > 10000, $"only {drops} drops among {moves} moves");
        Assert.True(promotions > 1000, $"only {promotions} promotions among {moves} moves");
    }

    [Fact]
    public void LegalMaskHasExactlyTheLegalMovesSet()
    {
        var mask = new bool[ActionSpace.Size];
        foreach (var position in RandomPositions(seed: 7, games: 20, maxPlies: 200, stride: 5))
        {
            Array.Fill(mask, true); // stale contents must be cleared
            int count = ActionSpace.LegalMask(position, mask);
            var legal = LegalMoves(position);
            Assert.Equal(legal.Length, count);
            var expected = legal.Select(ActionSpace.IndexOf).ToHashSet();
            for (int i = 0; i < ActionSpace.Size; i++)
                if (expected.Contains(i) != mask[i]) Assert.Fail($"mask[{i}] ({ActionSpace.MoveAt(i)}) is {mask[i]} in {position.ToSfen()}");
        }
    }

    [Fact]
    public void StartPositionMaskHasThirtyMovesIncluding7g7f()
    {
        var mask = new bool[ActionSpace.Size];
        Assert.Equal(30, ActionSpace.LegalMask(Position.StartPosition(), mask));
        Assert.Equal(30, mask.Count(b => b));
        Assert.True(mask[9054]);
    }

    [Fact]
    public void LegalMaskOfAPositionWithoutMovesIsEmpty()
    {
        var position = Position.FromSfen("+R+N+SGKG+S+N+R/+B+N+SG+LG+S+N+B/P+LPP+LPP+LP/1P2P2P1/9/9/9/9/4k4 b 9P 200");
        var mask = new bool[ActionSpace.Size];
        Array.Fill(mask, true);
        Assert.Equal(0, ActionSpace.LegalMask(position, mask));
        Assert.DoesNotContain(true, mask);
    }

    [Fact]
    public void LegalMaskRejectsAWronglySizedMask()
    {
        var e = Assert.Throws<ArgumentException>(() => ActionSpace.LegalMask(Position.StartPosition(), new bool[100]));
        Assert.Contains("13527", e.Message);
    }

    [Fact]
    public void UnmappableMovesThrow()
    {
        Assert.Throws<ArgumentException>(() => ActionSpace.IndexOf(Move.None));
        Assert.Throws<ArgumentException>(() => ActionSpace.IndexOf(Move.Board(40, 40)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActionSpace.MoveAt(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActionSpace.MoveAt(ActionSpace.Size));
    }

    [Fact]
    public void LegalActionsAllocatesNothing()
    {
        var position = Position.FromSfen("l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1");
        var indices = new int[MoveList.Capacity];
        var moves = new Move[MoveList.Capacity];
        var mask = new bool[ActionSpace.Size];
        ActionSpace.LegalActions(position, indices, moves);
        ActionSpace.LegalMask(position, mask);
        long total = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            total += ActionSpace.LegalActions(position, indices, moves);
            total += ActionSpace.LegalMask(position, mask);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(200 * 2 * 207, total);
        Assert.Equal(0, allocated);
    }
}
