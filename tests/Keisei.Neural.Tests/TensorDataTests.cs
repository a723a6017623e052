using Keisei.Neural;
using TorchSharp;

namespace Keisei.Neural.Tests;

public class TensorDataTests
{
    [Fact]
    public void FloatsGoInAndComeBackOutUnchanged()
    {
        using var scope = torch.NewDisposeScope();
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => i * 0.5f - 3).ToArray();
        data[5] = float.NegativeInfinity;
        var tensor = TensorData.FromFloats(data, 2, 3, 4);
        Assert.Equal([2L, 3L, 4L], tensor.shape);
        Assert.Equal(data, tensor.data<float>().ToArray());

        var back = new float[data.Length];
        TensorData.CopyTo(tensor, back);
        Assert.Equal(data, back);
        // A strided view is read in its logical order.
        var transposed = tensor.transpose(1, 2);
        var expected = transposed.contiguous().data<float>().ToArray();
        TensorData.CopyTo(transposed, back);
        Assert.Equal(expected, back);
    }

    [Fact]
    public void WrongSizesAndTypesAreRefused()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Throws<ArgumentException>(() => TensorData.FromFloats(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => TensorData.CopyTo(torch.zeros(3, torch.ScalarType.Float64), new float[3]));
        Assert.Throws<ArgumentException>(() => TensorData.CopyTo(torch.zeros(3), new float[2]));
    }
}
