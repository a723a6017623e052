namespace Keisei.Training;

/// <summary>
/// Generalised advantage estimation over per-player sequences. In self-play both players' positions are interleaved in
/// one buffer; each step links to the same player's next step (<c>next</c>), so a player's value is never bootstrapped
/// from the opponent's position. The last step of a finished game carries the reward (+1 win, −1 loss, 0 draw) and
/// <c>done</c>; a sequence cut by the end of the rollout bootstraps from <c>bootstrap</c> (that player's value of the
/// position where the rollout stopped).
/// </summary>
public static class Gae
{
    /// <param name="rewards">Reward of each step.</param>
    /// <param name="values">Value estimate of each step's position, from the mover's view.</param>
    /// <param name="dones">True on a player's last step of a finished game.</param>
    /// <param name="next">Index of the same player's next step in the same game, or −1.</param>
    /// <param name="bootstrap">For a step with no next step and not done: the value to bootstrap from.</param>
    public static void Compute(ReadOnlySpan<float> rewards, ReadOnlySpan<float> values, ReadOnlySpan<bool> dones, ReadOnlySpan<int> next,
        ReadOnlySpan<float> bootstrap, double gamma, double lambda, Span<float> advantages, Span<float> returns)
    {
        int n = rewards.Length;
        for (int i = n - 1; i >= 0; i--)
        {
            double nextValue, nextAdvantage;
            if (dones[i])
            {
                nextValue = 0;
                nextAdvantage = 0;
            }
            else if (next[i] >= 0)
            {
                if (next[i] <= i) throw new ArgumentException($"Step {i} links to step {next[i]}, which is not later.", nameof(next));
                nextValue = values[next[i]];
                nextAdvantage = advantages[next[i]];
            }
            else
            {
                nextValue = bootstrap[i];
                nextAdvantage = 0;
            }
            double delta = rewards[i] + gamma * nextValue - values[i];
            advantages[i] = (float)(delta + gamma * lambda * nextAdvantage);
            returns[i] = advantages[i] + values[i];
        }
    }
}
