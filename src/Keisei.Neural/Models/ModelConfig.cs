using Keisei.Neural.Encoding;

namespace Keisei.Neural.Models;

/// <summary>Architecture and hyper-parameters of a policy/value network; enough to rebuild it from a checkpoint.</summary>
public sealed record ModelConfig
{
    public const string ResNet = "resnet";
    public const string Quick = "quick";
    public const string ConvHead = "conv";
    public const string LinearHead = "linear";

    /// <summary><c>resnet</c> (SE-ResNet tower) or <c>quick</c> (small CNN).</summary>
    public string Architecture { get; init; } = ResNet;

    /// <summary>Residual blocks in the tower (resnet).</summary>
    public int TowerDepth { get; init; } = 9;

    /// <summary>Channels of the tower (resnet).</summary>
    public int TowerWidth { get; init; } = 256;

    /// <summary>Squeeze-and-excitation bottleneck as a fraction of the width; 0 disables SE (resnet).</summary>
    public double SeRatio { get; init; } = 0.25;

    /// <summary>Channels of every convolution (quick).</summary>
    public int Channels { get; init; } = 32;

    /// <summary>3×3 convolutions after the first one (quick).</summary>
    public int Layers { get; init; } = 2;

    /// <summary>
    /// The policy head: <c>conv</c> (move planes in the side to move's frame, see <see cref="MovePlanes"/>) or <c>linear</c>
    /// (Keisei's original 1×1 convolution to 2 planes and a linear layer to the 13,527 actions; checkpoints written before
    /// the choice existed hold it and are read as <c>linear</c>).
    /// </summary>
    public string PolicyHead { get; init; } = ConvHead;

    /// <summary>Observation encoding name (<c>core46</c>, <c>core46+</c> or <c>core46+attacks</c>); fixes the input channels.</summary>
    public string Observation { get; init; } = Core46Encoder.EncodingName;

    public int InputChannels => ObservationEncoder.ByName(Observation).Channels;

    public int Actions => ActionSpace.Size;

    /// <summary>Keisei's defaults: SE-ResNet 9 × 256, SE ratio 0.25, core46, conv policy head.</summary>
    public static ModelConfig KeiseiDefault { get; } = new();

    /// <summary>A small CNN that trains on two CPU cores.</summary>
    public static ModelConfig QuickDefault { get; } = new() { Architecture = Quick };

    /// <summary>The defaults of an architecture by name.</summary>
    public static ModelConfig ForArchitecture(string name) => name switch
    {
        ResNet => KeiseiDefault,
        Quick => QuickDefault,
        _ => throw new ArgumentException($"Unknown architecture '{name}'; expected '{ResNet}' or '{Quick}'.", nameof(name)),
    };

    /// <summary>Every problem with these values, each naming the key (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Architecture is not (ResNet or Quick)) errors.Add($"arch: expected '{ResNet}' or '{Quick}', found '{Architecture}'");
        if (!ObservationEncoder.Names.Contains(Observation))
            errors.Add($"observation: expected one of {string.Join(", ", ObservationEncoder.Names)}, found '{Observation}'");
        if (PolicyHead is not (ConvHead or LinearHead)) errors.Add($"policy_head: expected '{ConvHead}' or '{LinearHead}', found '{PolicyHead}'");
        if (Architecture == ResNet)
        {
            if (TowerDepth is < 1 or > 64) errors.Add($"tower_depth: expected 1..64, found {TowerDepth}");
            if (TowerWidth is < 1 or > 1024) errors.Add($"tower_width: expected 1..1024, found {TowerWidth}");
            if (SeRatio is < 0 or > 1 || double.IsNaN(SeRatio)) errors.Add($"se_ratio: expected 0..1, found {SeRatio}");
        }
        else if (Architecture == Quick)
        {
            if (Channels is < 1 or > 1024) errors.Add($"channels: expected 1..1024, found {Channels}");
            if (Layers is < 0 or > 32) errors.Add($"layers: expected 0..32, found {Layers}");
        }
        return errors;
    }

    /// <summary>A one-line description such as <c>resnet 9x256 se0.25 core46</c> (with <c>linear-head</c> appended for the linear head).</summary>
    public string Describe() => Architecture == ResNet
        ? $"resnet {TowerDepth}x{TowerWidth} se{SeRatio:0.###} {Observation}{HeadSuffix}"
        : $"quick {Layers + 1}x{Channels} {Observation}{HeadSuffix}";

    private string HeadSuffix => PolicyHead == LinearHead ? " linear-head" : "";
}
