using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Keisei.Training;

/// <summary>Figures of one PPO update.</summary>
public sealed record PpoStats(double PolicyLoss, double ValueLoss, double Entropy, double ApproxKl, double ClipFraction, double LearningRate,
    double GradNorm, int EpochsRun, int Minibatches, bool StoppedEarly);

/// <summary>The learning rate at a given schedule step: linear warm-up, then constant, linear, cosine, exponential or step decay.</summary>
public sealed class LrSchedule(PpoOptions options, long totalSteps)
{
    public double At(long step)
    {
        var s = options.Schedule;
        double baseRate = options.LearningRate;
        if (s.WarmupSteps > 0 && step < s.WarmupSteps) return baseRate * (step + 1) / s.WarmupSteps;
        long t = step - s.WarmupSteps;
        long span = Math.Max(1, totalSteps - s.WarmupSteps);
        double progress = Math.Clamp((double)t / span, 0, 1);
        return s.Type switch
        {
            null => baseRate,
            "linear" => baseRate * (1 - (1 - s.FinalFraction) * progress),
            "cosine" => baseRate * (s.FinalFraction + (1 - s.FinalFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress))),
            "exponential" => baseRate * Math.Pow(s.Gamma, t),
            "step" => baseRate * Math.Pow(s.Gamma, t / Math.Max(1, s.StepSize)),
            _ => throw new ArgumentException($"Unknown learning-rate schedule '{s.Type}'."),
        };
    }
}

/// <summary>
/// Proximal policy optimisation over a rollout: clipped surrogate, value loss (optionally clipped), entropy bonus,
/// advantage normalisation, minibatches × epochs, gradient-norm clipping, approximate-KL early stop, LR schedule.
/// </summary>
public sealed class Ppo
{
    private readonly PolicyValueModel _model;
    private readonly PpoOptions _options;
    private readonly Device _device;
    private readonly LrSchedule _schedule;

    public Ppo(PolicyValueModel model, PpoOptions options, long totalScheduleSteps, Device? device = null)
    {
        _model = model;
        _options = options;
        _device = device ?? torch.CPU;
        _schedule = new LrSchedule(options, totalScheduleSteps);
        var parameters = model.parameters();
        Optimizer = options.Optimizer switch
        {
            "adamw" => torch.optim.AdamW(parameters, options.LearningRate, weight_decay: options.WeightDecay),
            _ => torch.optim.Adam(parameters, options.LearningRate, weight_decay: options.WeightDecay),
        };
        SetLearningRate(_schedule.At(0));
    }

    public OptimizerHelper Optimizer { get; }

    /// <summary>Steps the schedule has taken (per epoch or per optimiser step, as configured); saved in checkpoints.</summary>
    public long ScheduleStep { get; set; }

    public double LearningRate => Optimizer.ParamGroups.First().LearningRate;

    private void SetLearningRate(double rate)
    {
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = rate;
    }

    /// <summary>Puts the schedule at <see cref="ScheduleStep"/> (after restoring a checkpoint).</summary>
    public void SyncLearningRate() => SetLearningRate(_schedule.At(ScheduleStep));

    /// <summary>Runs the configured epochs of minibatch updates over a rollout whose advantages are computed.</summary>
    public PpoStats Update(RolloutBuffer buffer, Xoshiro rng)
    {
        int n = buffer.Count;
        int obsSize = buffer.ObservationSize;
        int channels = obsSize / 81;
        var advantages = buffer.Advantages.AsSpan(0, n).ToArray();
        if (_options.NormalizeAdvantages && n > 1)
        {
            double mean = advantages.Average(a => (double)a);
            double std = Math.Sqrt(advantages.Sum(a => (a - mean) * (a - mean)) / (n - 1));
            for (int i = 0; i < n; i++) advantages[i] = (float)((advantages[i] - mean) / (std + 1e-8));
        }

        _model.train();
        var order = new int[n];
        double policySum = 0, valueSum = 0, entropySum = 0, klSum = 0, clipSum = 0, gradSum = 0;
        int batches = 0, epochs = 0;
        bool stopped = false;
        var obs = new float[_options.MinibatchSize * obsSize];
        var legalFlat = new List<long>(_options.MinibatchSize * 128);
        for (int epoch = 0; epoch < _options.PpoEpochs && !stopped; epoch++)
        {
            epochs++;
            for (int i = 0; i < n; i++) order[i] = i;
            rng.Shuffle(order);
            double epochKl = 0;
            int epochBatches = 0;
            for (int start = 0; start < n; start += _options.MinibatchSize)
            {
                int m = Math.Min(_options.MinibatchSize, n - start);
                var idx = order.AsSpan(start, m);
                var actions = new long[m];
                var oldLogp = new float[m];
                var adv = new float[m];
                var ret = new float[m];
                var oldValues = new float[m];
                legalFlat.Clear();
                for (int j = 0; j < m; j++)
                {
                    int i = idx[j];
                    buffer.Observations.AsSpan(i * obsSize, obsSize).CopyTo(obs.AsSpan(j * obsSize, obsSize));
                    foreach (int a in buffer.Legal(i)) legalFlat.Add((long)j * ActionSpace.Size + a);
                    actions[j] = buffer.Actions[i];
                    oldLogp[j] = buffer.LogProbs[i];
                    adv[j] = advantages[i];
                    ret[j] = buffer.Returns[i];
                    oldValues[j] = buffer.Values[i];
                }

                using var scope = torch.NewDisposeScope();
                var input = torch.empty([m, channels, 9, 9], ScalarType.Float32);
                input.data<float>().CopyFrom(obs.AsSpan(0, m * obsSize), 0, 0);
                input = input.to(_device);
                var legal = torch.zeros([m * ActionSpace.Size], ScalarType.Bool)
                    .index_fill_(0, torch.tensor(legalFlat.ToArray()), true).view(m, ActionSpace.Size).to(_device);
                var actionT = torch.tensor(actions).to(_device);
                var oldLogpT = torch.tensor(oldLogp).to(_device);
                var advT = torch.tensor(adv).to(_device);
                var retT = torch.tensor(ret).to(_device);
                var oldValueT = torch.tensor(oldValues).to(_device);

                var (logits, value) = _model.forward(input);
                var logpAll = PolicyValueModel.MaskedLogSoftmax(logits, legal);
                var logp = logpAll.gather(1, actionT.unsqueeze(1)).squeeze(1);
                var terms = Losses(logp, oldLogpT, advT, value, retT, oldValueT, logpAll, legal);
                var loss = terms.Policy + _options.ValueLossCoeff * terms.Value - _options.EntropyCoef * terms.Entropy;

                Optimizer.zero_grad();
                loss.backward();
                double gradNorm = torch.nn.utils.clip_grad_norm_(_model.parameters(), _options.GradientClipMaxNorm);
                Optimizer.step();
                if (_options.Schedule.StepOn == "update") SetLearningRate(_schedule.At(++ScheduleStep));

                double kl = terms.ApproxKl.item<float>();
                policySum += terms.Policy.item<float>();
                valueSum += terms.Value.item<float>();
                entropySum += terms.Entropy.item<float>();
                clipSum += terms.ClipFraction.item<float>();
                klSum += kl;
                gradSum += gradNorm;
                epochKl += kl;
                batches++;
                epochBatches++;
            }
            if (_options.Schedule.StepOn != "update") SetLearningRate(_schedule.At(++ScheduleStep));
            if (_options.TargetKl is { } target && epochKl / Math.Max(1, epochBatches) > 1.5 * target) stopped = true;
        }
        _model.eval();
        double d = Math.Max(1, batches);
        return new PpoStats(policySum / d, valueSum / d, entropySum / d, klSum / d, clipSum / d, LearningRate, gradSum / d, epochs, batches, stopped);
    }

    /// <summary>The PPO loss terms for one minibatch (exposed for tests against hand-computed values).</summary>
    public (Tensor Policy, Tensor Value, Tensor Entropy, Tensor ApproxKl, Tensor ClipFraction) Losses(Tensor logp, Tensor oldLogp, Tensor advantages,
        Tensor value, Tensor returns, Tensor oldValues, Tensor logpAll, Tensor legal)
    {
        var logRatio = logp - oldLogp;
        var ratio = logRatio.exp();
        double eps = _options.ClipEpsilon;
        var surrogate = torch.minimum(ratio * advantages, ratio.clamp(1 - eps, 1 + eps) * advantages);
        var policy = -surrogate.mean();
        Tensor valueLoss;
        if (_options.EnableValueClipping)
        {
            var clipped = oldValues + (value - oldValues).clamp(-_options.ValueClipEpsilon, _options.ValueClipEpsilon);
            valueLoss = 0.5 * torch.maximum((value - returns).pow(2), (clipped - returns).pow(2)).mean();
        }
        else
        {
            valueLoss = 0.5 * (value - returns).pow(2).mean();
        }
        var entropy = -(logpAll.exp() * logpAll.masked_fill(legal.logical_not(), 0)).sum(-1).mean();
        var approxKl = ((ratio - 1) - logRatio).mean();
        var clipFraction = ((ratio - 1).abs() > eps).to(ScalarType.Float32).mean();
        return (policy, valueLoss, entropy, approxKl, clipFraction);
    }
}
