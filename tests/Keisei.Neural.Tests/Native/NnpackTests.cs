using Keisei.Neural.Models;
using Keisei.Neural.Native;

namespace Keisei.Neural.Tests;

public sealed class NnpackTests
{
    /// <summary>
    /// NNPACK is off once a network exists, so CPUs where it cannot initialise do not print its warning on every
    /// convolution (the reporter saw 440–500 lines for a 10-game evaluation).
    /// </summary>
    [Fact]
    public void NnpackIsOffOnceANetworkExists()
    {
        using var model = PolicyValueModel.Create(ModelTests.TinyQuick, seed: 1);
        Assert.Equal(false, Nnpack.Enabled());
        Assert.True(Nnpack.Disable());
    }
}
