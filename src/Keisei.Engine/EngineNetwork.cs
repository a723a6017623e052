using System.Runtime.InteropServices;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Encoding;
using Keisei.Neural.Inference;
using Keisei.Neural.Models;
using Keisei.Neural.Native;
using Keisei.Search;
using Keisei.Shogi;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Keisei.Engine;

/// <summary>A loaded and warmed-up network: the checkpoint's model on its device and the batcher the searches use.</summary>
internal sealed class EngineNetwork : IAsyncDisposable
{
    private readonly PolicyValueModel _model;

    private EngineNetwork(string path, string device, int batch, LoadedCheckpoint checkpoint, InferenceBatcher batcher)
    {
        Path = path;
        Device = device;
        Batch = batch;
        Sha256 = checkpoint.Sha256;
        Description = checkpoint.Info.Model.Describe();
        _model = checkpoint.Model;
        Batcher = batcher;
    }

    public string Path { get; }
    public string Device { get; }
    public int Batch { get; }
    public string Sha256 { get; }
    public string Description { get; }
    public InferenceBatcher Batcher { get; }

    /// <summary>Whether this network is the one these settings ask for.</summary>
    public bool Matches(EngineSettings settings) => Path == settings.Model && Device == settings.Device && Batch == settings.BatchSize;

    /// <summary>
    /// Loads and verifies the checkpoint (<see cref="CheckpointFile.Load"/>), moves it to the device, runs one full batch
    /// of the start position through it and a short search of it, so that the first move pays neither for libtorch's
    /// start-up nor for compiling the search.
    /// </summary>
    /// <exception cref="EngineSetupException">The model or the device cannot be used; the message names the option and the problem.</exception>
    public static async Task<EngineNetwork> LoadAsync(EngineSettings settings, SearchOptions search, ILogger logger, CancellationToken cancellationToken)
    {
        int maxMovesPerGame = search.MaxMovesPerGame;
        if (settings.Model.Length == 0)
            throw new EngineSetupException("DNN_Model is not set: start the engine with --model <file.ckpt> or send 'setoption name DNN_Model value <file.ckpt>'");
        torch.Device device;
        try
        {
            device = TorchDevices.Resolve(settings.Device, logger);
        }
        catch (ArgumentException e)
        {
            throw new EngineSetupException($"Device: {e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)}", e);
        }
        LoadedCheckpoint checkpoint;
        try
        {
            checkpoint = CheckpointFile.Load(settings.Model);
        }
        catch (CheckpointException e)
        {
            throw new EngineSetupException($"DNN_Model: {e.Message}", e);
        }
        InferenceBatcher? batcher = null;
        try
        {
            if (device.type != DeviceType.CPU) checkpoint.Model.to(device);
            batcher = new InferenceBatcher(checkpoint.Model, new InferenceBatcherOptions { MaxBatch = settings.BatchSize, Device = device }, logger);
            var position = Position.StartPosition();
            var context = new EncodingContext(maxMovesPerGame, 1);
            var warmUp = Enumerable.Range(0, settings.BatchSize).Select(_ => batcher.EvaluateAsync(position.Clone(), context, cancellationToken).AsTask());
            await Task.WhenAll(warmUp).ConfigureAwait(false);
            var warmSearch = new PuctSearch(new BatcherLeafEvaluator(batcher), search with { Batch = settings.BatchSize }, seed: 0);
            await warmSearch.SearchAsync(new Game(), 2 * settings.BatchSize, cancellationToken: cancellationToken, progress: _ => false).ConfigureAwait(false);
            return new EngineNetwork(settings.Model, settings.Device, settings.BatchSize, checkpoint, batcher);
        }
        catch (Exception e) when (e is NonFiniteOutputException or ExternalException or InvalidOperationException)
        {
            if (batcher is not null) await batcher.DisposeAsync().ConfigureAwait(false);
            checkpoint.Model.Dispose();
            throw new EngineSetupException($"DNN_Model: '{settings.Model}' failed its warm-up forward pass on {settings.Device}: {e.Message}", e);
        }
        catch
        {
            if (batcher is not null) await batcher.DisposeAsync().ConfigureAwait(false);
            checkpoint.Model.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Batcher.DisposeAsync().ConfigureAwait(false);
        _model.Dispose();
    }
}

/// <summary>The engine cannot get ready (no model, a damaged model, a device that is not there); the message says which and why.</summary>
public sealed class EngineSetupException(string message, Exception? inner = null) : Exception(message, inner);
