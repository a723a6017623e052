using BenchmarkDotNet.Attributes;
using Keisei.Shogi;

namespace Keisei.Benchmarks;

/// <summary>Legal move generation per call, and perft, on the start position and a 207-move middle game.</summary>
[MemoryDiagnoser]
public class MoveGenerationBenchmarks
{
    /// <summary>A middle-game position from the perft reference table with 207 legal moves.</summary>
    public const string MiddleGame = "l6nl/5+P1gk/2np1S3/p1p4Pp/3P2Sp1/1PPb2P1P/P5GS1/R8/LN4bKL w GR5pnsg 1";

    private readonly Position _start = Position.StartPosition();
    private readonly Position _middle = Position.FromSfen(MiddleGame);

    [Benchmark]
    public int LegalMovesStartPosition()
    {
        var list = new MoveList();
        _start.GenerateLegalMoves(ref list);
        return list.Count;
    }

    [Benchmark]
    public int LegalMovesMiddleGame207()
    {
        var list = new MoveList();
        _middle.GenerateLegalMoves(ref list);
        return list.Count;
    }

    [Benchmark]
    public long PerftStartDepth4() => Perft.Count(_start, 4);

    [Benchmark]
    public long PerftMiddleGameDepth3() => Perft.Count(_middle, 3);
}
