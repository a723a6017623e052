using Keisei.Neural.Models;

namespace Keisei.Training;

/// <summary>When the learning-rate schedule advances; named <c>epoch</c> and <c>update</c> in config files (<see cref="LrScheduleOptions.StepOnName"/>).</summary>
public enum LrStepOn
{
    /// <summary>Once per PPO epoch.</summary>
    Epoch,

    /// <summary>Once per optimiser step.</summary>
    Update,
}

/// <summary>How the learning rate changes over training.</summary>
public sealed record LrScheduleOptions
{
    /// <summary>null (constant), <c>linear</c>, <c>cosine</c>, <c>exponential</c> or <c>step</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Whether the schedule advances once per PPO epoch or once per optimiser step.</summary>
    public LrStepOn StepOn { get; init; } = LrStepOn.Epoch;

    /// <summary>Steps (in <see cref="StepOn"/> units) over which the rate rises linearly from 0 to its base value.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>linear/cosine: the rate at the end of training as a fraction of the base rate.</summary>
    public double FinalFraction { get; init; }

    /// <summary>exponential: factor per step; step: factor every <see cref="StepSize"/> steps.</summary>
    public double Gamma { get; init; } = 0.99;

    /// <summary>step: steps between reductions.</summary>
    public int StepSize { get; init; } = 10;

    public static readonly string[] Types = ["linear", "cosine", "exponential", "step"];

    /// <summary>The config names of <see cref="LrStepOn"/>'s values, in enum order.</summary>
    public static readonly string[] StepOnNames = ["epoch", "update"];

    /// <summary>The config name of a <see cref="LrStepOn"/> value.</summary>
    public static string StepOnName(LrStepOn stepOn) => StepOnNames[(int)stepOn];

    /// <summary>The <see cref="LrStepOn"/> value of a config name (one of <see cref="StepOnNames"/>).</summary>
    public static LrStepOn ParseStepOn(string name) =>
        Array.IndexOf(StepOnNames, name) is var i and >= 0 ? (LrStepOn)i : throw new ArgumentException($"lr_schedule_step_on: expected one of {string.Join(", ", StepOnNames)}, found '{name}'", nameof(name));
}

/// <summary>PPO hyper-parameters (Keisei's names and defaults).</summary>
public sealed record PpoOptions
{
    public double LearningRate { get; init; } = 3e-4;
    public double Gamma { get; init; } = 0.99;
    public double LambdaGae { get; init; } = 0.95;
    public double ClipEpsilon { get; init; } = 0.2;
    public int PpoEpochs { get; init; } = 10;
    public int MinibatchSize { get; init; } = 64;
    public double ValueLossCoeff { get; init; } = 0.5;
    public double EntropyCoef { get; init; } = 0.01;
    public double GradientClipMaxNorm { get; init; } = 0.5;
    public double WeightDecay { get; init; }

    /// <summary><c>adam</c> or <c>adamw</c>.</summary>
    public string Optimizer { get; init; } = "adam";

    public bool NormalizeAdvantages { get; init; } = true;
    public bool EnableValueClipping { get; init; }
    public double ValueClipEpsilon { get; init; } = 0.2;

    /// <summary>Stop the epochs of an update early when the approximate KL exceeds 1.5 × this (null: never).</summary>
    public double? TargetKl { get; init; }

    public LrScheduleOptions Schedule { get; init; } = new();

    /// <summary>
    /// Convolutions in bfloat16 with float32 weights, gradients and optimiser state, on a CPU with native bfloat16
    /// arithmetic (ignored with a warning elsewhere; see <c>Trainer</c>).
    /// </summary>
    public bool MixedPrecision { get; init; }
}

/// <summary>Everything a training run needs besides where it writes.</summary>
public sealed record TrainingOptions
{
    public long TotalTimesteps { get; init; } = 500_000;

    /// <summary>Positions (plies) collected per PPO update, across all self-play games.</summary>
    public int StepsPerEpoch { get; init; } = 2048;

    /// <summary>Self-play games played side by side; their positions go through one forward pass per step.</summary>
    public int NumEnvs { get; init; } = 16;

    public long CheckpointIntervalTimesteps { get; init; } = 10_000;
    public int Seed { get; init; } = 42;

    /// <summary><c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Plies after which a self-play game is a draw (reward 0 for both).</summary>
    public int MaxMovesPerGame { get; init; } = 500;

    /// <summary>Torch intra-op threads (0: torch's default).</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Scale of potential-based reward shaping by material (0: off, pure win/loss/draw rewards). Each player's step gets
    /// γ·Φ(its next position) − Φ(this position), Φ = scale × (own material − opponent's material, board and hand) and
    /// Φ = 0 at the end of a game; such shaping leaves the optimal policy unchanged (Ng, Harada and Russell, 1999) and
    /// gives the sparse game result a dense companion signal.
    /// </summary>
    public double MaterialShaping { get; init; }

    /// <summary>
    /// Updates in a row whose numbers may be non-finite (each one skipped) before training stops with the last good weights
    /// in memory and exit code 1.
    /// </summary>
    public int MaxNonFiniteUpdates { get; init; } = 3;

    public PpoOptions Ppo { get; init; } = new();
    public ModelConfig Model { get; init; } = ModelConfig.KeiseiDefault;

    /// <summary>Most self-play games side by side (each holds a policy row of 13,527 floats and its observation planes).</summary>
    public const int MaxNumEnvs = 65_536;

    /// <summary>Most positions per update (the rollout buffer holds each position's observation planes and up to 128 legal moves).</summary>
    public const int MaxStepsPerEpoch = 262_144;

    /// <summary>Most positions of a run set in a config file (the learning benchmark runs by time, with an unreachable count).</summary>
    public const long MaxTotalTimesteps = 1_000_000_000_000_000;

    /// <summary>Most torch threads.</summary>
    public const int MaxThreads = 1024;

    /// <summary>
    /// Every limit the trainer's buffers need that one value alone cannot show (sizes in 32-bit array indices, memory),
    /// each as <c>key: expected ..., found ...</c> by its config key name under <c>training.</c> (empty when valid).
    /// The config file's validation and the trainer both call this.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (NumEnvs is < 1 or > MaxNumEnvs) errors.Add($"num_envs: expected an integer in 1..{MaxNumEnvs}, found {NumEnvs}");
        if (StepsPerEpoch is < 1 or > MaxStepsPerEpoch) errors.Add($"steps_per_epoch: expected an integer in 1..{MaxStepsPerEpoch}, found {StepsPerEpoch}");
        if (Threads is < 0 or > MaxThreads) errors.Add($"threads: expected an integer in 0..{MaxThreads}, found {Threads}");
        if (Ppo.MinibatchSize < 1 || Ppo.MinibatchSize > StepsPerEpoch)
            errors.Add($"minibatch_size: expected at most training.steps_per_epoch ({StepsPerEpoch}), found {Ppo.MinibatchSize}");
        // The buffers index observations and policy rows with int: the products must fit (they do within the limits above
        // for every encoding Keisei has; this keeps it true if an encoding grows).
        if (Model.Validate().Count == 0)
        {
            long observation = (long)Model.InputChannels * 81;
            if (StepsPerEpoch >= 1 && (long)StepsPerEpoch * Math.Max(observation, 128) > Array.MaxLength)
                errors.Add($"steps_per_epoch: expected at most {Array.MaxLength / Math.Max(observation, 128)} for {Model.Observation}, found {StepsPerEpoch}");
        }
        return errors;
    }
}
