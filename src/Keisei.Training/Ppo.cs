using Keisei.Neural;
using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using Keisei.Shogi;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Keisei.Training;

/// <summary>Figures of one PPO update.</summary>
public sealed record PpoStats(double PolicyLoss, double ValueLoss, double Entropy, double ApproxKl, double ClipFraction, double LearningRate,
    double GradNorm, int EpochsRun, int Minibatches, bool StoppedEarly)
{
    /// <summary>
    /// What was NaN or infinite when the update was skipped (its weights and optimizer state restored to those before it);
    /// null for an update that was applied. The loss figures of a skipped update are NaN.
    /// </summary>
    public string? NonFinite { get; init; }

    /// <summary>A skipped update: nothing of it was applied.</summary>
    public static PpoStats Skipped(string what, double learningRate, int epochs, int minibatches) =>
        new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, learningRate, double.NaN, epochs, minibatches, false) { NonFinite = what };
}

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
/// An update is all or nothing: a NaN or infinity in a minibatch's loss or gradient norm (checked before its optimizer
/// step) or in the weights after the last step restores the weights, optimizer state and schedule as they were before
/// the update, and <see cref="PpoStats.NonFinite"/> says what went wrong.
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
        Optimizer = Optimizers.Create(options.Optimizer, parameters, options.LearningRate, options.WeightDecay);
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

    /// <summary>Called after each minibatch's backward pass, before the checks (tests use it to poison a gradient).</summary>
    internal Action<PolicyValueModel>? AfterBackward { get; set; }

    /// <summary>Runs the configured epochs of minibatch updates over a rollout whose advantages are computed.</summary>
    public PpoStats Update(RolloutBuffer buffer, Xoshiro rng)
    {
        var before = UpdateSnapshot.Take(_model, Optimizer, ScheduleStep);
        var stats = Run(buffer, rng);
        string? problem = stats.NonFinite;
        if (problem is null && FiniteChecks.NonFiniteState(_model) is { Count: > 0 } broken)
            problem = $"weights after the update ({FiniteChecks.Describe(broken)})";
        if (problem is null) return stats;
        ScheduleStep = before.Restore(_model, Optimizer);
        SyncLearningRate();
        return PpoStats.Skipped(problem, LearningRate, stats.EpochsRun, stats.Minibatches);
    }

    private PpoStats Run(RolloutBuffer buffer, Xoshiro rng)
    {
        int n = buffer.Count;
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
                using var scope = torch.NewDisposeScope();
                var (input, indexT, validT, chosenT, oldLogpT, advT, retT, oldValueT) = Minibatch(buffer, order.AsSpan(start, m), advantages);

                // Only the legal moves' logits are computed (the conv head) or read out of the head (the linear one): the same
                // log-probabilities as a softmax over all 13,527 actions with the illegal ones masked, at a fraction of the cost.
                var (legalLogits, value) = _model.ForwardLegal(input, indexT);
                var logpLegal = PolicyValueModel.LegalLogSoftmax(legalLogits, validT);
                var logp = logpLegal.gather(1, chosenT.unsqueeze(1)).squeeze(1);
                var terms = Losses(logp, oldLogpT, advT, value, retT, oldValueT, logpLegal, validT);
                var loss = terms.Policy.add(terms.Value.mul(Scalars.Of(_options.ValueLossCoeff)), Scalars.Of(1L)).sub(terms.Entropy.mul(Scalars.Of(_options.EntropyCoef)));

                Optimizer.zero_grad();
                loss.backward();
                AfterBackward?.Invoke(_model);
                double gradNorm = ClipGradients();
                double policyLoss = terms.Policy.item<float>(), valueLoss = terms.Value.item<float>(), entropy = terms.Entropy.item<float>();
                if (NonFiniteMinibatch(policyLoss, valueLoss, entropy, gradNorm) is { } what)
                {
                    Optimizer.zero_grad();
                    return PpoStats.Skipped($"{what} in minibatch {batches + 1} (epoch {epochs})", LearningRate, epochs, batches + 1);
                }
                Optimizer.step();
                if (_options.Schedule.StepOn == LrStepOn.Update) SetLearningRate(_schedule.At(++ScheduleStep));

                double kl = terms.ApproxKl.item<float>();
                policySum += policyLoss;
                valueSum += valueLoss;
                entropySum += entropy;
                clipSum += terms.ClipFraction.item<float>();
                klSum += kl;
                gradSum += gradNorm;
                epochKl += kl;
                batches++;
                epochBatches++;
            }
            if (_options.Schedule.StepOn != LrStepOn.Update) SetLearningRate(_schedule.At(++ScheduleStep));
            if (_options.TargetKl is { } target && epochKl / Math.Max(1, epochBatches) > 1.5 * target) stopped = true;
        }
        _model.eval();
        double d = Math.Max(1, batches);
        return new PpoStats(policySum / d, valueSum / d, entropySum / d, klSum / d, clipSum / d, LearningRate, gradSum / d, epochs, batches, stopped);
    }

    /// <summary>
    /// One minibatch's tensors on the training device: observations, the head index of each position's legal moves (padded
    /// to the widest with index 0) and which of them are real, the chosen move's place among them, and the rollout's
    /// log-probabilities, advantages, returns and values. Observations and indices are written straight into the tensors'
    /// memory.
    /// </summary>
    private MinibatchTensors Minibatch(RolloutBuffer buffer, ReadOnlySpan<int> idx, float[] advantages)
    {
        int m = idx.Length, obsSize = buffer.ObservationSize;
        int width = 1;
        foreach (int i in idx) width = Math.Max(width, buffer.Legal(i).Length);
        var input = torch.empty([m, obsSize / 81, 9, 9], ScalarType.Float32);
        var index = torch.zeros([m, width], ScalarType.Int64);
        var inputValues = TensorData.Values<float>(input);
        var indexValues = TensorData.Values<long>(index);
        var counts = new long[m];
        var chosen = new long[m];
        var oldLogp = new float[m];
        var adv = new float[m];
        var ret = new float[m];
        var oldValues = new float[m];
        for (int j = 0; j < m; j++)
        {
            int i = idx[j];
            var observation = buffer.Observations.AsSpan(i * obsSize, obsSize);
            observation.CopyTo(inputValues.Slice(j * obsSize, obsSize));
            var mover = observation[ObservationEncoder.SideToMovePlane * 81] > 0.5f ? Color.Black : Color.White;
            var legal = buffer.Legal(i);
            for (int k = 0; k < legal.Length; k++) indexValues[j * width + k] = _model.HeadPolicyIndex(legal[k], mover);
            counts[j] = legal.Length;
            chosen[j] = legal.IndexOf(buffer.Actions[i]);
            oldLogp[j] = buffer.LogProbs[i];
            adv[j] = advantages[i];
            ret[j] = buffer.Returns[i];
            oldValues[j] = buffer.Values[i];
        }
        using var stop = ((long)width).ToScalar();
        var valid = torch.arange(Scalars.Of(0L), stop, Scalars.Of(1L), ScalarType.Int64).unsqueeze(0).lt(torch.tensor(counts).unsqueeze(1));
        return new(input.to(_device), index.to(_device), valid.to(_device), torch.tensor(chosen).to(_device), torch.tensor(oldLogp).to(_device),
            torch.tensor(adv).to(_device), torch.tensor(ret).to(_device), torch.tensor(oldValues).to(_device));
    }

    private readonly record struct MinibatchTensors(Tensor Input, Tensor Index, Tensor Valid, Tensor Chosen, Tensor OldLogp, Tensor Advantages,
        Tensor Returns, Tensor OldValues);

    /// <summary>
    /// The global gradient norm; when it is finite and above the limit, every gradient is scaled down to it (as
    /// clip_grad_norm_ does). A non-finite norm leaves the gradients as they are, so the check can name the culprits.
    /// </summary>
    private double ClipGradients()
    {
        using var scope = torch.NewDisposeScope();
        var grads = _model.parameters().Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        double norm = torch.stack(grads.Select(g => g.norm()).ToArray()).norm().item<float>();
        double coefficient = _options.GradientClipMaxNorm / (norm + 1e-6);
        if (double.IsFinite(norm) && coefficient < 1)
        {
            using var scale = coefficient.ToScalar(); // a new value every call: disposed after use, alive until then
            foreach (var g in grads) g.mul_(scale);
        }
        return norm;
    }

    /// <summary>What is not finite among a minibatch's loss terms and gradient norm (naming the parameters), or null.</summary>
    private string? NonFiniteMinibatch(double policy, double value, double entropy, double gradNorm)
    {
        var terms = new List<string>();
        if (!double.IsFinite(policy)) terms.Add($"policy loss {policy}");
        if (!double.IsFinite(value)) terms.Add($"value loss {value}");
        if (!double.IsFinite(entropy)) terms.Add($"entropy {entropy}");
        if (!double.IsFinite(gradNorm))
            terms.Add($"gradient norm {gradNorm} ({FiniteChecks.Describe(FiniteChecks.NonFiniteGradients(_model))})");
        return terms.Count == 0 ? null : string.Join(", ", terms);
    }

    /// <summary>
    /// The PPO loss terms for one minibatch (exposed for tests against hand-computed values). <paramref name="logpAll"/>
    /// holds log-probabilities over each position's candidate moves and <paramref name="legal"/> marks the real ones among
    /// them (all 13,527 actions with a legal mask, or the legal moves padded to the widest).
    /// </summary>
    public (Tensor Policy, Tensor Value, Tensor Entropy, Tensor ApproxKl, Tensor ClipFraction) Losses(Tensor logp, Tensor oldLogp, Tensor advantages,
        Tensor value, Tensor returns, Tensor oldValues, Tensor logpAll, Tensor legal)
    {
        var logRatio = logp - oldLogp;
        var ratio = logRatio.exp();
        double eps = _options.ClipEpsilon;
        var surrogate = torch.minimum(ratio * advantages, ratio.clamp(Scalars.Of(1 - eps), Scalars.Of(1 + eps)) * advantages);
        var policy = -surrogate.mean();
        Tensor valueLoss;
        if (_options.EnableValueClipping)
        {
            var clipped = oldValues.add((value - oldValues).clamp(Scalars.Of(-_options.ValueClipEpsilon), Scalars.Of(_options.ValueClipEpsilon)), Scalars.Of(1L));
            valueLoss = torch.maximum((value - returns).pow(Scalars.Of(2L)), (clipped - returns).pow(Scalars.Of(2L))).mean().mul(Scalars.Of(0.5));
        }
        else
        {
            valueLoss = (value - returns).pow(Scalars.Of(2L)).mean().mul(Scalars.Of(0.5));
        }
        var entropy = -(logpAll.exp() * logpAll.masked_fill(legal.logical_not(), Scalars.Of(0.0))).sum(-1).mean();
        var ratioMinusOne = ratio.sub(Scalars.Of(1.0));
        var approxKl = (ratioMinusOne - logRatio).mean();
        var clipFraction = ratioMinusOne.abs().gt(Scalars.Of(eps)).to(ScalarType.Float32).mean();
        return (policy, valueLoss, entropy, approxKl, clipFraction);
    }
}

/// <summary>Weights, optimizer state and schedule step as they were before an update, kept in memory to undo it.</summary>
internal sealed class UpdateSnapshot
{
    private readonly byte[] _weights, _optimizer;
    private readonly long _scheduleStep;

    private UpdateSnapshot(byte[] weights, byte[] optimizer, long scheduleStep)
    {
        _weights = weights;
        _optimizer = optimizer;
        _scheduleStep = scheduleStep;
    }

    public static UpdateSnapshot Take(PolicyValueModel model, OptimizerHelper optimizer, long scheduleStep)
    {
        var weights = new MemoryStream();
        model.save(weights);
        var state = new MemoryStream();
        optimizer.save_state_dict(new BinaryWriter(state));
        return new UpdateSnapshot(weights.ToArray(), state.ToArray(), scheduleStep);
    }

    /// <summary>Puts the weights and optimizer state back; returns the schedule step to restore.</summary>
    public long Restore(PolicyValueModel model, OptimizerHelper optimizer)
    {
        model.load(new MemoryStream(_weights, writable: false), strict: true);
        optimizer.load_state_dict(new BinaryReader(new MemoryStream(_optimizer, writable: false)));
        return _scheduleStep;
    }
}
