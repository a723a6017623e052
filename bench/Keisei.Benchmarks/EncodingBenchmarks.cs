using BenchmarkDotNet.Attributes;
using Keisei.Neural.Encoding;
using Keisei.Shogi;

namespace Keisei.Benchmarks;

/// <summary>Encoding one position into core46 / core46+ / core46+attacks (time per position, bytes allocated), and the legal mask.</summary>
[MemoryDiagnoser]
public class EncodingBenchmarks
{
    private readonly Position _start = Position.StartPosition();
    private readonly Position _middle = Position.FromSfen(MoveGenerationBenchmarks.MiddleGame);
    private readonly float[] _buffer = new float[Core46AttacksEncoder.Instance.Size];
    private readonly bool[] _mask = new bool[ActionSpace.Size];
    private readonly EncodingContext _context = new(500);

    [Benchmark]
    public void Core46StartPosition() => Core46Encoder.Instance.Encode(_start, _context, _buffer);

    [Benchmark]
    public void Core46MiddleGame() => Core46Encoder.Instance.Encode(_middle, _context, _buffer);

    [Benchmark]
    public void Core46PlusMiddleGame() => Core46PlusEncoder.Instance.Encode(_middle, _context, _buffer);

    [Benchmark]
    public void Core46AttacksMiddleGame() => Core46AttacksEncoder.Instance.Encode(_middle, _context, _buffer);

    [Benchmark]
    public int LegalMaskMiddleGame() => ActionSpace.LegalMask(_middle, _mask);
}
