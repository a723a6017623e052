using Keisei.Neural;
using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using Keisei.Shogi;
using TorchSharp;
using static TorchSharp.torch;
using static Keisei.Neural.Tests.TestSupport;

namespace Keisei.Neural.Tests;

[Collection(TorchCollection.Name)]
public class ModelTests
{
    public static readonly ModelConfig TinyResNet = new() { TowerDepth = 1, TowerWidth = 8 };
    public static readonly ModelConfig TinyQuick = new() { Architecture = ModelConfig.Quick, Channels = 8, Layers = 1 };

    public static ModelConfig Tiny(string architecture, string observation, string head = ModelConfig.ConvHead) =>
        (architecture == ModelConfig.ResNet ? TinyResNet : TinyQuick) with { Observation = observation, PolicyHead = head };

    public static TheoryData<string, string, string> Architectures => new()
    {
        { ModelConfig.ResNet, "core46", ModelConfig.ConvHead },
        { ModelConfig.ResNet, "core46+", ModelConfig.LinearHead },
        { ModelConfig.Quick, "core46", ModelConfig.ConvHead },
        { ModelConfig.Quick, "core46+", ModelConfig.ConvHead },
        { ModelConfig.Quick, "core46", ModelConfig.LinearHead },
    };

    /// <summary>The observations of some positions as one N × C × 9 × 9 batch.</summary>
    public static Tensor Observations(ObservationEncoder encoder, IReadOnlyList<Position> positions)
    {
        var data = new float[positions.Count * encoder.Size];
        for (int i = 0; i < positions.Count; i++)
            encoder.Encode(positions[i], new EncodingContext(), data.AsSpan(i * encoder.Size, encoder.Size));
        return torch.tensor(data, [positions.Count, encoder.Channels, 9, 9]);
    }

    /// <summary>The legal masks of some positions as one N × 13,527 bool tensor.</summary>
    public static Tensor Masks(IReadOnlyList<Position> positions)
    {
        var data = new bool[positions.Count * ActionSpace.Size];
        for (int i = 0; i < positions.Count; i++) ActionSpace.LegalMask(positions[i], data.AsSpan(i * ActionSpace.Size, ActionSpace.Size));
        return torch.tensor(data, [positions.Count, ActionSpace.Size]);
    }

    public static List<Position> SomePositions(int count, int seed = 1) =>
        RandomPositions(seed, games: 4, maxPlies: 120, stride: 7).Where(p => p.HasLegalMove()).Take(count).ToList();

    /// <summary>Copies of every parameter and buffer, by name.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    /// <summary>True when both tensors have the same shape, type and elements.</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && (a.numel() == 0 || a.eq(b).all().item<bool>());

    /// <summary>Largest absolute difference between two float tensors of one shape.</summary>
    public static float MaxDifference(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        return (a - b).abs().max().item<float>();
    }

    internal static void AssertSameState(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
            Assert.True(Same(tensor, actual[name]), $"{name} differs");
    }

    /// <summary>The parameter count worked out by hand from the architecture.</summary>
    private static long ExpectedParameters(ModelConfig c)
    {
        long a = ActionSpace.Size, input = c.InputChannels;
        if (c.Architecture == ModelConfig.Quick)
        {
            long ch = c.Channels;
            long body = input * ch * 9 + ch + c.Layers * (ch * ch * 9 + ch);
            long policy = c.PolicyHead == ModelConfig.ConvHead ? ConvHead(ch, batchNorm: false) : ch * 2 + 2 + 162 * a + a;
            long value = ch * 2 + 2 + 162 * 64 + 64 + 64 + 1;
            return body + policy + value;
        }
        long w = c.TowerWidth, hidden = (long)Math.Round(w * c.SeRatio);
        long se = c.SeRatio > 0 && hidden > 0 ? w * hidden + hidden + hidden * w + w : 0;
        long stem = input * w * 9 + 2 * w;
        long block = 2 * (w * w * 9) + 2 * (2 * w) + se;
        long policyHead = c.PolicyHead == ModelConfig.ConvHead ? ConvHead(w, batchNorm: true) : w * 2 + 2 * 2 + 162 * a + a;
        long valueHead = w + 2 + 81 * 256 + 256 + 256 + 1;
        return stem + c.TowerDepth * block + policyHead + valueHead;
    }

    /// <summary>3×3 convolution (bias, or BatchNorm's two vectors), 1×1 convolution to the move planes, a bias per cell.</summary>
    private static long ConvHead(long ch, bool batchNorm) => ch * ch * 9 + (batchNorm ? 2 * ch : ch) + ch * MovePlanes.Planes + MovePlanes.Cells;

    [Theory]
    [MemberData(nameof(Architectures))]
    public void OutputShapesAndValueRange(string architecture, string observation, string head)
    {
        using var scope = torch.NewDisposeScope();
        var config = Tiny(architecture, observation, head);
        using var model = PolicyValueModel.Create(config, seed: 1);
        var positions = SomePositions(5);
        var input = Observations(ObservationEncoder.ByName(observation), positions);
        foreach (bool train in new[] { true, false })
        {
            model.train(train);
            var (logits, value) = model.forward(input);
            Assert.Equal([5L, 13527L], logits.shape);
            Assert.Equal([5L], value.shape);
            Assert.Equal(ScalarType.Float32, logits.dtype);
            Assert.True(logits.isfinite().all().item<bool>());
            var values = value.data<float>().ToArray();
            Assert.All(values, v => Assert.InRange(v, -1f, 1f));
        }
        Assert.Equal(ExpectedParameters(config), model.ParameterCount);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void SameSeedGivesIdenticalWeightsAndAnotherSeedDifferentOnes(string architecture, string observation, string head)
    {
        var config = Tiny(architecture, observation, head);
        using var a = PolicyValueModel.Create(config, seed: 42);
        torch.rand(100); // the global generator's earlier use must not matter
        using var b = PolicyValueModel.Create(config, seed: 42);
        using var c = PolicyValueModel.Create(config, seed: 43);
        AssertSameState(Snapshot(a), Snapshot(b));
        var sa = Snapshot(a);
        var sc = Snapshot(c);
        var differing = sa.Keys.Where(k => !Same(sa[k], sc[k])).ToList();
        // Every randomly initialised weight differs; BatchNorm's constant initialisation does not.
        Assert.Contains(differing, k => k.Contains("conv", StringComparison.OrdinalIgnoreCase) || k.StartsWith("_body", StringComparison.Ordinal) || k.StartsWith("_stem", StringComparison.Ordinal));
        Assert.True(differing.Count >= 4, $"only {differing.Count} tensors differ: {string.Join(", ", differing)}");
    }

    [Theory]
    [InlineData(ModelConfig.ConvHead)]
    [InlineData(ModelConfig.LinearHead)]
    public void LegalLogSoftmaxEqualsTheMaskedLogSoftmaxAtTheLegalMoves(string head)
    {
        using var scope = torch.NewDisposeScope();
        using var model = PolicyValueModel.Create(TinyQuick with { PolicyHead = head }, seed: 6);
        var positions = SomePositions(9, seed: 5);
        var input = Observations(Core46Encoder.Instance, positions);
        var legal = positions.Select(p => TestSupport.LegalMoves(p).Select(ActionSpace.IndexOf).ToArray()).ToList();
        int width = legal.Max(l => l.Length) + 3; // padding beyond the widest, too
        var index = new long[positions.Count * width];
        var valid = new bool[positions.Count * width];
        for (int p = 0; p < positions.Count; p++)
            for (int k = 0; k < legal[p].Length; k++)
            {
                index[p * width + k] = model.HeadPolicyIndex(legal[p][k], positions[p].SideToMove);
                valid[p * width + k] = true;
            }
        var full = PolicyValueModel.MaskedLogSoftmax(model.forward(input).Logits, Masks(positions)).data<float>().ToArray();
        var sparse = PolicyValueModel.LegalLogSoftmax(model.ForwardLegal(input, torch.tensor(index, [positions.Count, width])).LegalLogits,
            torch.tensor(valid, [positions.Count, width])).data<float>().ToArray();
        for (int p = 0; p < positions.Count; p++)
        {
            for (int k = 0; k < legal[p].Length; k++) Assert.Equal(full[p * ActionSpace.Size + legal[p][k]], sparse[p * width + k], 1e-5f);
            for (int k = legal[p].Length; k < width; k++) Assert.Equal(float.NegativeInfinity, sparse[p * width + k]);
        }
    }

    [Theory]
    [InlineData("quick", ModelConfig.ConvHead, false)]
    [InlineData("quick", ModelConfig.LinearHead, false)]
    [InlineData("resnet", ModelConfig.ConvHead, false)]
    [InlineData("quick", ModelConfig.ConvHead, true)]
    [InlineData("resnet", ModelConfig.ConvHead, true)]
    public void ForwardLegalGivesTheHeadsOutputAndGradientsAtTheIndex(string architecture, string head, bool bfloat16)
    {
        using var scope = torch.NewDisposeScope();
        using var model = PolicyValueModel.Create(Tiny(architecture, "core46", head), seed: 8);
        model.Bfloat16Convolutions = bfloat16;
        model.eval();
        var positions = SomePositions(7, seed: 9);
        var input = Observations(Core46Encoder.Instance, positions);
        var random = new Random(3);
        // Any cells, the padding ones (zero output) and the unmapped one included, some read twice.
        var index = torch.tensor(Enumerable.Range(0, positions.Count * 40).Select(_ => (long)random.Next(model.HeadPolicySize)).ToArray(), [positions.Count, 40]);
        var weights = torch.randn(positions.Count, 40, generator: new torch.Generator(5));

        (float[] Output, Dictionary<string, float[]> Gradients) Run(Func<(Tensor Logits, Tensor Value)> forward)
        {
            model.zero_grad();
            var (logits, value) = forward();
            logits.mul(weights).sum().add(value.sum(), Scalars.Of(1L)).backward();
            return (logits.data<float>().ToArray(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad is { } g ? g.data<float>().ToArray() : []));
        }
        var direct = Run(() => model.ForwardLegal(input, index));
        var gathered = Run(() => { var (policy, value) = model.ForwardHeads(input); return (policy.gather(1, index), value); });
        Assert.Equal(gathered.Output.Length, direct.Output.Length);
        // The same trunk and heads (the planes' 1×1 layer stays float32 under bfloat16, so that self-play and PPO agree), so
        // the logits agree to float32 rounding; the gradients pass through bfloat16 convolutions, where a gradient that
        // differs in its last float32 bit may round to the neighbouring bfloat16 value (2⁻⁸ relative).
        double relative = bfloat16 ? 1e-2 : 1e-3;
        for (int i = 0; i < direct.Output.Length; i++) Assert.Equal(gathered.Output[i], direct.Output[i], 1e-4f);
        foreach (var (name, expected) in gathered.Gradients)
        {
            var actual = direct.Gradients[name];
            Assert.True(expected.Length == actual.Length, name);
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 + relative * Math.Abs(expected[i]), $"{name}[{i}]: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void MaskedLogSoftmaxPutsAllProbabilityOnLegalMoves()
    {
        using var scope = torch.NewDisposeScope();
        using var model = PolicyValueModel.Create(TinyQuick, seed: 3);
        model.eval();
        var positions = SomePositions(6, seed: 4);
        positions.Add(Position.StartPosition());
        var input = Observations(Core46Encoder.Instance, positions);
        var masks = Masks(positions);
        // Scale the logits up so that the illegal ones would matter if they leaked.
        var logits = model.forward(input).Logits.mul(Scalars.Of(50.0));
        var probabilities = PolicyValueModel.MaskedLogSoftmax(logits, masks).exp();
        Assert.Equal(logits.shape, probabilities.shape);
        var p = probabilities.data<float>().ToArray();
        var m = masks.data<bool>().ToArray();
        for (int row = 0; row < positions.Count; row++)
        {
            double legalSum = 0;
            int legal = 0;
            for (int i = 0; i < ActionSpace.Size; i++)
            {
                float value = p[row * ActionSpace.Size + i];
                if (m[row * ActionSpace.Size + i])
                {
                    Assert.True(value >= 0 && float.IsFinite(value));
                    legalSum += value;
                    legal++;
                }
                else
                {
                    if (value != 0f) Assert.Fail($"illegal action {i} has probability {value}");
                }
            }
            Assert.Equal(TestSupport.LegalMoves(positions[row]).Length, legal);
            Assert.Equal(1.0, legalSum, 1e-5);
        }
    }

    [Fact]
    public void EvalModeLeavesBatchNormStatisticsAlone()
    {
        using var scope = torch.NewDisposeScope();
        using var model = PolicyValueModel.Create(TinyResNet, seed: 5);
        var positions = SomePositions(8, seed: 6);
        var input = Observations(Core46Encoder.Instance, positions);

        // In training mode a forward pass updates the running statistics (so the check below can fail).
        model.train();
        var before = Snapshot(model);
        model.forward(input);
        var changed = Snapshot(model).Where(kv => !Same(kv.Value, before[kv.Key])).Select(kv => kv.Key).ToList();
        Assert.Contains(changed, k => k.EndsWith("running_mean", StringComparison.Ordinal));
        Assert.Contains(changed, k => k.EndsWith("num_batches_tracked", StringComparison.Ordinal));

        model.eval();
        var evalBefore = Snapshot(model);
        var (first, firstValue) = model.forward(input);
        var (second, secondValue) = model.forward(input);
        AssertSameState(evalBefore, Snapshot(model));
        Assert.True(Same(first, second));
        Assert.True(Same(firstValue, secondValue));

        // In eval mode a position's output does not depend on the rest of its batch.
        var (single, singleValue) = model.forward(input[..1]);
        Assert.True(MaxDifference(single, first[..1]) < 1e-5f);
        Assert.True(MaxDifference(singleValue, firstValue[..1]) < 1e-5f);
    }

    [Fact]
    public void DefaultResNetParameterCountIsStable()
    {
        long first, second;
        using (var a = PolicyValueModel.Create(ModelConfig.KeiseiDefault, seed: 1)) first = a.ParameterCount;
        using (var b = PolicyValueModel.Create(ModelConfig.KeiseiDefault, seed: 2)) second = b.ParameterCount;
        Assert.Equal(first, second);
        Assert.Equal(ExpectedParameters(ModelConfig.KeiseiDefault), first);
        Assert.Equal(11_689_022L, first);
        Assert.Equal("resnet 9x256 se0.25 core46", ModelConfig.KeiseiDefault.Describe());
        var linear = ModelConfig.KeiseiDefault with { PolicyHead = ModelConfig.LinearHead };
        using (var c = PolicyValueModel.Create(linear, seed: 1)) Assert.Equal(13_257_260L, c.ParameterCount); // Keisei's original network
        Assert.Equal("resnet 9x256 se0.25 core46 linear-head", linear.Describe());
    }

    [Fact]
    public void InvalidConfigurationsAreRejected()
    {
        var head = Assert.Throws<ArgumentException>(() => PolicyValueModel.Create(TinyQuick with { PolicyHead = "dense" }, seed: 1));
        Assert.Contains("policy_head: expected 'conv' or 'linear', found 'dense'", head.Message);
        var e = Assert.Throws<ArgumentException>(() => PolicyValueModel.Create(TinyResNet with { TowerDepth = 0 }, seed: 1));
        Assert.Contains("tower_depth", e.Message);
        e = Assert.Throws<ArgumentException>(() => PolicyValueModel.Create(TinyResNet with { Observation = "core47" }, seed: 1));
        Assert.Contains("observation", e.Message);
        e = Assert.Throws<ArgumentException>(() => PolicyValueModel.Create(TinyResNet with { Architecture = "transformer" }, seed: 1));
        Assert.Contains("arch", e.Message);
    }
}
