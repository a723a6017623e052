using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Keisei.Neural.Models;

/// <summary>
/// 2-D batch normalisation with the same parameters and buffers, under the same names, as <c>nn.BatchNorm2d</c>
/// (<c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>; momentum 0.1,
/// ε 1e-5), so checkpoints are unchanged.
/// </summary>
/// <remarks>
/// Why not TorchSharp's: in training mode its forward counts the batch with <c>num_batches_tracked.add_(1)</c>, which
/// passes libtorch a Scalar made on the fly; a garbage collection during that call frees it while libtorch reads it (see
/// <see cref="Scalars"/>). With a collection likely, as when an evaluation runs beside training, a PPO update failed with
/// libtorch's "Unknown scalar type" from inside that forward. Here the count is added with a process-lifetime scalar.
/// </remarks>
public sealed class BatchNorm2d : nn.Module<Tensor, Tensor>
{
    private const double Momentum = 0.1, Epsilon = 1e-5;

#pragma warning disable IDE1006 // parameter and buffer names must match nn.BatchNorm2d's for the checkpoints' state dictionaries
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
    private readonly Tensor num_batches_tracked;
#pragma warning restore IDE1006

    public BatchNorm2d(int features) : base(nameof(BatchNorm2d))
    {
        weight = new Parameter(torch.ones(features));
        bias = new Parameter(torch.zeros(features));
        running_mean = torch.zeros(features);
        running_var = torch.ones(features);
        num_batches_tracked = torch.tensor(0L);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (training)
        {
            using var noGrad = torch.no_grad();
            num_batches_tracked.add_(Scalars.Of(1L), Scalars.Of(1L));
        }
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, Momentum, Epsilon);
    }
}
