using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Shogi;

namespace Keisei.Search;

/// <summary>What a search asks of a network: the legal moves with their priors and the value for the side to move.</summary>
public interface ILeafEvaluator
{
    /// <summary>Evaluates a position that has a legal move. The position is the evaluator's until the answer comes (the search passes a copy).</summary>
    ValueTask<PolicyValue> EvaluateAsync(Position position, EncodingContext context, CancellationToken cancellationToken);
}

/// <summary>Evaluates leaves through a shared <see cref="InferenceBatcher"/>, so the leaves of one or many searches share forward passes.</summary>
public sealed class BatcherLeafEvaluator(InferenceBatcher batcher) : ILeafEvaluator
{
    public ValueTask<PolicyValue> EvaluateAsync(Position position, EncodingContext context, CancellationToken cancellationToken) =>
        batcher.EvaluateAsync(position, context, cancellationToken);
}
