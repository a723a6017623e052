namespace Keisei.Training;

/// <summary>Hooks called by the training loop; an evaluation callback hands the weights to the evaluation service from here.</summary>
public interface ITrainingCallback
{
    /// <summary>After every PPO update (the weights are those after the update). Must return quickly.</summary>
    ValueTask OnUpdateAsync(Trainer trainer, TrainingStatus status, CancellationToken cancellationToken);

    /// <summary>After a checkpoint file was written.</summary>
    ValueTask OnCheckpointAsync(Trainer trainer, string path, long timesteps, CancellationToken cancellationToken);
}
