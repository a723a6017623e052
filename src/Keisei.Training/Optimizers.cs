using Keisei.Neural;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Keisei.Training;

/// <summary>
/// Adam and AdamW as TorchSharp 0.107 computes them, with every scalar kept alive through its libtorch call. TorchSharp's
/// own <c>step</c> passes numbers such as β₁ and ε as temporary Scalars, which a garbage collection during the call can
/// free under libtorch (README, "Numerical integrity"): an update then multiplies by whatever the freed memory holds.
/// State, options and saved state are TorchSharp's (the classes even carry TorchSharp's names, which the saved state
/// records and checks), so checkpoints written with TorchSharp's optimizers load unchanged, and the other way round.
/// </summary>
internal static class Optimizers
{
    /// <summary><c>adam</c> (L2 penalty in the gradient) or <c>adamw</c> (decoupled weight decay).</summary>
    public static OptimizerHelper Create(string kind, IEnumerable<Parameter> parameters, double learningRate, double weightDecay) => kind switch
    {
        "adamw" => new AdamW(parameters, learningRate, weightDecay),
        _ => new Adam(parameters, learningRate, weightDecay),
    };

    /// <summary>One Adam update of <paramref name="param"/> from its gradient, in place (weight decay handled by the caller).</summary>
    public static void AdamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, long step, double lr, double beta1, double beta2, double eps)
    {
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        expAvg.mul_(Scalars.Of(beta1)).add_(grad, alpha: Scalars.Of(1 - beta1));
        expAvgSq.mul_(Scalars.Of(beta2)).addcmul_(grad, grad.conj(), value: Scalars.Of(1 - beta2));
        using var root = Math.Sqrt(biasCorrection2).ToScalar();
        using var denom = expAvgSq.sqrt().div(root).add_(Scalars.Of(eps), Scalars.Of(1L));
        using var stepSize = (-(lr / biasCorrection1)).ToScalar();
        param.addcdiv_(expAvg, denom, value: stepSize);
    }

    /// <summary>Adam with TorchSharp's state and arithmetic and no temporary Scalars (see <see cref="Optimizers"/>).</summary>
    private sealed class Adam(IEnumerable<Parameter> parameters, double lr, double weightDecay)
        : TorchSharp.Modules.Adam(parameters, lr, weight_decay: weightDecay)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            double weightDecay = options.weight_decay!.Value;
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                if (weightDecay != 0) grad = grad.add(param, alpha: Scalars.Of(weightDecay));
                AdamUpdate(param, grad, state.exp_avg, state.exp_avg_sq, state.step, options.LearningRate!.Value,
                    options.beta1!.Value, options.beta2!.Value, options.eps!.Value);
            }
        }, closure);
    }

    /// <summary>AdamW with TorchSharp's state and arithmetic and no temporary Scalars (see <see cref="Optimizers"/>).</summary>
    private sealed class AdamW(IEnumerable<Parameter> parameters, double lr, double weightDecay)
        : TorchSharp.Modules.AdamW(parameters, lr, weight_decay: weightDecay)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            double lr = options.LearningRate!.Value;
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                using (var decay = (1 - lr * options.weight_decay!.Value).ToScalar()) param.mul_(decay);
                AdamUpdate(param, grad, state.exp_avg, state.exp_avg_sq, state.step, lr, options.beta1!.Value, options.beta2!.Value, options.eps!.Value);
            }
        }, closure);
    }
}
