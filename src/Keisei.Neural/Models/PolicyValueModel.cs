using Keisei.Neural.Encoding;
using Keisei.Shogi;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Keisei.Neural.Models;

/// <summary>A network from an observation batch (N × C × 9 × 9) to policy logits (N × 13,527) and a value in [−1, 1] (N).</summary>
public abstract class PolicyValueModel : nn.Module<Tensor, (Tensor Logits, Tensor Value)>
{
    // Every network passes through here before its first convolution: NNPACK off (see Nnpack) and freed tensors' memory
    // kept for the next ones (see NativeHeap), once per process.
    static PolicyValueModel()
    {
        Native.Nnpack.Disable();
        Native.NativeHeap.KeepFreedMemory();
    }

    protected PolicyValueModel(string name, ModelConfig config) : base(name) => Config = config;

    public ModelConfig Config { get; }

    /// <summary>
    /// The policy head's own output and the value: for the <c>linear</c> head the 13,527 action logits themselves, for the
    /// <c>conv</c> head its <see cref="MovePlanes"/> cells (N × <see cref="ConvPolicyHead.Width"/>: the planes' cells, then
    /// zeros, the first of which is <see cref="MovePlanes.Unmapped"/>).
    /// </summary>
    public (Tensor Policy, Tensor Value) ForwardHeads(Tensor x)
    {
        var h = Trunk(x);
        return (PolicyHead.forward(h), ValueHead.forward(h).squeeze(-1));
    }

    /// <summary>Policy logits over the 13,527 actions (N × 13,527) and the value (N).</summary>
    public override (Tensor Logits, Tensor Value) forward(Tensor x)
    {
        var (policy, value) = ForwardHeads(x);
        return (Config.PolicyHead == ModelConfig.ConvHead ? ConvPolicyHead.ToActions(policy, x) : policy, value);
    }

    /// <summary>Entries per position of <see cref="ForwardHeads"/>' policy output.</summary>
    public int HeadPolicySize => Config.PolicyHead == ModelConfig.ConvHead ? ConvPolicyHead.Width : ActionSpace.Size;

    /// <summary>Where an action's logit sits in <see cref="ForwardHeads"/>' policy output when <paramref name="mover"/> is to move.</summary>
    public int HeadPolicyIndex(int action, Color mover) =>
        Config.PolicyHead == ModelConfig.ConvHead ? MovePlanes.CellOf(action, mover) : action;

    /// <summary>
    /// Copies the logits of <paramref name="legal"/> actions, in that order, out of one position's row of
    /// <see cref="ForwardHeads"/>' policy output (<see cref="HeadPolicySize"/> floats) into <paramref name="destination"/>.
    /// </summary>
    public void LegalLogits(ReadOnlySpan<float> headRow, ReadOnlySpan<int> legal, Color mover, Span<float> destination)
    {
        for (int i = 0; i < legal.Length; i++) destination[i] = headRow[HeadPolicyIndex(legal[i], mover)];
    }

    /// <summary>
    /// The convolutions compute in bfloat16 (see <see cref="ChannelPaddedConv2d"/>): mixed precision, with the weights,
    /// gradients, optimiser state and all other layers in float32. The conv policy head's 1×1 layer to its move planes stays
    /// float32: self-play samples from its logits and PPO recomputes them with the same layer (<see cref="ForwardLegal"/>), so
    /// the recorded and recomputed log-probabilities agree without bfloat16's rounding of the logits. Off (float32 throughout) unless set; not saved in checkpoints.
    /// </summary>
    public bool Bfloat16Convolutions
    {
        get => modules().OfType<ChannelPaddedConv2d>().Any(c => c.Bfloat16);
        set
        {
            foreach (var conv in modules().OfType<ChannelPaddedConv2d>()) conv.Bfloat16 = value;
        }
    }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// Builds the network a configuration describes, with weights drawn from a private generator seeded by
    /// <paramref name="seed"/> (never torch's global one, which other threads may be using): PyTorch's default
    /// U(−1/√fan_in, 1/√fan_in) for convolutions and linear layers, 1 and 0 for BatchNorm, 0 for the conv policy head's
    /// per-cell bias.
    /// </summary>
    public static PolicyValueModel Create(ModelConfig config, long seed)
    {
        var errors = config.Validate();
        if (errors.Count > 0) throw new ArgumentException("Invalid model configuration: " + string.Join("; ", errors), nameof(config));
        PolicyValueModel model = config.Architecture switch
        {
            ModelConfig.ResNet => new ResNetSeModel(config),
            _ => new QuickCnnModel(config),
        };
        using var generator = new Generator((ulong)seed);
        using var noGrad = torch.no_grad();
        foreach (var module in model.modules())
        {
            if (module is ChannelPaddedConv2d conv) conv.ResetParameters(generator);
            else if (module is Linear linear)
            {
                double bound = 1 / Math.Sqrt(linear.in_features);
                // Tensor.uniform_, not nn.init.uniform_: TorchSharp 0.107's nn.init.uniform_ ignores its generator.
                linear.weight!.uniform_(-bound, bound, generator);
                linear.bias?.uniform_(-bound, bound, generator);
            }
        }
        return model;
    }

    /// <summary>Log-probabilities with illegal actions (mask false) set to −∞ before the softmax.</summary>
    public static Tensor MaskedLogSoftmax(Tensor logits, Tensor legalMask) =>
        logits.masked_fill(legalMask.logical_not(), Scalars.Of(float.NegativeInfinity)).log_softmax(-1);

    /// <summary>
    /// Log-probabilities over each position's legal moves only (N × L): the entries of <see cref="ForwardHeads"/>' policy
    /// output at <paramref name="index"/> (N × L, see <see cref="HeadPolicyIndex"/>), −∞ where <paramref name="valid"/> is
    /// false (the padding of positions with fewer than L legal moves). The same numbers as <see cref="MaskedLogSoftmax"/>
    /// at the legal actions, without a 13,527-wide tensor.
    /// </summary>
    public static Tensor LegalLogSoftmax(Tensor headPolicy, Tensor index, Tensor valid) => LegalLogSoftmax(headPolicy.gather(1, index), valid);

    /// <summary>Log-probabilities over each position's legal moves from their logits (N × L, see <see cref="ForwardLegal"/>), −∞ where
    /// <paramref name="valid"/> is false.</summary>
    public static Tensor LegalLogSoftmax(Tensor legalLogits, Tensor valid) =>
        legalLogits.masked_fill(valid.logical_not(), Scalars.Of(float.NegativeInfinity)).log_softmax(-1);

    /// <summary>
    /// The policy logits at <paramref name="index"/> (N × L entries of <see cref="ForwardHeads"/>' policy output, see
    /// <see cref="HeadPolicyIndex"/>) and the values: the same numbers as gathering <see cref="ForwardHeads"/>' output, but the
    /// convolutional head computes only those entries (training reads a hundred or so legal moves of each position's 11,664 cells).
    /// </summary>
    public (Tensor LegalLogits, Tensor Value) ForwardLegal(Tensor x, Tensor index)
    {
        var h = Trunk(x);
        var logits = PolicyHead is ConvPolicyHead conv ? conv.AtCells(h, index) : PolicyHead.forward(h).gather(1, index);
        return (logits, ValueHead.forward(h).squeeze(-1));
    }

    /// <summary>The shared trunk's features of <paramref name="x"/>, which both heads read.</summary>
    private protected abstract Tensor Trunk(Tensor x);

    private protected abstract nn.Module<Tensor, Tensor> PolicyHead { get; }

    private protected abstract nn.Module<Tensor, Tensor> ValueHead { get; }
}

/// <summary>Squeeze-and-excitation: rescales channels by a gate computed from their global average.</summary>
internal sealed class SqueezeExcitation : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _reduce;
    private readonly nn.Module<Tensor, Tensor> _expand;

    public SqueezeExcitation(int channels, int hidden) : base(nameof(SqueezeExcitation))
    {
        _reduce = nn.Linear(channels, hidden);
        _expand = nn.Linear(hidden, channels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var gate = _expand.forward(nn.functional.relu(_reduce.forward(x.mean([2L, 3L])))).sigmoid();
        return x * gate.view(gate.shape[0], gate.shape[1], 1, 1);
    }
}

/// <summary>conv–BN–ReLU–conv–BN (–SE) plus the skip connection, then ReLU.</summary>
internal sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _conv1, _bn1, _conv2, _bn2;
    private readonly SqueezeExcitation? _se;

    public ResidualBlock(int width, double seRatio) : base(nameof(ResidualBlock))
    {
        _conv1 = new ChannelPaddedConv2d(width, width, 3, hasBias: false);
        _bn1 = new BatchNorm2d(width);
        _conv2 = new ChannelPaddedConv2d(width, width, 3, hasBias: false);
        _bn2 = new BatchNorm2d(width);
        int hidden = (int)Math.Round(width * seRatio);
        _se = seRatio > 0 && hidden > 0 ? new SqueezeExcitation(width, hidden) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = nn.functional.relu(_bn1.forward(_conv1.forward(x)));
        y = _bn2.forward(_conv2.forward(y));
        if (_se is not null) y = _se.forward(y);
        return nn.functional.relu(y.add(x, Scalars.Of(1L)));
    }
}

/// <summary>Keisei's SE-ResNet: stem, a tower of residual SE blocks, a policy head (conv or linear) and a tanh value head.</summary>
internal sealed class ResNetSeModel : PolicyValueModel
{
    private readonly nn.Module<Tensor, Tensor> _stem, _tower, _policyHead, _valueHead;

    public ResNetSeModel(ModelConfig config) : base(nameof(ResNetSeModel), config)
    {
        int w = config.TowerWidth;
        _stem = nn.Sequential(new ChannelPaddedConv2d(config.InputChannels, w, 3, hasBias: false), new BatchNorm2d(w), nn.ReLU());
        _tower = nn.Sequential(Enumerable.Range(0, config.TowerDepth)
            .Select(i => ($"block{i}", (nn.Module<Tensor, Tensor>)new ResidualBlock(w, config.SeRatio))));
        _policyHead = config.PolicyHead == ModelConfig.ConvHead
            ? new ConvPolicyHead(w, batchNorm: true)
            : nn.Sequential(new ChannelPaddedConv2d(w, 2, 1, hasBias: false), new BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 81, config.Actions));
        _valueHead = nn.Sequential(new ChannelPaddedConv2d(w, 1, 1, hasBias: false), new BatchNorm2d(1), nn.ReLU(), nn.Flatten(),
            nn.Linear(81, 256), nn.ReLU(), nn.Linear(256, 1), nn.Tanh());
        RegisterComponents();
    }

    private protected override Tensor Trunk(Tensor x) => _tower.forward(_stem.forward(x));

    private protected override nn.Module<Tensor, Tensor> PolicyHead => _policyHead;

    private protected override nn.Module<Tensor, Tensor> ValueHead => _valueHead;
}

/// <summary>A small CNN without BatchNorm for quick CPU runs: 3×3 convolutions with ReLU, a policy head (conv or linear) and a tanh value head.</summary>
internal sealed class QuickCnnModel : PolicyValueModel
{
    private readonly nn.Module<Tensor, Tensor> _body, _policyHead, _valueHead;

    public QuickCnnModel(ModelConfig config) : base(nameof(QuickCnnModel), config)
    {
        int c = config.Channels;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv0", new ChannelPaddedConv2d(config.InputChannels, c, 3) { Bfloat16Output = true }),
            ("relu0", nn.ReLU()),
        };
        for (int i = 1; i <= config.Layers; i++)
        {
            layers.Add(($"conv{i}", new ChannelPaddedConv2d(c, c, 3) { Bfloat16Output = true }));
            layers.Add(($"relu{i}", nn.ReLU()));
        }
        _body = nn.Sequential(layers);
        _policyHead = config.PolicyHead == ModelConfig.ConvHead
            ? new ConvPolicyHead(c, batchNorm: false)
            : nn.Sequential(new ChannelPaddedConv2d(c, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 81, config.Actions));
        _valueHead = nn.Sequential(new ChannelPaddedConv2d(c, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 81, 64), nn.ReLU(),
            nn.Linear(64, 1), nn.Tanh());
        RegisterComponents();
    }

    private protected override Tensor Trunk(Tensor x) => _body.forward(x);

    private protected override nn.Module<Tensor, Tensor> PolicyHead => _policyHead;

    private protected override nn.Module<Tensor, Tensor> ValueHead => _valueHead;
}

/// <summary>
/// The convolutional policy head: 3×3 convolution (BatchNorm for the ResNet), ReLU, then a 1×1 convolution to the
/// <see cref="MovePlanes"/> planes plus a bias per cell, all in the side to move's frame. Its output is the planes'
/// cells (N × <see cref="Width"/>, zeros after the planes' cells); <see cref="ToActions"/> reads the 13,527
/// action logits out of them with the colour-aware map.
/// </summary>
internal sealed class ConvPolicyHead : nn.Module<Tensor, Tensor>
{
    // Process-wide constants, one pair per device they are used on; kept out of whatever dispose scope is open when they
    // are made.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Tensor Black, Tensor White)> Tables = new();

    private static (Tensor Black, Tensor White) TablesOn(Device device) =>
        Tables.GetOrAdd(device.ToString(), _ => (Table(Color.Black, device), Table(Color.White, device)));

    private static Tensor Table(Color mover, Device device) =>
        torch.tensor(MovePlanes.Table(mover).ToArray().Select(i => (long)i).ToArray(), device: device).DetachFromDisposeScope();

    private readonly nn.Module<Tensor, Tensor> _hidden;
    private readonly ChannelPaddedConv2d _planes;
#pragma warning disable IDE1006 // the parameter's name in checkpoints
    private readonly Parameter cell_bias;
#pragma warning restore IDE1006

    public ConvPolicyHead(int channels, bool batchNorm) : base(nameof(ConvPolicyHead))
    {
        _hidden = batchNorm
            ? nn.Sequential(new ChannelPaddedConv2d(channels, channels, 3, hasBias: false), new BatchNorm2d(channels), nn.ReLU())
            : nn.Sequential(new ChannelPaddedConv2d(channels, channels, 3) { Bfloat16Output = true }, nn.ReLU());
        _planes = new ChannelPaddedConv2d(channels, MovePlanes.Planes, 1, hasBias: false, keepPaddedOutput: true) { Float32Only = true };
        cell_bias = new Parameter(torch.zeros(MovePlanes.Cells));
        RegisterComponents();
    }

    /// <summary>
    /// Entries per position of the head's output: the planes padded to whole channel blocks (see
    /// <see cref="ChannelPaddedConv2d"/>) × 81. The padding planes are exactly 0, and the first of their cells is
    /// <see cref="MovePlanes.Unmapped"/>.
    /// </summary>
    public static readonly int Width = ChannelPaddedConv2d.PadTo(MovePlanes.Planes) * 81;

    public override Tensor forward(Tensor h)
    {
        // The padded layout as the convolution returns it, so no copy of the N × Width output (or of its gradient) is made
        // to slice the padding off or to append a spare column.
        using var scope = torch.NewDisposeScope();
        return _planes.forward(_hidden.forward(h)).flatten(1).add(PaddedCellBias(), Scalars.Of(1L)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The head's output at <paramref name="index"/> only (N × L cells of the padded layout of <see cref="forward"/>): the
    /// planes' 1×1 convolution of every square, read in the square-major order it leaves in memory (channels-last), then the
    /// cells gathered out of it. Cells of the padding planes are 0, as in <see cref="forward"/>. The same convolution, so the
    /// same numbers, as gathering <see cref="forward"/>'s output, without its planes-major copy of every cell: training
    /// reads a hundred or so legal moves of each position's 11,664 cells, and the gradient is the convolution's own
    /// backward instead of a scatter of per-move feature rows. (A matrix product in its place ran on MKL, whose kernels on
    /// AMD CPUs are AVX2; oneDNN's convolution uses AVX-512 there too.)
    /// </summary>
    public Tensor AtCells(Tensor h, Tensor index)
    {
        using var scope = torch.NewDisposeScope();
        var hidden = _hidden.forward(h);
        long n = hidden.shape[0];
        long planes = Width / 81;
        // The planes' 1×1 convolution leaves its output channels-last, i.e. square-major in memory: this is a view of it.
        var all = _planes.forward(hidden).permute(0, 2, 3, 1).reshape(n, 81 * planes); // square × planes + plane
        var squareMajor = index.remainder(Scalars.Of(81L)).mul(Scalars.Of(planes))
            .add(index.div(Scalars.Of(81L), rounding_mode: RoundingMode.floor), Scalars.Of(1L));
        var logits = all.gather(1, squareMajor).add(PaddedCellBias().index_select(0, index.flatten()).view_as(index), Scalars.Of(1L));
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>The per-cell bias over the whole padded layout (0 for the padding planes' cells).</summary>
    private Tensor PaddedCellBias() => nn.functional.pad(cell_bias, [0, Width - MovePlanes.Cells]);

    /// <summary>The 13,527 action logits of each position from the head's cells, by the colour to move read off the observation.</summary>
    public static Tensor ToActions(Tensor cells, Tensor observations)
    {
        using var scope = torch.NewDisposeScope();
        var tables = TablesOn(cells.device);
        var black = cells.index_select(1, tables.Black);
        var white = cells.index_select(1, tables.White);
        var blackToMove = observations.select(1, ObservationEncoder.SideToMovePlane).select(1, 0).select(1, 0).gt(Scalars.Of(0.5)).unsqueeze(1);
        return torch.where(blackToMove, black, white).MoveToOuterDisposeScope();
    }
}
