namespace Keisei.Neural.Inference;

/// <summary>Small numeric helpers over policy logits.</summary>
public static class PolicyMath
{
    /// <summary>Softmax of <paramref name="logits"/> (the legal moves' logits) into <paramref name="destination"/>.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> destination)
    {
        float max = float.NegativeInfinity;
        foreach (float logit in logits) max = Math.Max(max, logit);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float e = MathF.Exp(logits[i] - max);
            destination[i] = e;
            sum += e;
        }
        float scale = (float)(1.0 / sum);
        for (int i = 0; i < logits.Length; i++) destination[i] *= scale;
    }
}
