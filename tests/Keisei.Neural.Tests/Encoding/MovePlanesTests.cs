using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using Keisei.Shogi;
using TorchSharp;
using static Keisei.Neural.Tests.TestSupport;

namespace Keisei.Neural.Tests;

public class MovePlanesTests
{
    /// <summary>The move turned by 180°: what the other colour plays in the mirrored position.</summary>
    private static Move Turned(Move move)
    {
        static int Turn(int sq) => Squares.Of(10 - Squares.File(sq), 8 - Squares.Rank(sq));
        return move.IsDrop ? Move.Drop(move.DropKind, Turn(move.To)) : Move.Board(Turn(move.From), Turn(move.To), move.IsPromotion);
    }

    [Fact]
    public void LegalMovesOfRandomPositionsMapToDistinctCellsForBothColours()
    {
        var positions = RandomPositions(seed: 314, games: 60, maxPlies: 220);
        var colours = new int[2];
        var seen = new HashSet<int>();
        long moves = 0, knights = 0, drops = 0, promotions = 0;
        foreach (var position in positions)
        {
            var mover = position.SideToMove;
            colours[(int)mover]++;
            seen.Clear();
            foreach (var move in LegalMoves(position))
            {
                int cell = MovePlanes.CellOf(ActionSpace.IndexOf(move), mover);
                Assert.InRange(cell, 0, MovePlanes.Cells - 1);
                if (!seen.Add(cell)) Assert.Fail($"two legal moves read cell {cell} in {position.ToSfen()} ({move.ToUsi()})");
                int plane = cell / 81;
                if (move.IsDrop) { drops++; Assert.Equal(2 * MovePlanes.StepPlanes + (int)move.DropKind - 1, plane); }
                else
                {
                    Assert.Equal(move.IsPromotion, plane >= MovePlanes.StepPlanes);
                    if (plane % MovePlanes.StepPlanes >= 64) knights++;
                    if (move.IsPromotion) promotions++;
                }
                moves++;
            }
        }
        Assert.True(colours[0] > 2000 && colours[1] > 2000, $"positions per colour: {colours[0]}, {colours[1]}");
        Assert.True(knights > 500 && drops > 10000 && promotions > 1000, $"{moves} moves: {knights} knight jumps, {drops} drops, {promotions} promotions");
    }

    [Fact]
    public void AMoveAndItsMirrorForTheOtherColourReadTheSameCell()
    {
        int checkedMoves = 0;
        foreach (var position in RandomPositions(seed: 2718, games: 30, maxPlies: 200, stride: 3))
        {
            var mover = position.SideToMove;
            foreach (var move in LegalMoves(position))
            {
                int cell = MovePlanes.CellOf(ActionSpace.IndexOf(move), mover);
                Assert.Equal(cell, MovePlanes.CellOf(ActionSpace.IndexOf(Turned(move)), mover.Opponent()));
                checkedMoves++;
            }
        }
        Assert.True(checkedMoves > 50000, $"only {checkedMoves} moves");
    }

    [Theory]
    [InlineData("7g7f", Color.Black, 0, 1, "7g")] // one step forward: direction N, distance 1, at the origin
    [InlineData("3c3d", Color.White, 0, 1, "7g")] // the same step for White, read at the turned origin
    [InlineData("8h2b+", Color.Black, 1, 6, "8h")] // bishop six squares NE, promoting
    [InlineData("2b8h+", Color.White, 1, 6, "8h")]
    [InlineData("2h5h", Color.Black, 6, 3, "2h")] // rook three squares W (file 2 to file 5: towards the 9-file side, left on the diagram)
    [InlineData("2i3g", Color.Black, 8, 1, "2i")] // knight jump forward-left: plane 64
    [InlineData("8a9c+", Color.White, 8, 2, "2i")] // White's knight jump, forward-right in its frame, promoting: plane 66 + 65
    public void StepsAreReadOnTheirPlanes(string usi, Color mover, int direction, int distance, string frameOrigin)
    {
        var move = Parse(usi);
        int plane = (move.IsPromotion ? MovePlanes.StepPlanes : 0) + 8 * direction + distance - 1;
        Assert.Equal(plane * 81 + ActionSpace.KeiseiSquare(Square(frameOrigin)), MovePlanes.CellOf(ActionSpace.IndexOf(move), mover));
    }

    [Fact]
    public void DropsAreReadAtTheirDestinationAndImpossibleJumpsNowhere()
    {
        Assert.Equal((2 * MovePlanes.StepPlanes + 6) * 81 + ActionSpace.KeiseiSquare(Square("1a")),
            MovePlanes.CellOf(ActionSpace.IndexOf(Parse("R*9i")), Color.White));
        Assert.Equal((2 * MovePlanes.StepPlanes + 0) * 81 + ActionSpace.KeiseiSquare(Square("5e")),
            MovePlanes.CellOf(ActionSpace.IndexOf(Parse("P*5e")), Color.Black));
        // A jump no piece can make has no cell of its own.
        Assert.Equal(MovePlanes.Unmapped, MovePlanes.CellOf(ActionSpace.IndexOf(Parse("9a7b")), Color.Black));
        Assert.Equal(-1, MovePlanes.PlaneOf(Parse("2i3e"), Color.Black));
        Assert.Equal(-1, MovePlanes.PlaneOf(Parse("2i3g"), Color.White)); // a knight never jumps backwards
    }

    private static Move Parse(string usi) => UsiNotation.TryParseSyntax(usi) ?? throw new ArgumentException(usi);

    private static int Square(string name) => Squares.Of(name[0] - '0', name[1] - 'a');

    [Theory]
    [InlineData(ModelConfig.Quick)]
    [InlineData(ModelConfig.ResNet)]
    public void TheConvHeadsActionLogitsAreItsCellsByTheColourToMove(string architecture)
    {
        using var scope = torch.NewDisposeScope();
        using var model = PolicyValueModel.Create(ModelTests.Tiny(architecture, "core46"), seed: 5);
        model.eval();
        using (torch.no_grad())
        {
            // The per-cell bias starts at 0; give it values so that a bias leaking into the padding would show.
            var biases = model.named_parameters().Where(p => p.name.EndsWith("cell_bias", StringComparison.Ordinal)).ToList();
            Assert.Single(biases);
            biases[0].parameter.add_(torch.rand_like(biases[0].parameter), Scalars.Of(1L));
        }
        var positions = RandomPositions(seed: 99, games: 4, maxPlies: 40, stride: 7);
        Assert.Contains(positions, p => p.SideToMove == Color.White);
        var input = ModelTests.Observations(Core46Encoder.Instance, positions);
        using var noGrad = torch.no_grad();
        var (logits, _) = model.forward(input);
        var (cells, _) = model.ForwardHeads(input);
        int width = model.HeadPolicySize;
        Assert.True(width > MovePlanes.Cells, $"head width {width} leaves no spare cell after the {MovePlanes.Cells} cells");
        Assert.Equal([positions.Count, (long)width], cells.shape);
        var l = logits.data<float>().ToArray();
        var c = cells.data<float>().ToArray();
        for (int p = 0; p < positions.Count; p++)
        {
            var mover = positions[p].SideToMove;
            for (int action = 0; action < ActionSpace.Size; action += 7)
                Assert.Equal(c[p * width + model.HeadPolicyIndex(action, mover)], l[p * ActionSpace.Size + action]);
            // Past the planes' cells (the unmapped cell among them) the head's output is exactly 0, whatever the weights.
            for (int cell = MovePlanes.Cells; cell < width; cell++) Assert.Equal(0f, c[p * width + cell]);
        }
    }
}
