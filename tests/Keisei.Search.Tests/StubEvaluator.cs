using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Shogi;

namespace Keisei.Search.Tests;

/// <summary>
/// A deterministic stand-in for the network: priors and value are functions of the position (uniform priors and value 0
/// unless given), answered at once.
/// </summary>
internal sealed class StubEvaluator(Func<Position, Move, float>? weight = null, Func<Position, float>? value = null) : ILeafEvaluator
{
    private int _calls;

    public int Calls => _calls;

    public static Move M(string usi) => UsiNotation.TryParseSyntax(usi) ?? throw new ArgumentException($"bad USI move '{usi}'", nameof(usi));

    public ValueTask<PolicyValue> EvaluateAsync(Position position, EncodingContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        var list = new MoveList();
        position.GenerateLegalMoves(ref list);
        var moves = list.ToArray();
        var priors = new float[moves.Length];
        float total = 0;
        for (int i = 0; i < moves.Length; i++) total += priors[i] = weight?.Invoke(position, moves[i]) ?? 1;
        for (int i = 0; i < moves.Length; i++) priors[i] /= total;
        return ValueTask.FromResult(new PolicyValue(moves, priors, value?.Invoke(position) ?? 0));
    }
}
