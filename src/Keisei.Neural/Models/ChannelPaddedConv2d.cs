using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Keisei.Neural.Models;

/// <summary>
/// A 2-D convolution (stride 1, "same" padding) whose input and output channel counts are padded with zeros to a multiple of
/// <see cref="ChannelMultiple"/> before libtorch sees them, and sliced back after. It holds the same parameters under the
/// same names (<c>weight</c> [out, in, k, k], <c>bias</c> [out]) as <c>nn.Conv2d</c>, so checkpoints are unchanged.
/// </summary>
/// <remarks>
/// Why: on some AVX-512 CPUs libtorch's oneDNN convolutions run in blocked layouts of 16 channels, and when a channel count is
/// not a multiple of 16 the tail lanes of a block are not reliably zeroed; whatever the heap held there (NaN or −∞ from freed
/// tensors) then leaks into the results through 0 × NaN. Padded to whole blocks there is no tail. See README, "Numerical
/// integrity". The padding costs a little arithmetic on zeros and nothing else.
/// <para>
/// The weights are handed to libtorch in channels-last layout, so the convolution and its output are channels-last (NHWC
/// in memory, the same logical N × C × H × W tensor): oneDNN then computes on that layout directly instead of reordering
/// every activation and gradient to and from its blocked layout around each call, which cost a third of the convolutions'
/// time in a PPO update of the quickstart network. With <see cref="Bfloat16"/> the convolution itself runs in bfloat16
/// (inputs, weights and bias rounded to it, sums in float32 inside oneDNN) and its output is float32 again, unless
/// <see cref="Bfloat16Output"/> says the next layer takes bfloat16: the weights, their gradients and everything around the
/// convolutions stay float32.
/// </para>
/// </remarks>
public sealed class ChannelPaddedConv2d : nn.Module<Tensor, Tensor>
{
    /// <summary>Channel counts are padded to a multiple of this (oneDNN's AVX-512 block; it covers the AVX2 block of 8 too).</summary>
    public const int ChannelMultiple = 16;

    private readonly int _inChannels, _outChannels, _kernel, _inPad, _outPad;
    private readonly bool _keepPaddedOutput;
    private bool _bfloat16;
#pragma warning disable IDE1006 // parameter names must match nn.Conv2d's for the checkpoints' state dictionaries
    private readonly Parameter weight;
    private readonly Parameter? bias;
#pragma warning restore IDE1006

    /// <param name="keepPaddedOutput">
    /// Return all <see cref="PadTo"/>(<paramref name="outChannels"/>) output channels, the padding ones exactly 0 (their weights
    /// and biases are zeros), instead of slicing them off: saves a copy of the output and of its gradient where a consumer can
    /// read the padded layout.
    /// </param>
    public ChannelPaddedConv2d(int inChannels, int outChannels, int kernelSize, bool hasBias = true, bool keepPaddedOutput = false)
        : base(nameof(ChannelPaddedConv2d))
    {
        _keepPaddedOutput = keepPaddedOutput;
        _inChannels = inChannels;
        _outChannels = outChannels;
        _kernel = kernelSize;
        _inPad = PadTo(inChannels) - inChannels;
        _outPad = PadTo(outChannels) - outChannels;
        weight = new Parameter(torch.empty(outChannels, inChannels, kernelSize, kernelSize));
        bias = hasBias ? new Parameter(torch.empty(outChannels)) : null;
        ResetParameters(null);
        RegisterComponents();
    }

    /// <summary>Compute the convolution in bfloat16 (see the remarks); float32 when false (the default) or when <see cref="Float32Only"/>.</summary>
    public bool Bfloat16
    {
        get => _bfloat16;
        set => _bfloat16 = value && !Float32Only;
    }

    /// <summary>A layer that always computes in float32, whatever <see cref="Bfloat16"/> is set to.</summary>
    public bool Float32Only { get; init; }

    /// <summary>
    /// In bfloat16, return the output in bfloat16 instead of float32: for a convolution whose output goes through a ReLU into
    /// another convolution, which would round it to bfloat16 again. The same numbers either way (a ReLU commutes with the
    /// rounding), without two casts of the activation and two of its gradient.
    /// </summary>
    public bool Bfloat16Output { get; init; }

    /// <summary>The weights [out, in, k, k], unpadded (the parameter itself).</summary>
    public Tensor Weight => weight;

    /// <summary>Inputs a sample contributes to one output (in channels × kernel area).</summary>
    public int FanIn => _inChannels * _kernel * _kernel;

    /// <summary>The number of channels <paramref name="channels"/> is padded to.</summary>
    public static int PadTo(int channels) => (channels + ChannelMultiple - 1) / ChannelMultiple * ChannelMultiple;

    /// <summary>PyTorch's default initialisation of a convolution, U(−1/√fan_in, 1/√fan_in) for weight and bias, from <paramref name="generator"/>.</summary>
    public void ResetParameters(Generator? generator)
    {
        double bound = 1 / Math.Sqrt(FanIn);
        using var noGrad = torch.no_grad();
        // Tensor.uniform_, not nn.init.uniform_: TorchSharp 0.107's nn.init.uniform_ ignores its generator.
        weight.uniform_(-bound, bound, generator);
        bias?.uniform_(-bound, bound, generator);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var w = (Tensor)weight;
        var b = bias is null ? null : (Tensor)bias;
        // The input in this layer's precision, bfloat16 or its weights' (a bfloat16 input comes from a layer with
        // Bfloat16Output); rounded before the padding, so that copies half the bytes (zeros are exact either way).
        var x = input.to(Bfloat16 ? ScalarType.BFloat16 : w.dtype);
        if (Bfloat16)
        {
            w = w.to(ScalarType.BFloat16);
            b = b?.to(ScalarType.BFloat16);
        }
        if (_inPad > 0)
        {
            x = nn.functional.pad(x, [0, 0, 0, 0, 0, _inPad]);
            w = nn.functional.pad(w, [0, 0, 0, 0, 0, _inPad]);
        }
        if (_outPad > 0)
        {
            w = nn.functional.pad(w, [0, 0, 0, 0, 0, 0, 0, _outPad]);
            if (b is not null) b = nn.functional.pad(b, [0, _outPad]);
        }
        w = ChannelsLast(w);
        var y = nn.functional.conv2d(x, w, b, padding: [_kernel / 2, _kernel / 2]);
        if (Bfloat16 && !Bfloat16Output) y = y.to(ScalarType.Float32);
        if (_outPad > 0 && !_keepPaddedOutput) y = y.narrow(1, 0, _outChannels);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The same N × C × H × W tensor with channels-last strides (a copy in NHWC order).</summary>
    private static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
}
