namespace Keisei.Training.Tests;

public class GaeTests
{
    private static (float[] Adv, float[] Ret) Run(float[] rewards, float[] values, bool[] dones, int[] next, float[] bootstrap, double gamma, double lambda)
    {
        var adv = new float[rewards.Length];
        var ret = new float[rewards.Length];
        Gae.Compute(rewards, values, dones, next, bootstrap, gamma, lambda, adv, ret);
        return (adv, ret);
    }

    [Fact]
    public void BothPlayersSequencesOfAFinishedGame()
    {
        // One game, plies 0..4: Black moves at 0, 2, 4 (and wins with its move at 4); White at 1, 3.
        float[] values = [0.1f, -0.2f, 0.3f, -0.4f, 0.5f];
        float[] rewards = [0, 0, 0, -1, 1];
        bool[] dones = [false, false, false, true, true];
        int[] next = [2, 3, 4, -1, -1];
        float[] bootstrap = new float[5];
        const double g = 0.9, l = 0.8;
        var (adv, ret) = Run(rewards, values, dones, next, bootstrap, g, l);

        // Black: δ4 = 1 − 0.5 = 0.5; δ2 = 0.9·0.5 − 0.3 = 0.15; δ0 = 0.9·0.3 − 0.1 = 0.17.
        // A4 = 0.5; A2 = 0.15 + 0.72·0.5 = 0.51; A0 = 0.17 + 0.72·0.51 = 0.5372.
        // White: δ3 = −1 + 0.4 = −0.6; δ1 = 0.9·(−0.4) + 0.2 = −0.16; A3 = −0.6; A1 = −0.16 + 0.72·(−0.6) = −0.592.
        Assert.Equal(0.5372f, adv[0], 5);
        Assert.Equal(-0.592f, adv[1], 5);
        Assert.Equal(0.51f, adv[2], 5);
        Assert.Equal(-0.6f, adv[3], 5);
        Assert.Equal(0.5f, adv[4], 5);
        for (int i = 0; i < 5; i++) Assert.Equal(adv[i] + values[i], ret[i], 6);
        Assert.Equal(1f, ret[4], 6);
        Assert.Equal(-1f, ret[3], 6);
    }

    [Fact]
    public void ADrawGivesBothLastStepsZeroReward()
    {
        float[] values = [0.2f, 0.3f];
        var (adv, ret) = Run([0, 0], values, [true, true], [-1, -1], [0, 0], 0.99, 0.95);
        Assert.Equal(-0.2f, adv[0], 6);
        Assert.Equal(-0.3f, adv[1], 6);
        Assert.Equal(0f, ret[0], 6);
        Assert.Equal(0f, ret[1], 6);
    }

    [Fact]
    public void ACutSequenceBootstrapsFromItsOwnValue()
    {
        // Two steps of one player, then the rollout ends: bootstrap 0.4 (that player's value of the current position).
        var (adv, _) = Run([0, 0], [0.1f, 0.2f], [false, false], [1, -1], [0, 0.4f], 0.5, 1.0);
        Assert.Equal(0.5f * 0.4f - 0.2f, adv[1], 6);
        Assert.Equal(0.5f * 0.2f - 0.1f + 0.5f * adv[1], adv[0], 6);
    }

    [Fact]
    public void InterleavedGamesDoNotLeakIntoEachOther()
    {
        // Two games interleaved: steps 0, 2 belong to game A's Black (A ends: Black wins); steps 1, 3 to game B's Black (B draws).
        var (adv, _) = Run([0, 0, 1, 0], [0, 0, 0, 0], [false, false, true, true], [2, 3, -1, -1], new float[4], 1.0, 1.0);
        Assert.Equal(1f, adv[0], 6);
        Assert.Equal(0f, adv[1], 6);
    }

    [Fact]
    public void ALinkBackwardsIsRejected() =>
        Assert.Throws<ArgumentException>(() => Run([0, 0], [0, 0], [false, false], [-1, 0], [0, 0], 1, 1));
}
