using Keisei.Neural.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Neural.Tests;

[Collection(TorchCollection.Name)]
public class BatchNorm2dTests
{
    [Fact]
    public void ItHoldsWhatTorchSharpsBatchNormHoldsAndComputesTheSameInBothModes()
    {
        using var ours = new Keisei.Neural.Models.BatchNorm2d(3);
        using var theirs = nn.BatchNorm2d(3);
        var ourState = ours.state_dict();
        var theirState = theirs.state_dict();
        Assert.Equal(theirState.Keys.Order(), ourState.Keys.Order());
        foreach (var key in theirState.Keys)
        {
            Assert.Equal(theirState[key].shape, ourState[key].shape);
            Assert.Equal(theirState[key].dtype, ourState[key].dtype);
        }
        using (torch.no_grad())
        {
            ours.parameters().First().copy_(torch.tensor(new[] { 0.5f, 2f, -1f }));
            theirs.parameters().First().copy_(torch.tensor(new[] { 0.5f, 2f, -1f }));
        }

        var generator = new Generator(3);
        for (int step = 0; step < 3; step++)
        {
            var x = torch.randn([4, 3, 9, 9], generator: generator).mul(Scalars.Of((double)(step + 1))).add(Scalars.Of((double)step), Scalars.Of(1L));
            ours.train();
            theirs.train();
            AssertClose(theirs.forward(x), ours.forward(x));
        }
        foreach (var key in theirState.Keys) AssertClose(theirs.state_dict()[key], ours.state_dict()[key]);
        Assert.Equal(3L, ours.state_dict()["num_batches_tracked"].item<long>());

        ours.eval();
        theirs.eval();
        var y = torch.randn([2, 3, 9, 9], generator: generator);
        AssertClose(theirs.forward(y), ours.forward(y));
        Assert.Equal(3L, ours.state_dict()["num_batches_tracked"].item<long>()); // eval mode counts nothing
    }

    private static void AssertClose(Tensor expected, Tensor actual) =>
        Assert.True(expected.to_type(ScalarType.Float64).allclose(actual.to_type(ScalarType.Float64), rtol: 1e-5, atol: 1e-6),
            $"expected {string.Join(", ", expected.to_type(ScalarType.Float64).flatten().data<double>().ToArray().Take(8))}, found {string.Join(", ", actual.to_type(ScalarType.Float64).flatten().data<double>().ToArray().Take(8))}");
}
