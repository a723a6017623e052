using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Keisei.Neural.Models;

/// <summary>A network from an observation batch (N × C × 9 × 9) to policy logits (N × 13,527) and a value in [−1, 1] (N).</summary>
public abstract class PolicyValueModel : nn.Module<Tensor, (Tensor Logits, Tensor Value)>
{
    protected PolicyValueModel(string name, ModelConfig config) : base(name) => Config = config;

    public ModelConfig Config { get; }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// Builds the network a configuration describes, with weights drawn from a private generator seeded by
    /// <paramref name="seed"/> (never torch's global one, which other threads may be using): PyTorch's default
    /// U(−1/√fan_in, 1/√fan_in) for convolutions and linear layers, 1 and 0 for BatchNorm.
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
        _bn1 = nn.BatchNorm2d(width);
        _conv2 = new ChannelPaddedConv2d(width, width, 3, hasBias: false);
        _bn2 = nn.BatchNorm2d(width);
        int hidden = (int)Math.Round(width * seRatio);
        _se = seRatio > 0 && hidden > 0 ? new SqueezeExcitation(width, hidden) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = nn.functional.relu(_bn1.forward(_conv1.forward(x)));
        y = _bn2.forward(_conv2.forward(y));
        if (_se is not null) y = _se.forward(y);
        return nn.functional.relu(y + x);
    }
}

/// <summary>Keisei's SE-ResNet: stem, a tower of residual SE blocks, a policy head (13,527 logits) and a tanh value head.</summary>
internal sealed class ResNetSeModel : PolicyValueModel
{
    private readonly nn.Module<Tensor, Tensor> _stem, _tower, _policyHead, _valueHead;

    public ResNetSeModel(ModelConfig config) : base(nameof(ResNetSeModel), config)
    {
        int w = config.TowerWidth;
        _stem = nn.Sequential(new ChannelPaddedConv2d(config.InputChannels, w, 3, hasBias: false), nn.BatchNorm2d(w), nn.ReLU());
        _tower = nn.Sequential(Enumerable.Range(0, config.TowerDepth)
            .Select(i => ($"block{i}", (nn.Module<Tensor, Tensor>)new ResidualBlock(w, config.SeRatio))));
        _policyHead = nn.Sequential(new ChannelPaddedConv2d(w, 2, 1, hasBias: false), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
            nn.Linear(2 * 81, config.Actions));
        _valueHead = nn.Sequential(new ChannelPaddedConv2d(w, 1, 1, hasBias: false), nn.BatchNorm2d(1), nn.ReLU(), nn.Flatten(),
            nn.Linear(81, 256), nn.ReLU(), nn.Linear(256, 1), nn.Tanh());
        RegisterComponents();
    }

    public override (Tensor Logits, Tensor Value) forward(Tensor x)
    {
        var h = _tower.forward(_stem.forward(x));
        return (_policyHead.forward(h), _valueHead.forward(h).squeeze(-1));
    }
}

/// <summary>A small CNN without BatchNorm for quick CPU runs: 3×3 convolutions with ReLU and the same two heads.</summary>
internal sealed class QuickCnnModel : PolicyValueModel
{
    private readonly nn.Module<Tensor, Tensor> _body, _policyHead, _valueHead;

    public QuickCnnModel(ModelConfig config) : base(nameof(QuickCnnModel), config)
    {
        int c = config.Channels;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv0", new ChannelPaddedConv2d(config.InputChannels, c, 3)),
            ("relu0", nn.ReLU()),
        };
        for (int i = 1; i <= config.Layers; i++)
        {
            layers.Add(($"conv{i}", new ChannelPaddedConv2d(c, c, 3)));
            layers.Add(($"relu{i}", nn.ReLU()));
        }
        _body = nn.Sequential(layers);
        _policyHead = nn.Sequential(new ChannelPaddedConv2d(c, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 81, config.Actions));
        _valueHead = nn.Sequential(new ChannelPaddedConv2d(c, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 81, 64), nn.ReLU(),
            nn.Linear(64, 1), nn.Tanh());
        RegisterComponents();
    }

    public override (Tensor Logits, Tensor Value) forward(Tensor x)
    {
        var h = _body.forward(x);
        return (_policyHead.forward(h), _valueHead.forward(h).squeeze(-1));
    }
}
