using Keisei.Neural.Encoding;
using TorchSharp;
using static TorchSharp.torch;

namespace Keisei.Neural.Models;

/// <summary>Checks that a network's numbers are finite: its state (weights and BatchNorm statistics), gradients and outputs.</summary>
public static class FiniteChecks
{
    /// <summary>Names of the state entries (parameters and buffers) holding a NaN or infinity; empty when all are finite. One pass, one sync.</summary>
    public static IReadOnlyList<string> NonFiniteState(nn.Module module) => NonFinite(module.state_dict().Select(kv => (kv.Key, (Tensor?)kv.Value)));

    /// <summary>Names of the parameters whose gradient holds a NaN or infinity; empty when all are finite (or absent).</summary>
    public static IReadOnlyList<string> NonFiniteGradients(nn.Module module) =>
        NonFinite(module.named_parameters().Select(p => (p.name, p.parameter.grad)));

    private static List<string> NonFinite(IEnumerable<(string Name, Tensor? Tensor)> entries)
    {
        var list = entries.Where(e => e.Tensor is not null && e.Tensor.is_floating_point()).ToList();
        if (list.Count == 0) return [];
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var flags = torch.stack(list.Select(e => e.Tensor!.detach().isfinite().all()).ToArray()).cpu();
        var ok = flags.data<bool>().ToArray();
        return list.Where((_, i) => !ok[i]).Select(e => e.Name).ToList();
    }

    /// <summary>A short description of the problem in <paramref name="names"/> for messages, e.g. <c>2 entries (conv0.weight, conv0.bias)</c>.</summary>
    public static string Describe(IReadOnlyList<string> names) =>
        names.Count switch
        {
            0 => "none",
            <= 4 => string.Join(", ", names),
            _ => $"{string.Join(", ", names.Take(4))} and {names.Count - 4} more",
        };

    /// <summary>
    /// Throws <see cref="NonFiniteOutputException"/> unless the value and every legal action's logit of one position are finite.
    /// </summary>
    /// <param name="legalLogits">The logits of its legal actions, in the order of <paramref name="legal"/>.</param>
    /// <param name="legal">Indices of its legal actions.</param>
    /// <param name="value">Its value output.</param>
    /// <param name="describe">Names the position for the message (called only on failure).</param>
    public static void EnsureFiniteOutput(ReadOnlySpan<float> legalLogits, ReadOnlySpan<int> legal, float value, Func<string> describe)
    {
        if (!float.IsFinite(value)) throw new NonFiniteOutputException($"The network's value is {Text(value)} for {describe()}.");
        for (int i = 0; i < legal.Length; i++)
            if (!float.IsFinite(legalLogits[i]))
                throw new NonFiniteOutputException(
                    $"The network's policy logit for {ActionSpace.MoveAt(legal[i]).ToUsi()} is {Text(legalLogits[i])} for {describe()}.");
    }

    private static string Text(float value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A network produced a NaN or infinite value or policy logit; playing on would play garbage.</summary>
public sealed class NonFiniteOutputException(string message) : Exception(message);
